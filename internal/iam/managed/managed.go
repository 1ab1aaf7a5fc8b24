package managed

import (
	"crypto/sha256"
	"embed"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed policies/*.json
var files embed.FS

// Policy is one AWS-managed policy (its default version only).
type Policy struct {
	Name             string
	Path             string
	ID               string
	DefaultVersionID string
	Created          time.Time
	Updated          time.Time
	// Document is the default version's JSON text.
	Document string
}

// ARN is the policy's ARN: arn:aws:iam::aws:policy<path><name>.
func (p *Policy) ARN() string { return "arn:aws:iam::aws:policy" + p.Path + p.Name }

type file struct {
	PolicyName       string
	Path             string
	DefaultVersionId string
	CreateDate       time.Time
	UpdateDate       time.Time
	Document         string
}

var (
	once  sync.Once
	all   []*Policy
	byARN map[string]*Policy
)

func load() {
	entries, err := files.ReadDir("policies")
	if err != nil {
		panic(err)
	}
	byARN = make(map[string]*Policy, len(entries))
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("policies", e.Name()))
		if err != nil {
			panic(err)
		}
		var f file
		if err := json.Unmarshal(b, &f); err != nil {
			panic(fmt.Sprintf("managed policy %s: %v", e.Name(), err))
		}
		p := &Policy{Name: f.PolicyName, Path: f.Path, DefaultVersionID: f.DefaultVersionId,
			Created: f.CreateDate.UTC(), Updated: f.UpdateDate.UTC(), Document: f.Document, ID: policyID(f.PolicyName)}
		all = append(all, p)
		byARN[p.ARN()] = p
	}
	sort.Slice(all, func(i, j int) bool { return strings.ToLower(all[i].Name) < strings.ToLower(all[j].Name) })
}

// policyID derives a stable ANPA… id from the name (AWS's real ids are not
// published in the mirrors; a derived one keeps ids identical on every node
// and across restarts).
func policyID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// All returns every AWS-managed policy, sorted by name ignoring case.
func All() []*Policy {
	once.Do(load)
	return all
}

// ByARN finds an AWS-managed policy by ARN (exact, as IAM matches ARNs).
func ByARN(arn string) (*Policy, bool) {
	once.Do(load)
	p, ok := byARN[arn]
	return p, ok
}
