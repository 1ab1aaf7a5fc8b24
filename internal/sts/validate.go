package sts

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
)

// Model patterns (sts-api.md §1).
const (
	patSessionName = `[\w+=,.@-]*`
	patExternalID  = `[\w+=,.@:\/-]*`
	patSerial      = `[\w+=/:,.@-]*`
	patTokenCode   = `[\d]*`
	patTagKey      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	patTagValue    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patARN         = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
	patPolicy      = `[\u0009\u000A\u000D\u0020-\u00FF]+`
)

var (
	reSessionName = regexp.MustCompile(`^[\w+=,.@-]*$`)
	reExternalID  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	reSerial      = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	reTokenCode   = regexp.MustCompile(`^[0-9]*$`)
	reTagKey      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	reTagValue    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Limits (sts-api.md §1, sessions.md §1–2).
const (
	MaxSessionPolicyLen = 2048
	MaxPolicyARNs       = 10
	MaxSessionTags      = 50
	ChainedMaxDuration  = time.Hour
	DefaultDuration     = time.Hour
	minDurationSeconds  = 900
	maxRoleDuration     = 43200
	maxTokenDuration    = 129600
)

// Duration errors (errors.md §3).
const (
	MsgExceedsMax      = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
	MsgExceedsChaining = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
)

func checkLen(v *awserr.Validation, value, member string, min, max int) {
	n := utf8.RuneCountInString(value)
	if n < min {
		v.Add(value, member, "Member must have length greater than or equal to "+strconv.Itoa(min))
	} else if max > 0 && n > max {
		v.Add(value, member, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

func checkPattern(v *awserr.Validation, value, member string, re *regexp.Regexp, pat string) {
	if !re.MatchString(value) {
		v.Add(value, member, "Member must satisfy regular expression pattern: "+pat)
	}
}

// CheckSessionName validates a RoleSessionName (2..64, [\w+=,.@-]*).
func CheckSessionName(v *awserr.Validation, name string) {
	if name == "" {
		v.AddNull("roleSessionName")
		return
	}
	checkLen(v, name, "roleSessionName", 2, 64)
	checkPattern(v, name, "roleSessionName", reSessionName, patSessionName)
}

// CheckSourceIdentity validates a SourceIdentity (2..64, the session name
// pattern); the aws: prefix is refused separately (ValidateSourceIdentity).
func CheckSourceIdentity(v *awserr.Validation, si string) {
	checkLen(v, si, "sourceIdentity", 2, 64)
	checkPattern(v, si, "sourceIdentity", reSessionName, patSessionName)
}

// checkDurationMember validates the model range of DurationSeconds.
func checkDurationMember(v *awserr.Validation, d int64, max int64) {
	s := strconv.FormatInt(d, 10)
	if d < minDurationSeconds {
		v.Add(s, "durationSeconds", "Member must have value greater than or equal to 900")
	} else if d > max {
		v.Add(s, "durationSeconds", "Member must have value less than or equal to "+strconv.FormatInt(max, 10))
	}
}

// CheckDuration applies a role's duration rules to a requested
// DurationSeconds (0 = not sent): default one hour; a chained session at
// most one hour; otherwise at most the role's MaxSessionDuration. It is
// never clamped.
func CheckDuration(requested int64, roleMax int, chained bool) (time.Duration, error) {
	if requested == 0 {
		return DefaultDuration, nil
	}
	if chained && requested > int64(ChainedMaxDuration/time.Second) {
		return 0, awserr.ValidationError(MsgExceedsChaining)
	}
	if roleMax <= 0 {
		roleMax = 3600
	}
	if requested > int64(roleMax) {
		return 0, awserr.ValidationError(MsgExceedsMax)
	}
	return time.Duration(requested) * time.Second, nil
}

// CheckTags validates session tags and transitive keys against the model
// (at most 50 each, key and value patterns) and the service rules: keys
// unique ignoring case, every transitive key one of the passed tags, and no
// passed key equal (ignoring case) to an inherited transitive tag.
func CheckTags(tags []token.Tag, transitive []string, inherited []token.Tag) error {
	var v awserr.Validation
	if len(tags) > MaxSessionTags {
		v.Add(tagListString(tags), "tags", "Member must have length less than or equal to 50")
	}
	if len(transitive) > MaxSessionTags {
		v.Add("["+strings.Join(transitive, ", ")+"]", "transitiveTagKeys", "Member must have length less than or equal to 50")
	}
	for i, t := range tags {
		km := "tags." + strconv.Itoa(i+1) + ".member.key"
		vm := "tags." + strconv.Itoa(i+1) + ".member.value"
		if t.Key == "" {
			v.AddNull(km)
		} else {
			checkLen(&v, t.Key, km, 1, 128)
			checkPattern(&v, t.Key, km, reTagKey, patTagKey)
		}
		checkLen(&v, t.Value, vm, 0, 256)
		checkPattern(&v, t.Value, vm, reTagValue, patTagValue)
	}
	for i, k := range transitive {
		m := "transitiveTagKeys." + strconv.Itoa(i+1) + ".member"
		checkLen(&v, k, m, 1, 128)
		checkPattern(&v, k, m, reTagKey, patTagKey)
	}
	if err := v.Err(); err != nil {
		return err
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		lk := strings.ToLower(t.Key)
		if seen[lk] {
			return awserr.New(http.StatusBadRequest, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lk] = true
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return awserr.New(http.StatusBadRequest, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.")
		}
	}
	for _, t := range inherited {
		if seen[strings.ToLower(t.Key)] {
			return awserr.New(http.StatusBadRequest, "InvalidParameterValue", "One of the specified session tags conflicts with a transitive session tag inherited from the calling session: %s", t.Key)
		}
	}
	return nil
}

func tagListString(tags []token.Tag) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, t := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Tag(key=" + t.Key + ", value=" + t.Value + ")")
	}
	b.WriteByte(']')
	return b.String()
}

// SessionPolicies validates an inline session policy and managed policy
// ARNs, and returns the packed size (an integer percentage of the budget
// shared with the session tags). Errors: ValidationError for a policy
// over 2048 characters or more than 10 ARNs, MalformedPolicyDocument for a
// policy that is not session-policy grammar or an ARN naming no managed
// policy, PackedPolicyTooLarge past 100%.
func (s *Service) SessionPolicies(ctx context.Context, doc string, docSet bool, arns []string, tags []token.Tag) (int, error) {
	var v awserr.Validation
	if docSet {
		checkLen(&v, doc, "policy", 1, MaxSessionPolicyLen)
		if !validPolicyChars(doc) {
			v.Add(doc, "policy", "Member must satisfy regular expression pattern: "+patPolicy)
		}
	}
	if len(arns) > MaxPolicyARNs {
		v.Add("["+strings.Join(arns, ", ")+"]", "policyArns", "Member must have length less than or equal to 10")
	}
	for i, a := range arns {
		checkLen(&v, a, "policyArns."+strconv.Itoa(i+1)+".member.arn", 20, 2048)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if docSet {
		if _, err := policy.Parse(doc, policy.Session); err != nil {
			return 0, err
		}
	}
	for _, a := range arns {
		p, err := s.cfg.Authz.ManagedPolicy(ctx, a)
		if err != nil {
			return 0, err
		}
		if p == nil {
			return 0, awserr.MalformedPolicyDocument("The policy %s does not exist or is not attachable.", a)
		}
	}
	pol, tag := packedSize(doc, arns, tags)
	if tag > 100 {
		return 0, awserr.New(http.StatusBadRequest, "PackedPolicyTooLarge", "Packed size of session tags consumes %d%% of allotted space.", tag)
	}
	if pol+tag > 100 {
		return 0, awserr.New(http.StatusBadRequest, "PackedPolicyTooLarge", "Packed policy consumes %d%% of allotted space, please use smaller policy.", pol+tag)
	}
	return pol + tag, nil
}

func validPolicyChars(doc string) bool {
	for _, r := range doc {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF) {
			return false
		}
	}
	return true
}

// Packed budget. AWS does not publish its packing; this estimate is
// deterministic: the policy counts its characters outside whitespace (a
// 2048-character policy of typical density lands near 60-70%), each ARN
// its length, and tags their key and value lengths plus a small overhead
// against a separate share, so that ~50 tags of average size fit and
// 50 maximal tags do not.
const (
	packedPolicyBudget = 2900
	packedTagBudget    = 4096
	packedTagOverhead  = 8
)

func packedSize(doc string, arns []string, tags []token.Tag) (policyPct, tagPct int) {
	n := 0
	inStr := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c == '"' && (i == 0 || doc[i-1] != '\\'):
			inStr = !inStr
			n++
		case !inStr && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
		default:
			n++
		}
	}
	for _, a := range arns {
		n += len(a)
	}
	t := 0
	for _, tg := range tags {
		t += len(tg.Key) + len(tg.Value) + packedTagOverhead
	}
	return ceilPct(n, packedPolicyBudget), ceilPct(t, packedTagBudget)
}

func ceilPct(n, budget int) int {
	if n == 0 {
		return 0
	}
	return (n*100 + budget - 1) / budget
}
