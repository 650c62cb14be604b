package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// AggFunc is an aggregate function.
type AggFunc uint8

const (
	AggCount AggFunc = iota // COUNT(x): non-NULL x; COUNT(*) has Arg == nil
	AggSum
	AggMin
	AggMax
	AggAvg
	AggListAgg     // LISTAGG(x [, sep]): non-NULL x joined by Sep in arrival order
	AggGroupConcat // GROUP_CONCAT(x [ORDER BY ...] [SEPARATOR s]): LISTAGG, optionally ordered
	AggFirstValue  // FIRST_VALUE(x): first non-NULL x by arrival
	AggLastValue   // LAST_VALUE(x): last non-NULL x by arrival
	AggStddevPop
	AggStddevSamp
	AggVarPop
	AggVarSamp
	AggBoolAnd
	AggBoolOr
	// AggSingleValue is the value of a scalar subquery's only row: NULL
	// over no rows, an error over more than one (MySQL's "Subquery returns
	// more than 1 row"). The SQL binder adds it; it has no SQL name.
	AggSingleValue
)

var aggNames = [...]string{"COUNT", "SUM", "MIN", "MAX", "AVG", "LISTAGG", "GROUP_CONCAT",
	"FIRST_VALUE", "LAST_VALUE", "STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP", "BOOL_AND", "BOOL_OR", "SINGLE_VALUE"}

func (f AggFunc) String() string { return aggNames[f] }

// AggCall is one aggregate in a GROUP BY. Every expression is bound
// against the Aggregate's input (Exprs lists them; MapExprs rewrites them).
type AggCall struct {
	Func     AggFunc
	Distinct bool
	Arg      expr.Expr // nil for COUNT(*)
	Type     types.Type
	Name     string
	// More holds COUNT(DISTINCT a, b, ...)'s arguments after the first:
	// a row counts when all are non-NULL, once per distinct tuple.
	More []expr.Expr
	// Sep is the separator of LISTAGG and GROUP_CONCAT.
	Sep string
	// OrderBy and Desc order GROUP_CONCAT's values (ties in arrival order).
	OrderBy []expr.Expr
	Desc    []bool
	// Filter is FILTER (WHERE cond): a row is folded into (or out of) this
	// call only when Filter is TRUE; nil folds every row.
	Filter expr.Expr
}

func (a AggCall) String() string {
	s := aggCallText(a)
	if a.Filter != nil {
		s += " FILTER (WHERE " + a.Filter.String() + ")"
	}
	return s
}

// WindowKind is a group window type.
type WindowKind uint8

const (
	Tumble WindowKind = iota
	Hop
	Session
	Cumulate
)

var windowNames = [...]string{"TUMBLE", "HOP", "SESSION", "CUMULATE"}

func (k WindowKind) String() string { return windowNames[k] }

// Window is a group window in GROUP BY. Durations are milliseconds.
// Windows are half-open [start, end) and aligned to the Unix epoch.
//   - Tumble: Size.
//   - Hop: Slide, Size (HOP(t, slide, size)).
//   - Session: Gap; a session ends at its last event + Gap.
//   - Cumulate: Step, Size (CUMULATE(t, step, size)): windows
//     [k*Size, k*Size + n*Step) for n = 1 .. Size/Step.
type Window struct {
	Kind    WindowKind
	TimeCol int // index of the time attribute in the Aggregate's input
	Size    int64
	Slide   int64
	Gap     int64
	Step    int64
	// Proctime is true when TimeCol is a PROCTIME() attribute.
	Proctime bool
	// Offset shifts the alignment of TUMBLE, HOP and CUMULATE windows from
	// the Unix epoch by this many ms (the window TVFs' offset argument):
	// TUMBLE windows are [Offset + k*Size, Offset + (k+1)*Size).
	Offset int64
}

