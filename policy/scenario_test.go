package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// scenario is one file of testdata/scenarios: documents + request +
// expected decision (+ message).
type scenario struct {
	Description string `json:"description"`
	Spec        string `json:"spec"`
	Principal   struct {
		ARN          string `json:"arn"`
		Type         string `json:"type"`
		Account      string `json:"account"`
		PrincipalARN string `json:"principalArn"`
		UniqueID     string `json:"uniqueId"`
		UserARN      string `json:"userArn"`
		Service      string `json:"service"`
		Provider     string `json:"provider"`
	} `json:"principal"`
	Action            string              `json:"action"`
	Resource          string              `json:"resource"`
	ResourceAccount   string              `json:"resourceAccount"`
	Context           map[string][]string `json:"context"`
	PrincipalKeys     bool                `json:"principalKeys"`
	Identity          []json.RawMessage   `json:"identity"`
	Boundary          json.RawMessage     `json:"boundary"`
	Session           []json.RawMessage   `json:"session"`
	SessionRestricted bool                `json:"sessionRestricted"`
	SCPs              [][]json.RawMessage `json:"scps"`
	RCPs              [][]json.RawMessage `json:"rcps"`
	ResourcePolicy    json.RawMessage     `json:"resourcePolicy"`
	TrustPolicy       json.RawMessage     `json:"trustPolicy"`
	Expect            struct {
		Decision  string `json:"decision"`
		DecidedBy string `json:"decidedBy"`
		Message   string `json:"message"`
		Sid       string `json:"sid"`
	} `json:"expect"`
}

func (sc *scenario) build(t *testing.T) (*Request, *Set) {
	t.Helper()
	parse := func(raw json.RawMessage, k Kind, id string) *Policy {
		p, err := Parse(string(raw), k)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return p.WithID(id)
	}
	set := &Set{SessionRestricted: sc.SessionRestricted}
	for i, d := range sc.Identity {
		set.Identity = append(set.Identity, parse(d, Identity, fmt.Sprintf("identity[%d]", i)))
	}
	if len(sc.Boundary) > 0 {
		set.Boundary = parse(sc.Boundary, Boundary, "boundary")
	}
	for i, d := range sc.Session {
		set.Session = append(set.Session, parse(d, Session, fmt.Sprintf("session[%d]", i)))
	}
	for l, level := range sc.SCPs {
		set.SCPs = append(set.SCPs, nil)
		for i, d := range level {
			set.SCPs[l] = append(set.SCPs[l], parse(d, SCP, fmt.Sprintf("scp[%d][%d]", l, i)))
		}
	}
	for l, level := range sc.RCPs {
		set.RCPs = append(set.RCPs, nil)
		for i, d := range level {
			set.RCPs[l] = append(set.RCPs[l], parse(d, RCP, fmt.Sprintf("rcp[%d][%d]", l, i)))
		}
	}
	if len(sc.ResourcePolicy) > 0 {
		set.Resource = parse(sc.ResourcePolicy, Resource, "resource")
	}
	if len(sc.TrustPolicy) > 0 {
		set.Resource = parse(sc.TrustPolicy, Trust, "trust")
		set.Trust = true
	}
	var p Principal
	if sc.Principal.ARN != "" {
		var err error
		if p, err = PrincipalFromARN(sc.Principal.ARN); err != nil {
			t.Fatal(err)
		}
	}
	if sc.Principal.Type != "" {
		pt, ok := ParsePrincipalType(sc.Principal.Type)
		if !ok {
			t.Fatalf("bad principal type %q", sc.Principal.Type)
		}
		p.Type = pt
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&p.Account, sc.Principal.Account}, {&p.PrincipalARN, sc.Principal.PrincipalARN},
		{&p.UniqueID, sc.Principal.UniqueID}, {&p.UserARN, sc.Principal.UserARN},
		{&p.Service, sc.Principal.Service}, {&p.Provider, sc.Principal.Provider},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	ctx := NewContext()
	if sc.PrincipalKeys {
		ctx.SetPrincipalKeys(&p)
	}
	for k, v := range sc.Context {
		ctx.Set(k, v...)
	}
	return &Request{Principal: p, Action: sc.Action, Resource: sc.Resource, ResourceAccount: sc.ResourceAccount, Context: ctx}, set
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("scenario corpus missing: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			if err := json.Unmarshal(data, &sc); err != nil {
				t.Fatal(err)
			}
			if sc.Expect.Decision == "" || sc.Spec == "" {
				t.Fatal("scenario needs expect.decision and spec")
			}
			req, set := sc.build(t)
			r := Evaluate(req, set)
			if r.Decision.String() != sc.Expect.Decision {
				t.Fatalf("[%s] %s: decision %v (by %v), want %s", sc.Spec, sc.Description, r.Decision, r.DecidedBy, sc.Expect.Decision)
			}
			if sc.Expect.DecidedBy != "" && r.DecidedBy.String() != sc.Expect.DecidedBy {
				t.Fatalf("[%s] decided by %v, want %s", sc.Spec, r.DecidedBy, sc.Expect.DecidedBy)
			}
			if sc.Expect.Message != "" && r.DenyMessage(req) != sc.Expect.Message {
				t.Fatalf("[%s] message\n got %s\nwant %s", sc.Spec, r.DenyMessage(req), sc.Expect.Message)
			}
			if sc.Expect.Sid != "" {
				found := false
				for _, m := range r.Matched.All() {
					found = found || m.Statement.Sid == sc.Expect.Sid
				}
				if !found {
					t.Fatalf("[%s] statement %s not among matches %+v", sc.Spec, sc.Expect.Sid, r.Matched.Slice())
				}
			}
		})
	}
}
