package cli

// hatrack credentials: role credentials for programs.
//
//	hatrack credentials [--profile P] [--role-arn ARN …]        credential_process JSON (Version 1)
//	hatrack credentials --certificate C --private-key K --trust-anchor-arn T --profile-arn P --role-arn R
//	                                                             the same, through IAM Roles Anywhere
//	hatrack credentials serve-imds --instance-profile NAME|--role-arn ARN [--addr 127.0.0.1:0]
//	hatrack credentials serve-ecs --role-arn ARN [--addr 127.0.0.1:0]
//
// Source credentials come from the environment (AWS_ACCESS_KEY_ID, …) or
// from the shared config and credentials files; a role profile
// (role_arn + source_profile / credential_source = Environment, external_id,
// mfa_serial, duration_seconds, role_session_name) is followed through its
// chain. The STS/IAM endpoint is --endpoint-url, AWS_ENDPOINT_URL_STS,
// AWS_ENDPOINT_URL or the profile's endpoint_url.

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/internal/credserver"
	"github.com/hatrack/hatrack/internal/federation/rolesanywhere"
)

// awsCreds are credentials with their expiry (zero = long-term).
type awsCreds struct {
	ID, Secret, Token string
	Expiration        time.Time
	// Session marks temporary credentials (for the chaining rules).
	Session bool
}

// iniFile is a parsed AWS config or credentials file: section → key → value.
type iniFile map[string]map[string]string

func readINI(path string) (iniFile, error) {
	f := iniFile{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	var sec map[string]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			name := strings.TrimSpace(line[1 : len(line)-1])
			sec = f[name]
			if sec == nil {
				sec = map[string]string{}
				f[name] = sec
			}
			continue
		}
		if sec == nil || raw[0] == ' ' || raw[0] == '\t' {
			continue // nested sub-section keys are not used here
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		sec[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return f, sc.Err()
}

func homeFile(envVar string, parts ...string) string {
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(append([]string{h}, parts...)...)
}

// awsProfiles resolves named profiles from the shared files.
type awsProfiles struct {
	config, creds iniFile
}

func loadProfiles() (*awsProfiles, error) {
	cfg, err := readINI(homeFile("AWS_CONFIG_FILE", ".aws", "config"))
	if err != nil {
		return nil, err
	}
	cr, err := readINI(homeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws", "credentials"))
	if err != nil {
		return nil, err
	}
	return &awsProfiles{config: cfg, creds: cr}, nil
}

// get returns the profile's key: the credentials file wins for keys, the
// config file is read as "[profile NAME]" (or "[default]").
func (p *awsProfiles) get(name, key string) string {
	if s, ok := p.creds[name]; ok {
		if v, ok := s[key]; ok {
			return v
		}
	}
	sec := "profile " + name
	if name == "default" {
		if s, ok := p.config["default"]; ok {
			if v, ok := s[key]; ok {
				return v
			}
		}
	}
	return p.config[sec][key]
}

func (p *awsProfiles) exists(name string) bool {
	_, a := p.creds[name]
	_, b := p.config["profile "+name]
	_, c := p.config[name]
	return a || b || (name == "default" && c)
}

// assumeOpts are AssumeRole parameters.
type assumeOpts struct {
	RoleARN, SessionName, ExternalID, SerialNumber, TokenCode string
	Duration                                                  int
}

// client holds what calling STS/IAM needs.
type client struct {
	endpoint string
	region   string
	stderr   io.Writer
	// tokenCode answers MFA prompts non-interactively.
	tokenCode string
}

func (c *client) cfg(cr awsCreds) aws.Config {
	cfg := aws.Config{Region: c.region, Credentials: awscreds.NewStaticCredentialsProvider(cr.ID, cr.Secret, cr.Token), RetryMaxAttempts: 2}
	if c.endpoint != "" {
		cfg.BaseEndpoint = aws.String(c.endpoint)
	}
	return cfg
}

func (c *client) assume(ctx context.Context, src awsCreds, o assumeOpts) (awsCreds, error) {
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(o.RoleARN), RoleSessionName: aws.String(o.SessionName)}
	if in.RoleSessionName == nil || *in.RoleSessionName == "" {
		in.RoleSessionName = aws.String("hatrack-" + strconv.FormatInt(time.Now().Unix(), 10))
	}
	if o.ExternalID != "" {
		in.ExternalId = aws.String(o.ExternalID)
	}
	if o.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(o.Duration))
	}
	if o.SerialNumber != "" {
		code := o.TokenCode
		if code == "" {
			code = c.tokenCode
		}
		if code == "" {
			var err error
			if code, err = promptMFA(o.SerialNumber, c.stderr); err != nil {
				return awsCreds{}, err
			}
		}
		in.SerialNumber, in.TokenCode = aws.String(o.SerialNumber), aws.String(code)
	}
	out, err := awssts.NewFromConfig(c.cfg(src)).AssumeRole(ctx, in)
	if err != nil {
		return awsCreds{}, err
	}
	return awsCreds{ID: *out.Credentials.AccessKeyId, Secret: *out.Credentials.SecretAccessKey,
		Token: *out.Credentials.SessionToken, Expiration: *out.Credentials.Expiration, Session: true}, nil
}

