package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/sql"
)

func newLongExprEngine(t testing.TB) *Engine {
	e := New(Options{Stdout: discard{}, Stderr: discard{}})
	if err := e.Exec("CREATE TABLE nums (k BIGINT); INSERT INTO nums VALUES (1), (5), (7999), (8000), (NULL)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.StopAll)
	return e
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// planOnly compiles and plans (EXPLAIN) one statement.
func planOnly(tb testing.TB, e *Engine, text string) {
	st, err := e.Prepare(sql.Piece{Text: "EXPLAIN " + text, Index: 1, Line: 1, Col: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.Execute(context.Background(), st, ExecOptions{Sync: true}); err != nil {
		tb.Fatal(err)
	}
}

func BenchmarkPlanLongOr(b *testing.B) {
	for _, n := range []int{1000, 4000, 8000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e := newLongExprEngine(b)
			q := "SELECT k FROM nums WHERE " + testkit.LongOr(n)
			for b.Loop() {
				planOnly(b, e, q)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/term")
		})
	}
}

func BenchmarkPlanLongSum(b *testing.B) {
	for _, n := range []int{1000, 4000, 16000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e := newLongExprEngine(b)
			q := "SELECT " + testkit.LongSum(n) + " FROM nums"
			for b.Loop() {
				planOnly(b, e, q)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/term")
		})
	}
}

// TestLongChainsRun plans and runs an 8000-term OR and a 16000-term sum
// (planning used to take 24 s and over 30 s: quadratic in the chain) and
// checks their results over a small in-memory table; EXPLAIN plans them
// too.
func TestLongChainsRun(t *testing.T) {
	e := newLongExprEngine(t)
	cases := []struct{ q, want string }{
		{"SELECT k FROM nums WHERE " + testkit.LongOr(8000), "[1] [5] [7999]"},
		{"SELECT k, " + testkit.LongSum(16000) + " FROM nums WHERE k < 10", "[1 16000] [5 80000]"},
	}
	for _, c := range cases {
		planOnly(t, e, c.q)
		_, rows, err := e.Query(c.q)
		if err != nil {
			t.Fatalf("%.60s…: %v", c.q, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprint(r))
		}
		slices.Sort(got)
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%.60s… = %s, want %s", c.q, s, c.want)
		}
	}
}
