package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm and credential-scope constants.
const (
	// AlgorithmHMAC is the only algorithm Parse accepts.
	AlgorithmHMAC = "AWS4-HMAC-SHA256"
	// ScopeTerminator ends every SigV4 credential scope.
	ScopeTerminator = "aws4_request"
	// MaxExpires is the largest X-Amz-Expires (seconds) of a presigned request.
	MaxExpires = 604800
)

// Header and query-parameter names.
const (
	headerAuthorization = "Authorization"
	headerAmzDate       = "X-Amz-Date"
	headerDate          = "Date"
	headerSecurityToken = "X-Amz-Security-Token"
	headerContentSHA256 = "X-Amz-Content-Sha256"

	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSecurityToken = "X-Amz-Security-Token"
	paramSignature     = "X-Amz-Signature"
	paramContentSHA256 = "X-Amz-Content-Sha256"
)

// Auth is the syntactically valid SigV4 authentication information of a
// request, as returned by Parse. Nothing in it has been verified yet.
type Auth struct {
	// Algorithm is the signing algorithm (always AlgorithmHMAC for now).
	Algorithm string
	// AccessKeyID is the first element of the credential.
	AccessKeyID string
	// Date is the request timestamp (X-Amz-Date, or the Date header).
	Date time.Time
	// AmzDate is Date in ISO 8601 basic format as it enters the string to
	// sign.
	AmzDate string
	// DateStamp, Region, Service and Terminator are the credential scope
	// elements, exactly as the client sent them.
	DateStamp  string
	Region     string
	Service    string
	Terminator string
	// SignedHeaders is the client's list of signed header names in the
	// client's order and spelling.
	SignedHeaders []string
	// Signature is the decoded client signature; nil when it is not 64 hex
	// digits (Verify then reports SignatureDoesNotMatch).
	Signature []byte
	// SecurityToken is X-Amz-Security-Token (header, or query parameter of a
	// presigned request); empty when absent.
	SecurityToken string
	// Presigned reports the query-string form.
	Presigned bool
	// Expires is X-Amz-Expires of a presigned request; HasExpires reports
	// whether the parameter was present.
	Expires    time.Duration
	HasExpires bool

	scope            string // DateStamp/Region/Service/Terminator as received
	signedHeadersRaw string // the SignedHeaders value as received
	contentSHA256    string // X-Amz-Content-Sha256 (header or presigned param)
	headerArr        [8]string
	sig              [32]byte
}

// Scope returns the credential scope "date/region/service/aws4_request" as
// the client sent it.
func (a *Auth) Scope() string { return a.scope }

