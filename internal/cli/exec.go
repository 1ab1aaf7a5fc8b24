package cli

// hatrack exec --role-arn ARN [--profile P] [...] -- COMMAND [ARGS...]
//
// Runs COMMAND with only the role session's credentials in its
// environment (like awsudo): every other AWS credential variable is
// removed, so neither a profile nor outer keys can leak into the command.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// strippedEnv are the variables that could give the command another
// identity than the role session's.
var strippedEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCOUNT_ID",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_SHARED_CREDENTIALS_FILE",
}

// roleEnv returns env without other credentials, plus the session's.
func roleEnv(env []string, cr awsCreds) []string {
	out := make([]string, 0, len(env)+4)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, s := range strippedEnv {
			if strings.EqualFold(k, s) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	out = append(out, "AWS_ACCESS_KEY_ID="+cr.ID, "AWS_SECRET_ACCESS_KEY="+cr.Secret)
	if cr.Token != "" {
		out = append(out, "AWS_SESSION_TOKEN="+cr.Token)
	}
	if !cr.Expiration.IsZero() {
		out = append(out, "AWS_CREDENTIAL_EXPIRATION="+cr.Expiration.UTC().Format(time.RFC3339))
	}
	// No shared credentials file: point it at nothing so no profile keys
	// can be read.
	out = append(out, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
	return out
}

func runExec(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("exec", stderr)
	rf := addRoleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		fmt.Fprintln(stderr, "usage: hatrack exec --role-arn ARN [--profile P] [flags] -- COMMAND [ARGS...]")
		return 2
	}
	if *rf.roleARN == "" && *rf.profile == "" {
		fmt.Fprintln(stderr, "hatrack exec: --role-arn or a role --profile is required")
		return 2
	}
	ctx := context.Background()
	cr, err := rf.roleCredentials(ctx, rf.client(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "hatrack exec: %v\n", err)
		return 1
	}
	if !cr.Session {
		fmt.Fprintln(stderr, "hatrack exec: the profile gave long-term keys, not a role session; pass --role-arn")
		return 1
	}
	path, err := exec.LookPath(cmdArgs[0])
	if err != nil {
		fmt.Fprintf(stderr, "hatrack exec: %v\n", err)
		return 127
	}
	cmd := exec.Command(path, cmdArgs[1:]...)
	cmd.Env = roleEnv(os.Environ(), cr)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "hatrack exec: %v\n", err)
		return 126
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(stderr, "hatrack exec: %v\n", err)
		return 1
	}
	return 0
}