// promptMFA reads a code from the terminal (stdout is the JSON channel).
func promptMFA(serial string, stderr io.Writer) (string, error) {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return "", fmt.Errorf("MFA code required for %s: pass --token-code", serial)
	}
	defer tty.Close()
	fmt.Fprintf(stderr, "Enter MFA code for %s: ", serial)
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading MFA code: %v", err)
	}
	return strings.TrimSpace(line), nil
}

func envCreds() (awsCreds, bool) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return awsCreds{}, false
	}
	tok := os.Getenv("AWS_SESSION_TOKEN")
	return awsCreds{ID: id, Secret: secret, Token: tok, Session: tok != ""}, true
}

// resolveProfile returns the credentials of a profile, assuming roles
// along its source_profile chain.
func (c *client) resolveProfile(ctx context.Context, p *awsProfiles, name string, seen map[string]bool) (awsCreds, error) {
	if seen[name] {
		return awsCreds{}, fmt.Errorf("infinite loop in profile configuration: %s", name)
	}
	seen[name] = true
	if !p.exists(name) {
		return awsCreds{}, fmt.Errorf("the config profile (%s) could not be found", name)
	}
	static := awsCreds{ID: p.get(name, "aws_access_key_id"), Secret: p.get(name, "aws_secret_access_key"), Token: p.get(name, "aws_session_token")}
	static.Session = static.Token != ""
	role := p.get(name, "role_arn")
	if role == "" {
		if static.ID == "" || static.Secret == "" {
			return awsCreds{}, fmt.Errorf("profile %s has neither keys nor role_arn", name)
		}
		return static, nil
	}
	srcProfile, credSource := p.get(name, "source_profile"), p.get(name, "credential_source")
	var src awsCreds
	switch {
	case srcProfile != "" && credSource != "":
		return awsCreds{}, fmt.Errorf("the profile %q contains both source_profile and credential_source", name)
	case srcProfile == name:
		if static.ID == "" {
			return awsCreds{}, fmt.Errorf("profile %s names itself as source_profile without keys", name)
		}
		src = static
	case srcProfile != "":
		var err error
		if src, err = c.resolveProfile(ctx, p, srcProfile, seen); err != nil {
			return awsCreds{}, err
		}
	case credSource == "Environment":
		var ok bool
		if src, ok = envCreds(); !ok {
			return awsCreds{}, errors.New("credential_source Environment: no credentials in the environment")
		}
	default:
		return awsCreds{}, fmt.Errorf("profile %s has role_arn but neither source_profile nor a supported credential_source", name)
	}
	dur, _ := strconv.Atoi(p.get(name, "duration_seconds"))
	return c.assume(ctx, src, assumeOpts{RoleARN: role, SessionName: p.get(name, "role_session_name"),
		ExternalID: p.get(name, "external_id"), SerialNumber: p.get(name, "mfa_serial"), Duration: dur})
}

