package optimizer

import "github.com/streamsql/streamsql/plan"

// Rule is one named rewrite of a logical plan. Apply follows the package's
// rule contract: an equivalent plan, or its argument itself when nothing
// changed.
type Rule struct {
	Name  string
	Apply func(plan.Node) plan.Node
}

// rules is the fixed order of one pass.
var rules = []Rule{
	{Name: "decorrelate", Apply: decorrelate},
	{Name: "join-reorder", Apply: reorderJoins},
	{Name: "window-propagation", Apply: propagateWindows},
	{Name: "fold-constants", Apply: foldConstants},
	{Name: "merge-projects", Apply: mergeAllProjects},
	{Name: "filter-pushdown", Apply: pushDownFilters},
	{Name: "equi-join-keys", Apply: equiJoinKeys},
	{Name: "column-pruning", Apply: pruneColumns},
	{Name: "lookup-probe-pruning", Apply: pruneLookupProbes},
}

// maxPasses bounds the passes of Optimize. Every rule moves work towards
// the sources or removes it, so a plan settles in a few passes; the bound
// only guards against a rule pair that undoes each other.
const maxPasses = 20

// Rules returns the rules of one pass, in the order they run.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// Optimize returns the plan after the rules, repeated until none changes
// it.
func Optimize(n plan.Node) plan.Node {
	for _, s := range Trace(n) {
		n = s.Plan
	}
	return n
}

// Step is a rule that changed the plan: the pass (from 1), the rule's
// name and the plan after it.
type Step struct {
	Pass int
	Rule string
	Plan plan.Node
}

// Trace runs the rules as Optimize does and returns the steps that changed
// the plan, in order; the last step's plan is Optimize's result (no steps:
// the plan was already optimal).
func Trace(n plan.Node) []Step {
	var steps []Step
	for pass := 1; pass <= maxPasses; pass++ {
		changed := false
		for _, r := range rules {
			if m := r.Apply(n); m != n {
				steps = append(steps, Step{Pass: pass, Rule: r.Name, Plan: m})
				n, changed = m, true
			}
		}
		if !changed {
			break
		}
	}
	return steps
}

// Apply runs one rule over n, once (tests of a single rule).
func Apply(name string, n plan.Node) (plan.Node, bool) {
	for _, r := range rules {
		if r.Name == name {
			return r.Apply(n), true
		}
	}
	return n, false
}
