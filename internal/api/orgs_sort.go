package api

import (
	"sort"

	"github.com/hatrack/hatrack/internal/orgs"
)

// Pages are keyed by id, so lists are sorted by id before paging.

func sortPolicies(ps []*orgs.Policy) []*orgs.Policy {
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	return ps
}

func sortTargets(ts []*orgs.Target) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
}

func sortHandshakes(hs []*orgs.Handshake) []*orgs.Handshake {
	sort.Slice(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	return hs
}

func sortTags(ts []jsonTag) []jsonTag {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Key < ts[j].Key })
	return ts
}
