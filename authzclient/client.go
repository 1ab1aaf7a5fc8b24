package authzclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/sigv4"
)

// TargetPrefix and SigningName identify Hatrack's own JSON 1.1 API.
const (
	TargetPrefix = "Hatrack_20261122"
	SigningName  = "hatrack"
)

// Decisions.
const (
	Allowed      = "Allowed"
	ImplicitDeny = "ImplicitDeny"
	ExplicitDeny = "ExplicitDeny"
)

// maxResponse bounds an answer the client reads.
const maxResponse = 4 << 20

// Credentials sign the client's calls (the service's own identity, which
// must be allowed hatrack:Authorize and the resource-policy actions).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Client calls one Hatrack endpoint. It is safe for concurrent use.
type Client struct {
	endpoint string
	creds    Credentials
	region   string
	// HTTPClient sends the requests (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Now is the signing clock (time.Now when nil).
	Now func() time.Time
}

// New returns a client for the Hatrack endpoint (e.g.
// "https://hatrack.example:8443") signing with creds for region.
func New(endpoint string, creds Credentials, region string) *Client {
	return &Client{endpoint: strings.TrimRight(endpoint, "/"), creds: creds, region: region}
}

// Error is an error answer of Hatrack. For authentication failures of a
// forwarded request (Forwarded is true) Code is the code AWS would have
// given the caller: SignatureDoesNotMatch, InvalidClientTokenId,
// ExpiredToken, IncompleteSignature, RequestExpired, ….
type Error struct {
	Code       string
	Message    string
	StatusCode int
	RequestID  string
	// Forwarded reports that the forwarded request (not the client's own
	// call) failed authentication.
	Forwarded bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("hatrack: %s: %s (HTTP %d, request id %s)", e.Code, e.Message, e.StatusCode, e.RequestID)
}

// ContextEntry is one condition key of the request (Type: String,
// StringList, Numeric, Boolean, Date, Ip, Binary, or their List forms).
type ContextEntry struct {
	Key    string
	Type   string
	Values []string
}

// SignedRequest is a request as the service received it.
type SignedRequest struct {
	Method  string
	Url     string
	Headers map[string][]string
	// Body is base64 of the request body.
	Body string
}

// AuthorizeInput is one authorization question.
type AuthorizeInput struct {
	Action   string
	Resource string
	Context  []ContextEntry `json:",omitempty"`
	// SignedRequest, or AccessKeyId (+ SessionToken), names the principal.
	SignedRequest *SignedRequest `json:",omitempty"`
	// ExpectedService, when set, is the signing name the signed request's
	// credential scope must name.
	ExpectedService string `json:",omitempty"`
	AccessKeyId     string `json:",omitempty"`
	SessionToken    string `json:",omitempty"`
}

// Principal is who made the request.
type Principal struct {
	Arn     string
	Account string
	UserId  string
	Type    string
}

// MatchedStatement is a statement that decided.
type MatchedStatement struct {
	PolicyId   string
	PolicyType string
	Statement  int
	Sid        string
	Effect     string
}

// AuthorizeOutput is Hatrack's decision.
type AuthorizeOutput struct {
	// Decision is Allowed, ImplicitDeny or ExplicitDeny.
	Decision  string
	Principal Principal
	// Message is AWS's access-denied message ("" when allowed).
	Message           string
	MatchedStatements []MatchedStatement
}

// Allowed reports whether the request is allowed.
func (o *AuthorizeOutput) Allowed() bool { return o != nil && o.Decision == Allowed }

