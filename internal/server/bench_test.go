package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/sigv4"
)

const (
	benchAccount = "111111111111"
	benchKeyID   = "AKIAHATRACKBENCH0001"
	benchSecret  = "hatrack-bench-secret-0000000000000000001"
)

func benchNode(b *testing.B) *Node {
	b.Helper()
	n, err := Open(context.Background(), Config{DataDir: b.TempDir(), AccountID: benchAccount,
		RootKeyID: benchKeyID, RootSecretKey: benchSecret, Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}

const gciBody = "Action=GetCallerIdentity&Version=2011-06-15"

func signedGCI(b *testing.B, url string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(gciBody))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sigv4.Sign(req, []byte(gciBody), sigv4.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}, "us-east-1", "sts", time.Now())
	return req
}

// BenchmarkGetCallerIdentityHandler measures one signed GetCallerIdentity
// through the node's handler in-process (decode, SigV4 verification with
// a warm key cache, encode), without the network.
func BenchmarkGetCallerIdentityHandler(b *testing.B) {
	n := benchNode(b)
	h := n.Handler()
	req := signedGCI(b, "http://127.0.0.1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(gciBody))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkGetCallerIdentityRoundTrip measures the end-to-end round trip
// over HTTP on loopback with concurrent clients (signing included in the
// client's time, as a real client would).
func BenchmarkGetCallerIdentityRoundTrip(b *testing.B) {
	n := benchNode(b)
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Do(signedGCI(b, srv.URL))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
