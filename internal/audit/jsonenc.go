package audit

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The trail writes every answered request's record, so its JSON is written
// here by hand for the record's fixed shape (Event, storedHead) and for
// the generic values of its parameters and response elements. The output
// is byte for byte what encoding/json's Marshal gives (HTML-escaped
// strings, sorted map keys); FuzzAppendEventSameAsMarshal holds it to
// that. A value of a type not handled here goes through json.Marshal.

// appendEvent appends e as json.Marshal(e) would.
func appendEvent(b []byte, e *Event) ([]byte, error) {
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = appendUserIdentity(b, e.UserIdentity)
	b = append(b, `,"eventTime":`...)
	b = appendString(b, e.EventTime)
	b = append(b, `,"eventSource":`...)
	b = appendString(b, e.EventSource)
	b = append(b, `,"eventName":`...)
	b = appendString(b, e.EventName)
	b = append(b, `,"awsRegion":`...)
	b = appendString(b, e.AwsRegion)
	b = append(b, `,"sourceIPAddress":`...)
	b = appendString(b, e.SourceIPAddress)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, e.UserAgent)
	if e.ErrorCode != "" {
		b = append(b, `,"errorCode":`...)
		b = appendString(b, e.ErrorCode)
	}
	if e.ErrorMessage != "" {
		b = append(b, `,"errorMessage":`...)
		b = appendString(b, e.ErrorMessage)
	}
	var err error
	b = append(b, `,"requestParameters":`...)
	if b, err = appendAny(b, e.RequestParameters); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendAny(b, e.ResponseElements); err != nil {
		return nil, err
	}
	b = append(b, `,"requestID":`...)
	b = appendString(b, e.RequestID)
	b = append(b, `,"eventID":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	if len(e.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if r.AccountID != "" {
				b = append(b, `"accountId":`...)
				b = appendString(b, r.AccountID)
				b = append(b, ',')
			}
			b = append(b, `"type":`...)
			b = appendString(b, r.Type)
			b = append(b, `,"ARN":`...)
			b = appendString(b, r.ARN)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"eventType":`...)
	b = appendString(b, e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = append(b, `,"recipientAccountId":`...)
	b = appendString(b, e.RecipientAccountID)
	if e.SharedEventID != "" {
		b = append(b, `,"sharedEventID":`...)
		b = appendString(b, e.SharedEventID)
	}
	b = append(b, `,"eventCategory":`...)
	b = appendString(b, e.EventCategory)
	if t := e.TLSDetails; t != nil {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, t.TLSVersion)
		b = append(b, `,"cipherSuite":`...)
		b = appendString(b, t.CipherSuite)
		if t.ClientProvidedHostHeader != "" {
			b = append(b, `,"clientProvidedHostHeader":`...)
			b = appendString(b, t.ClientProvidedHostHeader)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendOptional appends `,"name":"value"` (or without the comma when
// first) unless value is empty, and reports whether it wrote a member.
func appendOptional(b []byte, first bool, name, value string) ([]byte, bool) {
	if value == "" {
		return b, first
	}
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, value), false
}

func appendUserIdentity(b []byte, u *UserIdentity) []byte {
	if u == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"type":`...)
	b = appendString(b, u.Type)
	b, _ = appendOptional(b, false, "principalId", u.PrincipalID)
	b, _ = appendOptional(b, false, "arn", u.ARN)
	b, _ = appendOptional(b, false, "accountId", u.AccountID)
	b, _ = appendOptional(b, false, "accessKeyId", u.AccessKeyID)
	b, _ = appendOptional(b, false, "userName", u.UserName)
	b, _ = appendOptional(b, false, "identityProvider", u.IdentityProvider)
	if s := u.SessionContext; s != nil {
		b = append(b, `,"sessionContext":{`...)
		if i := s.SessionIssuer; i != nil {
			b = append(b, `"sessionIssuer":{"type":`...)
			b = appendString(b, i.Type)
			b = append(b, `,"principalId":`...)
			b = appendString(b, i.PrincipalID)
			b = append(b, `,"arn":`...)
			b = appendString(b, i.ARN)
			b = append(b, `,"accountId":`...)
			b = appendString(b, i.AccountID)
			b = append(b, `,"userName":`...)
			b = appendString(b, i.UserName)
			b = append(b, `},`...)
		}
		b = append(b, `"attributes":{"creationDate":`...)
		b = appendString(b, s.Attributes.CreationDate)
		b = append(b, `,"mfaAuthenticated":`...)
		b = appendString(b, s.Attributes.MFAAuthenticated)
		b = append(b, '}')
		b, _ = appendOptional(b, false, "sourceIdentity", s.SourceIdentity)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendHead appends h's members (without the closing brace) as
// json.Marshal(h) would.
func appendHead(b []byte, h *storedHead) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, h.EventID)
	b = append(b, `,"name":`...)
	b = appendString(b, h.EventName)
	b = append(b, `,"source":`...)
	b = appendString(b, h.EventSource)
	b, _ = appendOptional(b, false, "user", h.Username)
	b, _ = appendOptional(b, false, "key", h.AccessKeyID)
	b = append(b, `,"ro":`...)
	b = strconv.AppendBool(b, h.ReadOnly)
	b = append(b, `,"time":`...)
	if y := h.Time.Year(); y < 0 || y > 9999 {
		// json.Marshal refuses such a time; so does the trail.
		_, err := h.Time.MarshalJSON()
		return nil, err
	}
	b = append(b, '"')
	b = h.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if len(h.Resources) > 0 {
		b = append(b, `,"res":[`...)
		for i, r := range h.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			var first bool
			b, first = appendOptional(b, true, "ResourceType", r.ResourceType)
			b, _ = appendOptional(b, first, "ResourceName", r.ResourceName)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b, nil
}

// appendAny appends one of the generic values Build produces (nil,
// string, bool, int64, json.Number, []any, map[string]any); anything else
// goes through json.Marshal.
func appendAny(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil // as encoding/json writes an empty Number
		}
		if !validNumber(string(x)) {
			break
		}
		return append(b, x...), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAny(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendAny(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// sortStrings is an insertion sort: the maps of a record have a handful
// of members (and sort.Strings would allocate its interface).
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// validNumber reports whether s is a JSON number (RFC 8259 §6), the check
// encoding/json makes before writing a json.Number.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json does with HTML escaping:
// <, > and & as \u003c, \u003e, \u0026; control characters escaped;
// invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