// Authorize asks Hatrack to decide in.
func (c *Client) Authorize(ctx context.Context, in AuthorizeInput) (*AuthorizeOutput, error) {
	var out AuthorizeOutput
	if err := c.call(ctx, "Authorize", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuthorizeRequest forwards r, a SigV4-signed request the service received
// (body is its complete body), for Hatrack to verify and decide action on
// resource. r.URL may be relative, as a server sees it: the scheme is
// taken from r.TLS and the host from r.Host.
func (c *Client) AuthorizeRequest(ctx context.Context, r *http.Request, body []byte, action, resource string, conditions ...ContextEntry) (*AuthorizeOutput, error) {
	return c.Authorize(ctx, AuthorizeInput{Action: action, Resource: resource, Context: conditions, SignedRequest: ForwardedRequest(r, body)})
}

// ForwardedRequest describes r (with its complete body) as Authorize
// expects it.
func ForwardedRequest(r *http.Request, body []byte) *SignedRequest {
	u := *r.URL
	if u.Host == "" {
		u.Host = r.Host
	}
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	h := make(map[string][]string, len(r.Header)+1)
	for k, vs := range r.Header {
		h[k] = append([]string(nil), vs...)
	}
	if r.Host != "" {
		h["Host"] = []string{r.Host}
	}
	if _, ok := h["Content-Length"]; !ok && len(body) > 0 {
		h["Content-Length"] = []string{fmt.Sprint(len(body))}
	}
	return &SignedRequest{Method: r.Method, Url: u.String(), Headers: h, Body: base64.StdEncoding.EncodeToString(body)}
}

// ResourcePolicy is a stored resource policy.
type ResourcePolicy struct {
	ResourceArn      string
	PolicyDocument   string
	CreatedDate      float64
	LastModifiedDate float64
}

// PutResourcePolicy stores doc as the resource policy of arn (an ARN of
// the client's account), replacing any previous one.
func (c *Client) PutResourcePolicy(ctx context.Context, arn, doc string) (*ResourcePolicy, error) {
	var out ResourcePolicy
	if err := c.call(ctx, "PutResourcePolicy", map[string]string{"ResourceArn": arn, "PolicyDocument": doc}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetResourcePolicy returns the resource policy of arn (an *Error with
// Code ResourceNotFoundException when none is stored).
func (c *Client) GetResourcePolicy(ctx context.Context, arn string) (*ResourcePolicy, error) {
	var out ResourcePolicy
	if err := c.call(ctx, "GetResourcePolicy", map[string]string{"ResourceArn": arn}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteResourcePolicy removes the resource policy of arn.
func (c *Client) DeleteResourcePolicy(ctx context.Context, arn string) error {
	return c.call(ctx, "DeleteResourcePolicy", map[string]string{"ResourceArn": arn}, nil)
}

// ListResourcePolicies lists one page of the account's resource policies
// (nextToken "" for the first page; the answer's token "" when done).
func (c *Client) ListResourcePolicies(ctx context.Context, nextToken string, maxResults int) ([]ResourcePolicy, string, error) {
	in := map[string]any{}
	if nextToken != "" {
		in["NextToken"] = nextToken
	}
	if maxResults > 0 {
		in["MaxResults"] = maxResults
	}
	var out struct {
		ResourcePolicies []ResourcePolicy
		NextToken        string
	}
	if err := c.call(ctx, "ListResourcePolicies", in, &out); err != nil {
		return nil, "", err
	}
	return out.ResourcePolicies, out.NextToken, nil
}

func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", TargetPrefix+"."+op)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: c.creds.AccessKeyID, SecretAccessKey: c.creds.SecretAccessKey,
		SessionToken: c.creds.SessionToken}, c.region, SigningName, now())
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("hatrack: decoding %s answer: %w", op, err)
	}
	return nil
}

func decodeError(resp *http.Response, data []byte) error {
	var m struct {
		Type             string `json:"__type"`
		Message          string `json:"Message"`
		LowerMessage     string `json:"message"`
		RequestErrorCode string
	}
	e := &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-Requestid")}
	if json.Unmarshal(data, &m) != nil || m.Type == "" {
		e.Code, e.Message = "UnknownError", http.StatusText(resp.StatusCode)
		return e
	}
	_, code, found := strings.Cut(m.Type, "#")
	if !found {
		code = m.Type
	}
	e.Code, e.Message = code, m.Message
	if e.Message == "" {
		e.Message = m.LowerMessage
	}
	if code == "SignedRequestAuthenticationException" && m.RequestErrorCode != "" {
		e.Code, e.Forwarded = m.RequestErrorCode, true
	}
	return e
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
