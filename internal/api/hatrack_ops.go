package api

// Hatrack's own API (AWS JSON 1.1, X-Amz-Target Hatrack_20261122.<Op>,
// signing name "hatrack"): resource policies stored for any ARN, and the
// authorization endpoint other services call to have Hatrack decide a
// request their callers made (docs/authorization-endpoint.md).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/resources"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/policy"
)

var hatrackService = JSONService{
	TargetPrefix:       "Hatrack_20261122",
	SigningName:        "hatrack",
	AccessDeniedStatus: http.StatusBadRequest,
}

// Decider is the authorizer's full decision (authz.Authorizer.Decide).
type Decider interface {
	Decide(ctx context.Context, req *authz.Request) (policy.Result, *policy.Request, error)
}

// Hatrack holds what Hatrack's own API needs.
type Hatrack struct {
	Resources *resources.Service
	// Resolver authenticates the principals of Authorize requests.
	Resolver *authn.Resolver
	Decider  Decider
	// KeyCache memoises signing keys of forwarded requests (may be nil).
	KeyCache *sigv4.KeyCache
	Now      func() time.Time
}

func (h *Hatrack) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func hatrackOps(h *Hatrack) []*Op {
	def := func(name string, mutates bool, res func(*Call) string, fn func(ctx context.Context, c *Call, h *Hatrack) (any, error)) *Op {
		return &Op{Service: hatrackService.SigningName, Name: name, Mutates: mutates, Resource: res,
			Handle: func(ctx context.Context, c *Call) (any, error) { return fn(ctx, c, h) }}
	}
	// Authorize may ask about another account's resource when that
	// account's resource policy grants the service hatrack:Authorize.
	authorizeOp := def("Authorize", false, authorizeResourceOf, hatrackAuthorize)
	authorizeOp.ResourcePolicy = func(ctx context.Context, c *Call) (*policy.Policy, error) {
		in, err := readAuthorizeInput(c)
		if err != nil || in.Resource == "" || in.Resource == "*" {
			return nil, nil // the handler answers the input error
		}
		if _, err := resources.ParseARN(in.Resource); err != nil {
			return nil, nil
		}
		return h.Resources.Compiled(ctx, in.Resource)
	}
	return []*Op{
		def("PutResourcePolicy", true, resourceArnOf, hatrackPutResourcePolicy),
		def("GetResourcePolicy", false, resourceArnOf, hatrackGetResourcePolicy),
		def("DeleteResourcePolicy", true, resourceArnOf, hatrackDeleteResourcePolicy),
		def("ListResourcePolicies", false, nil, hatrackListResourcePolicies),
		authorizeOp,
	}
}

// resourceArnOf authorizes the resource-policy operations on the ARN they
// name ("*" when the request names none; the handler then rejects it).
func resourceArnOf(c *Call) string {
	var in struct{ ResourceArn string }
	if c.decodeJSON(&in) != nil || in.ResourceArn == "" {
		return "*"
	}
	return in.ResourceArn
}

// authorizeResourceOf authorizes hatrack:Authorize on the resource the
// service asks about. (It runs before authorization, so it is also where
// the request is decoded and its secrets redacted: see readAuthorizeInput.)
func authorizeResourceOf(c *Call) string {
	in, err := readAuthorizeInput(c)
	if err != nil || in.Resource == "" {
		return "*"
	}
	return in.Resource
}

type authorizeInputKey struct{}

type decodedAuthorizeInput struct {
	in  *authorizeInput
	err error
}

// readAuthorizeInput decodes an Authorize request once and replaces the
// call's recorded JSON body with a redacted copy, so that neither the
// audit trail nor any later reader sees the forwarded request's
// Authorization header, security token, presigned query, body or the
// session token: they would let a reader replay the caller's request
// within the clock-skew window. The decoded input stays on the call.
func readAuthorizeInput(c *Call) (*authorizeInput, error) {
	if c.HTTP != nil {
		if d, ok := c.HTTP.Context().Value(authorizeInputKey{}).(*decodedAuthorizeInput); ok {
			return d.in, d.err
		}
	}
	in := new(authorizeInput)
	err := c.decodeJSON(in)
	if c.HTTP == nil {
		return in, err
	}
	redacted := []byte("{}")
	if err == nil {
		redacted = redactAuthorizeInput(in)
	}
	ctx := context.WithValue(c.HTTP.Context(), jsonBodyKey{}, redacted)
	ctx = context.WithValue(ctx, authorizeInputKey{}, &decodedAuthorizeInput{in: in, err: err})
	c.HTTP = c.HTTP.WithContext(ctx)
	return in, err
}

