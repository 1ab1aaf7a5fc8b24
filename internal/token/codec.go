package token

import (
	"encoding/binary"
	"errors"
	"time"
)

// Wire types.
const (
	wireVarint = 0
	wireBytes  = 2
)

// Field numbers of the sealed payload. Never renumber or reuse.
const (
	fType               = 1  // varint: 1 assumed-role, 2 federated-user, 3 session-token
	fSecret             = 2  // bytes
	fAccount            = 3  // bytes
	fPrincipalARN       = 4  // bytes
	fPrincipalID        = 5  // bytes
	fRoleName           = 6  // bytes
	fRolePath           = 7  // bytes
	fSessionName        = 8  // bytes
	fFederatedName      = 9  // bytes
	fSourceARN          = 10 // bytes
	fSourceID           = 11 // bytes
	fSessionPolicy      = 12 // bytes
	fSessionPolicyARN   = 13 // bytes, repeated
	fTag                = 14 // bytes, repeated: uvarint len(key) | key | value
	fTransitiveTagKey   = 15 // bytes, repeated
	fSourceIdentity     = 16 // bytes
	fMFAAuthenticated   = 17 // varint 1
	fMFAAuthTimeSec     = 18 // varint zigzag unix seconds
	fMFAAuthTimeNsec    = 19 // varint nanoseconds (omitted when 0)
	fIssuedAtSec        = 20
	fIssuedAtNsec       = 21
	fExpiresSec         = 22
	fExpiresNsec        = 23
	fChained            = 24 // varint 1
	fIssuerNode         = 25 // bytes
	fExtra              = 26 // bytes, repeated: uvarint len(key) | key | value
	firstIgnorableField = 512
)

// Unknown fields numbered below firstIgnorableField make the payload
// malformed (a future field an old node cannot honour, e.g. a new
// restriction, must not be silently dropped); unknown fields numbered from
// firstIgnorableField up are informational and skipped.

var errDecode = errors.New("token: bad payload")

var typeCodes = map[Type]uint64{AssumedRole: 1, FederatedUser: 2, SessionToken: 3}

func typeFromCode(c uint64) (Type, bool) {
	switch c {
	case 1:
		return AssumedRole, true
	case 2:
		return FederatedUser, true
	case 3:
		return SessionToken, true
	}
	return "", false
}

func appendKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendString(b []byte, field int, s string) []byte {
	if s == "" {
		return b
	}
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendPair writes a bytes field holding uvarint len(k) | k | v (written
// even if both are empty, so empty tag values survive).
func appendPair(b []byte, field int, k, v string) []byte {
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(uvarintLen(uint64(len(k)))+len(k)+len(v)))
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	return append(b, v...)
}

func appendUint(b []byte, field int, v uint64) []byte {
	b = appendKey(b, field, wireVarint)
	return binary.AppendUvarint(b, v)
}

func appendTime(b []byte, secField, nsecField int, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = appendKey(b, secField, wireVarint)
	b = binary.AppendVarint(b, t.Unix())
	if ns := t.Nanosecond(); ns != 0 {
		b = appendUint(b, nsecField, uint64(ns))
	}
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// sizeHint over-estimates the encoded size of c.
func sizeHint(c *Claims) int {
	n := 64 + len(c.SecretAccessKey) + len(c.Account) + len(c.PrincipalARN) + len(c.PrincipalID) +
		len(c.RoleName) + len(c.RolePath) + len(c.SessionName) + len(c.FederatedName) +
		len(c.SourceARN) + len(c.SourceID) + len(c.SessionPolicy) + len(c.SourceIdentity) + len(c.IssuerNode)
	n += 16 * 3 // keys+lengths of the strings above, generously
	for _, s := range c.SessionPolicyARNs {
		n += len(s) + 4
	}
	for _, t := range c.Tags {
		n += len(t.Key) + len(t.Value) + 8
	}
	for _, s := range c.TransitiveTagKeys {
		n += len(s) + 4
	}
	for k, v := range c.Extra {
		n += len(k) + len(v) + 8
	}
	return n
}

// encode appends the payload form of c (without AccessKeyID and Deployment).
func encode(b []byte, c *Claims) ([]byte, error) {
	code, ok := typeCodes[c.Type]
	if !ok {
		return nil, ErrInvalidClaims
	}
	b = appendUint(b, fType, code)
	b = appendString(b, fSecret, c.SecretAccessKey)
	b = appendString(b, fAccount, c.Account)
	b = appendString(b, fPrincipalARN, c.PrincipalARN)
	b = appendString(b, fPrincipalID, c.PrincipalID)
	b = appendString(b, fRoleName, c.RoleName)
	b = appendString(b, fRolePath, c.RolePath)
	b = appendString(b, fSessionName, c.SessionName)
	b = appendString(b, fFederatedName, c.FederatedName)
	b = appendString(b, fSourceARN, c.SourceARN)
	b = appendString(b, fSourceID, c.SourceID)
	b = appendString(b, fSessionPolicy, c.SessionPolicy)
	for _, s := range c.SessionPolicyARNs {
		b = appendKey(b, fSessionPolicyARN, wireBytes) // written even if empty
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, t := range c.Tags {
		b = appendPair(b, fTag, t.Key, t.Value)
	}
	for _, s := range c.TransitiveTagKeys {
		b = appendKey(b, fTransitiveTagKey, wireBytes)
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = appendString(b, fSourceIdentity, c.SourceIdentity)
	if c.MFAAuthenticated {
		b = appendUint(b, fMFAAuthenticated, 1)
	}
	b = appendTime(b, fMFAAuthTimeSec, fMFAAuthTimeNsec, c.MFAAuthTime)
	b = appendTime(b, fIssuedAtSec, fIssuedAtNsec, c.IssuedAt)
	b = appendTime(b, fExpiresSec, fExpiresNsec, c.Expires)
	if c.Chained {
		b = appendUint(b, fChained, 1)
	}
	b = appendString(b, fIssuerNode, c.IssuerNode)
	for k, v := range c.Extra {
		b = appendPair(b, fExtra, k, v)
	}
	return b, nil
}

// decode parses a payload into c. All strings of c share one allocation
// (a string copy of the whole payload).
func decode(p []byte, c *Claims) error {
	s := string(p) // one allocation backs every string field
	var (
		haveType                  bool
		nARN, nTag, nTT, nExtra   int
		mfaSec, issSec, expSec    int64
		mfaNsec, issNsec, expNsec uint64
		haveMFA, haveIss, haveExp bool
	)
	// First pass: count repeated fields so their slices are allocated once.
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			if nARN > 0 {
				c.SessionPolicyARNs = make([]string, 0, nARN)
			}
			if nTag > 0 {
				c.Tags = make([]Tag, 0, nTag)
			}
			if nTT > 0 {
				c.TransitiveTagKeys = make([]string, 0, nTT)
			}
			if nExtra > 0 {
				c.Extra = make(map[string]string, nExtra)
			}
		}
		i := 0
		for i < len(p) {
			key, n := binary.Uvarint(p[i:])
			if n <= 0 {
				return errDecode
			}
			i += n
			field, wire := key>>3, key&7
			var (
				v     uint64
				start int
				end   int
			)
			switch wire {
			case wireVarint:
				v, n = binary.Uvarint(p[i:])
				if n <= 0 {
					return errDecode
				}
				i += n
			case wireBytes:
				l, n := binary.Uvarint(p[i:])
				if n <= 0 || l > uint64(len(p)-i-n) {
					return errDecode
				}
				start = i + n
				end = start + int(l)
				i = end
			default:
				return errDecode
			}
			if pass == 0 {
				switch field {
				case fSessionPolicyARN:
					nARN++
				case fTag:
					nTag++
				case fTransitiveTagKey:
					nTT++
				case fExtra:
					nExtra++
				}
				if field < firstIgnorableField && (field == 0 || field > fExtra) {
					return errDecode
				}
				if !wireOK(int(field), int(wire)) {
					return errDecode
				}
				continue
			}
			str := s[start:end]
			switch field {
			case fType:
				t, ok := typeFromCode(v)
				if !ok {
					return errDecode
				}
				c.Type, haveType = t, true
			case fSecret:
				c.SecretAccessKey = str
			case fAccount:
				c.Account = str
			case fPrincipalARN:
				c.PrincipalARN = str
			case fPrincipalID:
				c.PrincipalID = str
			case fRoleName:
				c.RoleName = str
			case fRolePath:
				c.RolePath = str
			case fSessionName:
				c.SessionName = str
			case fFederatedName:
				c.FederatedName = str
			case fSourceARN:
				c.SourceARN = str
			case fSourceID:
				c.SourceID = str
			case fSessionPolicy:
				c.SessionPolicy = str
			case fSessionPolicyARN:
				c.SessionPolicyARNs = append(c.SessionPolicyARNs, str)
			case fTag:
				k, val, ok := splitPair(str)
				if !ok {
					return errDecode
				}
				c.Tags = append(c.Tags, Tag{Key: k, Value: val})
			case fTransitiveTagKey:
				c.TransitiveTagKeys = append(c.TransitiveTagKeys, str)
			case fSourceIdentity:
				c.SourceIdentity = str
			case fMFAAuthenticated:
				c.MFAAuthenticated = v != 0
			case fMFAAuthTimeSec:
				mfaSec, haveMFA = zigzag(v), true
			case fMFAAuthTimeNsec:
				mfaNsec = v
			case fIssuedAtSec:
				issSec, haveIss = zigzag(v), true
			case fIssuedAtNsec:
				issNsec = v
			case fExpiresSec:
				expSec, haveExp = zigzag(v), true
			case fExpiresNsec:
				expNsec = v
			case fChained:
				c.Chained = v != 0
			case fIssuerNode:
				c.IssuerNode = str
			case fExtra:
				k, val, ok := splitPair(str)
				if !ok {
					return errDecode
				}
				c.Extra[k] = val
			}
		}
	}
	if !haveType || !haveExp {
		return errDecode
	}
	var ok bool
	if c.MFAAuthTime, ok = mkTime(haveMFA, mfaSec, mfaNsec); !ok {
		return errDecode
	}
	if c.IssuedAt, ok = mkTime(haveIss, issSec, issNsec); !ok {
		return errDecode
	}
	if c.Expires, ok = mkTime(haveExp, expSec, expNsec); !ok {
		return errDecode
	}
	return nil
}

func wireOK(field, wire int) bool {
	switch field {
	case fType, fMFAAuthenticated, fMFAAuthTimeSec, fMFAAuthTimeNsec, fIssuedAtSec, fIssuedAtNsec,
		fExpiresSec, fExpiresNsec, fChained:
		return wire == wireVarint
	}
	if field >= firstIgnorableField {
		return true
	}
	return wire == wireBytes
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

func mkTime(have bool, sec int64, nsec uint64) (time.Time, bool) {
	if !have {
		return time.Time{}, nsec == 0
	}
	if nsec >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(nsec)).UTC(), true
}

func splitPair(s string) (k, v string, ok bool) {
	l, n := uvarintString(s)
	if n <= 0 || l > uint64(len(s)-n) {
		return "", "", false
	}
	return s[n : n+int(l)], s[n+int(l):], true
}

// uvarintString is binary.Uvarint for a string.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
