package api

// The trail's side of the transport: the Auditor the dispatcher calls for
// every request (it feeds the audit trail and the request metrics), and
// CloudTrail's LookupEvents on the wire (AWS JSON 1.1, X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents,
// signing name "cloudtrail", authorized as cloudtrail:LookupEvents and
// scoped to the caller's account).

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/audit"
	"github.com/hatrack/hatrack/internal/awserr"
)

// AuditHooks is the dispatcher's Auditor: every request that reached an
// operation is counted (Observe) and handed to the trail, which keeps the
// authenticated ones.
type AuditHooks struct {
	Trail *audit.Trail
	// Observe, when set, is told every request's outcome: code is "" on
	// success, else the wire error code.
	Observe func(service, action, code string, elapsed time.Duration)
}

// Record implements Auditor.
func (h *AuditHooks) Record(ctx context.Context, c *Call, result any, err *awserr.Error) {
	if c == nil || c.Op == nil {
		return
	}
	if h.Observe != nil {
		code := ""
		if err != nil {
			code = err.Code
		}
		h.Observe(c.Op.Service, c.Op.Name, code, time.Since(c.Time))
	}
	if h.Trail == nil || (c.Caller == nil && !c.Op.Unsigned) {
		return
	}
	r := &audit.Request{RequestID: c.RequestID, Service: c.Op.Service, Action: c.Op.Name, Mutates: c.Op.Mutates,
		Unsigned: c.Op.Unsigned, Caller: c.Caller, Region: c.Region, SourceIP: c.SourceIP, UserAgent: c.UserAgent,
		Time: c.Time, Result: result, Err: err}
	if c.Params.Len() > 0 {
		r.Params = c.Params
	} else {
		r.Body = c.JSONBody()
	}
	if c.HTTP != nil && c.HTTP.TLS != nil {
		r.TLSVersion = tlsVersionName(c.HTTP.TLS.Version)
		r.CipherSuite = tls.CipherSuiteName(c.HTTP.TLS.CipherSuite)
		r.Host = c.HTTP.Host
	}
	h.Trail.Record(r)
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

var cloudTrailService = JSONService{
	TargetPrefix:       "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
	SigningName:        "cloudtrail",
	AccessDeniedStatus: http.StatusBadRequest,
}

// cloudTrailOps are CloudTrail's operations over the trail.
func cloudTrailOps(t *audit.Trail) []*Op {
	return []*Op{
		{Service: "cloudtrail", Name: "LookupEvents",
			Handle: func(ctx context.Context, c *Call) (any, error) { return lookupEvents(ctx, c, t) }},
	}
}

// jsonTimestamp reads a JSON 1.1 timestamp: epoch seconds (botocore, the
// Go SDK) or an ISO 8601 string.
type jsonTimestamp struct{ time.Time }

func (t *jsonTimestamp) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			t.Time = epochToTime(f)
			return nil
		}
		v, err := time.Parse(time.RFC3339Nano, str)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "string", Type: nil}
		}
		t.Time = v
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e11 {
		return &json.UnmarshalTypeError{Value: "number", Type: nil}
	}
	t.Time = epochToTime(f)
	return nil
}

func epochToTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

type lookupAttribute struct {
	AttributeKey   *string
	AttributeValue *string
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute
	StartTime        *jsonTimestamp
	EndTime          *jsonTimestamp
	EventCategory    *string
	MaxResults       *int
	NextToken        *string
}

type ctResource struct {
	ResourceType string `json:",omitempty"`
	ResourceName string `json:",omitempty"`
}

type ctEvent struct {
	EventId         string
	EventName       string
	ReadOnly        string
	AccessKeyId     string `json:",omitempty"`
	EventTime       *EpochTime
	EventSource     string
	Username        string       `json:",omitempty"`
	Resources       []ctResource `json:",omitempty"`
	CloudTrailEvent string
}

type lookupEventsOutput struct {
	Events    []ctEvent
	NextToken string `json:",omitempty"`
}

func ctError(code, format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, code, format, args...)
}

var lookupKeys = "[EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId]"

func lookupEvents(ctx context.Context, c *Call, t *audit.Trail) (any, error) {
	var in lookupEventsInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	var v awserr.Validation
	for i, a := range in.LookupAttributes {
		n := strconv.Itoa(i + 1)
		switch {
		case a.AttributeKey == nil:
			v.AddNull("lookupAttributes." + n + ".member.attributeKey")
		case !audit.ValidAttribute(*a.AttributeKey):
			v.Add(*a.AttributeKey, "lookupAttributes."+n+".member.attributeKey", "Member must satisfy enum value set: "+lookupKeys)
		}
		switch {
		case a.AttributeValue == nil:
			v.AddNull("lookupAttributes." + n + ".member.attributeValue")
		case len(*a.AttributeValue) < 1 || len(*a.AttributeValue) > 2000:
			v.Add(*a.AttributeValue, "lookupAttributes."+n+".member.attributeValue", "Member must have length between 1 and 2000")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err // ValidationException on the JSON wire (json.go)
	}
	if len(in.LookupAttributes) > 1 {
		return nil, ctError("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	q := audit.Query{Account: c.Account(), Max: 50}
	if len(in.LookupAttributes) == 1 {
		q.Key, q.Value = *in.LookupAttributes[0].AttributeKey, *in.LookupAttributes[0].AttributeValue
		if q.Key == audit.AttrReadOnly && q.Value != "true" && q.Value != "false" {
			return nil, ctError("InvalidLookupAttributesException", "The ReadOnly attribute value must be true or false.")
		}
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, ctError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		q.Max = *in.MaxResults
	}
	if in.StartTime != nil {
		q.Start = in.StartTime.Time
	}
	if in.EndTime != nil {
		q.End = in.EndTime.Time
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return nil, ctError("InvalidTimeRangeException", "Start time must be before end time.")
	}
	if in.NextToken != nil {
		q.Token = *in.NextToken
	}
	if in.EventCategory != nil {
		if *in.EventCategory != "insight" {
			return nil, ctError("InvalidEventCategoryException", "The event category %s is not valid.", *in.EventCategory)
		}
		return &lookupEventsOutput{Events: []ctEvent{}}, nil // Hatrack records no Insights events
	}
	// Read your own trail: what this node answered before is stored first.
	if err := t.Flush(ctx); err != nil {
		return nil, err
	}
	page, err := t.Lookup(ctx, q)
	if errors.Is(err, audit.ErrInvalidToken) {
		return nil, ctError("InvalidNextTokenException", "Invalid NextToken. The token must be passed in with the same parameters as the previous call.")
	}
	if err != nil {
		return nil, err
	}
	out := &lookupEventsOutput{Events: make([]ctEvent, 0, len(page.Events)), NextToken: page.NextToken}
	for _, e := range page.Events {
		ev := ctEvent{EventId: e.EventID, EventName: e.EventName, ReadOnly: strconv.FormatBool(e.ReadOnly),
			AccessKeyId: e.AccessKeyID, EventTime: Epoch(e.Time.Truncate(time.Second)), EventSource: e.EventSource,
			Username: e.Username, CloudTrailEvent: string(e.Event)}
		for _, r := range e.Resources {
			ev.Resources = append(ev.Resources, ctResource(r))
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}