// redactedValue stands for a secret in recorded requests (CloudTrail's
// wording).
const redactedValue = "HIDDEN_DUE_TO_SECURITY_REASONS"

func redactAuthorizeInput(in *authorizeInput) []byte {
	out := *in
	if out.SessionToken != "" {
		out.SessionToken = redactedValue
	}
	if sr := in.SignedRequest; sr != nil {
		r := authorizeSignedRequest{Method: sr.Method, Headers: make(map[string][]string, len(sr.Headers))}
		if u, err := url.Parse(sr.Url); err == nil {
			u.RawQuery, u.Fragment, u.User = "", "", nil
			r.Url = u.String()
		}
		for k, vs := range sr.Headers {
			switch strings.ToLower(k) {
			case "authorization", "x-amz-security-token", "cookie", "proxy-authorization":
				r.Headers[k] = []string{redactedValue}
			default:
				r.Headers[k] = vs
			}
		}
		if sr.Body != "" {
			r.Body = redactedValue
		}
		out.SignedRequest = &r
	}
	b, err := json.Marshal(&out)
	if err != nil {
		return []byte("{}")
	}
	return b
}

// Resource policies.

type jsonResourcePolicy struct {
	ResourceArn      string
	PolicyDocument   string     `json:",omitempty"`
	CreatedDate      *EpochTime `json:",omitempty"`
	LastModifiedDate *EpochTime `json:",omitempty"`
}

func toJSONResourcePolicy(p *resources.ResourcePolicy) jsonResourcePolicy {
	return jsonResourcePolicy{ResourceArn: p.ResourceArn, PolicyDocument: p.PolicyDocument,
		CreatedDate: Epoch(p.Created), LastModifiedDate: Epoch(p.Updated)}
}

