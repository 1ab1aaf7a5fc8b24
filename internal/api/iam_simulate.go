package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/policy"
)

// IAM's policy simulator on the wire: SimulatePrincipalPolicy,
// SimulateCustomPolicy and GetContextKeysFor{Principal,Custom}Policy,
// answered by the engine's EvaluateReport.

type xmlPosition struct {
	Line   int
	Column int
}

type xmlStatement struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    xmlPosition
	EndPosition      xmlPosition
}

type xmlBoundaryDetail struct {
	AllowedByPermissionsBoundary bool
}

type xmlEvalResult struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string
	MatchedStatements                 []xmlStatement     `xml:"MatchedStatements>member"`
	MissingContextValues              []string           `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *xmlBoundaryDetail `xml:",omitempty" json:",omitempty"`
}

var contextKeyTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "binary", "binaryList", "date", "dateList"}

// simContext builds the request context from ContextEntries.
func simContext(c *Call) (*policy.Context, error) {
	entries, _, err := c.Params.Structs("ContextEntries")
	if err != nil {
		return nil, err
	}
	pc := policy.NewContext()
	var v awserr.Validation
	for i, e := range entries {
		n := strconv.Itoa(i + 1)
		key, typ := e.Get("ContextKeyName"), e.Get("ContextKeyType")
		if len(key) < 5 || len(key) > 256 {
			v.Add(key, "contextEntries."+n+".member.contextKeyName", "Member must have length between 5 and 256")
		}
		ok := false
		for _, t := range contextKeyTypes {
			ok = ok || t == typ
		}
		if !ok {
			v.Add(typ, "contextEntries."+n+".member.contextKeyType", "Member must satisfy enum value set: ["+strings.Join(contextKeyTypes, ", ")+"]")
		}
		vals, _, err := e.List("ContextKeyValues")
		if err != nil {
			return nil, err
		}
		if !strings.HasSuffix(typ, "List") && len(vals) > 1 {
			return nil, awserr.InvalidInput("Context key %s of type %s accepts a single value.", key, typ)
		}
		pc.Set(key, vals...)
	}
	return pc, v.Err()
}

func parseInputs(c *Call, member string, kind policy.Kind, idPrefix string) ([]iam.SimPolicy, error) {
	docs, _, err := c.Params.List(member)
	if err != nil {
		return nil, err
	}
	out := make([]iam.SimPolicy, 0, len(docs))
	for i, d := range docs {
		p, err := policy.Parse(d, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, iam.SimPolicy{Policy: p, SourceID: idPrefix + "." + strconv.Itoa(i+1), SourceType: "none"})
	}
	return out, nil
}

// simulate evaluates every action × resource for the subject.
func simulate(c *Call, principal policy.Principal, identity []iam.SimPolicy, boundary *iam.SimPolicy) (any, error) {
	actions, err := c.strList("ActionNames")
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		var v awserr.Validation
		v.AddNull("actionNames")
		return nil, v.Err()
	}
	resources, _, err := c.Params.List("ResourceArns")
	if err != nil {
		return nil, err
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	pc, err := simContext(c)
	if err != nil {
		return nil, err
	}
	set := &policy.Set{}
	source := map[*policy.Policy]iam.SimPolicy{}
	for _, sp := range identity {
		set.Identity = append(set.Identity, sp.Policy)
		source[sp.Policy] = sp
	}
	if boundary != nil {
		set.Boundary = boundary.Policy
		source[boundary.Policy] = *boundary
	}
	if rp := c.str("ResourcePolicy"); rp != "" {
		p, err := policy.Parse(rp, policy.Resource)
		if err != nil {
			return nil, err
		}
		set.Resource = p
		source[p] = iam.SimPolicy{Policy: p, SourceID: "ResourcePolicy", SourceType: "resource"}
		if ca := c.str("CallerArn"); ca != "" {
			pr, err := policy.PrincipalFromARN(ca)
			if err != nil {
				return nil, awserr.InvalidInput("Invalid CallerArn: %s", ca)
			}
			principal = pr
		}
	}
	owner := c.str("ResourceOwner")
	if strings.HasPrefix(owner, "arn:") {
		if parts := strings.SplitN(owner, ":", 6); len(parts) == 6 {
			owner = parts[4]
		}
	}
	var results []xmlEvalResult
	for _, action := range actions {
		for _, res := range resources {
			req := &policy.Request{Principal: principal, Action: action, Resource: res, ResourceAccount: owner, Context: pc}
			rep := policy.EvaluateReport(req, set)
			r := xmlEvalResult{EvalActionName: action, EvalResourceName: res, EvalDecision: rep.Decision.SimulatorString(),
				MatchedStatements: []xmlStatement{}, MissingContextValues: append([]string{}, rep.MissingContextValues...)}
			for _, m := range rep.MatchedStatements {
				sp := source[m.Policy]
				x := xmlStatement{SourcePolicyId: sp.SourceID, SourcePolicyType: sp.SourceType}
				if sp.SourceType == "" {
					x.SourcePolicyType = "none"
				}
				if m.Statement != nil {
					x.StartPosition = xmlPosition{m.Statement.Start.Line, m.Statement.Start.Column}
					x.EndPosition = xmlPosition{m.Statement.End.Line, m.Statement.End.Column}
				}
				r.MatchedStatements = append(r.MatchedStatements, x)
			}
			if boundary != nil {
				allowed := false
				for _, m := range rep.MatchedStatements {
					if m.Policy == boundary.Policy && m.Statement != nil && m.Statement.Effect == policy.Allow {
						allowed = true
					}
				}
				for _, m := range rep.MatchedStatements {
					if m.Policy == boundary.Policy && m.Statement != nil && m.Statement.Effect == policy.Deny {
						allowed = false
					}
				}
				r.PermissionsBoundaryDecisionDetail = &xmlBoundaryDetail{AllowedByPermissionsBoundary: allowed}
			}
			results = append(results, r)
		}
	}
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	start := 0
	if p.Marker != "" {
		n, err := strconv.Atoi(p.Marker)
		if err != nil || n < 0 || n > len(results) {
			return nil, awserr.InvalidInput("Invalid Marker.")
		}
		start = n
	}
	max := p.MaxItems
	if max == 0 {
		max = 100
	}
	end := min(start+max, len(results))
	out := &struct {
		EvaluationResults []xmlEvalResult `xml:"EvaluationResults>member"`
		IsTruncated       bool
		Marker            string `xml:",omitempty" json:",omitempty"`
	}{EvaluationResults: append([]xmlEvalResult{}, results[start:end]...)}
	if end < len(results) {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}

func contextKeys(pols []iam.SimPolicy) any {
	out := &struct {
		ContextKeyNames []string `xml:"ContextKeyNames>member"`
	}{ContextKeyNames: []string{}}
	for _, sp := range pols {
		for _, k := range sp.Policy.ConditionKeys() {
			dup := false
			for _, o := range out.ContextKeyNames {
				dup = dup || strings.EqualFold(o, k)
			}
			if !dup {
				out.ContextKeyNames = append(out.ContextKeyNames, k)
			}
		}
	}
	return out
}

func iamSimulateOps(svc *iam.Service) []*Op {
	sourceRes := func(c *Call) string {
		if a := c.str("PolicySourceArn"); a != "" {
			return a
		}
		return "*"
	}
	return []*Op{
		{Service: "iam", Name: "SimulateCustomPolicy",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				ids, err := parseInputs(c, "PolicyInputList", policy.Identity, "PolicyInputList")
				if err != nil {
					return nil, err
				}
				if len(ids) == 0 {
					var v awserr.Validation
					v.AddNull("policyInputList")
					return nil, v.Err()
				}
				bs, err := parseInputs(c, "PermissionsBoundaryPolicyInputList", policy.Identity, "PermissionsBoundaryPolicyInputList")
				if err != nil {
					return nil, err
				}
				var b *iam.SimPolicy
				if len(bs) > 0 {
					b = &bs[0]
				}
				pr := policy.Principal{Type: policy.User, Account: c.Account(), ARN: "arn:aws:iam::" + c.Account() + ":user/simulation"}
				return simulate(c, pr, ids, b)
			}},
		{Service: "iam", Name: "SimulatePrincipalPolicy", Resource: sourceRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("PolicySourceArn"); err != nil {
					return nil, err
				}
				sub, err := svc.SimulationSubject(ctx, c.Account(), c.str("PolicySourceArn"))
				if err != nil {
					return nil, err
				}
				extra, err := parseInputs(c, "PolicyInputList", policy.Identity, "PolicyInputList")
				if err != nil {
					return nil, err
				}
				bs, err := parseInputs(c, "PermissionsBoundaryPolicyInputList", policy.Identity, "PermissionsBoundaryPolicyInputList")
				if err != nil {
					return nil, err
				}
				b := sub.Boundary
				if len(bs) > 0 {
					b = &bs[0]
				}
				return simulate(c, sub.Principal, append(sub.Identity, extra...), b)
			}},
		{Service: "iam", Name: "GetContextKeysForCustomPolicy",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				ids, err := parseInputs(c, "PolicyInputList", policy.Identity, "PolicyInputList")
				if err != nil {
					return nil, err
				}
				if len(ids) == 0 {
					var v awserr.Validation
					v.AddNull("policyInputList")
					return nil, v.Err()
				}
				return contextKeys(ids), nil
			}},
		{Service: "iam", Name: "GetContextKeysForPrincipalPolicy", Resource: sourceRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("PolicySourceArn"); err != nil {
					return nil, err
				}
				sub, err := svc.SimulationSubject(ctx, c.Account(), c.str("PolicySourceArn"))
				if err != nil {
					return nil, err
				}
				extra, err := parseInputs(c, "PolicyInputList", policy.Identity, "PolicyInputList")
				if err != nil {
					return nil, err
				}
				return contextKeys(append(sub.Identity, extra...)), nil
			}},
	}
}
