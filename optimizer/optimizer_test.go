package optimizer_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/optimizer"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/sql"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/*.txt expected output")

// TestRules is data-driven. testdata/<rule>.txt holds cases for one rule;
// testdata/optimize.txt holds cases for the whole optimizer. A case is a
// script (DDL, then one SELECT or INSERT as its last statement), a line
// "----", the expected output, and a line "====". The output is the plan
// as bound, then "=> <rule>" and the plan after one application of the
// rule (or "=> <rule>: no change"); for optimize.txt, every step of
// optimizer.Trace ("=> pass N: <rule>" and its plan). A line
// "rules: r1, r2" in a case applies those rules in that order instead of
// the file's own (a rule whose input another rule prepares). With
// -rewrite the files are written back with the output computed now.
func TestRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			testkit.RunDataFile(t, f, *rewrite, func(t *testing.T, in string) string { return runCase(t, name, in) })
		})
	}
	// Every rule has its own cases.
	for _, r := range optimizer.Rules() {
		if !seen[r.Name] {
			t.Errorf("rule %s has no testdata/%s.txt", r.Name, r.Name)
		}
	}
}

// runCase binds the last statement of script after running the others
// and renders what the rule (or the optimizer) makes of its plan.
func runCase(t *testing.T, rule, script string) string {
	t.Helper()
	ruleNames := []string{rule}
	var kept []string
	for _, l := range strings.Split(script, "\n") {
		if list, ok := strings.CutPrefix(l, "rules:"); ok {
			ruleNames = strings.Split(strings.ReplaceAll(list, " ", ""), ",")
			l = "" // keep the line count for error positions
		}
		kept = append(kept, l)
	}
	script = strings.Join(kept, "\n")
	pieces := sql.Split(script)
	if len(pieces) == 0 {
		t.Fatalf("empty case")
	}
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	last := pieces[len(pieces)-1]
	if err := eng.RunScript(context.Background(), script[:last.Offset], io.Discard); err != nil {
		return "ERROR: " + err.Error()
	}
	st, err := eng.Prepare(last)
	if err != nil {
		return "ERROR: " + err.Error()
	}
	var root plan.Node
	switch st := st.(type) {
	case *sql.Query:
		root = st.Plan
	case *sql.Insert:
		root = st.Query
	default:
		t.Fatalf("last statement is %T, want a SELECT or INSERT", st)
	}
	var b strings.Builder
	b.WriteString(plan.Explain(root))
	if rule == "optimize" {
		for _, s := range optimizer.Trace(root) {
			fmt.Fprintf(&b, "=> pass %d: %s\n%s", s.Pass, s.Rule, plan.Explain(s.Plan))
		}
		return b.String()
	}
	for _, name := range ruleNames {
		after, ok := optimizer.Apply(name, root)
		if !ok {
			t.Fatalf("no rule named %s", name)
		}
		if after == root {
			fmt.Fprintf(&b, "=> %s: no change\n", name)
			continue
		}
		fmt.Fprintf(&b, "=> %s\n%s", name, plan.Explain(after))
		root = after
	}
	return b.String()
}
