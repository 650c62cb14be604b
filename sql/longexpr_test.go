package sql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// TestLongChainsBind binds an 8000-term OR and a 16000-term sum (constant
// folding used to walk every operand's whole subtree again: quadratic)
// and checks what they compute.
func TestLongChainsBind(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.BigInt}}
	or, err := ParseExpr(testkit.LongOr(8000), schema)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[int64]string{0: "TRUE", 7999: "TRUE", 8000: "FALSE", -1: "FALSE"} {
		v, err := or.Eval([]types.Value{types.IntValue(k)})
		if err != nil || types.Render(v, or.Type()) != want {
			t.Errorf("k = %d: OR chain = %s (%v), want %s", k, types.Render(v, or.Type()), err, want)
		}
	}
	sum, err := ParseExpr(testkit.LongSum(16000)+" + 2 * 3", schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sum.Eval([]types.Value{types.IntValue(3)})
	if err != nil || types.Render(v, sum.Type()) != "48006" {
		t.Errorf("16000 × 3 + 6 = %s (%v)", types.Render(v, sum.Type()), err)
	}
}

func BenchmarkBindLongOr(b *testing.B) {
	schema := types.Schema{{Name: "k", Type: types.BigInt}}
	for _, n := range []int{1000, 4000, 8000} {
		text := testkit.LongOr(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseExpr(text, schema); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/term")
		})
	}
}

// TestIntervalOutOfRange: an interval beyond expr.MaxIntervalMillis is an
// error that says so, at the interval's value (it used to wrap, render as
// "--106751991167 16:47:04.(0(" and make a window "not positive").
func TestIntervalOutOfRange(t *testing.T) {
	cat := catalog.New()
	if err := cat.AddTable(&catalog.Table{Name: "t", ProctimeColumn: -1, Columns: types.Schema{
		{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.TimestampType(3)}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, at string }{
		{"SELECT COUNT(*) FROM t GROUP BY TUMBLE(ts, INTERVAL '999999999999' DAY)", "'999999999999'"},
		{"SELECT INTERVAL '3652059' DAY", "'3652059'"},
		{"SELECT DATE_ADD(ts, INTERVAL 3652059 DAY) FROM t", "3652059"},
	} {
		p := Piece{Text: "\n  " + c.text, Index: 2, Line: 1, Col: 1}
		_, err := Compile(p, cat)
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrInvalid || !strings.Contains(e.Msg, "is out of range: an interval is at most 3652058 days") {
			t.Errorf("%s: err = %v, want an out-of-range error", c.text, err)
			continue
		}
		if wantCol := 3 + strings.Index(c.text, c.at); e.Stmt != 2 || e.Line != 2 || e.Col != wantCol {
			t.Errorf("%s: error at statement %d, %d:%d, want 2, 2:%d", c.text, e.Stmt, e.Line, e.Col, wantCol)
		}
	}
	// The largest interval is accepted and renders exactly.
	e, err := ParseExpr("INTERVAL '3652058' DAY", types.Schema{{Name: "k", Type: types.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := e.Eval(nil)
	if got := types.Render(v, e.Type()); got != "+3652058 00:00:00.000" {
		t.Errorf("INTERVAL '3652058' DAY renders as %s", got)
	}
}
