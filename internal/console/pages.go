package console

import (
	"context"
	"errors"
	"github.com/hatrack/hatrack/internal/token"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ExtraConsoleSignIn is the Claims.Extra key marking a session minted by a
// console sign-in; its value is how the person signed in ("access-key" or
// "password"). Such a session is the person's console session, not a
// GetSessionToken session (AWS lets console sessions call IAM).
const ExtraConsoleSignIn = token.ExtraConsoleSignIn

// Sign-in methods.
const (
	methodAccessKey = "access-key"
	methodPassword  = "password"
)

// Messages shown on failed sign-ins: fixed, so they reveal nothing about
// which part was wrong.
const (
	msgBadKeys     = "The access key ID or secret access key is not valid."
	msgBadPassword = "Your authentication information is incorrect. Please try again."
	msgNoPassword  = "Password sign-in is not available on this server yet. Sign in with access keys."
	msgThrottled   = "Too many failed sign-in attempts. Wait a few minutes and try again."
)

var (
	reRoleName    = regexp.MustCompile(`^[\w+=,.@/-]{1,64}$`)
	reSessionName = regexp.MustCompile(`[^\w+=,.@-]`)
)

// switchColors are the banner colours a switched role may have.
var switchColors = []string{"red", "orange", "yellow", "green", "blue"}

func pathEscape(s string) string { return url.PathEscape(s) }

// ---- sign-in, sign-out ----

type signInData struct {
	CSRF              string
	PasswordAvailable bool
	Expired           bool
	SignedOut         bool
	Error             string
	Method            string
	Account           string
	UserName          string
	AccessKeyID       string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if _, err := openSession(c.keys, c.deployment, ck.Value, c.now()); err == nil {
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
	}
	d := &signInData{CSRF: preSessionCSRF(w, r), PasswordAvailable: c.signIn != nil,
		Expired: r.URL.Query().Has("expired"), SignedOut: r.URL.Query().Has("signedout"), Method: methodPassword}
	if !d.PasswordAvailable {
		d.Method = methodAccessKey
	}
	c.render(w, r, nil, http.StatusOK, "signin", "Sign in", "", d)
}

func (c *Console) signInPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !sameOrigin(r) || checkPreSessionCSRF(r) != nil {
		http.Error(w, "the sign-in form has expired or was not sent by this console; reload the page and try again", http.StatusForbidden)
		return
	}
	d := &signInData{CSRF: preSessionCSRF(w, r), PasswordAvailable: c.signIn != nil, Method: r.PostFormValue("method")}
	again := func(msg string, status int) {
		d.Error = msg
		c.render(w, r, nil, status, "signin", "Sign in", "", d)
	}
	client := clientIP(r)
	if !c.limiter.allow(client, c.now()) {
		again(msgThrottled, http.StatusTooManyRequests)
		return
	}
	var account, arn, id string
	switch d.Method {
	case methodAccessKey:
		d.AccessKeyID = strings.TrimSpace(r.PostFormValue("access_key_id"))
		secret := r.PostFormValue("secret_access_key")
		if !strings.HasPrefix(d.AccessKeyID, "AKIA") || secret == "" {
			c.limiter.recordFailure(client, c.now())
			again(msgBadKeys, http.StatusUnauthorized)
			return
		}
		res, err := c.client(r, creds{ID: d.AccessKeyID, Secret: secret}).query(r.Context(), "sts", "GetCallerIdentity", nil)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				c.log.Error("console: sign-in", "err", err)
			}
			c.limiter.recordFailure(client, c.now())
			again(msgBadKeys, http.StatusUnauthorized)
			return
		}
		account, arn, id = res.S("Account"), res.S("Arn"), res.S("UserId")
	case methodPassword:
		d.Account = strings.TrimSpace(r.PostFormValue("account"))
		d.UserName = strings.TrimSpace(r.PostFormValue("username"))
		if c.signIn == nil {
			again(msgNoPassword, http.StatusUnauthorized)
			return
		}
		p, err := c.signIn(r.Context(), d.Account, d.UserName, r.PostFormValue("password"))
		if err != nil {
			c.limiter.recordFailure(client, c.now())
			again(msgBadPassword, http.StatusUnauthorized)
			return
		}
		account, arn, id = p.Account, p.ARN, p.ID
	default:
		again("Choose how to sign in.", http.StatusBadRequest)
		return
	}
	s, err := c.newSession(r, d.Method, account, arn, id)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if err := c.saveSession(w, r, s); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if s, err := openSession(c.keys, c.deployment, ck.Value, c.now()); err == nil && checkSessionCSRF(r, s) != nil {
			http.Error(w, "the form has expired or was not sent by this console; reload the page and try again", http.StatusForbidden)
			return
		}
	}
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/console/signin?signedout=1", http.StatusSeeOther)
}

