package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

type stamp time.Time

func (s stamp) MarshalText() ([]byte, error) {
	return []byte(time.Time(s).UTC().Format("2006-01-02T15:04:05Z")), nil
}

type inner struct {
	Key   string
	Value string `json:",omitempty"`
}

type sample struct {
	Name     string
	Count    int32
	Big      uint64
	OK       bool
	When     stamp
	Maybe    *stamp `json:",omitempty"`
	Missing  *inner `json:",omitempty"`
	Tags     []inner
	NilTags  []inner
	Renamed  string `json:"renamed,omitempty"`
	Skipped  string `json:"-"`
	internal string
}

// plain must give exactly what the JSON round trip gave.
func TestPlainMatchesJSONRoundTrip(t *testing.T) {
	now := stamp(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	for _, v := range []any{
		&sample{Name: "a", Count: -3, Big: 1 << 40, OK: true, When: now, Maybe: &now,
			Tags: []inner{{Key: "k"}, {Key: "k2", Value: "v"}}, Renamed: "r", Skipped: "s", internal: "i"},
		sample{},
		&struct{ Users []sample }{Users: []sample{{Name: "x"}}},
		&struct {
			AccessKey struct {
				AccessKeyId, SecretAccessKey string
				CreateDate                   stamp
			}
		}{},
		&struct {
			Credentials struct {
				AccessKeyId, SecretAccessKey, SessionToken string
				Expiration                                 stamp
			}
			AssumedRoleUser struct{ Arn, AssumedRoleId string }
			Password        string
			LastUsedDate    *stamp `json:",omitempty"`
			UpdateDate      string
		}{Password: "p", LastUsedDate: &now, UpdateDate: "not a date"},
	} {
		got, ok := plain(v)
		if !ok {
			t.Fatalf("%T not plain", v)
		}
		b, _ := json.Marshal(v)
		var want any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%T:\n got %#v\nwant %#v", v, got, want)
		}
		// The one-walk camel form is camel of the plain form.
		gotCamel, ok := plainCamel(v)
		if wantCamel := camel(want, true); !ok || !reflect.DeepEqual(gotCamel, wantCamel) {
			t.Fatalf("%T camel:\n got %#v\nwant %#v", v, gotCamel, wantCamel)
		}
	}
	// Not plain: maps and []byte fall back to encoding/json.
	if _, ok := plain(map[string]string{"a": "b"}); ok {
		t.Fatal("map taken as plain")
	}
	if _, ok := plain(struct{ B []byte }{[]byte("x")}); ok {
		t.Fatal("[]byte taken as plain")
	}
}

func BenchmarkResponseElements(b *testing.B) {
	now := stamp(time.Now())
	v := &sample{Name: "a", Count: 3, When: now, Tags: []inner{{Key: "k", Value: "v"}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if responseElements(v) == nil {
			b.Fatal("nil")
		}
	}
}
