package console

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hatrack/hatrack/internal/sigv4"
)

// Query-protocol versions, and the JSON 1.1 target prefixes.
const (
	versionIAM = "2010-05-08"
	versionSTS = "2011-06-15"

	targetOrganizations = "AWSOrganizationsV20161128."
	targetCloudTrail    = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."

	// signingRegion is the region IAM and STS are signed for in the aws
	// partition.
	signingRegion = "us-east-1"
	userAgent     = "hatrack-console/1"
	maxAnswer     = 8 << 20
)

// APIError is an error answer of the API, shown to the person verbatim.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	Action    string // "iam:ListUsers"
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// apiClient calls the API handler in process, as the browser's person.
type apiClient struct {
	c  *Console
	r  *http.Request // the browser's request: address, TLS, context
	cr creds
}

// client returns an API client signing with cr on behalf of browser
// request r.
func (c *Console) client(r *http.Request, cr creds) *apiClient {
	return &apiClient{c: c, r: r, cr: cr}
}

// newRequest builds the inner request, carrying the browser's address and
// transport security so aws:SourceIp and aws:SecureTransport are the
// person's, and signs it.
func (a *apiClient) do(ctx context.Context, service string, body []byte, header http.Header) (*recorder, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+a.host()+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.ContentLength = int64(len(body))
	req.RemoteAddr = a.r.RemoteAddr
	req.TLS = a.r.TLS
	if xff := a.r.Header.Get("X-Forwarded-For"); xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	req.RequestURI = "/"
	sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: a.cr.ID, SecretAccessKey: a.cr.Secret, SessionToken: a.cr.Token},
		signingRegion, service, a.c.now())
	req.Header.Set("User-Agent", userAgent)
	rec := newRecorder()
	a.c.api.ServeHTTP(rec, req)
	if rec.overflow {
		return nil, fmt.Errorf("console: API answer larger than %d bytes", maxAnswer)
	}
	return rec, nil
}

func (a *apiClient) host() string {
	if a.r.Host != "" {
		return a.r.Host
	}
	return "localhost"
}

// query calls a Query-protocol action ("iam", "ListUsers") and returns the
// answer's <ActionResult> element.
func (a *apiClient) query(ctx context.Context, service, action string, params url.Values) (*xnode, error) {
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	v.Set("Action", action)
	switch service {
	case "sts":
		v.Set("Version", versionSTS)
	default:
		v.Set("Version", versionIAM)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	rec, err := a.do(ctx, service, []byte(v.Encode()), h)
	if err != nil {
		return nil, err
	}
	root, perr := parseXML(rec.body.Bytes())
	if rec.status != http.StatusOK {
		e := &APIError{Status: rec.status, Action: service + ":" + action, RequestID: rec.header.Get("x-amzn-RequestId")}
		if perr == nil {
			e.Code, e.Message = root.S("Error/Code"), root.S("Error/Message")
		}
		if e.Code == "" {
			e.Code, e.Message = http.StatusText(rec.status), strings.TrimSpace(rec.body.String())
		}
		return nil, e
	}
	if perr != nil {
		return nil, fmt.Errorf("console: %s answer: %w", action, perr)
	}
	res := root.Child(action + "Result")
	if res == nil {
		res = &xnode{Name: action + "Result"}
	}
	return res, nil
}

// listAll calls a paginated IAM list action (Marker/IsTruncated) and
// returns the members of listName from every page (at most 20 pages).
func (a *apiClient) listAll(ctx context.Context, action, listName string, params url.Values) ([]*xnode, error) {
	var out []*xnode
	p := url.Values{}
	for k, vs := range params {
		p[k] = vs
	}
	p.Set("MaxItems", "1000")
	for range 20 {
		res, err := a.query(ctx, "iam", action, p)
		if err != nil {
			return nil, err
		}
		out = append(out, res.Members(listName)...)
		if res.S("IsTruncated") != "true" || res.S("Marker") == "" {
			break
		}
		p.Set("Marker", res.S("Marker"))
	}
	return out, nil
}

// json11 calls an AWS JSON 1.1 action (Organizations, CloudTrail).
func (a *apiClient) json11(ctx context.Context, service, target string, in any) (map[string]any, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	h := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}
	rec, err := a.do(ctx, service, body, h)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	jerr := json.Unmarshal(rec.body.Bytes(), &out)
	action := target[strings.LastIndexByte(target, '.')+1:]
	if rec.status != http.StatusOK {
		e := &APIError{Status: rec.status, Action: service + ":" + action, RequestID: rec.header.Get("x-amzn-RequestId")}
		if jerr == nil {
			e.Code = jsonErrorCode(str(out["__type"]))
			e.Message = str(out["message"])
			if e.Message == "" {
				e.Message = str(out["Message"])
			}
		}
		if e.Code == "" {
			// Not a JSON error: perhaps the Query protocol's envelope.
			if root, err := parseXML(rec.body.Bytes()); err == nil && root.S("Error/Code") != "" {
				e.Code, e.Message = root.S("Error/Code"), root.S("Error/Message")
			} else {
				e.Code, e.Message = http.StatusText(rec.status), strings.TrimSpace(rec.body.String())
			}
		}
		return nil, e
	}
	if jerr != nil {
		return nil, fmt.Errorf("console: %s answer: %w", action, jerr)
	}
	return out, nil
}

// jsonErrorCode strips the namespace of a JSON protocol __type
// ("com.amazonaws…#AccessDeniedException" → "AccessDeniedException").
func jsonErrorCode(t string) string {
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	return t
}

// str is v as a string ("" for nil, numbers in plain form).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// recorder is a minimal in-memory http.ResponseWriter.
type recorder struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	overflow bool
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(p) > maxAnswer {
		r.overflow = true
		return 0, io.ErrShortWrite
	}
	return r.body.Write(p)
}

// xnode is an element of an XML answer.
type xnode struct {
	Name string
	Text string
	Kids []*xnode
}

// parseXML reads an XML document into a tree of elements (namespaces
// dropped).
func parseXML(b []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{Name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, io.ErrUnexpectedEOF
	}
	return root, nil
}

// Child is the first child element named name (nil if none; nil-safe).
func (n *xnode) Child(name string) *xnode {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Path follows slash-separated child names.
func (n *xnode) Path(p string) *xnode {
	for _, name := range strings.Split(p, "/") {
		n = n.Child(name)
	}
	return n
}

// S is the trimmed text at path p ("" when absent).
func (n *xnode) S(p string) string {
	if x := n.Path(p); x != nil {
		return strings.TrimSpace(x.Text)
	}
	return ""
}

// Members are the <member> elements of the list at path p.
func (n *xnode) Members(p string) []*xnode {
	l := n.Path(p)
	if l == nil {
		return nil
	}
	var out []*xnode
	for _, k := range l.Kids {
		if k.Name == "member" {
			out = append(out, k)
		}
	}
	return out
}