// newSession mints the person's console session credentials (a sealed
// session token of the principal itself, like GetSessionToken's, marked
// as a console sign-in) and checks them against the API.
func (c *Console) newSession(r *http.Request, method, account, arn, id string) (*session, error) {
	now := c.now()
	cr, expires, err := c.mint(method, account, arn, id, now)
	if err != nil {
		return nil, err
	}
	res, err := c.client(r, cr).query(r.Context(), "sts", "GetCallerIdentity", nil)
	if err != nil {
		return nil, err
	}
	return &session{V: sessionVersion, ID: randomToken(), CSRF: randomToken(), Method: method, Expires: expires,
		Base: identity{Creds: cr, ARN: res.S("Arn"), Account: res.S("Account"), UserID: res.S("UserId"), Expires: expires}}, nil
}

// ---- pages ----

func (c *Console) home(w http.ResponseWriter, r *http.Request, s *session) error {
	res, err := c.client(r, s.current().Creds).query(r.Context(), "sts", "GetCallerIdentity", nil)
	if err != nil {
		return err
	}
	data := map[string]any{"Arn": res.S("Arn"), "UserId": res.S("UserId"), "Account": res.S("Account")}
	c.render(w, r, s, http.StatusOK, "home", "Home", "home", data)
	return nil
}

type switchData struct {
	Account, Role, Display, Color string
	Recent                        []recentRole
	Colors                        []string
}

func (c *Console) switchPage(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	d := &switchData{Account: q.Get("account"), Role: q.Get("roleName"), Display: q.Get("displayName"), Color: q.Get("color"), Recent: s.Recent, Colors: switchColors}
	c.render(w, r, s, http.StatusOK, "switch", "Switch role", "switch", d)
	return nil
}