// baseCreds are the credentials a command starts from: a named profile,
// else the environment, else AWS_PROFILE / default.
func (c *client) baseCreds(ctx context.Context, profile string) (awsCreds, error) {
	p, err := loadProfiles()
	if err != nil {
		return awsCreds{}, err
	}
	if profile == "" {
		if cr, ok := envCreds(); ok {
			return cr, nil
		}
		profile = os.Getenv("AWS_PROFILE")
		if profile == "" {
			profile = "default"
		}
	}
	if ep := p.get(profile, "endpoint_url"); c.endpoint == "" && ep != "" {
		c.endpoint = ep
	}
	if r := p.get(profile, "region"); c.region == "" && r != "" {
		c.region = r
	}
	return c.resolveProfile(ctx, p, profile, map[string]bool{})
}

// roleFlags are the flags of every command that assumes a role.
type roleFlags struct {
	profile, roleARN, sessionName, externalID, serial, tokenCode, endpoint, region *string
	duration                                                                       *int
}

func addRoleFlags(fs *flag.FlagSet) roleFlags {
	return roleFlags{
		profile:     fs.String("profile", "", "AWS profile to start from (a role profile is followed through its chain)"),
		roleARN:     fs.String("role-arn", "", "role to assume with the profile's credentials"),
		sessionName: fs.String("role-session-name", "", "session name (default hatrack-<unix time>)"),
		externalID:  fs.String("external-id", "", "external id the role's trust requires"),
		serial:      fs.String("serial-number", "", "MFA device ARN (prompted for a code unless --token-code)"),
		tokenCode:   fs.String("token-code", "", "current MFA code"),
		duration:    fs.Int("duration-seconds", 0, "session duration (900..43200; default the server's, one hour)"),
		endpoint:    fs.String("endpoint-url", "", "STS/IAM endpoint (default AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's endpoint_url)"),
		region:      fs.String("region", "", "region to sign for (default AWS_REGION, the profile's, us-east-1)"),
	}
}

func (f roleFlags) client(stderr io.Writer) *client {
	c := &client{endpoint: *f.endpoint, region: *f.region, stderr: stderr, tokenCode: *f.tokenCode}
	if c.endpoint == "" {
		c.endpoint = firstEnv("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")
	}
	if c.region == "" {
		c.region = firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	}
	return c
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// roleCredentials runs the flags: the profile's credentials, then
// --role-arn assumed with them when given.
func (f roleFlags) roleCredentials(ctx context.Context, c *client) (awsCreds, error) {
	base, err := c.baseCreds(ctx, *f.profile)
	if err != nil {
		return awsCreds{}, err
	}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if *f.roleARN == "" {
		return base, nil
	}
	return c.assume(ctx, base, assumeOpts{RoleARN: *f.roleARN, SessionName: *f.sessionName, ExternalID: *f.externalID,
		SerialNumber: *f.serial, TokenCode: *f.tokenCode, Duration: *f.duration})
}

// processJSON is the credential_process output (Version must be the
// integer 1).
func processJSON(cr awsCreds) []byte {
	out := struct {
		Version         int
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string `json:",omitempty"`
		Expiration      string `json:",omitempty"`
	}{Version: 1, AccessKeyId: cr.ID, SecretAccessKey: cr.Secret, SessionToken: cr.Token}
	if !cr.Expiration.IsZero() {
		out.Expiration = cr.Expiration.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(out)
	return append(b, '\n')
}

func runCredentials(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve-imds":
			return runServeCreds(args[1:], stdout, stderr, "imds")
		case "serve-ecs":
			return runServeCreds(args[1:], stdout, stderr, "ecs")
		}
	}
	fs := newFlags("credentials", stderr)
	rf := addRoleFlags(fs)
	raf := addRAFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hatrack credentials: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx := context.Background()
	var cr awsCreds
	var err error
	if *raf.cert != "" {
		cr, err = raf.session(ctx, *rf.roleARN, *rf.region, *rf.endpoint, *rf.duration, *rf.sessionName)
	} else {
		cr, err = rf.roleCredentials(ctx, rf.client(stderr))
	}
	if err != nil {
		fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
		return 1
	}
	stdout.Write(processJSON(cr))
	return 0
}

