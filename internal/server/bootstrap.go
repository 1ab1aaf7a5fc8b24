package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// bootstrap loads the deployment or, on first start, creates it with the
// management account and its root access key, and prints the key once.
func (n *Node) bootstrap(ctx context.Context) error {
	d, err := n.IAM.LoadDeployment(ctx)
	if err == nil {
		n.Deployment, n.Account = d.ID, d.ManagementAccount
		if n.cfg.AccountID != "" && n.cfg.AccountID != d.ManagementAccount {
			n.log.Warn("HATRACK_ACCOUNT_ID is ignored: the deployment already exists", "account", d.ManagementAccount)
		}
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	acct := n.cfg.AccountID
	if acct == "" {
		acct = ids.NewAccountID()
	} else if !ids.ValidAccountID(acct) {
		return fmt.Errorf("HATRACK_ACCOUNT_ID must be 12 digits, got %q", acct)
	}
	if (n.cfg.RootKeyID == "") != (n.cfg.RootSecretKey == "") {
		return errors.New("set both HATRACK_ROOT_ACCESS_KEY_ID and HATRACK_ROOT_SECRET_ACCESS_KEY, or neither")
	}
	if n.cfg.RootKeyID != "" {
		if err := checkImportedKey(n.cfg.RootKeyID, n.cfg.RootSecretKey); err != nil {
			return err
		}
	}
	dep := iam.Deployment{ID: ids.NewRequestID(), ManagementAccount: acct}
	key, err := n.IAM.Bootstrap(ctx, dep, iam.Account{ID: acct, Name: "management", Email: "root@" + acct + ".hatrack.local"}, n.cfg.RootKeyID, n.cfg.RootSecretKey)
	if errors.Is(err, store.ErrAlreadyExists) {
		// Another node of the same deployment made the first start between
		// our read and our write (writers are serialised, so it committed
		// whole): join the deployment it created.
		d, lerr := n.IAM.LoadDeployment(ctx)
		if lerr != nil {
			return fmt.Errorf("first start: another node created the deployment, but loading it failed: %w", lerr)
		}
		n.Deployment, n.Account = d.ID, d.ManagementAccount
		n.log.Info("first start: another node created the deployment; joined it", "account", d.ManagementAccount)
		return nil
	}
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	n.Deployment, n.Account = dep.ID, acct
	n.log.Info("first start: created the management account", "account", acct, "access_key_id", key.ID)
	n.printBanner(acct, key, n.cfg.RootSecretKey != "")
	return nil
}

func checkImportedKey(id, secret string) error {
	if len(id) < 16 || len(id) > 128 {
		return errors.New("HATRACK_ROOT_ACCESS_KEY_ID must be 16 to 128 characters")
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return errors.New("HATRACK_ROOT_ACCESS_KEY_ID may hold only letters, digits and _")
		}
	}
	if len(id) >= 4 && id[:4] == "ASIA" {
		return errors.New("HATRACK_ROOT_ACCESS_KEY_ID must not start with ASIA (reserved for temporary credentials)")
	}
	if len(secret) < 16 {
		return errors.New("HATRACK_ROOT_SECRET_ACCESS_KEY must be at least 16 characters")
	}
	return nil
}

// printBanner shows the root credentials once, on the console (never in
// the logs). A secret that came from the environment is not echoed.
func (n *Node) printBanner(acct string, key *iam.NewKey, fromEnv bool) {
	secret := key.Secret
	if fromEnv {
		secret = "(from HATRACK_ROOT_SECRET_ACCESS_KEY)"
	}
	endpoint := "http://" + displayAddr(n.cfg.Addr)
	fmt.Fprintf(n.cfg.Out, `
Hatrack created account %s and its root access key.
The secret is shown only now. Paste this into ~/.aws/config:

[profile hatrack]
aws_access_key_id = %s
aws_secret_access_key = %s
region = us-east-1
endpoint_url = %s

then: aws --profile hatrack sts get-caller-identity

`, acct, key.ID, secret, endpoint)
}

func displayAddr(addr string) string {
	if addr == "" {
		return "127.0.0.1:8080"
	}
	if addr[0] == ':' {
		return "127.0.0.1" + addr
	}
	return addr
}