func (c *Console) switchPost(w http.ResponseWriter, r *http.Request, s *session) error {
	account := strings.TrimSpace(r.PostFormValue("account"))
	role := strings.Trim(strings.TrimSpace(r.PostFormValue("role")), "/")
	display := strings.TrimSpace(r.PostFormValue("display"))
	color := strings.TrimSpace(r.PostFormValue("color"))
	if !isAccountID(account) {
		return &APIError{Status: http.StatusBadRequest, Code: "InvalidInput", Message: "Account must be a 12-digit account ID."}
	}
	if !reRoleName.MatchString(role) {
		return &APIError{Status: http.StatusBadRequest, Code: "InvalidInput", Message: "Role must be a role name (with its path, at most 64 characters)."}
	}
	if !slices.Contains(switchColors, color) {
		color = ""
	}
	roleName := role[strings.LastIndexByte(role, '/')+1:]
	if display == "" {
		display = roleName + "@" + account
	}
	if len([]rune(display)) > 64 {
		display = string([]rune(display)[:64])
	}
	roleARN := "arn:aws:iam::" + account + ":role/" + role
	// The console assumes roles with the identity the person signed in
	// as, never from a switched role (as AWS's console does).
	params := url.Values{"RoleArn": {roleARN}, "RoleSessionName": {sessionName(&s.Base)}}
	res, err := c.client(r, s.Base.Creds).query(r.Context(), "sts", "AssumeRole", params)
	if err != nil {
		return err
	}
	exp, _ := time.Parse(time.RFC3339, res.S("Credentials/Expiration"))
	if exp.IsZero() || exp.After(s.Expires) {
		exp = s.Expires
	}
	s.Role = &identity{
		Creds:   creds{ID: res.S("Credentials/AccessKeyId"), Secret: res.S("Credentials/SecretAccessKey"), Token: res.S("Credentials/SessionToken")},
		ARN:     res.S("AssumedRoleUser/Arn"),
		Account: account, UserID: res.S("AssumedRoleUser/AssumedRoleId"),
		Display: display, Color: color, RoleARN: roleARN, Expires: exp,
	}
	recent := recentRole{Account: account, Role: role, Display: display, Color: color}
	s.Recent = slices.DeleteFunc(s.Recent, func(x recentRole) bool { return x.Account == recent.Account && strings.EqualFold(x.Role, recent.Role) })
	s.Recent = append([]recentRole{recent}, s.Recent...)
	if len(s.Recent) > 5 {
		s.Recent = s.Recent[:5]
	}
	if err := c.saveSession(w, r, s); err != nil {
		if errors.Is(err, errTooLarge) {
			s.Recent = nil
			err = c.saveSession(w, r, s)
		}
		if err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

// sessionName is the RoleSessionName for a switch: the signed-in user's
// name (as AWS's console uses), "root" for root.
func sessionName(base *identity) string {
	name := base.ARN[strings.LastIndexAny(base.ARN, "/:")+1:]
	name = reSessionName.ReplaceAllString(name, "-")
	if len(name) < 2 {
		name += "-console"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

func (c *Console) switchBack(w http.ResponseWriter, r *http.Request, s *session) error {
	s.Role = nil
	if err := c.saveSession(w, r, s); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

// section is part of a page built from one call; a failed call shows its
// error in place.
type section struct {
	Items []*xnode
	Node  *xnode
	Err   *APIError
}

// asAPIError turns any error into one a page can show.
func (c *Console) asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	c.log.Error("console", "err", err)
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "The console could not complete the request."}
}

func (c *Console) listSection(ctx context.Context, a *apiClient, action, list string, params url.Values) section {
	items, err := a.listAll(ctx, action, list, params)
	if err != nil {
		return section{Err: c.asAPIError(err)}
	}
	return section{Items: items}
}

func (c *Console) callSection(ctx context.Context, a *apiClient, service, action string, params url.Values) section {
	res, err := a.query(ctx, service, action, params)
	if err != nil {
		return section{Err: c.asAPIError(err)}
	}
	return section{Node: res}
}

type namedDoc struct {
	Name, ARN, Document string
	Err                 *APIError
}

func (c *Console) accounts(w http.ResponseWriter, r *http.Request, s *session) error {
	a := c.client(r, s.current().Creds)
	var rows []map[string]string
	in := map[string]any{}
	for range 20 {
		out, err := a.json11(r.Context(), "organizations", targetOrganizations+"ListAccounts", in)
		if err != nil {
			return err
		}
		list, _ := out["Accounts"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			row := map[string]string{}
			for k, v := range m {
				row[k] = str(v)
			}
			if t, ok := m["JoinedTimestamp"].(float64); ok {
				row["JoinedTimestamp"] = time.Unix(int64(t), 0).UTC().Format("2006-01-02 15:04 UTC")
			}
			rows = append(rows, row)
		}
		next := str(out["NextToken"])
		if next == "" {
			break
		}
		in["NextToken"] = next
	}
	c.render(w, r, s, http.StatusOK, "accounts", "Accounts", "accounts", rows)
	return nil
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, s *session) error {
	items, err := c.client(r, s.current().Creds).listAll(r.Context(), "ListUsers", "Users", nil)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "users", "Users", "users", items)
	return nil
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, s *session) error {
	params := url.Values{"UserName": {strings.TrimSpace(r.PostFormValue("username"))}}
	if p := strings.TrimSpace(r.PostFormValue("path")); p != "" {
		params.Set("Path", p)
	}
	res, err := c.client(r, s.current().Creds).query(r.Context(), "iam", "CreateUser", params)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/users/"+pathEscape(res.S("User/UserName")), http.StatusSeeOther)
	return nil
}

func (c *Console) user(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, name := r.Context(), r.PathValue("name")
	a := c.client(r, s.current().Creds)
	res, err := a.query(ctx, "iam", "GetUser", url.Values{"UserName": {name}})
	if err != nil {
		return err
	}
	u := url.Values{"UserName": {name}}
	data := map[string]any{
		"User":     res.Child("User"),
		"Attached": c.listSection(ctx, a, "ListAttachedUserPolicies", "AttachedPolicies", u),
		"Groups":   c.listSection(ctx, a, "ListGroupsForUser", "Groups", u),
		"Keys":     c.listSection(ctx, a, "ListAccessKeys", "AccessKeyMetadata", u),
		"Inline":   c.inlinePolicies(ctx, a, "User", name),
		"Boundary": c.boundary(ctx, a, res.S("User/PermissionsBoundary/PermissionsBoundaryArn")),
	}
	c.render(w, r, s, http.StatusOK, "user", "User "+name, "users", data)
	return nil
}

// inlinePolicies lists and fetches the inline policies of a user, group
// or role (kind "User", "Group", "Role").
func (c *Console) inlinePolicies(ctx context.Context, a *apiClient, kind, name string) []namedDoc {
	names, err := a.listAll(ctx, "List"+kind+"Policies", "PolicyNames", url.Values{kind + "Name": {name}})
	if err != nil {
		return []namedDoc{{Name: "(inline policies)", Err: c.asAPIError(err)}}
	}
	var out []namedDoc
	for i, n := range names {
		if i == 20 {
			break
		}
		pn := strings.TrimSpace(n.Text)
		d := namedDoc{Name: pn}
		res, err := a.query(ctx, "iam", "Get"+kind+"Policy", url.Values{kind + "Name": {name}, "PolicyName": {pn}})
		if err != nil {
			d.Err = c.asAPIError(err)
		} else {
			d.Document = prettyDocument(res.S("PolicyDocument"))
		}
		out = append(out, d)
	}
	return out
}

// managedDocument fetches a managed policy's default version.
func (c *Console) managedDocument(ctx context.Context, a *apiClient, arn string) namedDoc {
	d := namedDoc{ARN: arn, Name: arn[strings.LastIndexByte(arn, '/')+1:]}
	pol, err := a.query(ctx, "iam", "GetPolicy", url.Values{"PolicyArn": {arn}})
	if err != nil {
		d.Err = c.asAPIError(err)
		return d
	}
	d.Name = pol.S("Policy/PolicyName")
	ver, err := a.query(ctx, "iam", "GetPolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {pol.S("Policy/DefaultVersionId")}})
	if err != nil {
		d.Err = c.asAPIError(err)
		return d
	}
	d.Document = prettyDocument(ver.S("PolicyVersion/Document"))
	return d
}

func (c *Console) boundary(ctx context.Context, a *apiClient, arn string) *namedDoc {
	if arn == "" {
		return nil
	}
	d := c.managedDocument(ctx, a, arn)
	return &d
}

func (c *Console) groups(w http.ResponseWriter, r *http.Request, s *session) error {
	items, err := c.client(r, s.current().Creds).listAll(r.Context(), "ListGroups", "Groups", nil)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "groups", "Groups", "groups", items)
	return nil
}

func (c *Console) group(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, name := r.Context(), r.PathValue("name")
	a := c.client(r, s.current().Creds)
	res, err := a.query(ctx, "iam", "GetGroup", url.Values{"GroupName": {name}})
	if err != nil {
		return err
	}
	g := url.Values{"GroupName": {name}}
	data := map[string]any{
		"Group":    res.Child("Group"),
		"Users":    res.Members("Users"),
		"Attached": c.listSection(ctx, a, "ListAttachedGroupPolicies", "AttachedPolicies", g),
		"Inline":   c.inlinePolicies(ctx, a, "Group", name),
	}
	c.render(w, r, s, http.StatusOK, "group", "Group "+name, "groups", data)
	return nil
}

func (c *Console) roles(w http.ResponseWriter, r *http.Request, s *session) error {
	items, err := c.client(r, s.current().Creds).listAll(r.Context(), "ListRoles", "Roles", nil)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "roles", "Roles", "roles", items)
	return nil
}

type roleData struct {
	Role      *xnode
	Trust     string
	Edges     []trustEdge
	Attached  []namedDoc
	AttachErr *APIError
	Inline    []namedDoc
	Boundary  *namedDoc
	SwitchURL string
}

func (c *Console) role(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, name := r.Context(), r.PathValue("name")
	a := c.client(r, s.current().Creds)
	res, err := a.query(ctx, "iam", "GetRole", url.Values{"RoleName": {name}})
	if err != nil {
		return err
	}
	role := res.Child("Role")
	d := &roleData{Role: role, Trust: prettyDocument(role.S("AssumeRolePolicyDocument")), Edges: trustEdges(role.S("AssumeRolePolicyDocument"))}
	att, err := a.listAll(ctx, "ListAttachedRolePolicies", "AttachedPolicies", url.Values{"RoleName": {name}})
	if err != nil {
		d.AttachErr = c.asAPIError(err)
	}
	for i, p := range att {
		if i == 20 {
			break
		}
		d.Attached = append(d.Attached, c.managedDocument(ctx, a, p.S("PolicyArn")))
	}
	d.Inline = c.inlinePolicies(ctx, a, "Role", name)
	d.Boundary = c.boundary(ctx, a, role.S("PermissionsBoundary/PermissionsBoundaryArn"))
	path := strings.Trim(role.S("Path"), "/")
	switchRole := role.S("RoleName")
	if path != "" {
		switchRole = path + "/" + switchRole
	}
	d.SwitchURL = "/console/switch?" + url.Values{"account": {arnAccount(role.S("Arn"))}, "roleName": {switchRole}}.Encode()
	c.render(w, r, s, http.StatusOK, "role", "Role "+name, "roles", d)
	return nil
}

func (c *Console) policies(w http.ResponseWriter, r *http.Request, s *session) error {
	scope := r.URL.Query().Get("scope")
	if scope != "AWS" && scope != "All" {
		scope = "Local"
	}
	items, err := c.client(r, s.current().Creds).listAll(r.Context(), "ListPolicies", "Policies", url.Values{"Scope": {scope}})
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "policies", "Policies", "policies", map[string]any{"Scope": scope, "Items": items})
	return nil
}