// Roles Anywhere.

type raFlags struct {
	cert, key, chain, anchor, profile *string
}

func addRAFlags(fs *flag.FlagSet) raFlags {
	return raFlags{
		cert:    fs.String("certificate", "", "Roles Anywhere: PEM end-entity certificate"),
		key:     fs.String("private-key", "", "Roles Anywhere: PEM private key (PKCS#8, PKCS#1 or SEC 1)"),
		chain:   fs.String("intermediates", "", "Roles Anywhere: PEM intermediate CA certificates"),
		anchor:  fs.String("trust-anchor-arn", "", "Roles Anywhere: trust anchor ARN"),
		profile: fs.String("profile-arn", "", "Roles Anywhere: profile ARN"),
	}
}

func readPEMCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return out, nil
}

func readPEMKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM key", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("%s: unsupported private key", path)
}

func (f raFlags) session(ctx context.Context, roleARN, region, endpoint string, duration int, sessionName string) (awsCreds, error) {
	if *f.key == "" || *f.anchor == "" || *f.profile == "" || roleARN == "" {
		return awsCreds{}, errors.New("--certificate needs --private-key, --trust-anchor-arn, --profile-arn and --role-arn")
	}
	certs, err := readPEMCerts(*f.cert)
	if err != nil {
		return awsCreds{}, err
	}
	key, err := readPEMKey(*f.key)
	if err != nil {
		return awsCreds{}, err
	}
	var chain []*x509.Certificate
	if *f.chain != "" {
		if chain, err = readPEMCerts(*f.chain); err != nil {
			return awsCreds{}, err
		}
	}
	if region == "" {
		region = firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
		if region == "" {
			region = "us-east-1"
		}
	}
	if endpoint == "" {
		endpoint = firstEnv("AWS_ENDPOINT_URL_ROLESANYWHERE", "AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		endpoint = "https://rolesanywhere." + region + ".amazonaws.com"
	}
	if duration == 0 {
		duration = 3600
	}
	reqBody := map[string]any{"durationSeconds": duration}
	if sessionName != "" {
		reqBody["roleSessionName"] = sessionName
	}
	body, _ := json.Marshal(reqBody)
	q := url.Values{"profileArn": {*f.profile}, "roleArn": {roleARN}, "trustAnchorArn": {*f.anchor}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/sessions?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return awsCreds{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := rolesanywhere.Sign(req, body, certs[0], chain, key, region, time.Now()); err != nil {
		return awsCreds{}, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return awsCreds{}, err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		json.Unmarshal(rb, &e)
		return awsCreds{}, fmt.Errorf("CreateSession: %s (%d): %s", resp.Header.Get("X-Amzn-ErrorType"), resp.StatusCode, e.Message)
	}
	var out struct {
		CredentialSet []struct {
			Credentials struct {
				AccessKeyID     string `json:"accessKeyId"`
				SecretAccessKey string `json:"secretAccessKey"`
				SessionToken    string `json:"sessionToken"`
				Expiration      string `json:"expiration"`
			} `json:"credentials"`
		} `json:"credentialSet"`
	}
	if err := json.Unmarshal(rb, &out); err != nil || len(out.CredentialSet) == 0 {
		return awsCreds{}, errors.New("CreateSession: unexpected answer")
	}
	cs := out.CredentialSet[0].Credentials
	exp, err := time.Parse(time.RFC3339, cs.Expiration)
	if err != nil {
		return awsCreds{}, fmt.Errorf("CreateSession: bad expiration %q", cs.Expiration)
	}
	return awsCreds{ID: cs.AccessKeyID, Secret: cs.SecretAccessKey, Token: cs.SessionToken, Expiration: exp, Session: true}, nil
}

// Credential servers.

func runServeCreds(args []string, stdout, stderr io.Writer, kind string) int {
	fs := newFlags("credentials serve-"+kind, stderr)
	rf := addRoleFlags(fs)
	raf := addRAFlags(fs)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback unless --allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr (anyone who reaches it gets the role's credentials)")
	var instanceProfile, tokenFile *string
	if kind == "imds" {
		instanceProfile = fs.String("instance-profile", "", "instance profile whose role to serve (resolved with iam:GetInstanceProfile)")
	} else {
		tokenFile = fs.String("token-file", "", "write the authorization token to this file (mode 0600) instead of printing it")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*allowRemote && !credserver.IsLoopback(*addr) {
		fmt.Fprintf(stderr, "hatrack credentials serve-%s: --addr %s is not a loopback address (use --allow-remote to insist)\n", kind, *addr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := rf.client(stderr)
	roleARN := *rf.roleARN
	var profileARN, profileID string
	if kind == "imds" && *instanceProfile != "" {
		base, err := c.baseCreds(ctx, *rf.profile)
		if err != nil {
			fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
			return 1
		}
		if c.region == "" {
			c.region = "us-east-1"
		}
		out, err := awsiam.NewFromConfig(c.cfg(base)).GetInstanceProfile(ctx, &awsiam.GetInstanceProfileInput{InstanceProfileName: instanceProfile})
		if err != nil {
			fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
			return 1
		}
		if len(out.InstanceProfile.Roles) == 0 {
			fmt.Fprintf(stderr, "hatrack credentials: instance profile %s has no role\n", *instanceProfile)
			return 1
		}
		roleARN = *out.InstanceProfile.Roles[0].Arn
		profileARN, profileID = *out.InstanceProfile.Arn, *out.InstanceProfile.InstanceProfileId
	}
	if roleARN == "" {
		fmt.Fprintf(stderr, "hatrack credentials serve-%s: --role-arn (or --instance-profile) is required\n", kind)
		return 2
	}
	var idb [9]byte
	rand.Read(idb[:])
	instanceID := "i-" + hex.EncodeToString(idb[:])[:17]
	if *rf.sessionName == "" && kind == "imds" {
		*rf.sessionName = instanceID
	}
	*rf.roleARN = roleARN
	src := func(ctx context.Context) (credserver.Credentials, error) {
		var cr awsCreds
		var err error
		if *raf.cert != "" {
			cr, err = raf.session(ctx, roleARN, *rf.region, *rf.endpoint, *rf.duration, *rf.sessionName)
		} else {
			cr, err = rf.roleCredentials(ctx, c)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hatrack credentials: refreshing: %v\n", err)
			return credserver.Credentials{}, err
		}
		return credserver.Credentials{AccessKeyID: cr.ID, SecretAccessKey: cr.Secret, SessionToken: cr.Token, Expiration: cr.Expiration, Issued: time.Now()}, nil
	}
	cache := &credserver.Cache{Source: src}
	if _, err := cache.Get(ctx); err != nil {
		fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
		return 1
	}
	account := ""
	if parts := strings.Split(roleARN, ":"); len(parts) > 4 {
		account = parts[4]
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	var h http.Handler
	if kind == "imds" {
		roleName := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
		h = (&credserver.IMDS{Cache: cache, RoleName: roleName, AccountID: account, InstanceProfileArn: profileARN,
			InstanceProfileID: profileID, InstanceID: instanceID}).Handler()
		fmt.Fprintf(stdout, "AWS_EC2_METADATA_SERVICE_ENDPOINT=%s/\n", base)
	} else {
		tok := credserver.NewToken()
		h = (&credserver.ECS{Cache: cache, Token: tok, RoleArn: roleARN, AccountID: account}).Handler()
		fmt.Fprintf(stdout, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/credentials\n", base)
		if *tokenFile != "" {
			if err := os.WriteFile(*tokenFile, []byte(tok), 0o600); err != nil {
				fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=%s\n", *tokenFile)
		} else {
			fmt.Fprintf(stdout, "AWS_CONTAINER_AUTHORIZATION_TOKEN=%s\n", tok)
		}
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "hatrack credentials: %v\n", err)
		return 1
	}
	return 0
}
