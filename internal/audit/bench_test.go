package audit

import (
	"context"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store/memory"
)

// BenchmarkRecord is the cost a request pays: queueing (the event is built
// and written by the trail's goroutine).
func BenchmarkRecord(b *testing.B) {
	b.ReportAllocs()
	tr := New(Options{Store: memory.New(), QueueSize: 1 << 20})
	defer tr.Close(context.Background())
	p, _ := paramsFor("Action=GetUser&Version=2010-05-08&UserName=bob")
	r := &Request{Service: "iam", Action: "GetUser", Params: p, Caller: alice, Time: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Record(r)
	}
	b.StopTimer()
}

// BenchmarkBuildMutation is the background cost of one mutating call's
// event (parameters, response elements, JSON).
func BenchmarkBuildMutation(b *testing.B) {
	b.ReportAllocs()
	type user struct{ Path, UserName, UserId, Arn, CreateDate string }
	res := &struct{ User user }{user{"/", "bob", "AIDABOB", "arn:aws:iam::111111111111:user/bob", "2026-08-07T13:34:41Z"}}
	p, _ := paramsFor("Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=x")
	r := &Request{Service: "iam", Action: "CreateUser", Mutates: true, Params: p, Caller: rootA, Time: time.Now(), Result: res}
	for i := 0; i < b.N; i++ {
		for _, e := range Build(r) {
			if _, _, err := encode(e); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTrailThroughput is events stored per second through the
// batching writer (memory store).
func BenchmarkTrailThroughput(b *testing.B) {
	b.ReportAllocs()
	tr := New(Options{Store: memory.New()})
	p, _ := paramsFor("Action=GetUser&Version=2010-05-08&UserName=bob")
	for i := 0; i < b.N; i++ {
		tr.Record(&Request{Service: "iam", Action: "GetUser", Params: p, Caller: alice, Time: time.Now()})
	}
	tr.Close(context.Background())
}