func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, arn := r.Context(), r.URL.Query().Get("arn")
	a := c.client(r, s.current().Creds)
	pol, err := a.query(ctx, "iam", "GetPolicy", url.Values{"PolicyArn": {arn}})
	if err != nil {
		return err
	}
	doc := c.managedDocument(ctx, a, arn)
	data := map[string]any{
		"Policy":   pol.Child("Policy"),
		"Doc":      doc,
		"Entities": c.callSection(ctx, a, "iam", "ListEntitiesForPolicy", url.Values{"PolicyArn": {arn}}),
	}
	c.render(w, r, s, http.StatusOK, "policy", "Policy "+pol.S("Policy/PolicyName"), "policies", data)
	return nil
}

type graphData struct {
	Account string
	SVG     template.HTML
	Roles   []graphRole
}

func (c *Console) graph(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	a := c.client(r, s.current().Creds)
	items, err := a.listAll(ctx, "ListRoles", "Roles", nil)
	if err != nil {
		return err
	}
	account := s.current().Account
	var roles []graphRole
	for _, it := range items {
		doc := it.S("AssumeRolePolicyDocument")
		if doc == "" {
			if res, err := a.query(ctx, "iam", "GetRole", url.Values{"RoleName": {it.S("RoleName")}}); err == nil {
				doc = res.S("Role/AssumeRolePolicyDocument")
			}
		}
		roles = append(roles, graphRole{Name: it.S("RoleName"), ARN: it.S("Arn"), Account: arnAccount(it.S("Arn")), Edges: trustEdges(doc)})
	}
	c.render(w, r, s, http.StatusOK, "graph", "Trust graph", "graph", &graphData{Account: account, SVG: trustGraph(account, roles), Roles: roles})
	return nil
}

