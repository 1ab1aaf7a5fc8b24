package audit

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// eventFrom builds an event whose every string comes from the fuzzer.
func eventFrom(s1, s2, s3 string, n int64, flag bool) *Event {
	params := map[string]any{
		s1:        s2,
		"list":    []any{s3, int64(n), flag, nil, map[string]any{s2: s1, "n": json.Number("12.5e-3")}},
		"nested":  map[string]any{"a": []any{}, "b": map[string]any{}, s3: json.Number("-0")},
		"seconds": n,
	}
	e := &Event{
		EventVersion: EventVersion, EventTime: s1, EventSource: s2, EventName: s3, AwsRegion: s1,
		SourceIPAddress: s2, UserAgent: s3, RequestParameters: params, ResponseElements: []any{s1, map[string]any{s3: s2}},
		RequestID: s1, EventID: s2, ReadOnly: flag, EventType: "AwsApiCall", ManagementEvent: !flag,
		RecipientAccountID: s3, EventCategory: "Management",
		UserIdentity: &UserIdentity{Type: s1, PrincipalID: s2, ARN: s3, AccountID: s1, AccessKeyID: s2, UserName: s3,
			IdentityProvider: s1, SessionContext: &SessionContext{SourceIdentity: s2,
				Attributes:    SessionAttributes{CreationDate: s3, MFAAuthenticated: s1},
				SessionIssuer: &SessionIssuer{Type: s1, PrincipalID: s2, ARN: s3, AccountID: s1, UserName: s2}}},
		time: time.Unix(0, n).UTC(), username: s3, lookup: []Resource{{ResourceType: s1, ResourceName: s2}, {ResourceName: s3}},
	}
	if flag {
		e.ErrorCode, e.ErrorMessage, e.SharedEventID = s1, s2, s3
		e.Resources = []EventResource{{AccountID: s1, Type: s2, ARN: s3}, {Type: s1, ARN: s2}}
		e.TLSDetails = &TLSDetails{TLSVersion: s1, CipherSuite: s2, ClientProvidedHostHeader: s3}
	} else {
		e.UserIdentity.SessionContext.SessionIssuer = nil
		e.ResponseElements = nil
	}
	return e
}

// checkSameAsMarshal fails unless encode's data and line are what
// encoding/json gives for the stored struct and the event, and the stored
// event decodes to them.
func checkSameAsMarshal(t *testing.T, e *Event) {
	t.Helper()
	ev, line, err := encode(e)
	want, werr := json.Marshal(e)
	if (err != nil) != (werr != nil) {
		t.Fatalf("encode error %v, json.Marshal error %v", err, werr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(line, want) {
		t.Fatalf("line:\n got %s\nwant %s", line, want)
	}
	h := storedHead{EventID: e.EventID, EventName: e.EventName, EventSource: e.EventSource, Username: e.username,
		ReadOnly: e.ReadOnly, Time: e.time.UTC(), Resources: e.lookup}
	if e.UserIdentity != nil {
		h.AccessKeyID = e.UserIdentity.AccessKeyID
	}
	data, err := json.Marshal(&stored{storedHead: h, Event: want})
	if err != nil || !bytes.Equal(ev.Data, data) {
		t.Fatalf("data:\n got %s\nwant %s (%v)", ev.Data, data, err)
	}
	if ev.Account != e.RecipientAccountID || ev.ID != e.EventID || !ev.Time.Equal(e.time) {
		t.Fatalf("event %+v for %s/%s/%v", ev, e.RecipientAccountID, e.EventID, e.time)
	}
	// (Invalid UTF-8 comes back as U+FFFD, as JSON has it.)
	var id string
	json.Unmarshal(appendString(nil, e.EventID), &id)
	if s, err := decode(ev.Data); err != nil || s.EventID != id || !bytes.Equal(s.Event, line) {
		t.Fatalf("decode = %+v, %v", s, err)
	}
}

func TestAppendEventSameAsMarshal(t *testing.T) {
	strs := [][3]string{
		{"", "", ""},
		{"plain", "arn:aws:iam::111111111111:user/bob", "2026-08-07T13:34:41Z"},
		{"<script>&amp;</script>", "quote\" back\\slash", "ctl\x00\x01\x1f\x7f\b\f\n\r\t"},
		{"bad utf8 \xff\xfe", "line sep \u2028 para \u2029", "é中文🙂"},
		{"\xed\xa0\x80", "\xc3", "a\u0000b"},
	}
	for _, s := range strs {
		for _, flag := range []bool{false, true} {
			for _, n := range []int64{0, -1, 1 << 40, 1785000000123456789} {
				checkSameAsMarshal(t, eventFrom(s[0], s[1], s[2], n, flag))
			}
		}
	}
	// Other value types and the json.Number rules.
	for _, v := range []any{
		json.Number(""), json.Number("0"), json.Number("-12.5E+7"), json.Number("01"), json.Number("1."),
		json.Number("-"), json.Number("1e"), json.Number("abc"), json.Number("NaN"),
		3.25, float32(1.5), int32(7), uint8(9), []string{"a", "<"}, map[string]string{"b": "1", "a": "2"},
		struct{ A string }{"x"}, []any(nil), map[string]any(nil), []byte("bytes"),
	} {
		e := eventFrom("a", "b", "c", 1, false)
		e.RequestParameters = map[string]any{"v": v}
		checkSameAsMarshal(t, e)
	}
	// A time json.Marshal refuses is refused.
	e := eventFrom("a", "b", "c", 1, false)
	e.time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := encode(e); err == nil {
		t.Fatal("encode accepted a year-10000 time")
	}
}

func FuzzAppendEventSameAsMarshal(f *testing.F) {
	f.Add("a", "<b>", "c\u2028", int64(5), true)
	f.Add("\xff", "\"\\", "\x00\t", int64(-7), false)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, n int64, flag bool) {
		checkSameAsMarshal(t, eventFrom(s1, s2, s3, n, flag))
	})
}
