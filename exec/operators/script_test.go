package operators

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scripts")

// Script files (testdata/*.txt) are sequences of blocks:
//
//	directive [args]
//	input lines...
//	----
//	expected output lines...
//	<blank line>
//
// Directives:
//
//	window-agg | group-agg | join | calc | topn | setop | timesort
//	                                       start a new operator; input lines
//	                                       are "field: value" (see setup);
//	                                       output: rows emitted in Open
//	batch [in=N]                           rows "+I v1 v2 ..." into input N;
//	                                       output: rows emitted
//	watermark N|max                        output: rows emitted
//	clock N                                set the processing-time clock
//	                                       (ctx.Now) to N ms
//	tick N                                 clock N, then OnTick(N); output:
//	                                       rows emitted
//	finish                                 final watermark and Finish
//	late                                   output: late=<LateRowsDropped>
//	state                                  output: entries per state map
//	restore                                checkpoint, copy state through the
//	                                       codecs, reopen (rebuild)
//
// Every script runs three ways that must give the same output: on the
// memory backend; on a serialising backend (every Get decodes, every Put
// encodes); and restoring after every directive (output compared as a
// multiset per directive, since a rebuilt index may fire keys in another
// order).
type block struct {
	comments []string // comment lines before the directive
	line     int
	cmd      string
	args     []string
	input    []string
	expected []string
}

func parseScript(t *testing.T, path string) []block {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []block
	sc := bufio.NewScanner(f)
	n := 0
	var cur *block
	var comments []string
	inExpected := false
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil:
			if strings.HasPrefix(line, "#") {
				comments = append(comments, line)
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			fields := strings.Fields(line)
			blocks = append(blocks, block{comments: comments, line: n, cmd: fields[0], args: fields[1:]})
			comments = nil
			cur = &blocks[len(blocks)-1]
			inExpected = false
		case !inExpected:
			if line == "----" {
				inExpected = true
				continue
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			cur.input = append(cur.input, line)
		default:
			if strings.TrimSpace(line) == "" {
				cur = nil
				continue
			}
			cur.expected = append(cur.expected, line)
		}
	}
	if cur != nil && !inExpected {
		t.Fatalf("%s:%d: block without ----", path, cur.line)
	}
	return blocks
}

func writeScript(t *testing.T, path string, blocks []block) {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range bl.comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(strings.Join(append([]string{bl.cmd}, bl.args...), " ") + "\n")
		for _, l := range bl.input {
			b.WriteString(l + "\n")
		}
		b.WriteString("----\n")
		for _, l := range bl.expected {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			blocks := parseScript(t, path)
			if *rewrite {
				for i := range blocks {
					blocks[i].expected = nil
				}
				runScript(t, path, blocks, modeMemory, true)
				writeScript(t, path, blocks)
				return
			}
			for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
				t.Run(m.String(), func(t *testing.T) { runScript(t, path, blocks, m, false) })
			}
		})
	}
}

type mode int

const (
	modeMemory mode = iota
	modeSerialised
	modeRestore
)

func (m mode) String() string { return [...]string{"memory", "serialised", "restore"}[m] }