type simData struct {
	Mode      string
	Source    string
	Actions   string
	Resources string
	Policy    string
	Results   []*xnode
	Err       *APIError
	Ran       bool
}

func (c *Console) simulatePage(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	d := &simData{Mode: "principal", Source: q.Get("source"), Actions: q.Get("actions"), Resources: q.Get("resources")}
	if d.Source == "" && s.Role == nil && strings.Contains(s.Base.ARN, ":user/") {
		d.Source = s.Base.ARN
	}
	if d.Source == "" && s.Role != nil {
		d.Source = s.Role.RoleARN
	}
	c.render(w, r, s, http.StatusOK, "simulate", "Policy simulator", "simulate", d)
	return nil
}

func (c *Console) simulatePost(w http.ResponseWriter, r *http.Request, s *session) error {
	d := &simData{Mode: r.PostFormValue("mode"), Source: strings.TrimSpace(r.PostFormValue("source")),
		Actions: r.PostFormValue("actions"), Resources: r.PostFormValue("resources"), Policy: r.PostFormValue("policy"), Ran: true}
	params := url.Values{}
	for i, act := range splitList(d.Actions) {
		params.Set("ActionNames.member."+strconv.Itoa(i+1), act)
	}
	for i, res := range splitList(d.Resources) {
		params.Set("ResourceArns.member."+strconv.Itoa(i+1), res)
	}
	action := "SimulatePrincipalPolicy"
	if d.Mode == "custom" {
		action = "SimulateCustomPolicy"
		params.Set("PolicyInputList.member.1", d.Policy)
	} else {
		d.Mode = "principal"
		params.Set("PolicySourceArn", d.Source)
	}
	a := c.client(r, s.current().Creds)
	for range 20 {
		res, err := a.query(r.Context(), "iam", action, params)
		if err != nil {
			d.Err = c.asAPIError(err)
			break
		}
		d.Results = append(d.Results, res.Members("EvaluationResults")...)
		if res.S("IsTruncated") != "true" || res.S("Marker") == "" {
			break
		}
		params.Set("Marker", res.S("Marker"))
	}
	status := http.StatusOK
	if d.Err != nil {
		status = d.Err.Status
	}
	c.render(w, r, s, status, "simulate", "Policy simulator", "simulate", d)
	return nil
}

