package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hatrack/hatrack/store"
)

// Lookup attribute keys (CloudTrail's LookupAttributeKey).
const (
	AttrEventID      = "EventId"
	AttrEventName    = "EventName"
	AttrReadOnly     = "ReadOnly"
	AttrUsername     = "Username"
	AttrResourceType = "ResourceType"
	AttrResourceName = "ResourceName"
	AttrEventSource  = "EventSource"
	AttrAccessKeyID  = "AccessKeyId"
)

// ValidAttribute reports whether key is a lookup attribute key.
func ValidAttribute(key string) bool {
	switch key {
	case AttrEventID, AttrEventName, AttrReadOnly, AttrUsername, AttrResourceType, AttrResourceName, AttrEventSource, AttrAccessKeyID:
		return true
	}
	return false
}

// Query selects events of one account.
type Query struct {
	Account string
	// Start and End bound the event time (inclusive); zero is unbounded.
	Start, End time.Time
	// Key and Value filter on one attribute (Key "" means none), as
	// LookupEvents does; More adds further attributes, all of which must
	// match (the command line's filters).
	Key, Value string
	More       []Attr
	// Max is the page size (0: 50).
	Max int
	// Token continues a previous query with the same parameters.
	Token string
	// ScanLimit bounds the records examined per call (0: 10000); a query
	// that reaches it returns what it found and a Token.
	ScanLimit int
}

// Attr is one lookup attribute.
type Attr struct{ Key, Value string }

// attrs lists every attribute of the query.
func (q *Query) attrs() []Attr {
	out := q.More
	if q.Key != "" {
		out = append([]Attr{{q.Key, q.Value}}, q.More...)
	}
	return out
}

func (q *Query) match(e StoredEvent) bool {
	for _, a := range q.attrs() {
		if !matches(e, a.Key, a.Value) {
			return false
		}
	}
	return true
}

// StoredEvent is an event as stored.
type StoredEvent struct {
	EventID     string
	EventName   string
	EventSource string
	Username    string
	AccessKeyID string
	ReadOnly    bool
	Time        time.Time
	Resources   []Resource
	// Event is the CloudTrail record, as JSON.
	Event json.RawMessage
}

// Page is one page of events, newest first.
type Page struct {
	Events    []StoredEvent
	NextToken string
}

// ErrInvalidToken is returned for a token that is not one of ours or was
// issued for a query with different parameters.
var ErrInvalidToken = errors.New("audit: invalid next token")

type cursor struct {
	After string `json:"a"`
	Hash  string `json:"h"`
}

func (q *Query) hash() string {
	parts := []string{q.Account, q.Start.UTC().String(), q.End.UTC().String()}
	for _, a := range q.attrs() {
		parts = append(parts, a.Key, a.Value)
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

// Lookup runs a query against a store's event log (store.EventLog).
func Lookup(ctx context.Context, st store.Store, q Query) (Page, error) {
	el, err := eventLog(st)
	if err != nil {
		return Page{}, err
	}
	if q.Max <= 0 {
		q.Max = 50
	}
	if q.ScanLimit <= 0 {
		q.ScanLimit = 10000
	}
	// Start and End are inclusive at CloudTrail's precision (whole
	// seconds): from the first instant of Start's second to the last
	// instant of End's.
	f := store.EventFilter{Account: q.Account}
	if !q.Start.IsZero() {
		f.Since = q.Start.Truncate(time.Second)
	}
	if !q.End.IsZero() {
		f.Until = q.End.Truncate(time.Second).Add(time.Second - time.Nanosecond)
	}
	if q.Token != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Token)
		var c cursor
		if err != nil || json.Unmarshal(b, &c) != nil || c.Hash != q.hash() || c.After == "" {
			return Page{}, ErrInvalidToken
		}
		var ok bool
		if f.AfterTime, f.AfterID, ok = parseKey(c.After); !ok {
			return Page{}, ErrInvalidToken
		}
	}
	var page Page
	if id, ok := q.eventID(); ok {
		if q.Token != "" {
			return page, nil
		}
		f.ID, f.Limit = id, 1
		evs, err := el.ListEvents(ctx, f)
		if err != nil {
			return page, err
		}
		for _, ev := range evs {
			e, err := decode(ev.Data)
			if err != nil {
				return Page{}, err
			}
			if inRange(e.Time, q) && q.match(e) {
				page.Events = append(page.Events, e)
			}
		}
		return page, nil
	}
	scanned := 0
	for {
		f.Limit = min(500, q.ScanLimit-scanned)
		evs, err := el.ListEvents(ctx, f)
		if err != nil {
			return Page{}, err
		}
		for _, ev := range evs {
			scanned++
			f.AfterTime, f.AfterID = ev.Time, ev.ID
			e, err := decode(ev.Data)
			if err != nil {
				return Page{}, err
			}
			if !inRange(e.Time, q) || !q.match(e) {
				continue
			}
			page.Events = append(page.Events, e)
			if len(page.Events) == q.Max {
				page.NextToken = q.token(Key(ev.Time, ev.ID))
				return page, nil
			}
		}
		if len(evs) < f.Limit {
			return page, nil
		}
		if scanned >= q.ScanLimit {
			page.NextToken = q.token(Key(f.AfterTime, f.AfterID))
			return page, nil
		}
	}
}

func (q *Query) eventID() (string, bool) {
	for _, a := range q.attrs() {
		if a.Key == AttrEventID {
			return a.Value, true
		}
	}
	return "", false
}

func (q *Query) token(after string) string {
	b, _ := json.Marshal(cursor{After: after, Hash: q.hash()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// inRange compares at CloudTrail's precision (whole seconds).
func inRange(t time.Time, q Query) bool {
	s := t.Truncate(time.Second)
	if !q.Start.IsZero() && s.Before(q.Start.Truncate(time.Second)) {
		return false
	}
	if !q.End.IsZero() && s.After(q.End.Truncate(time.Second)) {
		return false
	}
	return true
}

func matches(e StoredEvent, key, value string) bool {
	switch key {
	case "":
		return true
	case AttrEventName:
		return e.EventName == value
	case AttrEventSource:
		return e.EventSource == value
	case AttrUsername:
		return e.Username == value
	case AttrAccessKeyID:
		return e.AccessKeyID == value
	case AttrReadOnly:
		return strings.EqualFold(value, "true") == e.ReadOnly && (strings.EqualFold(value, "true") || strings.EqualFold(value, "false"))
	case AttrEventID:
		return e.EventID == value
	case AttrResourceName, AttrResourceType:
		for _, r := range e.Resources {
			if key == AttrResourceName && r.ResourceName == value || key == AttrResourceType && r.ResourceType == value {
				return true
			}
		}
	}
	return false
}

func decode(data []byte) (StoredEvent, error) {
	var s stored
	if err := json.Unmarshal(data, &s); err != nil {
		return StoredEvent{}, err
	}
	return StoredEvent{EventID: s.EventID, EventName: s.EventName, EventSource: s.EventSource, Username: s.Username,
		AccessKeyID: s.AccessKeyID, ReadOnly: s.ReadOnly, Time: s.Time, Resources: s.Resources, Event: s.Event}, nil
}

// Lookup runs a query against the trail's store.
func (t *Trail) Lookup(ctx context.Context, q Query) (Page, error) {
	return Lookup(ctx, t.opt.Store, q)
}