func runScript(t *testing.T, path string, blocks []block, m mode, record bool) {
	serialiseState = m == modeSerialised
	defer func() { serialiseState = false }()
	var h *harness
	var schemas [][]col
	for i := range blocks {
		bl := &blocks[i]
		where := fmt.Sprintf("%s:%d", path, bl.line)
		var out []emitted
		var lines []string
		switch bl.cmd {
		case "window-agg", "group-agg", "join", "calc", "topn", "setop", "timesort":
			newOp, sch, err := setup(bl.cmd, bl.input)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			schemas = sch
			widths := make([]int, len(sch))
			for j, s := range sch {
				widths[j] = len(s)
			}
			h = newHarness(t, newOp, widths...)
			out = h.out.take() // rows emitted in Open
		case "batch":
			in := 0
			for _, a := range bl.args {
				if v, ok := strings.CutPrefix(a, "in="); ok {
					in, _ = strconv.Atoi(v)
				}
			}
			rows, err := parseRows(bl.input, schemas[in])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			out = h.process(in, rows)
		case "watermark":
			wm := exec.MaxWatermark
			if bl.args[0] != "max" {
				wm, _ = strconv.ParseInt(bl.args[0], 10, 64)
			}
			out = h.watermark(wm)
		case "clock":
			h.clock, _ = strconv.ParseInt(bl.args[0], 10, 64)
		case "tick":
			now, _ := strconv.ParseInt(bl.args[0], 10, 64)
			out = h.tick(now)
		case "finish":
			out = h.finish()
		case "late":
			lines = []string{fmt.Sprintf("late=%d", h.ctx.Metrics.LateRowsDropped.Load())}
		case "restore":
			h.restore()
		case "state":
			lines = []string{h.op.(interface{ stateSizes() string }).stateSizes()}
		default:
			t.Fatalf("%s: unknown directive %q", where, bl.cmd)
		}
		for _, r := range out {
			lines = append(lines, formatRow(r))
		}
		if record {
			bl.expected = lines
			continue
		}
		want := bl.expected
		if m == modeRestore {
			lines, want = slices.Sorted(slices.Values(lines)), slices.Sorted(slices.Values(want))
		}
		if !slices.Equal(lines, want) {
			t.Errorf("%s: %s %s\ngot:\n%s\nwant:\n%s", where, bl.cmd, strings.Join(bl.args, " "),
				strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if m == modeRestore && h != nil {
			h.restore()
		}
	}
}

// parseEmit parses an emit strategy: "lateness=N early=D late=D" (ms, any
// subset; early and late enable early and late firing with delay D).
func parseEmit(s string) (EmitStrategy, error) {
	var e EmitStrategy
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return e, fmt.Errorf("emit: bad value in %q", f)
		}
		switch k {
		case "lateness":
			e.AllowLateness = n
		case "early":
			e.EarlyFire, e.EarlyDelay = true, n
		case "late":
			e.LateFire, e.LateDelay = true, n
		default:
			return e, fmt.Errorf("emit: unknown %q", k)
		}
	}
	return e, nil
}

type col struct {
	name string
	t    types.Type
}

// splitTop splits s at commas outside parentheses.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		parts = append(parts, rest)
	}
	return parts
}

func parseType(s string) (types.Type, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "bigint":
		return types.BigInt, nil
	case "int":
		return types.Int32, nil
	case "double":
		return types.Double, nil
	case "varchar":
		return types.String, nil
	case "timestamp":
		return types.Timestamp, nil
	case "bool":
		return types.Bool, nil
	}
	var p, sc uint8
	if _, err := fmt.Sscanf(s, "decimal(%d,%d)", &p, &sc); err == nil {
		return types.DecimalType(p, sc), nil
	}
	return types.Type{}, fmt.Errorf("unknown type %q", s)
}

func parseSchema(s string) ([]col, error) {
	var cols []col
	for _, part := range splitTop(s) {
		name, ts, ok := strings.Cut(part, " ")
		if !ok {
			return nil, fmt.Errorf("column %q needs a type", part)
		}
		t, err := parseType(ts)
		if err != nil {
			return nil, err
		}
		cols = append(cols, col{name: name, t: t})
	}
	return cols, nil
}

