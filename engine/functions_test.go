package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/sql"
)

// SHOW FUNCTIONS lists every function name the SQL surface knows (the
// names completion and "did you mean" use), sorted, each with a kind and
// a signature that names it; the aggregates show their optional parts.
func TestShowFunctions(t *testing.T) {
	e, _ := newTestEngine()
	st, err := sql.Compile(sql.Piece{Text: "SHOW FUNCTIONS"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Execute(context.Background(), st, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Schema) != 3 || res.Schema[0].Name != "function name" || res.Schema[2].Name != "signature" {
		t.Fatalf("schema %v", res.Schema)
	}
	kind := map[string]string{}
	sig := map[string]string{}
	var names []string
	for _, r := range res.Rows {
		n := r[0].Str()
		names = append(names, n)
		kind[n], sig[n] = r[1].Str(), r[2].Str()
		if !strings.Contains(sig[n], n+"(") && !strings.Contains(sig[n], n+" ") {
			t.Errorf("%s: signature %q does not show the call", n, sig[n])
		}
	}
	if !slices.IsSorted(names) {
		t.Error("SHOW FUNCTIONS is not sorted by name")
	}
	for _, n := range expr.FunctionNames() {
		if _, ok := kind[n]; !ok {
			t.Errorf("%s is missing from SHOW FUNCTIONS", n)
		}
	}
	for n, want := range map[string]string{"UPPER": "scalar", "CAST": "scalar", "COUNT": "aggregate", "LISTAGG": "aggregate",
		"GROUP_CONCAT": "aggregate", "FIRST_VALUE": "aggregate", "LAST_VALUE": "aggregate", "STDDEV_SAMP": "aggregate",
		"VAR_POP": "aggregate", "BOOL_OR": "aggregate", "TUMBLE": "window", "HOP_END": "window property"} {
		if kind[n] != want {
			t.Errorf("%s: kind %q, want %q", n, kind[n], want)
		}
	}
	for n, part := range map[string]string{"LISTAGG": "LISTAGG(x [, separator])", "GROUP_CONCAT": "[SEPARATOR s]",
		"COUNT": "COUNT(DISTINCT a, b, ...)", "SUBSTRING": "SUBSTRING("} {
		if !strings.Contains(sig[n], part) {
			t.Errorf("%s: signature %q lacks %q", n, sig[n], part)
		}
	}
	if !strings.Contains(Help(), "SHOW FUNCTIONS") {
		t.Error("HELP does not mention SHOW FUNCTIONS")
	}
}
