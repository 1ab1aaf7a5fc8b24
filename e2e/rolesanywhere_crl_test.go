package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	ra "github.com/hatrack/hatrack/internal/federation/rolesanywhere"
	"github.com/hatrack/hatrack/internal/sigv4"
)

// raWorkload is a workload certificate with its key (and chain, if issued
// by an intermediate).
type raWorkload struct {
	cert  *x509.Certificate
	key   crypto.Signer
	chain []*x509.Certificate
}

func loadWorkload(t *testing.T, certPath, keyPath string) *raWorkload {
	t.Helper()
	cb, _ := os.ReadFile(certPath)
	kb, _ := os.ReadFile(keyPath)
	cblk, _ := pem.Decode(cb)
	kblk, _ := pem.Decode(kb)
	if cblk == nil || kblk == nil {
		t.Fatalf("reading %s / %s", certPath, keyPath)
	}
	c, err := x509.ParseCertificate(cblk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return &raWorkload{cert: c, key: k.(crypto.Signer)}
}

// intermediate issues an intermediate CA under ca and a workload under it.
func (ca *testCA) intermediate(t *testing.T, cn string) (*x509.Certificate, *raWorkload) {
	t.Helper()
	ik, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	it := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn + " Intermediate"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(12 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	ider, err := x509.CreateCertificate(rand.Reader, it, ca.cert, &ik.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	inter, _ := x509.ParseCertificate(ider)
	lk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ls, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	lt := &x509.Certificate{SerialNumber: ls, Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"workloads"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
	lder, err := x509.CreateCertificate(rand.Reader, lt, inter, &lk.PublicKey, ik)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(lder)
	return inter, &raWorkload{cert: leaf, key: lk, chain: []*x509.Certificate{inter}}
}

// crl returns a DER CRL signed by ca revoking the serials.
func (ca *testCA) crl(t *testing.T, number int64, serials ...*big.Int) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: time.Now().Add(-time.Minute),
		NextUpdate: time.Now().Add(24 * time.Hour), RevokedCertificateEntries: entries}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// raSession calls CreateSession signed with the workload's X.509 key and
// returns the status, the error type header and the JSON body.
func raSession(t *testing.T, s *Server, w *raWorkload, profileARN, roleARN, anchorARN string) (int, string, map[string]any) {
	t.Helper()
	q := url.Values{"profileArn": {profileARN}, "roleArn": {roleARN}, "trustAnchorArn": {anchorARN}}
	body := []byte(`{"durationSeconds":900}`)
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/sessions?"+q.Encode(), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if err := ra.Sign(r, body, w.cert, w.chain, w.key, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

// raCallFull is raCall that also returns the error type header.
func raCallFull(t *testing.T, s *Server, c Creds, method, path string, body any) (int, string, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	r, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(b))
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	sigv4.Sign(r, b, sigv4.Credentials{AccessKeyID: c.ID, SecretAccessKey: c.Secret, SessionToken: c.Token}, "us-east-1", "rolesanywhere", time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

// checkCrlShape asserts the CrlDetail members AWS answers, and nothing else.
func checkCrlShape(t *testing.T, what string, c any, anchorARN string) map[string]any {
	t.Helper()
	m, ok := c.(map[string]any)
	if !ok {
		t.Fatalf("%s: crl is %T", what, c)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "createdAt,crlArn,crlData,crlId,enabled,name,trustAnchorArn,updatedAt" {
		t.Fatalf("%s: members %v", what, keys)
	}
	id, _ := m["crlId"].(string)
	if m["crlArn"] != "arn:aws:rolesanywhere:us-east-1:"+accountA+":crl/"+id || len(id) != 36 || m["trustAnchorArn"] != anchorARN {
		t.Fatalf("%s: %v", what, m)
	}
	if _, ok := m["enabled"].(bool); !ok {
		t.Fatalf("%s: enabled %v", what, m["enabled"])
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if _, err := time.Parse(time.RFC3339, m[k].(string)); err != nil {
			t.Fatalf("%s: %s %v", what, k, m[k])
		}
	}
	if _, err := base64.StdEncoding.DecodeString(m["crlData"].(string)); err != nil {
		t.Fatalf("%s: crlData %v", what, err)
	}
	return m
}

// Certificate revocation lists: import, CreateSession refusing a revoked
// certificate (and a leaf under a revoked intermediate), disable/enable,
// update, delete, authorization on the CRL's ARN, and boto3's view.
func TestRolesAnywhereCRL(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	ca := newTestCA(t, "CRL CA")
	other := newTestCA(t, "Other CA")
	role := newRole(t, s, rootCreds, "CrlWorkloadRole", raTrust, 0)
	roleARN := aws.ToString(role.Arn)

	code, ta := raCall(t, s, rootCreds, "POST", "/trustanchors", map[string]any{"name": "crl-ca", "enabled": true,
		"source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": ca.pem}}})
	if code != 201 {
		t.Fatalf("CreateTrustAnchor %d %v\n%s", code, ta, s.Logs())
	}
	anchorARN := dig(ta, "trustAnchor", "trustAnchorArn")
	code, pr := raCall(t, s, rootCreds, "POST", "/profiles", map[string]any{"name": "crl-workloads", "enabled": true, "roleArns": []string{roleARN}})
	if code != 201 {
		t.Fatalf("CreateProfile %d %v", code, pr)
	}
	profileARN := dig(pr, "profile", "profileArn")
	gc, gk := ca.issue(t, dir, "good", time.Now().Add(time.Hour))
	good := loadWorkload(t, gc, gk)
	bc, bk := ca.issue(t, dir, "bad", time.Now().Add(time.Hour))
	bad := loadWorkload(t, bc, bk)
	inter, underInter := ca.intermediate(t, "under-inter")
	session := func(w *raWorkload) (int, string, map[string]any) {
		return raSession(t, s, w, profileARN, roleARN, anchorARN)
	}
	wantSession := func(what string, w *raWorkload) {
		t.Helper()
		code, typ, out := session(w)
		set, _ := out["credentialSet"].([]any)
		if code != 201 || len(set) != 1 {
			t.Fatalf("%s: CreateSession %d %s %v\n%s", what, code, typ, out, s.Logs())
		}
		if cs, _ := set[0].(map[string]any); !strings.HasPrefix(dig(cs, "credentials", "accessKeyId"), "ASIA") {
			t.Fatalf("%s: credential set %v", what, set[0])
		}
	}
	wantRevoked := func(what string, w *raWorkload) {
		t.Helper()
		code, typ, out := session(w)
		msg, _ := out["message"].(string)
		if code != 403 || typ != "AccessDeniedException" || !strings.Contains(msg, "revoked") || !strings.Contains(msg, w.cert.SerialNumber.String()) {
			t.Fatalf("%s: CreateSession %d %s %v", what, code, typ, out)
		}
	}
	wantSession("good before any CRL", good)
	wantSession("bad before any CRL", bad)
	wantSession("leaf under intermediate before any CRL", underInter)

	// A CRL signed by another CA is refused, and nothing is stored.
	code, typ, e := raCallFull(t, s, rootCreds, "POST", "/crls", map[string]any{"name": "forged", "enabled": true, "trustAnchorArn": anchorARN,
		"crlData": base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: other.crl(t, 1, bad.cert.SerialNumber)}))})
	if code != 400 || typ != "ValidationException" || !strings.Contains(e["message"].(string), "not signed") {
		t.Fatalf("ImportCrl forged: %d %s %v", code, typ, e)
	}
	code, typ, e = raCallFull(t, s, rootCreds, "POST", "/crls", map[string]any{"name": "junk", "trustAnchorArn": anchorARN,
		"crlData": base64.StdEncoding.EncodeToString([]byte("not a crl"))})
	if code != 400 || typ != "ValidationException" {
		t.Fatalf("ImportCrl junk: %d %s %v", code, typ, e)
	}
	code, typ, e = raCallFull(t, s, rootCreds, "POST", "/crls", map[string]any{"name": "no-data", "trustAnchorArn": anchorARN})
	if code != 400 || typ != "ValidationException" || !strings.Contains(e["message"].(string), "crlData") {
		t.Fatalf("ImportCrl without crlData: %d %s %v", code, typ, e)
	}
	if code, l := raCall(t, s, rootCreds, "GET", "/crls", nil); code != 200 || len(l["crls"].([]any)) != 0 {
		t.Fatalf("ListCrls after refusals: %d %v", code, l)
	}
	wantSession("bad after refused imports", bad)

	// Import (PEM, enabled) revoking "bad".
	crlPEM := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: ca.crl(t, 1, bad.cert.SerialNumber)})
	code, imp := raCall(t, s, rootCreds, "POST", "/crls", map[string]any{"name": "corp-crl", "enabled": true, "trustAnchorArn": anchorARN,
		"crlData": base64.StdEncoding.EncodeToString(crlPEM), "tags": []map[string]string{{"key": "team", "value": "pki"}}})
	if code != 201 {
		t.Fatalf("ImportCrl %d %v\n%s", code, imp, s.Logs())
	}
	crl := checkCrlShape(t, "ImportCrl", imp["crl"], anchorARN)
	crlID := crl["crlId"].(string)
	if got, _ := base64.StdEncoding.DecodeString(crl["crlData"].(string)); !bytes.Equal(got, crlPEM) || crl["enabled"] != true || crl["name"] != "corp-crl" {
		t.Fatalf("ImportCrl answered %v", crl)
	}
	wantRevoked("revoked leaf", bad)
	wantSession("good leaf with the CRL enabled", good)
	wantSession("leaf under a good intermediate", underInter)

	// DisableCrl: the revoked leaf works again; EnableCrl: refused again.
	code, dis := raCall(t, s, rootCreds, "POST", "/crl/"+crlID+"/disable", nil)
	if code != 200 || checkCrlShape(t, "DisableCrl", dis["crl"], anchorARN)["enabled"] != false {
		t.Fatalf("DisableCrl %d %v", code, dis)
	}
	wantSession("revoked leaf, CRL disabled", bad)
	code, en := raCall(t, s, rootCreds, "POST", "/crl/"+crlID+"/enable", nil)
	if code != 200 || checkCrlShape(t, "EnableCrl", en["crl"], anchorARN)["enabled"] != true {
		t.Fatalf("EnableCrl %d %v", code, en)
	}
	wantRevoked("revoked leaf, CRL enabled again", bad)

	// Get and List.
	code, g := raCall(t, s, rootCreds, "GET", "/crl/"+crlID, nil)
	if code != 200 || checkCrlShape(t, "GetCrl", g["crl"], anchorARN)["crlId"] != crlID {
		t.Fatalf("GetCrl %d %v", code, g)
	}
	code, l := raCall(t, s, rootCreds, "GET", "/crls?pageSize=10", nil)
	if code != 200 || len(l["crls"].([]any)) != 1 || l["nextToken"] != nil {
		t.Fatalf("ListCrls %d %v", code, l)
	}
	checkCrlShape(t, "ListCrls", l["crls"].([]any)[0], anchorARN)
	if code, typ, e := raCallFull(t, s, rootCreds, "GET", "/crl/00000000-0000-4000-8000-000000000000", nil); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("GetCrl unknown: %d %s %v", code, typ, e)
	}
	if code, typ, e := raCallFull(t, s, rootCreds, "GET", "/crl/nope", nil); code != 400 || typ != "ValidationException" {
		t.Fatalf("GetCrl malformed id: %d %s %v", code, typ, e)
	}

	// UpdateCrl with a DER list revoking the intermediate instead: "bad"
	// works, the leaf under the intermediate is refused. A forged update
	// changes nothing.
	if code, typ, e := raCallFull(t, s, rootCreds, "PATCH", "/crl/"+crlID, map[string]any{"name": "renamed",
		"crlData": base64.StdEncoding.EncodeToString(other.crl(t, 2, inter.SerialNumber))}); code != 400 || typ != "ValidationException" {
		t.Fatalf("UpdateCrl forged: %d %s %v", code, typ, e)
	}
	if _, g := raCall(t, s, rootCreds, "GET", "/crl/"+crlID, nil); dig(g, "crl", "name") != "corp-crl" {
		t.Fatalf("a refused UpdateCrl changed the CRL: %v", g)
	}
	wantRevoked("revoked leaf after a refused update", bad)
	code, up := raCall(t, s, rootCreds, "PATCH", "/crl/"+crlID, map[string]any{"name": "renamed",
		"crlData": base64.StdEncoding.EncodeToString(ca.crl(t, 2, inter.SerialNumber))})
	if code != 200 || checkCrlShape(t, "UpdateCrl", up["crl"], anchorARN)["name"] != "renamed" {
		t.Fatalf("UpdateCrl %d %v", code, up)
	}
	wantSession("formerly revoked leaf", bad)
	code, typ, out := session(underInter)
	if code != 403 || typ != "AccessDeniedException" || !strings.Contains(out["message"].(string), "intermediate") {
		t.Fatalf("leaf under a revoked intermediate: %d %s %v", code, typ, out)
	}
	wantSession("good leaf after update", good)

	// Authorization: each route is rolesanywhere:<Operation> on the CRL's ARN.
	bob, _ := newUser(t, s, rootCreds, "crl-bob")
	if code, typ, e := raCallFull(t, s, bob, "GET", "/crls", nil); code != 403 || typ != "AccessDeniedException" || !strings.Contains(e["message"].(string), "rolesanywhere:ListCrls") {
		t.Fatalf("ListCrls as bob: %d %s %v", code, typ, e)
	}
	crlARN := crl["crlArn"].(string)
	must(iamClient(s, rootCreds).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("crl-bob"),
		PolicyName: aws.String("crl"), PolicyDocument: aws.String(allowDoc("rolesanywhere:GetCrl", crlARN))}))
	if code, _, e := raCallFull(t, s, bob, "GET", "/crl/"+crlID, nil); code != 200 {
		t.Fatalf("GetCrl as bob, allowed on %s: %d %v", crlARN, code, e)
	}
	if code, typ, e := raCallFull(t, s, bob, "POST", "/crl/"+crlID+"/disable", nil); code != 403 || typ != "AccessDeniedException" ||
		!strings.Contains(e["message"].(string), "rolesanywhere:DisableCrl") || !strings.Contains(e["message"].(string), crlARN) {
		t.Fatalf("DisableCrl as bob: %d %s %v", code, typ, e)
	}

	// boto3 parses every answer with the service model.
	botoCRL(t, s, anchorARN, crlID, ca.crl(t, 3, good.cert.SerialNumber))
	wantRevoked("leaf revoked by the CRL boto3 imported", good)

	// DeleteCrl of the first list: the leaf under the intermediate works.
	code, del := raCall(t, s, rootCreds, "DELETE", "/crl/"+crlID, nil)
	if code != 200 || checkCrlShape(t, "DeleteCrl", del["crl"], anchorARN)["crlId"] != crlID {
		t.Fatalf("DeleteCrl %d %v", code, del)
	}
	if code, typ, _ := raCallFull(t, s, rootCreds, "DELETE", "/crl/"+crlID, nil); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("DeleteCrl again: %d %s", code, typ)
	}
	wantSession("leaf under intermediate after DeleteCrl", underInter)
}