// splitList splits on commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

type auditRow struct {
	Time, Name, Source, User, ARN, IP, ErrorCode, ErrorMessage string
}

type auditData struct {
	Rows      []auditRow
	Next      string
	Attr      string
	Value     string
	AttrNames []string
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	d := &auditData{Attr: q.Get("attr"), Value: q.Get("value"),
		AttrNames: []string{"EventName", "Username", "EventSource", "ResourceName", "AccessKeyId", "ReadOnly", "EventId", "ResourceType"}}
	in := map[string]any{"MaxResults": 50}
	if d.Attr != "" && d.Value != "" && slices.Contains(d.AttrNames, d.Attr) {
		in["LookupAttributes"] = []map[string]string{{"AttributeKey": d.Attr, "AttributeValue": d.Value}}
	}
	if n := q.Get("next"); n != "" {
		in["NextToken"] = n
	}
	out, err := c.client(r, s.current().Creds).json11(r.Context(), "cloudtrail", targetCloudTrail+"LookupEvents", in)
	if err != nil {
		return err
	}
	events, _ := out["Events"].([]any)
	for _, x := range events {
		m, _ := x.(map[string]any)
		row := auditRow{Name: str(m["EventName"]), Source: str(m["EventSource"]), User: str(m["Username"])}
		switch t := m["EventTime"].(type) {
		case float64:
			row.Time = time.Unix(int64(t), int64((t-float64(int64(t)))*1e9)).UTC().Format("2006-01-02 15:04:05 UTC")
		default:
			row.Time = str(t)
		}
		var ev struct {
			UserIdentity struct{ Arn string } `json:"userIdentity"`
			SourceIP     string               `json:"sourceIPAddress"`
			ErrorCode    string               `json:"errorCode"`
			ErrorMessage string               `json:"errorMessage"`
		}
		if raw := str(m["CloudTrailEvent"]); raw != "" {
			if jsonUnmarshalString(raw, &ev) == nil {
				row.ARN, row.IP, row.ErrorCode, row.ErrorMessage = ev.UserIdentity.Arn, ev.SourceIP, ev.ErrorCode, ev.ErrorMessage
			}
		}
		d.Rows = append(d.Rows, row)
	}
	if n := str(out["NextToken"]); n != "" {
		d.Next = "/console/audit?" + url.Values{"attr": {d.Attr}, "value": {d.Value}, "next": {n}}.Encode()
	}
	c.render(w, r, s, http.StatusOK, "audit", "Audit trail", "audit", d)
	return nil
}