func hatrackPutResourcePolicy(ctx context.Context, c *Call, h *Hatrack) (any, error) {
	var in struct{ ResourceArn, PolicyDocument string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	p, err := h.Resources.Put(ctx, c.Account(), in.ResourceArn, in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	return toJSONResourcePolicy(p), nil
}

func hatrackGetResourcePolicy(ctx context.Context, c *Call, h *Hatrack) (any, error) {
	var in struct{ ResourceArn string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	p, err := h.Resources.Get(ctx, c.Account(), in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return toJSONResourcePolicy(p), nil
}

func hatrackDeleteResourcePolicy(ctx context.Context, c *Call, h *Hatrack) (any, error) {
	var in struct{ ResourceArn string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, h.Resources.Delete(ctx, c.Account(), in.ResourceArn)
}

func hatrackListResourcePolicies(ctx context.Context, c *Call, h *Hatrack) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > resources.MaxListResults {
		return nil, hatrackValidation("MaxResults must be between 1 and %d.", resources.MaxListResults)
	}
	after := ""
	if in.NextToken != "" {
		k, ok := decodeToken(in.NextToken)
		if !ok {
			return nil, hatrackValidation("The NextToken is not valid.")
		}
		after = k
	}
	page, next, err := h.Resources.List(ctx, c.Account(), after, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := struct {
		ResourcePolicies []jsonResourcePolicy
		NextToken        string `json:",omitempty"`
	}{ResourcePolicies: make([]jsonResourcePolicy, 0, len(page))}
	for i := range page {
		out.ResourcePolicies = append(out.ResourcePolicies, toJSONResourcePolicy(&page[i]))
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

func hatrackValidation(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "ValidationException", format, args...)
}

// Authorize.

type authorizeContextEntry struct {
	Key    string
	Type   string
	Values []string
}

type authorizeSignedRequest struct {
	Method  string
	Url     string
	Headers map[string][]string
	// Body is the request body, base64.
	Body string
}

type authorizeInput struct {
	Action   string
	Resource string
	Context  []authorizeContextEntry
	// SignedRequest is the request the service received, to verify.
	SignedRequest *authorizeSignedRequest
	// ExpectedService, when set, is the signing name the signed request's
	// credential scope must name.
	ExpectedService string
	// AccessKeyId (+ SessionToken): the service vouches it authenticated
	// the caller itself.
	AccessKeyId  string
	SessionToken string
}

type authorizePrincipal struct {
	Arn     string
	Account string
	UserId  string
	Type    string
}

type authorizeMatch struct {
	PolicyId   string
	PolicyType string
	Statement  int
	Sid        string `json:",omitempty"`
	Effect     string
}

type authorizeOutput struct {
	Decision          string
	Principal         authorizePrincipal
	Message           string
	MatchedStatements []authorizeMatch
}

// maxContextEntries bounds the Context list of Authorize.
const maxContextEntries = 100

// reservedContextKey reports whether Hatrack itself sets key from the
// authenticated principal or the clock, so that a service cannot supply
// it.
func reservedContextKey(key string) bool {
	k := strings.ToLower(key)
	for _, p := range []string{"aws:principal", "aws:userid", "aws:username", "aws:tokenissuetime",
		"aws:multifactorauth", "aws:sourceidentity", "aws:federatedprovider", "aws:currenttime",
		"aws:epochtime", "aws:viaawsservice", "aws:calledvia"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

var contextTypes = map[string]bool{"string": true, "numeric": true, "boolean": true, "date": true, "ip": true, "binary": true}

func validateContext(entries []authorizeContextEntry) error {
	if len(entries) > maxContextEntries {
		return hatrackValidation("Context may hold at most %d entries.", maxContextEntries)
	}
	for _, e := range entries {
		if e.Key == "" || len(e.Key) > 256 || !strings.Contains(e.Key, ":") {
			return hatrackValidation("Context key %q is not a valid condition key.", e.Key)
		}
		if reservedContextKey(e.Key) {
			return hatrackValidation("Context key %s is set by Hatrack from the authenticated principal and cannot be supplied.", e.Key)
		}
		t := strings.ToLower(e.Type)
		base, list := strings.CutSuffix(t, "list")
		if t == "" {
			base = "string"
			list = true
		}
		if !contextTypes[base] {
			return hatrackValidation("Context key %s has an unknown type %q.", e.Key, e.Type)
		}
		if len(e.Values) == 0 || (!list && len(e.Values) != 1) {
			return hatrackValidation("Context key %s of type %s needs %s.", e.Key, e.Type, map[bool]string{true: "at least one value", false: "exactly one value"}[list])
		}
	}
	return nil
}

// forwardedError is an authentication failure of the request a service
// forwarded to Authorize (not of the service's own call): it is answered
// as SignedRequestAuthenticationException with the code AWS would have
// given the caller (SignatureDoesNotMatch, InvalidClientTokenId,
// ExpiredToken, …) in RequestErrorCode, so the service can relay it and
// never mistakes it for a failure of its own credentials.
type forwardedError struct {
	wire *awserr.Error
	code string
}

func (e *forwardedError) Error() string { return e.wire.Error() }
func (e *forwardedError) Unwrap() error { return e.wire }
func (e *forwardedError) WireFields() map[string]any {
	return map[string]any{"RequestErrorCode": e.code}
}

func forwarded(err error) error {
	var code, msg string
	status := http.StatusForbidden
	if e, ok := awserr.As(err); ok {
		code, msg, status = e.Code, e.Message, e.Status
	} else if se := (*sigv4.Error)(nil); errors.As(err, &se) {
		code, msg, status = se.Code, se.Message, se.Status
	} else {
		return err
	}
	if status >= 500 {
		return err // Hatrack's own failure, not the caller's
	}
	return &forwardedError{code: code,
		wire: awserr.New(status, "SignedRequestAuthenticationException", "%s", msg)}
}

func hatrackAuthorize(ctx context.Context, c *Call, h *Hatrack) (any, error) {
	in, err := readAuthorizeInput(c)
	if err != nil {
		return nil, err
	}
	svc, name, ok := strings.Cut(in.Action, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(in.Action, "*? ") || len(in.Action) > 256 {
		return nil, hatrackValidation("Action must be service:Action, e.g. sqs:SendMessage.")
	}
	if in.Resource == "" {
		return nil, hatrackValidation("Resource is required (an ARN, or * for actions without a resource).")
	}
	resourceAccount := c.Account()
	if in.Resource != "*" {
		acct, err := resources.ParseARN(in.Resource)
		if err != nil {
			return nil, hatrackValidation("Resource must be an ARN (arn:partition:service:region:account:resource) or *.")
		}
		if acct != "" {
			resourceAccount = acct
		}
	}
	// A resource of another account was reached only because its
	// resource policy grants the service hatrack:Authorize (the
	// dispatcher's cross-account decision).
	if err := validateContext(in.Context); err != nil {
		return nil, err
	}

	areq := &authz.Request{Action: in.Action, Resource: in.Resource, ResourceAccount: resourceAccount, Time: h.now()}
	switch {
	case in.SignedRequest != nil && in.AccessKeyId == "" && in.SessionToken == "":
		caller, err := h.verifySigned(ctx, in.SignedRequest, in.ExpectedService, areq)
		if err != nil {
			return nil, err
		}
		areq.Caller = caller
	case in.SignedRequest == nil && in.AccessKeyId != "":
		cred, err := h.Resolver.Resolve(ctx, in.AccessKeyId, in.SessionToken)
		if err != nil {
			return nil, forwarded(err)
		}
		areq.Caller = cred.Caller
	default:
		return nil, hatrackValidation("Give exactly one of SignedRequest or AccessKeyId (with SessionToken for temporary credentials).")
	}
	if in.Resource != "*" {
		rp, err := h.Resources.Compiled(ctx, in.Resource)
		if err != nil {
			return nil, err
		}
		areq.ResourcePolicy = rp
	}
	var entries []authorizeContextEntry
	for _, e := range in.Context {
		switch strings.ToLower(e.Key) {
		case "aws:sourceip":
			areq.SourceIP = e.Values[0]
		case "aws:requestedregion":
			areq.Region = e.Values[0]
		case "aws:securetransport":
			areq.Secure = strings.EqualFold(e.Values[0], "true")
		case "aws:useragent":
			areq.UserAgent = e.Values[0]
		default:
			entries = append(entries, e)
		}
	}
	areq.Extra = func(pc *policy.Context) {
		for _, e := range entries {
			pc.Set(e.Key, e.Values...)
		}
	}

	out := authorizeOutput{Principal: authorizePrincipal{Arn: areq.Caller.ARN, Account: areq.Caller.Account,
		UserId: areq.Caller.UserID, Type: areq.Caller.Type}, MatchedStatements: []authorizeMatch{}}
	res, preq, err := h.Decider.Decide(ctx, areq)
	if err != nil {
		// The limits AWS puts on kinds of temporary credentials (authz.Restrict)
		// deny before any policy.
		if e, ok := awserr.As(err); ok && e.Code == "AccessDenied" {
			out.Decision, out.Message = policy.ExplicitDeny.String(), e.Message
			return out, nil
		}
		return nil, err
	}
	out.Decision = res.Decision.String()
	out.Message = res.DenyMessage(preq)
	for _, m := range res.Matched.All() {
		am := authorizeMatch{PolicyId: m.PolicyID(), PolicyType: m.Type.String()}
		if m.Statement != nil {
			am.Statement, am.Sid, am.Effect = m.Statement.Index, m.Statement.Sid, m.Statement.Effect.String()
		}
		out.MatchedStatements = append(out.MatchedStatements, am)
	}
	return out, nil
}

// maxForwardedBody bounds the decoded body of a forwarded request (the
// Authorize request itself is bounded by MaxBodyBytes).
const maxForwardedBody = MaxBodyBytes

// verifySigned rebuilds the forwarded request, verifies its SigV4
// signature (service from its credential scope, any region, the usual
// skew) and returns the principal it proves. It fills the request's
// region, transport and user agent into areq.
func (h *Hatrack) verifySigned(ctx context.Context, sr *authorizeSignedRequest, expectedService string, areq *authz.Request) (*authn.Caller, error) {
	if sr.Method == "" || sr.Url == "" {
		return nil, hatrackValidation("SignedRequest needs Method and Url.")
	}
	u, err := url.Parse(sr.Url)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, hatrackValidation("SignedRequest.Url must be an absolute http(s) URL.")
	}
	body, err := base64.StdEncoding.DecodeString(sr.Body)
	if err != nil {
		return nil, hatrackValidation("SignedRequest.Body must be base64.")
	}
	if len(body) > maxForwardedBody {
		return nil, hatrackValidation("SignedRequest.Body is too large.")
	}
	r := &http.Request{Method: sr.Method, URL: u, Header: make(http.Header, len(sr.Headers)), Host: u.Host,
		ContentLength: int64(len(body))}
	for k, vs := range sr.Headers {
		if strings.EqualFold(k, "Host") {
			if len(vs) > 0 {
				r.Host = vs[0]
			}
			continue
		}
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	auth, err := sigv4.Parse(r)
	if err != nil {
		return nil, forwarded(err)
	}
	service := auth.Service
	if expectedService != "" {
		service = expectedService
	}
	if service == "" {
		return nil, forwarded(&sigv4.Error{Code: "IncompleteSignature", Message: "The credential scope names no service.", Status: http.StatusBadRequest})
	}
	cred, err := h.Resolver.Resolve(ctx, auth.AccessKeyID, auth.SecurityToken)
	if err != nil {
		return nil, forwarded(err)
	}
	if err := auth.VerifyWithOptions(r, body, cred.Secret, h.now(), h.KeyCache, sigv4.VerifyOptions{Service: service}); err != nil {
		return nil, forwarded(err)
	}
	areq.Region = auth.Region
	areq.Secure = u.Scheme == "https"
	areq.UserAgent = r.Header.Get("User-Agent")
	return cred.Caller, nil
}
