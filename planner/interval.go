package planner

import (
	"strings"

	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// isRowtime reports whether e, evaluated over the stream's rows, follows
// the stream's watermark (see stream.rowtimes): one of its rowtime
// columns, or window_end - 1 ms (TUMBLE_ROWTIME and friends).
func (s stream) isRowtime(e expr.Expr) bool {
	if c, ok := expr.AsCol(e); ok {
		return s.hasRowtime(c.Index)
	}
	a, ok := e.(*expr.Arith)
	if !ok || a.Op != expr.OpSub || s.windowEnd < 0 {
		return false
	}
	c, ok := expr.AsCol(a.L)
	if !ok || c.Index != s.windowEnd {
		return false
	}
	ms, ok := intervalConst(a.R)
	// A window of end e fires at watermark e - 1: its rows hold e - 1 > W
	// for every watermark W that follows them, but not e - 2.
	return ok && ms >= 0 && ms <= 1
}

func (s stream) hasRowtime(col int) bool {
	for _, c := range s.rowtimes {
		if c == col {
			return true
		}
	}
	return false
}

// intervalConst returns the milliseconds of a constant INTERVAL expression.
func intervalConst(e expr.Expr) (int64, bool) {
	l, ok := e.(*expr.Literal)
	if !ok || l.T.Kind != types.KindInterval || l.V.IsNull() {
		return 0, false
	}
	return l.V.Millis(), true
}

// conjuncts splits an AND tree into its terms (nil gives none).
func conjuncts(e expr.Expr) []expr.Expr { return expr.Conjuncts(e) }

// andAll joins terms with AND (nil for none).
func andAll(terms []expr.Expr) expr.Expr { return expr.AndAll(terms) }

// intervalBounds finds the time bounds of a join condition (the residual,
// bound against left ++ right, left width lw) that let the join forget
// rows. A term lo <= hi (also <, >=, >, BETWEEN) in which lo is a rowtime
// attribute of one side X plus a constant c, and hi an expression over the
// other side Y only, says that a Y row only matches X rows with
// X.rt <= hi(Y) - c. Every X row arriving after watermark W has X.rt > W,
// so once W >= hi(Y) - c the Y row can match nothing more and is dropped.
//
// The result holds, per side, the expiries of its rows (each bound against
// that side's row alone); an empty list means that side's rows are kept.
// Both inputs must be append-only: the bounds are applied to additions.
func intervalBounds(residual expr.Expr, l, r stream) [2][]operators.JoinExpiry {
	var out [2][]operators.JoinExpiry
	lw := len(l.schema)
	sides := [2]stream{l, r}
	for _, t := range conjuncts(residual) {
		for _, p := range lessEqualPairs(t) {
			x, shift, ok := rowtimePlus(p[0], lw, sides)
			if !ok {
				continue
			}
			y := 1 - x
			if expr.Sides(p[1], lw) != 1<<y {
				continue
			}
			if p[1].Type().Kind != types.KindTimestamp {
				continue
			}
			hi := p[1]
			if y == 1 {
				hi = expr.MapColumns(hi, func(c *expr.Col) expr.Expr {
					return &expr.Col{Index: c.Index - lw, Name: c.Name, T: c.T}
				})
			}
			out[y] = append(out[y], operators.JoinExpiry{At: hi, Minus: shift})
		}
	}
	return out
}

// lessEqualPairs returns the (lo, hi) pairs a comparison term asserts
// lo <= hi (or lo < hi) for.
func lessEqualPairs(t expr.Expr) [][2]expr.Expr {
	switch c := t.(type) {
	case *expr.Compare:
		switch c.Op {
		case expr.CmpLE, expr.CmpLT:
			return [][2]expr.Expr{{c.L, c.R}}
		case expr.CmpGE, expr.CmpGT:
			return [][2]expr.Expr{{c.R, c.L}}
		}
	case *expr.Between:
		if !c.Not {
			return [][2]expr.Expr{{c.Lo, c.X}, {c.X, c.Hi}}
		}
	}
	return nil
}

// rowtimePlus matches e against "rowtime of one side" or "rowtime ± a
// constant interval" and returns the side and the constant.
func rowtimePlus(e expr.Expr, lw int, sides [2]stream) (side int, plus int64, ok bool) {
	if a, isArith := e.(*expr.Arith); isArith && (a.Op == expr.OpAdd || a.Op == expr.OpSub) {
		ms, isConst := intervalConst(a.R)
		if !isConst {
			return 0, 0, false
		}
		if a.Op == expr.OpSub {
			ms = -ms
		}
		if _, isCol := expr.AsCol(a.L); !isCol {
			return 0, 0, false
		}
		side, _, ok = rowtimePlus(a.L, lw, sides)
		return side, ms, ok
	}
	c, isCol := expr.AsCol(e)
	if !isCol {
		return 0, 0, false
	}
	if c.Index < lw {
		return 0, 0, sides[0].hasRowtime(c.Index)
	}
	return 1, 0, sides[1].hasRowtime(c.Index - lw)
}

// expiryDesc describes an interval join's state bounds for EXPLAIN.
func expiryDesc(bounds [2][]operators.JoinExpiry) string {
	var parts []string
	for side, list := range bounds {
		name := "left"
		if side == 1 {
			name = "right"
		}
		if len(list) == 0 {
			parts = append(parts, name+" rows kept")
			continue
		}
		var at []string
		for _, e := range list {
			s := e.At.String()
			if e.Minus > 0 {
				s += " - " + fmtDuration(e.Minus)
			} else if e.Minus < 0 {
				s += " + " + fmtDuration(-e.Minus)
			}
			at = append(at, s)
		}
		until := at[0]
		if len(at) > 1 {
			until = "min(" + strings.Join(at, ", ") + ")"
		}
		parts = append(parts, name+" rows until watermark >= "+until)
	}
	return strings.Join(parts, "; ")
}
