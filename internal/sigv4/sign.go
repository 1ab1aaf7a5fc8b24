package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are the client-side credentials used by Sign and Presign.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// ignoredHeaders are never signed (as in the AWS SDKs).
var ignoredHeaders = map[string]bool{
	"authorization":     true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
	"expect":            true,
	"transfer-encoding": true,
}

// Sign signs r in place with the Authorization header form, as the AWS SDKs
// do: it sets X-Amz-Date (and X-Amz-Security-Token for session
// credentials), strips a default port from the host and signs host, a
// positive content length and every other header present except
// Authorization, User-Agent, X-Amzn-Trace-Id, Expect and Transfer-Encoding
// (and names that are not valid HTTP tokens).
// body is the complete request body (r.Body is not read); an
// X-Amz-Content-Sha256 header, if set, is used as the payload hash.
func Sign(r *http.Request, body []byte, creds Credentials, region, service string, t time.Time) {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	t = t.UTC().Truncate(time.Second)
	a := newSigningAuth(creds, region, service, t)
	r.Header.Set(headerAmzDate, a.AmzDate)
	if creds.SessionToken != "" {
		r.Header.Set(headerSecurityToken, creds.SessionToken)
	}
	sanitizeHost(r)
	a.setSignedHeaders(strings.Join(headersToSign(r), ";"))
	payload := r.Header.Get(headerContentSHA256)
	if payload == "" {
		payload = hexSHA256(body)
	}
	sig := a.sign(r, payload, creds.SecretAccessKey)
	r.Header.Set(headerAuthorization, AlgorithmHMAC+" Credential="+creds.AccessKeyID+"/"+a.scope+
		", SignedHeaders="+a.signedHeadersRaw+", Signature="+sig)
}

// Presign returns a presigned URL for r valid for expires (whole seconds,
// 1s..7 days), signing host and the headers present on r (except the ones
// Sign ignores); those headers must be sent along with the URL. body is the
// payload (usually empty: presigned requests are GETs). r is not modified.
func Presign(r *http.Request, body []byte, creds Credentials, region, service string, t time.Time, expires time.Duration) string {
	t = t.UTC().Truncate(time.Second)
	a := newSigningAuth(creds, region, service, t)
	a.Presigned = true

	r2 := new(http.Request)
	*r2 = *r
	u := new(url.URL)
	if r.URL != nil {
		*u = *r.URL
	}
	r2.URL = u
	if r2.Header == nil {
		r2.Header = make(http.Header)
	}
	sanitizeHost(r2)
	a.setSignedHeaders(strings.Join(headersToSign(r2), ";"))

	q := u.Query()
	q.Del(paramSignature)
	q.Set(paramAlgorithm, AlgorithmHMAC)
	q.Set(paramCredential, creds.AccessKeyID+"/"+a.scope)
	q.Set(paramDate, a.AmzDate)
	q.Set(paramExpires, strconv.FormatInt(int64(expires/time.Second), 10))
	q.Set(paramSignedHeaders, a.signedHeadersRaw)
	if creds.SessionToken != "" {
		q.Set(paramSecurityToken, creds.SessionToken)
	}
	s := getScratch()
	u.RawQuery = string(s.appendCanonicalQuery(nil, encodeValues(q), false))
	putScratch(s)

	sig := a.sign(r2, hexSHA256(body), creds.SecretAccessKey)
	u.RawQuery += "&" + paramSignature + "=" + sig
	if u.Host == "" {
		u.Host = r2.Host
	}
	return u.String()
}

func newSigningAuth(creds Credentials, region, service string, t time.Time) *Auth {
	amz := formatAmzDate(t)
	a := &Auth{
		Algorithm:   AlgorithmHMAC,
		AccessKeyID: creds.AccessKeyID,
		Date:        t,
		AmzDate:     amz,
		DateStamp:   amz[:8],
		Region:      region,
		Service:     service,
		Terminator:  ScopeTerminator,
	}
	a.scope = a.DateStamp + "/" + region + "/" + service + "/" + ScopeTerminator
	return a
}

// sign returns the lower-case hex signature of r.
func (a *Auth) sign(r *http.Request, payloadHash, secret string) string {
	s := getScratch()
	defer putScratch(s)
	var key [32]byte
	key, s.hbuf = deriveKey(s.hbuf, []byte(secret), a.DateStamp, a.Region, a.Service, a.Terminator)
	sig := a.signature(s, r, payloadHash, true, &key)
	return hex.EncodeToString(sig[:])
}

// headersToSign returns the sorted lower-case names of the headers to sign.
func headersToSign(r *http.Request) []string {
	names := []string{"host"}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if validHeaderName(lk) && !ignoredHeaders[lk] && lk != "host" && !slices.Contains(names, lk) {
			names = append(names, lk)
		}
	}
	if r.ContentLength > 0 && !slices.Contains(names, "content-length") {
		names = append(names, "content-length")
	}
	slices.Sort(names)
	return names
}

// validHeaderName reports whether k is an RFC 7230 token (other names
// cannot be sent, so they are not signed).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(unreserved[c] || strings.IndexByte("!#$%&'*+^`|", c) >= 0) {
			return false
		}
	}
	return true
}

// sanitizeHost sets r.Host to the host being signed, without a default port.
func sanitizeHost(r *http.Request) {
	host := requestHost(r)
	scheme := ""
	if r.URL != nil {
		scheme = strings.ToLower(r.URL.Scheme)
	}
	if h, port, ok := cutPort(host); ok && ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
		host = h
	}
	r.Host = host
}

func cutPort(hostport string) (host, port string, ok bool) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.LastIndexByte(hostport, ']') > i {
		return hostport, "", false
	}
	return hostport[:i], hostport[i+1:], true
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// encodeValues form-encodes v (any order; appendCanonicalQuery sorts).
func encodeValues(v url.Values) string {
	var b strings.Builder
	for k, vs := range v {
		for _, x := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(x))
		}
	}
	return b.String()
}