// Parse extracts the SigV4 authentication information from the
// Authorization header or from presigned query parameters. It checks syntax
// only. Errors are *Error: MissingAuthenticationToken (see IsMissing) when the
// request carries no authentication at all, IncompleteSignature otherwise.
// Parse never panics, whatever the input.
func Parse(r *http.Request) (*Auth, error) {
	var q authQuery
	if r.URL != nil {
		q.scan(r.URL.RawQuery)
	}
	authz := r.Header[headerAuthorization]
	hasHeader := len(authz) > 0 && !(len(authz) == 1 && strings.TrimSpace(authz[0]) == "")
	hasQuery := q.present()
	switch {
	case hasHeader && hasQuery:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case hasHeader:
		if len(authz) > 1 {
			return nil, incomplete("Only one Authorization header allowed")
		}
		a := new(Auth)
		if err := a.parseHeader(r, authz[0]); err != nil {
			return nil, err
		}
		return a, nil
	case hasQuery:
		a := new(Auth)
		if err := a.parseQuery(r, &q); err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, ErrMissingAuthenticationToken()
}

func (a *Auth) parseHeader(r *http.Request, h string) error {
	alg, rest, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	if alg != AlgorithmHMAC {
		return errAlgorithm(alg)
	}
	a.Algorithm = alg
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		i := strings.IndexAny(rest, ", \t")
		tok := rest
		if i >= 0 {
			tok, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if tok == "" {
			continue
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return incomplete("'" + tok + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + h + "'")
		}
		switch k {
		case "Credential":
			if !haveCred {
				cred, haveCred = v, v != ""
			}
		case "SignedHeaders":
			if !haveSigned {
				signed, haveSigned = v, v != ""
			}
		case "Signature":
			if !haveSig {
				sig, haveSig = v, v != ""
			}
		}
	}
	amzDate := firstHeader(r, headerAmzDate)
	httpDate := firstHeader(r, headerDate)
	if !haveCred || !haveSig || !haveSigned || (amzDate == "" && httpDate == "") {
		var b strings.Builder
		if !haveCred {
			b.WriteString("Authorization header requires 'Credential' parameter. ")
		}
		if !haveSig {
			b.WriteString("Authorization header requires 'Signature' parameter. ")
		}
		if !haveSigned {
			b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
		}
		if amzDate == "" && httpDate == "" {
			b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		b.WriteString("Authorization=")
		b.WriteString(h)
		return incomplete(b.String())
	}
	if err := a.setCredential(cred); err != nil {
		return err
	}
	if err := a.setDate(amzDate, httpDate); err != nil {
		return err
	}
	a.setSignedHeaders(signed)
	a.setSignature(sig)
	a.SecurityToken = firstHeader(r, headerSecurityToken)
	a.contentSHA256 = firstHeader(r, headerContentSHA256)
	return nil
}

func (a *Auth) parseQuery(r *http.Request, q *authQuery) error {
	if q.dup != "" {
		return incomplete("Duplicate query-string parameter '" + q.dup + "'. Re-examine the query-string parameters.")
	}
	var b strings.Builder
	for _, p := range [...]struct {
		name string
		ok   bool
	}{
		{paramAlgorithm, q.has[qAlgorithm]},
		{paramCredential, q.has[qCredential]},
		{paramSignature, q.has[qSignature]},
		{paramSignedHeaders, q.has[qSignedHeaders]},
		{paramDate, q.has[qDate]},
	} {
		if !p.ok {
			b.WriteString("AWS query-string parameters must include '" + p.name + "'. ")
		}
	}
	if b.Len() > 0 {
		b.WriteString("Re-examine the query-string parameters.")
		return incomplete(b.String())
	}
	a.Presigned = true
	alg := q.get(qAlgorithm)
	if alg != AlgorithmHMAC {
		return errAlgorithm(alg)
	}
	a.Algorithm = alg
	if err := a.setCredential(q.get(qCredential)); err != nil {
		return err
	}
	if err := a.setDate(q.get(qDate), ""); err != nil {
		return err
	}
	if q.has[qExpires] {
		s := q.get(qExpires)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return incomplete("X-Amz-Expires should be a number, got '" + s + "'")
		}
		a.HasExpires = true
		n = min(max(n, -1), MaxExpires+1) // keep the Duration from overflowing
		a.Expires = time.Duration(n) * time.Second
	}
	a.setSignedHeaders(q.get(qSignedHeaders))
	a.setSignature(q.get(qSignature))
	a.SecurityToken = q.get(qSecurityToken)
	if !q.has[qSecurityToken] {
		a.SecurityToken = firstHeader(r, headerSecurityToken)
	}
	a.contentSHA256 = q.get(qContentSHA256)
	if !q.has[qContentSHA256] {
		a.contentSHA256 = firstHeader(r, headerContentSHA256)
	}
	return nil
}

func errAlgorithm(alg string) *Error {
	return incomplete("Unsupported AWS 'algorithm': '" + alg + "'")
}

func (a *Auth) setCredential(cred string) error {
	var parts [5]string
	rest := cred
	for i := range parts {
		if i == len(parts)-1 {
			parts[i] = rest
			break
		}
		p, r, ok := strings.Cut(rest, "/")
		if !ok {
			return errCredentialFormat(cred)
		}
		parts[i], rest = p, r
	}
	if strings.Contains(parts[4], "/") || parts[0] == "" {
		return errCredentialFormat(cred)
	}
	a.AccessKeyID = parts[0]
	a.DateStamp, a.Region, a.Service, a.Terminator = parts[1], parts[2], parts[3], parts[4]
	a.scope = cred[len(parts[0])+1:]
	return nil
}

func errCredentialFormat(cred string) *Error {
	return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'")
}

func (a *Auth) setDate(amzDate, httpDate string) error {
	if amzDate != "" {
		t, ok := parseAmzDate(amzDate)
		if !ok {
			return errDateFormat(amzDate)
		}
		a.Date, a.AmzDate = t, amzDate
		return nil
	}
	t, err := http.ParseTime(httpDate)
	if err != nil {
		return errDateFormat(httpDate)
	}
	a.Date = t.UTC().Truncate(time.Second)
	a.AmzDate = formatAmzDate(a.Date)
	return nil
}

func errDateFormat(v string) *Error {
	return incomplete("Date must be in ISO-8601 'basic format'. Got '" + v + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

func (a *Auth) setSignedHeaders(s string) {
	a.signedHeadersRaw = s
	n := strings.Count(s, ";") + 1
	hs := a.headerArr[:0]
	if n > len(a.headerArr) {
		hs = make([]string, 0, n)
	}
	for {
		h, rest, ok := strings.Cut(s, ";")
		hs = append(hs, h)
		if !ok {
			break
		}
		s = rest
	}
	a.SignedHeaders = hs
}

func (a *Auth) setSignature(s string) {
	if len(s) != 2*len(a.sig) {
		return
	}
	for i := range a.sig {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return
		}
		a.sig[i] = hi<<4 | lo
	}
	a.Signature = a.sig[:]
}

func firstHeader(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// authQuery holds the presigned-URL parameters found in a raw query string.
type authQuery struct {
	raw [qCount]string
	has [qCount]bool
	dup string
}

const (
	qAlgorithm = iota
	qCredential
	qDate
	qExpires
	qSignedHeaders
	qSecurityToken
	qSignature
	qContentSHA256
	qCount
)

var queryParamNames = [qCount]string{
	paramAlgorithm, paramCredential, paramDate, paramExpires,
	paramSignedHeaders, paramSecurityToken, paramSignature, paramContentSHA256,
}

func (q *authQuery) scan(raw string) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if len(pair) < 6 || pair[:6] != "X-Amz-" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		for i, name := range queryParamNames {
			if k == name {
				if q.has[i] && q.dup == "" {
					q.dup = name
				}
				q.raw[i], q.has[i] = v, true
				break
			}
		}
	}
}

// present reports whether the query looks like a presigned request.
func (q *authQuery) present() bool {
	return q.has[qAlgorithm] || q.has[qCredential] || q.has[qSignature]
}

// get returns the decoded value of parameter i; malformed escapes are kept
// verbatim (the signature check fails on them later).
func (q *authQuery) get(i int) string {
	s := q.raw[i]
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