func lookup(cols []col, name string) (int, error) {
	for i, c := range cols {
		if c.name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no column %q", name)
}

func lookupAll(cols []col, list string) ([]int, error) {
	var idx []int
	for _, n := range splitTop(list) {
		i, err := lookup(cols, n)
		if err != nil {
			return nil, err
		}
		idx = append(idx, i)
	}
	return idx, nil
}

// parseExpr parses a column name, an integer literal or "a OP b" with OP
// one of < <= > >= = <>.
func parseExpr(cols []col, s string) (expr.Expr, error) {
	s = strings.TrimSpace(s)
	if l, r, ok := strings.Cut(s, " AND "); ok {
		le, err := parseExpr(cols, l)
		if err != nil {
			return nil, err
		}
		re, err := parseExpr(cols, r)
		if err != nil {
			return nil, err
		}
		return expr.NewAnd(le, re)
	}
	f := strings.Fields(s)
	if len(f) == 3 {
		l, err := parseExpr(cols, f[0])
		if err != nil {
			return nil, err
		}
		r, err := parseExpr(cols, f[2])
		if err != nil {
			return nil, err
		}
		return &cmpExpr{l: l, r: r, op: f[1]}, nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &expr.Literal{V: types.IntValue(i), T: types.BigInt}, nil
	}
	i, err := lookup(cols, s)
	if err != nil {
		return nil, err
	}
	return &expr.Col{Index: i, Name: s, T: cols[i].t}, nil
}

// cmpExpr is a comparison for tests (NULL when a side is NULL).
type cmpExpr struct {
	l, r expr.Expr
	op   string
}

func (c *cmpExpr) Type() types.Type { return types.Bool }
func (c *cmpExpr) String() string   { return c.l.String() + " " + c.op + " " + c.r.String() }
func (c *cmpExpr) Eval(row []types.Value) (types.Value, error) {
	a, err := c.l.Eval(row)
	if err != nil {
		return a, err
	}
	b, err := c.r.Eval(row)
	if err != nil {
		return b, err
	}
	if a.IsNull() || b.IsNull() {
		return types.NullValue(), nil
	}
	x := types.Compare(a, b)
	var ok bool
	switch c.op {
	case "<":
		ok = x < 0
	case "<=":
		ok = x <= 0
	case ">":
		ok = x > 0
	case ">=":
		ok = x >= 0
	case "=":
		ok = x == 0
	case "<>":
		ok = x != 0
	default:
		return types.Value{}, fmt.Errorf("bad operator %q", c.op)
	}
	return types.BoolValue(ok), nil
}

var aggFuncs = map[string]plan.AggFunc{"count": plan.AggCount, "sum": plan.AggSum, "min": plan.AggMin,
	"max": plan.AggMax, "avg": plan.AggAvg}

// parseAgg parses "func(arg) [type]", "func(distinct arg) [type]" or "count(*)".
func parseAgg(cols []col, s string) (plan.AggCall, error) {
	open, close := strings.Index(s, "("), strings.Index(s, ")")
	if open < 0 || close < open {
		return plan.AggCall{}, fmt.Errorf("bad aggregate %q", s)
	}
	fn, ok := aggFuncs[strings.ToLower(s[:open])]
	if !ok {
		return plan.AggCall{}, fmt.Errorf("unknown aggregate %q", s[:open])
	}
	call := plan.AggCall{Func: fn, Name: s[:close+1]}
	arg := strings.TrimSpace(s[open+1 : close])
	if a, ok := strings.CutPrefix(arg, "distinct "); ok {
		call.Distinct, arg = true, a
	}
	if arg != "*" {
		e, err := parseExpr(cols, arg)
		if err != nil {
			return call, err
		}
		call.Arg = e
	}
	if rest := strings.TrimSpace(s[close+1:]); rest != "" {
		t, err := parseType(rest)
		if err != nil {
			return call, err
		}
		call.Type = t
	} else {
		call.Type = defaultAggType(call)
	}
	return call, nil
}

// defaultAggType follows Flink's result types.
func defaultAggType(c plan.AggCall) types.Type {
	if c.Func == plan.AggCount {
		return types.BigInt
	}
	at := c.Arg.Type()
	switch c.Func {
	case plan.AggSum:
		if at.Kind == types.KindInt {
			return types.BigInt
		}
		if at.Kind == types.KindDecimal {
			return types.DecimalType(38, at.Scale)
		}
	case plan.AggAvg:
		if at.Kind == types.KindDecimal {
			return types.DecimalType(38, max(6, at.Scale))
		}
	}
	return at
}

func parseWindow(cols []col, s string) (plan.Window, error) {
	var w plan.Window
	if r, ok := strings.CutSuffix(s, " proctime"); ok {
		w.Proctime, s = true, r
	}
	open, close := strings.Index(s, "("), strings.LastIndex(s, ")")
	if open < 0 || close < open {
		return w, fmt.Errorf("bad window %q", s)
	}
	args := splitTop(s[open+1 : close])
	tc, err := lookup(cols, args[0])
	if err != nil {
		return w, err
	}
	w.TimeCol = tc
	nums := make([]int64, len(args)-1)
	for i, a := range args[1:] {
		if nums[i], err = strconv.ParseInt(a, 10, 64); err != nil {
			return w, err
		}
	}
	switch kind := s[:open]; kind {
	case "tumble":
		w.Kind, w.Size = plan.Tumble, nums[0]
	case "hop":
		w.Kind, w.Slide, w.Size = plan.Hop, nums[0], nums[1]
	case "session":
		w.Kind, w.Gap = plan.Session, nums[0]
	case "cumulate":
		w.Kind, w.Step, w.Size = plan.Cumulate, nums[0], nums[1]
	default:
		return w, fmt.Errorf("unknown window %q", kind)
	}
	return w, nil
}

// setup builds an operator constructor from "field: value" lines.
func setup(kind string, lines []string) (func() exec.Operator, [][]col, error) {
	fields := map[string][]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, nil, fmt.Errorf("bad setup line %q", l)
		}
		fields[strings.TrimSpace(k)] = append(fields[strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	one := func(k string) string {
		if v := fields[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var ttl time.Duration // "ttl: N" (ms)
	if v := one("ttl"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("bad ttl %q", v)
		}
		ttl = time.Duration(ms) * time.Millisecond
	}
	switch kind {
	case "setop":
		// schema, op: intersect|except, all: true
		cols, err := parseSchema(one("schema"))
		if err != nil {
			return nil, nil, err
		}
		spec := SetOpSpec{Except: one("op") == "except", All: one("all") == "true", Width: len(cols)}
		return func() exec.Operator { return NewSetOp(spec) }, [][]col{cols, cols}, nil
	case "timesort":
		// schema, time: col, then: col [desc], ...
		cols, err := parseSchema(one("schema"))
		if err != nil {
			return nil, nil, err
		}
		var spec TimeSortSpec
		if spec.TimeCol, err = lookup(cols, one("time")); err != nil {
			return nil, nil, err
		}
		if th := one("then"); th != "" {
			for _, term := range splitTop(th) {
				f := strings.Fields(term)
				i, err := lookup(cols, f[0])
				if err != nil {
					return nil, nil, err
				}
				spec.Then = append(spec.Then, SortKey{Col: i, Desc: len(f) > 1 && f[1] == "desc"})
			}
		}
		return func() exec.Operator { return NewTimeSort(spec) }, [][]col{cols}, nil
	case "topn":
		// schema, partition: cols, order: col [desc], ..., limit: N,
		// emit-rank: true, insert-only: true
		cols, err := parseSchema(one("schema"))
		if err != nil {
			return nil, nil, err
		}
		spec := TopNSpec{OutWidth: len(cols), EmitRank: one("emit-rank") == "true", InsertOnly: one("insert-only") == "true"}
		if p := one("partition"); p != "" {
			for _, c := range splitTop(p) {
				i, err := lookup(cols, c)
				if err != nil {
					return nil, nil, err
				}
				spec.PartitionCols = append(spec.PartitionCols, i)
			}
		}
		for _, term := range splitTop(one("order")) {
			f := strings.Fields(term)
			i, err := lookup(cols, f[0])
			if err != nil {
				return nil, nil, err
			}
			spec.Order = append(spec.Order, RankSortKey{Expr: &expr.Col{Index: i, Name: f[0], T: cols[i].t}, Desc: len(f) > 1 && f[1] == "desc"})
		}
		if spec.Limit, err = strconv.ParseInt(one("limit"), 10, 64); err != nil {
			return nil, nil, fmt.Errorf("bad limit: %v", err)
		}
		return func() exec.Operator { return NewTopN(spec) }, [][]col{cols}, nil
	case "window-agg", "group-agg", "calc":
		cols, err := parseSchema(one("schema"))
		if err != nil {
			return nil, nil, err
		}
		sch := [][]col{cols}
		if kind == "calc" {
			var filter expr.Expr
			if f := one("filter"); f != "" {
				if filter, err = parseExpr(cols, f); err != nil {
					return nil, nil, err
				}
			}
			var projs []expr.Expr
			if p := one("project"); p != "" {
				for _, part := range splitTop(p) {
					e, err := parseExpr(cols, part)
					if err != nil {
						return nil, nil, err
					}
					projs = append(projs, e)
				}
			}
			for range fields["inputs"] {
				sch = append(sch, cols)
			}
			return func() exec.Operator { return NewCalc(filter, projs) }, sch, nil
		}
		var keys []int
		if k := one("keys"); k != "" {
			if keys, err = lookupAll(cols, k); err != nil {
				return nil, nil, err
			}
		}
		var aggs []plan.AggCall
		for _, a := range fields["agg"] {
			c, err := parseAgg(cols, a)
			if err != nil {
				return nil, nil, err
			}
			aggs = append(aggs, c)
		}
		if kind == "group-agg" {
			mbSize, _ := strconv.Atoi(one("mini-batch-size"))
			spec := GroupAggSpec{KeyCols: keys, Aggs: aggs, InsertOnlyInput: one("insert-only") == "true", StateTTL: ttl, MiniBatch: one("mini-batch") == "true", MiniBatchSize: mbSize}
			return func() exec.Operator { return NewGroupAgg(spec) }, sch, nil
		}
		w, err := parseWindow(cols, one("window"))
		if err != nil {
			return nil, nil, err
		}
		spec := WindowAggSpec{KeyCols: keys, Window: w, Aggs: aggs, InsertOnlyInput: one("insert-only") == "true"}
		if e := one("emit"); e != "" {
			emit, err := parseEmit(e)
			if err != nil {
				return nil, nil, err
			}
			return func() exec.Operator { return NewWindowAggEmit(spec, emit) }, sch, nil
		}
		return func() exec.Operator { return NewWindowAgg(spec) }, sch, nil
	case "join":
		left, err := parseSchema(one("left"))
		if err != nil {
			return nil, nil, err
		}
		right, err := parseSchema(one("right"))
		if err != nil {
			return nil, nil, err
		}
		spec := JoinSpec{LeftWidth: len(left), RightWidth: len(right), StateTTL: ttl}
		for _, eq := range splitTop(one("on")) {
			l, r, _ := strings.Cut(eq, "=")
			li, err := lookup(left, strings.TrimSpace(l))
			if err != nil {
				return nil, nil, err
			}
			ri, err := lookup(right, strings.TrimSpace(r))
			if err != nil {
				return nil, nil, err
			}
			spec.LeftKeyCols = append(spec.LeftKeyCols, li)
			spec.RightKeyCols = append(spec.RightKeyCols, ri)
		}
		if we := one("window-end"); we != "" {
			parts := splitTop(we)
			li, err := lookup(left, parts[0])
			if err != nil {
				return nil, nil, err
			}
			ri, err := lookup(right, parts[1])
			if err != nil {
				return nil, nil, err
			}
			spec.WindowEnd = &[2]int{li, ri}
		}
		for side, sch := range [][]col{left, right} {
			bounds := one([]string{"expire-left", "expire-right"}[side])
			if bounds == "" {
				continue
			}
			for _, term := range splitTop(bounds) {
				at, err := parseExpr(sch, term)
				if err != nil {
					return nil, nil, err
				}
				spec.Expire[side] = append(spec.Expire[side], JoinExpiry{At: at})
			}
			spec.AppendOnly = [2]bool{true, true}
		}
		switch k := one("kind"); k {
		case "", "inner":
		case "left", "right", "full":
			spec.Outer = [2]bool{k != "right", k != "left"}
		case "semi":
			spec.Semi = true
		case "anti":
			spec.Anti = true
		default:
			return nil, nil, fmt.Errorf("unknown join kind %q", k)
		}
		if one("append-only") == "true" {
			spec.AppendOnly = [2]bool{true, true}
		}
		if r := one("residual"); r != "" {
			both := append(slices.Clone(left), right...)
			if spec.Residual, err = parseExpr(both, r); err != nil {
				return nil, nil, err
			}
		}
		return func() exec.Operator { return NewJoin(spec) }, [][]col{left, right}, nil
	}
	return nil, nil, fmt.Errorf("unknown operator %q", kind)
}

func parseRows(lines []string, cols []col) ([]emitted, error) {
	var rows []emitted
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != len(cols)+1 {
			return nil, fmt.Errorf("row %q: want op and %d values", l, len(cols))
		}
		op, err := parseOp(f[0])
		if err != nil {
			return nil, err
		}
		vals := make([]types.Value, len(cols))
		for i, c := range cols {
			if vals[i], err = parseValue(f[i+1], c.t); err != nil {
				return nil, fmt.Errorf("row %q: %v", l, err)
			}
		}
		rows = append(rows, emitted{op: op, vals: vals})
	}
	return rows, nil
}
