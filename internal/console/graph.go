package console

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// graphRole is a role and the principals its trust policy names.
type graphRole struct {
	Name    string
	ARN     string
	Account string
	Edges   []trustEdge
}

// graphNode is a principal box on the left of the graph.
type graphNode struct {
	Key     string
	Label   string
	Title   string
	Kind    string
	Foreign bool // in another account than the one being viewed
	Any     bool // "*"
}

const (
	graphWidth  = 980
	graphRowH   = 46
	graphBoxH   = 32
	graphBoxW   = 380
	graphLeftX  = 10
	graphRightX = 590
	graphTop    = 36
	graphMaxLbl = 46
)

// trustGraph draws who can assume which role as an SVG: principals on the
// left, roles on the right, one curve per trust relationship (dashed when
// conditional, red for explicit denies). Every string is escaped.
func trustGraph(account string, roles []graphRole) template.HTML {
	var nodes []graphNode
	index := map[string]int{}
	for _, r := range roles {
		for _, e := range r.Edges {
			key := e.Kind + "|" + e.Principal
			if _, ok := index[key]; ok {
				continue
			}
			index[key] = -1
			nodes = append(nodes, graphNode{Key: key, Label: e.Label(), Title: e.Kind + ": " + e.Principal, Kind: e.Kind,
				Foreign: e.Account != "" && e.Account != account, Any: e.Kind == "*"})
		}
	}
	slices.SortStableFunc(nodes, func(a, b graphNode) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
	for i, n := range nodes {
		index[n.Key] = i
	}
	rows := max(len(nodes), len(roles), 1)
	height := graphTop + rows*graphRowH + 10

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="trust-graph" role="img" aria-label="Trust graph" width="%d" height="%d" viewBox="0 0 %d %d">`,
		graphWidth, height, graphWidth, height)
	fmt.Fprintf(&b, `<text class="col-head" x="%d" y="20">Principals (trust policy)</text>`, graphLeftX)
	fmt.Fprintf(&b, `<text class="col-head" x="%d" y="20">Roles in account %s</text>`, graphRightX, esc(account))

	// Edges first, so boxes are drawn over them.
	for ri, r := range roles {
		for _, e := range r.Edges {
			li := index[e.Kind+"|"+e.Principal]
			x1, y1 := graphLeftX+graphBoxW, rowY(li)+graphBoxH/2
			x2, y2 := graphRightX, rowY(ri)+graphBoxH/2
			class := "edge"
			if e.Conditional {
				class += " conditional"
			}
			if e.Deny {
				class += " deny"
			}
			mid := (x1 + x2) / 2
			fmt.Fprintf(&b, `<path class="%s" d="M%d %d C%d %d, %d %d, %d %d"><title>%s → %s (%s%s)</title></path>`,
				class, x1, y1, mid, y1, mid, y2, x2, y2, esc(e.Principal), esc(r.Name), esc(strings.Join(e.Actions, ", ")), condNote(e))
		}
	}
	for i, n := range nodes {
		class := "node principal kind-" + strings.ToLower(kindClass(n.Kind))
		if n.Foreign {
			class += " foreign"
		}
		if n.Any {
			class += " anyone"
		}
		y := rowY(i)
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6"/><text x="%d" y="%d">%s</text></g>`,
			class, esc(n.Title), graphLeftX, y, graphBoxW, graphBoxH, graphLeftX+10, y+21, esc(clip(n.Label)))
	}
	for i, r := range roles {
		y := rowY(i)
		fmt.Fprintf(&b, `<a href="/console/roles/%s"><g class="node role"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6"/><text x="%d" y="%d">%s</text></g></a>`,
			esc(pathEscape(r.Name)), esc(r.ARN), graphRightX, y, graphBoxW, graphBoxH, graphRightX+10, y+21, esc(clip(r.Name)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func rowY(i int) int { return graphTop + i*graphRowH }

func condNote(e trustEdge) string {
	var s []string
	if e.Deny {
		s = append(s, "Deny")
	}
	if e.Conditional {
		s = append(s, "with conditions")
	}
	if len(s) == 0 {
		return ""
	}
	return "; " + strings.Join(s, ", ")
}

func kindClass(k string) string {
	if k == "*" {
		return "any"
	}
	return k
}

// clip shortens a label for its box (the full text is in the <title>).
func clip(s string) string {
	r := []rune(s)
	if len(r) <= graphMaxLbl {
		return s
	}
	return string(r[:graphMaxLbl-1]) + "…"
}

func esc(s string) string { return template.HTMLEscapeString(s) }
