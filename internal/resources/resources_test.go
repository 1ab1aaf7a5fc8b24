package resources

import (
	"context"
	"fmt"
	"testing"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/store/memory"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
	arnA  = "arn:aws:sqs:us-east-1:111111111111:queue-a"
	doc   = `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/bob"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:queue-a"}]}`
)

func code(t *testing.T, err error, want string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("want %s, got %v", want, err)
	}
	if e.Code != want {
		t.Fatalf("want %s, got %s: %s", want, e.Code, e.Message)
	}
}

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	s := New(memory.New())
	if _, err := s.Get(ctx, acctA, arnA); err == nil {
		t.Fatal("get before put succeeded")
	} else {
		code(t, err, "ResourceNotFoundException")
	}
	p, err := s.Put(ctx, acctA, arnA, doc)
	if err != nil {
		t.Fatal(err)
	}
	if p.ResourceArn != arnA || p.PolicyDocument != doc || p.Created.IsZero() {
		t.Fatalf("put returned %+v", p)
	}
	got, err := s.Get(ctx, acctA, arnA)
	if err != nil || got.PolicyDocument != doc {
		t.Fatalf("get %+v %v", got, err)
	}
	// ARNs are case-sensitive: another case is another resource.
	upper := "arn:aws:sqs:us-east-1:111111111111:QUEUE-A"
	_, err = s.Get(ctx, acctA, upper)
	code(t, err, "ResourceNotFoundException")
	cp, err := s.Compiled(ctx, upper)
	if err != nil || cp != nil {
		t.Fatalf("compiled for other case: %v %v", cp, err)
	}
	cp, err = s.Compiled(ctx, arnA)
	if err != nil || cp == nil || len(cp.Statements()) != 1 {
		t.Fatalf("compiled %v %v", cp, err)
	}
	// Replace.
	doc2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`
	if _, err := s.Put(ctx, acctA, arnA, doc2); err != nil {
		t.Fatal(err)
	}
	cp2, err := s.Compiled(ctx, arnA)
	if err != nil || cp2 == cp || cp2.Statements()[0].Effect.String() != "Deny" {
		t.Fatalf("compiled after replace %v %v", cp2, err)
	}
	if err := s.Delete(ctx, acctA, arnA); err != nil {
		t.Fatal(err)
	}
	code(t, s.Delete(ctx, acctA, arnA), "ResourceNotFoundException")
	if cp, err := s.Compiled(ctx, arnA); err != nil || cp != nil {
		t.Fatalf("compiled after delete %v %v", cp, err)
	}
}

func TestAccountAndValidation(t *testing.T) {
	ctx := context.Background()
	s := New(memory.New())
	_, err := s.Put(ctx, acctB, arnA, doc)
	code(t, err, "AccessDenied")
	if _, err := s.Put(ctx, acctA, arnA, doc); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, acctB, arnA)
	code(t, err, "AccessDenied")
	code(t, s.Delete(ctx, acctB, arnA), "AccessDenied")

	_, err = s.Put(ctx, acctA, "arn:aws:s3:::bucket", doc)
	code(t, err, "ValidationException")
	_, err = s.Put(ctx, acctA, "not-an-arn", doc)
	code(t, err, "ValidationException")
	_, err = s.Put(ctx, acctA, "arn:aws:sqs:us-east-1:12345:q", doc)
	code(t, err, "ValidationException")
	_, err = s.Put(ctx, acctA, arnA, "")
	code(t, err, "ValidationException")
	// A resource policy must name principals.
	_, err = s.Put(ctx, acctA, arnA, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)
	if err == nil {
		t.Fatal("policy without Principal accepted")
	}
	_, err = s.Put(ctx, acctA, arnA, "{not json")
	if err == nil {
		t.Fatal("malformed policy accepted")
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	s := New(memory.New())
	var want []string
	for i := 0; i < 5; i++ {
		arn := fmt.Sprintf("arn:aws:sqs:us-east-1:111111111111:q%d", i)
		want = append(want, arn)
		if _, err := s.Put(ctx, acctA, arn, doc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, acctB, "arn:aws:sqs:us-east-1:222222222222:other", doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	pages := 0
	for {
		page, next, err := s.List(ctx, acctA, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page {
			got = append(got, p.ResourceArn)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", got, pages, want)
	}
}