// MaxWindowsPerRow bounds the windows one row falls into: size/slide for
// HOP, size/step for CUMULATE. A row is folded once, but it is emitted in
// every window that holds it, so a larger ratio means that many output
// rows (and that much work) per row and key; the planner refuses it.
const MaxWindowsPerRow = 100000

// WindowsPerRow is how many windows one row falls into (1 for TUMBLE and
// SESSION).
func (w *Window) WindowsPerRow() int64 {
	switch {
	case w.Kind == Hop && w.Slide > 0:
		return (w.Size + w.Slide - 1) / w.Slide // at most; size need not be a multiple of slide
	case w.Kind == Cumulate && w.Step > 0:
		return w.Size / w.Step
	}
	return 1
}

func (w *Window) String() string {
	if w.Offset != 0 {
		u := *w
		u.Offset = 0
		return fmt.Sprintf("%s offset=%dms", u.String(), w.Offset)
	}
	switch w.Kind {
	case Tumble:
		return fmt.Sprintf("TUMBLE(#%d, %dms)", w.TimeCol, w.Size)
	case Hop:
		return fmt.Sprintf("HOP(#%d, slide=%dms, size=%dms)", w.TimeCol, w.Slide, w.Size)
	case Session:
		return fmt.Sprintf("SESSION(#%d, gap=%dms)", w.TimeCol, w.Gap)
	default:
		return fmt.Sprintf("CUMULATE(#%d, step=%dms, size=%dms)", w.TimeCol, w.Step, w.Size)
	}
}

// Aggregate is GROUP BY. Output schema: the group keys in order, then (if
// Window != nil) window_start and window_end as TIMESTAMP(3), then one
// column per aggregate.
//
// With a Window the output is append-only: each (key, window) row is emitted
// once, when the watermark reaches window end - 1 ms. Without one the output
// is a changelog keyed by the group keys (+I, then -U/+U per change, -D when
// a group becomes empty after retractions).
type Aggregate struct {
	Input     Node
	GroupKeys []expr.Expr // bound against Input
	KeyNames  []string
	Window    *Window
	Aggs      []AggCall
	// WindowKeys, when not nil, marks a window aggregate over rows that
	// carry their window already (a window aggregate's or window table
	// function's output): GroupKeys[WindowKeys[0]] and [1] are that
	// window's start and end, and Window is TUMBLE(1 ms) over end - 1 ms
	// (the input's last column), so that each window's groups are emitted
	// once, when the watermark passes its end - 1 ms, as the window they
	// came from closes. The output is that window's: append-only.
	WindowKeys *[2]int
}

func (a *Aggregate) Schema() types.Schema {
	var s types.Schema
	for i, k := range a.GroupKeys {
		s = append(s, types.Column{Name: a.KeyNames[i], Type: k.Type()})
	}
	if a.Window != nil {
		s = append(s, types.Column{Name: "window_start", Type: types.Timestamp},
			types.Column{Name: "window_end", Type: types.Timestamp})
	}
	for _, c := range a.Aggs {
		s = append(s, types.Column{Name: c.Name, Type: c.Type})
	}
	return s
}
func (a *Aggregate) Children() []Node { return []Node{a.Input} }
func (a *Aggregate) Describe() string {
	var parts []string
	for _, k := range a.GroupKeys {
		parts = append(parts, k.String())
	}
	var aggs []string
	for _, c := range a.Aggs {
		aggs = append(aggs, c.String())
	}
	s := "Aggregate"
	switch {
	case a.WindowKeys != nil:
		s = fmt.Sprintf("WindowAggregate window=[%s, %s]", a.GroupKeys[a.WindowKeys[0]], a.GroupKeys[a.WindowKeys[1]])
	case a.Window != nil:
		s = "WindowAggregate " + a.Window.String()
	}
	return fmt.Sprintf("%s keys=[%s] aggs=[%s]", s, strings.Join(parts, ", "), strings.Join(aggs, ", "))
}
