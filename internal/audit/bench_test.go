package audit

import (
	"context"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

// discardLog is a store whose event log forgets what it is given (a
// benchmark of millions of events must not keep them in memory).
type discardLog struct{ *memory.Store }

func (discardLog) AppendEvents(context.Context, []store.Event) error { return nil }

// BenchmarkRecord is the cost a request pays: queueing (the event is built
// and written by the trail's goroutine, which the timer leaves out: the
// queue is drained, untimed, before it could fill). Millions of events go
// through the writer, so expect a minute of wall time; -benchtime 500000x
// is quicker.
func BenchmarkRecord(b *testing.B) {
	b.ReportAllocs()
	const queue = 1 << 16
	tr := New(Options{Store: discardLog{memory.New()}, QueueSize: queue})
	defer tr.Close(context.Background())
	p, _ := paramsFor("Action=GetUser&Version=2010-05-08&UserName=bob")
	r := &Request{Service: "iam", Action: "GetUser", Params: p, Caller: alice, Time: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%(queue/2) == 0 {
			b.StopTimer()
			tr.Flush(context.Background())
			b.StartTimer()
		}
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
