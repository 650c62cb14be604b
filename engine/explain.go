package engine

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/optimizer"
	"github.com/streamsql/streamsql/plan"
)

// logicalPlanText renders the logical part of EXPLAIN for one query: the
// plan as bound, then the plan the optimizer made of it (what the
// operator graph is built from). With rules (EXPLAIN RULES) the plan after
// every rule that changed it comes in between, in the order the rules ran.
func logicalPlanText(bound, optimized plan.Node, rules bool) string {
	var b strings.Builder
	b.WriteString("== Logical plan ==\n")
	b.WriteString(plan.Explain(bound))
	if rules {
		var names []string
		for _, r := range optimizer.Rules() {
			names = append(names, r.Name)
		}
		fmt.Fprintf(&b, "== Rules, in this order, repeated until none changes the plan: %s ==\n", strings.Join(names, ", "))
		steps := optimizer.Trace(bound)
		for _, s := range steps {
			fmt.Fprintf(&b, "== After %s (pass %d) ==\n", s.Rule, s.Pass)
			b.WriteString(plan.Explain(s.Plan))
		}
		if len(steps) == 0 {
			b.WriteString("(no rule changed the plan)\n")
		}
		return b.String()
	}
	if optimized == bound {
		b.WriteString("== Optimized logical plan: no rule changed it ==\n")
		return b.String()
	}
	b.WriteString("== Optimized logical plan ==\n")
	b.WriteString(plan.Explain(optimized))
	return b.String()
}