const botoCRLScript = `
import base64, datetime, os
import boto3, botocore.exceptions
from botocore.config import Config
c = boto3.client("rolesanywhere", endpoint_url=os.environ["HATRACK_URL"], aws_access_key_id=os.environ["ROOT_KEY"],
                 aws_secret_access_key=os.environ["ROOT_SECRET"], config=Config(retries={"max_attempts": 1}, region_name="us-east-1"))
anchor, crl_id, der = os.environ["ANCHOR"], os.environ["CRL_ID"], base64.b64decode(os.environ["CRL_DER"])
got = c.get_crl(crlId=crl_id)["crl"]
assert got["crlId"] == crl_id and got["trustAnchorArn"] == anchor and isinstance(got["createdAt"], datetime.datetime), got
assert got["crlData"].startswith(b"0") or got["crlData"].startswith(b"-----BEGIN X509 CRL"), got["crlData"][:20]
imp = c.import_crl(name="boto-crl", crlData=der, trustAnchorArn=anchor, enabled=True, tags=[{"key": "k", "value": "v"}])
assert imp["ResponseMetadata"]["HTTPStatusCode"] == 201, imp
new = imp["crl"]
assert new["crlData"] == der and new["enabled"] is True and new["crlArn"].endswith(":crl/" + new["crlId"]), new
page = c.list_crls(pageSize=1)
assert len(page["crls"]) == 1 and page.get("nextToken"), page
rest = c.list_crls(pageSize=1, nextToken=page["nextToken"])
assert len(rest["crls"]) == 1 and "nextToken" not in rest, rest
assert {page["crls"][0]["crlId"], rest["crls"][0]["crlId"]} == {crl_id, new["crlId"]}
assert c.disable_crl(crlId=new["crlId"])["crl"]["enabled"] is False
assert c.enable_crl(crlId=new["crlId"])["crl"]["enabled"] is True
assert c.update_crl(crlId=new["crlId"], name="boto-renamed")["crl"]["name"] == "boto-renamed"
for fn, kw in ((c.get_crl, {"crlId": "00000000-0000-4000-8000-000000000000"}), (c.delete_crl, {"crlId": "00000000-0000-4000-8000-000000000000"})):
    try:
        fn(**kw)
        raise AssertionError("no error")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, e.response
try:
    c.import_crl(name="bad", crlData=b"junk", trustAnchorArn=anchor)
    raise AssertionError("no error")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
print("boto3 crl: ok")
`

func botoCRL(t *testing.T, s *Server, anchorARN, crlID string, der []byte) {
	t.Helper()
	py := requireBoto3(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + s.URL, "ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret,
		"ANCHOR=" + anchorARN, "CRL_ID=" + crlID, "CRL_DER=" + base64.StdEncoding.EncodeToString(der)}, py, "-c", botoCRLScript)
	if code != 0 || !strings.Contains(out, "boto3 crl: ok") {
		t.Fatalf("boto3 (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
