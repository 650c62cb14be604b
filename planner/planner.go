package planner

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/optimizer"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Config holds the job settings that shape a graph.
type Config struct {
	Parallelism    int   // parallelism.default
	MaxParallelism int   // pipeline.max-parallelism (key groups)
	IdleTimeoutMs  int64 // table.exec.source.idle-timeout
	BatchSize      int
	// StateTTL drops idle state of non-windowed aggregates and regular
	// joins (table.exec.state.ttl; 0 keeps it forever).
	StateTTL time.Duration
	// Emit is the window emit strategy (table.exec.emit.*).
	Emit EmitConfig
	// NoSubPlanReuse translates every subtree, even one equal to a
	// subtree translated already (table.optimizer.reuse-sub-plan-enabled
	// = false; see reuse.go).
	NoSubPlanReuse bool
	// MiniBatch folds the rows of a non-windowed GROUP BY into their
	// groups before emitting (table.exec.mini-batch.enabled; see
	// operators.GroupAggSpec.MiniBatch). MiniBatchLatency
	// (table.exec.mini-batch.allow-latency) is how long a mini-batch may
	// hold rows back across input batches (0: it is one input batch);
	// MiniBatchSize (table.exec.mini-batch.size) bounds its rows (0: no
	// bound beyond the latency, or without one, the input batch).
	MiniBatch        bool
	MiniBatchSize    int
	MiniBatchLatency time.Duration
	// AggPhase is table.optimizer.agg-phase-strategy: AggPhaseAuto (the
	// zero value) splits a window aggregate into a local and a global
	// phase when its input runs at parallelism above 1, AggPhaseTwo always
	// (when its aggregates merge: operators.CanSplitWindowAgg),
	// AggPhaseOne never.
	AggPhase AggPhase
	// SplitDistinct runs a non-windowed GROUP BY with DISTINCT aggregates
	// as two aggregates, the first grouped by SplitBuckets buckets of the
	// distinct values too (table.optimizer.distinct-agg.split.enabled and
	// .bucket-num; see split_distinct.go).
	SplitDistinct bool
	SplitBuckets  int
}

// AggPhase is the agg-phase strategy (Config.AggPhase).
type AggPhase uint8

const (
	AggPhaseAuto AggPhase = iota
	AggPhaseOne
	AggPhaseTwo
)

func (c Config) withDefaults() Config {
	if c.Parallelism <= 0 {
		c.Parallelism = 1
	}
	if c.MaxParallelism <= 0 {
		c.MaxParallelism = state.DefaultMaxParallelism
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1024
	}
	return c
}

// Plan is a planned job.
type Plan struct {
	Graph *exec.JobGraph
	// Schema of the rows the job produces (the query's, or the sink table's).
	Schema types.Schema
	// AppendOnly is false when the result is a changelog.
	AppendOnly bool
	// Bounded is true when every source ends.
	Bounded bool
	// Optimized holds the logical plan of each query after the optimizer's
	// rules (package optimizer), in the order of the targets (one for a
	// SELECT): what the operator graph was built from.
	Optimized []plan.Node
	// Edges, for EXPLAIN.
	explain []string
}

// Error is a planning error.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// stream describes the output of a translated subtree.
type stream struct {
	vertex      int
	parallelism int
	schema      types.Schema
	appendOnly  bool
	bounded     bool
	eventTime   bool // every source below declares a watermark
	windowStart int  // column holding window_start (-1)
	windowEnd   int  // column holding window_end (-1)
	// rowtimes are the columns that follow the stream's watermark: a row
	// that arrives after watermark W holds a value above W in each of them
	// (the declared watermark column of a source, a window's end and
	// window_end - 1 ms). Interval joins bound their state with them.
	rowtimes []int
	// updates names what makes the stream a changelog when that is not a
	// non-windowed aggregate or a join (for the sink's error); "" otherwise.
	updates string
}

type builder struct {
	cfg Config
	env *connectors.Env
	g   *exec.JobGraph
	ids map[string]int
	// scans holds the source of each table read so far: a table read
	// twice in one query (a self-join, two views over one table) is read
	// once and its rows go to every reader, so that the readers see the
	// same rows at the same pace (one watermark) and a source with side
	// effects (a socket, a Kafka consumer group) is opened once.
	scans map[*catalog.Table]stream
	// built lists the subtrees translated so far, for sub-plan reuse.
	built []builtPlan
	// read holds the columns the job reads of each table it scans (see
	// columns_read.go).
	read map[*catalog.Table][]bool
	// partials holds the partial aggregates of split distinct
	// aggregations (split_distinct.go), which are planned as they are.
	partials map[*plan.Aggregate]bool
}

// PlanQuery plans a SELECT whose rows are handed to collect (one batch at a
// time, never concurrently). delivered remembers which checkpointed results
// were handed over; a query planned again (a restart at another
// parallelism) must pass the same set so that nothing is handed over twice
// (nil: a new set).
func PlanQuery(root plan.Node, cfg Config, env *connectors.Env, collect func(*types.Batch) error, delivered *exec.DeliveredSet) (*Plan, error) {
	b := newBuilder(cfg, env)
	root = optimizer.Optimize(root)
	b.read = scanColumns([]plan.Node{root})
	s, err := b.build(root)
	if err != nil {
		return nil, err
	}
	fn := collect
	if fn == nil {
		fn = func(*types.Batch) error { return nil }
	}
	edge := exec.Edge{From: s.vertex, Partitioning: exec.Global}
	if delivered == nil {
		delivered = exec.NewDeliveredSet()
	}
	b.add(&exec.Vertex{Name: "Collect", Parallelism: 1, Schema: s.schema, Sink: true,
		NewOperator: func() exec.Operator { return &exec.CollectOperator{Fn: fn, Delivered: delivered} }}, "Collect", edge)
	return &Plan{Graph: b.g, Schema: s.schema, AppendOnly: s.appendOnly, Bounded: s.bounded, Optimized: []plan.Node{root}}, nil
}

// PlanInsert plans INSERT INTO table <root>. root's schema matches the
// table's physical columns.
func PlanInsert(table *catalog.Table, root plan.Node, cfg Config, env *connectors.Env) (*Plan, error) {
	return PlanInserts([]Target{{Table: table, Query: root}}, cfg, env)
}

// Target is one INSERT of a job: its table and its query (whose schema
// matches the table's physical columns).
type Target struct {
	Table *catalog.Table
	Query plan.Node
}

// PlanInserts plans several INSERTs as one job (a statement set): one
// graph with a sink per target. A table several queries read is read by
// one source whose rows go to each (the builder shares scans), and one
// checkpoint covers every sink. The Plan's Schema, AppendOnly and Bounded
// describe the whole job: the first target's schema, append-only and
// bounded when every query is.
func PlanInserts(targets []Target, cfg Config, env *connectors.Env) (*Plan, error) {
	b := newBuilder(cfg, env)
	out := &Plan{AppendOnly: true, Bounded: true}
	for _, t := range targets {
		out.Optimized = append(out.Optimized, optimizer.Optimize(t.Query))
	}
	b.read = scanColumns(out.Optimized)
	for i, t := range targets {
		query := out.Optimized[i]
		s, err := b.build(query)
		if err != nil {
			if len(targets) > 1 {
				return nil, errorf("INSERT INTO %s (statement %d of the set): %s", t.Table.Name, i+1, err.Error())
			}
			return nil, err
		}
		if err := b.addSink(t.Table, s); err != nil {
			return nil, err
		}
		if i == 0 {
			out.Schema = s.schema
		}
		out.AppendOnly = out.AppendOnly && s.appendOnly
		out.Bounded = out.Bounded && s.bounded
	}
	out.Graph = b.g
	return out, nil
}

// addSink adds the sink vertex of table fed by s.
func (b *builder) addSink(table *catalog.Table, s stream) error {
	sink, accepts, err := b.newSink(table)
	if err != nil {
		return err
	}
	if !s.appendOnly && !accepts {
		what, fix := "a non-windowed aggregate, a join over updates, or a regular outer or anti join", "or use a window"
		if s.updates != "" {
			what, fix = s.updates, "or reset the table.exec.emit.* keys"
		}
		return errorf("table %s (connector '%s') only accepts inserts, but the query produces updates (%s); write to a sink that accepts a changelog, e.g. 'print', %s", table.Name, connectorName(table), what, fix)
	}
	par := b.cfg.Parallelism
	edge := exec.Edge{From: s.vertex, Partitioning: exec.Forward}
	if s.parallelism != par {
		edge.Partitioning = exec.Rebalance
	}
	if !s.appendOnly && len(table.PrimaryKey) > 0 {
		// Updates of one key must reach the same sink instance in order.
		edge = exec.Edge{From: s.vertex, Partitioning: exec.Hash, KeyCols: physicalKeyCols(table)}
	} else if !s.appendOnly && s.parallelism != par {
		par = s.parallelism
		edge.Partitioning = exec.Forward
	}
	if table.IsMemory() {
		// An in-memory table is one log whose order is the arrival order:
		// a single writer keeps it.
		par = 1
		edge = exec.Edge{From: s.vertex, Partitioning: exec.Global}
	}
	name := "Sink " + table.Name
	b.add(&exec.Vertex{Name: name, Parallelism: par, Schema: s.schema, Sink: true,
		NewOperator: func() exec.Operator { return exec.NewSinkOperator(table.Name, sink) },
		KeyDesc:     keyDesc(table.PhysicalColumns(), edge.KeyCols)}, name+" "+connectorName(table), edge)
	return nil
}

func physicalKeyCols(t *catalog.Table) []int {
	var out []int
	for _, k := range t.PrimaryKey {
		i := k
		if t.ProctimeColumn >= 0 && k > t.ProctimeColumn {
			i--
		}
		out = append(out, i)
	}
	return out
}

func connectorName(t *catalog.Table) string {
	if t.IsMemory() {
		return "memory"
	}
	return t.Connector()
}

func newBuilder(cfg Config, env *connectors.Env) *builder {
	cfg = cfg.withDefaults()
	return &builder{cfg: cfg, env: env, ids: map[string]int{}, scans: map[*catalog.Table]stream{},
		g: &exec.JobGraph{MaxParallelism: cfg.MaxParallelism, BatchSize: cfg.BatchSize}}
}

// add appends a vertex with a stable id derived from kind, the description
// and the input ids, and returns its index.
func (b *builder) add(v *exec.Vertex, desc string, inputs ...exec.Edge) int {
	return b.addAs(v, v.Name, desc, inputs, inputs...)
}

// addAs is add for a vertex whose id is the one a vertex named idName
// with inputs idInputs would have: the global phase of a two-phase
// aggregate keeps the one-phase aggregate's id (and so its state, which
// is the same), whatever runs before it.
func (b *builder) addAs(v *exec.Vertex, idName, desc string, idInputs []exec.Edge, inputs ...exec.Edge) int {
	h := fnv.New64a()
	h.Write([]byte(desc))
	for _, e := range idInputs {
		h.Write([]byte{0})
		h.Write([]byte(b.g.Vertices[e.From].ID))
		// The partitioning kind is left out on purpose: it can change with
		// parallelism, and ids must not (a checkpoint restores at another).
		fmt.Fprintf(h, "/%v", e.KeyCols)
	}
	kind := strings.ToLower(strings.Fields(idName)[0])
	id := fmt.Sprintf("%s-%012x", kind, h.Sum64()&0xffffffffffff)
	if n := b.ids[id]; n > 0 {
		b.ids[id] = n + 1
		id = fmt.Sprintf("%s-%d", id, n)
	} else {
		b.ids[id] = 1
	}
	v.ID = id
	v.Inputs = inputs
	b.g.Vertices = append(b.g.Vertices, v)
	return len(b.g.Vertices) - 1
}

// build translates subtree n, or returns the output of an equal subtree
// translated already (see reuse.go).
func (b *builder) build(n plan.Node) (stream, error) {
	if s, ok := b.reused(n); ok {
		return s, nil
	}
	s, err := b.buildNode(n)
	if err == nil {
		b.built = append(b.built, builtPlan{node: n, out: s})
	}
	return s, err
}

func (b *builder) buildNode(n plan.Node) (stream, error) {
	switch n := n.(type) {
	case *plan.Scan:
		return b.buildScan(n)
	case *plan.Values:
		return b.buildValues(n)
	case *plan.Filter:
		return b.buildCalc(n.Input, n.Cond, nil, nil, n.Schema())
	case *plan.Project:
		// A projection of a filter's rows is one Calc vertex.
		if f, ok := n.Input.(*plan.Filter); ok {
			return b.buildCalc(f.Input, f.Cond, n.Exprs, n.Names, n.Schema())
		}
		if lj, ok := n.Input.(*plan.LookupJoin); ok {
			return b.buildLookupProject(n, lj) // lookup.go
		}
		return b.buildCalc(n.Input, nil, n.Exprs, n.Names, n.Schema())
	case *plan.Aggregate:
		return b.buildAggregate(n)
	case *plan.WindowTVF:
		return b.buildWindowTVF(n)
	case *plan.Expand:
		return b.buildExpand(n) // expand.go
	case *plan.Join:
		return b.buildJoin(n)
	case *plan.LookupJoin:
		return b.buildLookupJoin(n, nil, nil) // lookup.go
	case *plan.Union:
		return b.buildUnion(n)
	case *plan.SetOp:
		return b.buildSetOp(n) // setop.go
	case *plan.Sort:
		return b.buildSort(n) // sort.go
	case *plan.Over:
		return b.buildOver(n) // over.go
	case *plan.Rank:
		return stream{}, errRankWithoutLimit
	case *plan.Apply:
		// A subquery the decorrelate rule could not rewrite into a join.
		msg, hint := optimizer.Refusal(n)
		return stream{}, errorf("%s: %s (%s)", n.Pos, msg, hint)
	}
	return stream{}, errorf("cannot plan %T", n)
}

func (b *builder) buildScan(n *plan.Scan) (stream, error) {
	t := n.Table
	if s, ok := b.scans[t]; ok {
		return s, nil
	}
	src, err := b.newSource(t)
	if err != nil {
		return stream{}, err
	}
	if cs, ok := src.(connectors.ColumnSkipper); ok && b.read[t] != nil {
		cs.SkipColumns(physicalRead(t, b.read[t]))
	}
	par := b.cfg.Parallelism
	splits, err := src.Splits(par)
	if err != nil {
		return stream{}, tableError(t, err)
	}
	// No more source instances than splits: an instance without a split
	// would only hold back the watermark of the operators it feeds.
	if len(splits) < par {
		par = max(1, len(splits))
	}
	spec := &exec.SourceSpec{Table: t, Source: src, Splits: splits, Watermark: t.Watermark,
		ProctimeCol: t.ProctimeColumn, IdleTimeoutMs: b.cfg.IdleTimeoutMs}
	name := "Source " + t.Name
	desc := name + " " + connectorName(t)
	if t.Watermark != nil {
		desc += fmt.Sprintf(" watermark=%s", t.Watermark.Text)
	}
	vi := b.add(&exec.Vertex{Name: name, Parallelism: par, Schema: t.Columns, Source: spec}, desc)
	out := stream{vertex: vi, parallelism: par, schema: t.Columns, appendOnly: true,
		bounded: src.Bounded(), eventTime: t.Watermark != nil, windowStart: -1, windowEnd: -1}
	if t.Watermark != nil {
		out.rowtimes = []int{t.Watermark.Column}
	}
	b.scans[t] = out
	return out, nil
}

func (b *builder) buildValues(n *plan.Values) (stream, error) {
	rows := make([][]types.Value, len(n.Rows))
	for i, r := range n.Rows {
		rows[i] = make([]types.Value, len(r))
		for j, e := range r {
			v, err := e.Eval(nil)
			if err != nil {
				return stream{}, err
			}
			rows[i][j] = v
		}
	}
	t := &catalog.Table{Name: "VALUES", Columns: n.Columns, ProctimeColumn: -1}
	spec := &exec.SourceSpec{Table: t, Source: &valuesSource{rows: rows}, ProctimeCol: -1}
	vi := b.add(&exec.Vertex{Name: "Values", Parallelism: 1, Schema: n.Columns, Source: spec},
		fmt.Sprintf("Values %d", len(rows)))
	return stream{vertex: vi, parallelism: 1, schema: n.Columns, appendOnly: true, bounded: true,
		windowStart: -1, windowEnd: -1}, nil
}

// buildCalc plans Filter and/or Project over input as one Calc vertex.
func (b *builder) buildCalc(input plan.Node, cond expr.Expr, projs []expr.Expr, names []string, schema types.Schema) (stream, error) {
	if r, ok := input.(*plan.Rank); ok {
		return b.buildTopN(r, cond, projs, schema)
	}
	in, err := b.build(input)
	if err != nil {
		return stream{}, err
	}
	return b.buildCalcOver(in, cond, projs, schema)
}

// buildCalcOver adds a Calc vertex (filter cond, then projection projs;
// either may be nil) over the built stream in.
func (b *builder) buildCalcOver(in stream, cond expr.Expr, projs []expr.Expr, schema types.Schema) (stream, error) {
	var parts []string
	if cond != nil {
		parts = append(parts, "where "+cond.String())
	}
	out := in
	out.schema = schema
	if cond == nil && isIdentity(projs, len(in.schema)) {
		// A projection that keeps every column in order only renames.
		return out, nil
	}
	if projs != nil {
		var ps []string
		out.windowStart, out.windowEnd = -1, -1
		out.rowtimes = nil
		for i, e := range projs {
			ps = append(ps, e.String())
			if in.isRowtime(e) {
				out.rowtimes = append(out.rowtimes, i)
			}
			if c, ok := expr.AsCol(e); ok {
				if c.Index == in.windowStart {
					out.windowStart = i
				}
				if c.Index == in.windowEnd {
					out.windowEnd = i
				}
			}
		}
		parts = append(parts, "select "+strings.Join(ps, ", "))
	}
	desc := "Calc " + strings.Join(parts, " ")
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: schema,
		NewOperator: func() exec.Operator { return operators.NewCalc(cond, projs) }},
		desc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	out.vertex = vi
	return out, nil
}

// keyColumns makes sure every key expression is a plain column of the
// stream: if one is not, it adds a Calc that appends the computed keys.
// It returns the stream and the key column indexes.
func (b *builder) keyColumns(in stream, keys []expr.Expr) (stream, []int, error) {
	cols := make([]int, len(keys))
	var extra []expr.Expr
	for i, k := range keys {
		if c, ok := expr.AsCol(k); ok {
			cols[i] = c.Index
			continue
		}
		cols[i] = len(in.schema) + len(extra)
		extra = append(extra, k)
	}
	if len(extra) == 0 {
		return in, cols, nil
	}
	projs := make([]expr.Expr, 0, len(in.schema)+len(extra))
	schema := append(types.Schema{}, in.schema...)
	for i, c := range in.schema {
		projs = append(projs, &expr.Col{Index: i, Name: c.Name, T: c.Type})
	}
	var ps []string
	for _, e := range extra {
		projs = append(projs, e)
		schema = append(schema, types.Column{Name: e.String(), Type: e.Type()})
		ps = append(ps, e.String())
	}
	desc := "Calc keys " + strings.Join(ps, ", ")
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: schema,
		NewOperator: func() exec.Operator { return operators.NewCalc(nil, projs) }},
		desc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	out := in
	out.vertex = vi
	out.schema = schema
	return out, cols, nil
}

// exchange returns the edge that brings in to a keyed operator, and the
// operator's parallelism.
func (b *builder) exchange(in stream, keyCols []int) (exec.Edge, int) {
	if len(keyCols) == 0 {
		return exec.Edge{From: in.vertex, Partitioning: exec.Global}, 1
	}
	return exec.Edge{From: in.vertex, Partitioning: exec.Hash, KeyCols: keyCols}, b.cfg.Parallelism
}

func (b *builder) buildAggregate(n *plan.Aggregate) (stream, error) {
	if b.cfg.SplitDistinct && !b.partials[n] {
		if split, partial, ok := splitDistinct(n, b.cfg.SplitBuckets); ok {
			if b.partials == nil {
				b.partials = map[*plan.Aggregate]bool{}
			}
			b.partials[partial] = true
			return b.build(split) // split_distinct.go
		}
	}
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	in, keyCols, err := b.keyColumns(in, n.GroupKeys)
	if err != nil {
		return stream{}, err
	}
	edge, par := b.exchange(in, keyCols)
	schema := n.Schema()
	var aggs []string
	for _, a := range n.Aggs {
		aggs = append(aggs, a.String())
	}
	kd := keyDesc(in.schema, keyCols)
	out := stream{parallelism: par, schema: schema, bounded: in.bounded, eventTime: in.eventTime,
		windowStart: -1, windowEnd: -1}
	if w := n.Window; w != nil {
		if !w.Proctime && !in.bounded && !in.eventTime {
			return stream{}, errorf("%s over column '%s' needs event-time progress, but the input is unbounded and declares no WATERMARK: add `WATERMARK FOR %s AS %s - INTERVAL '1' SECOND` to the table, or group by a PROCTIME() column",
				w.Kind, in.schema[w.TimeCol].Name, in.schema[w.TimeCol].Name, in.schema[w.TimeCol].Name)
		}
		if in.schema[w.TimeCol].Type.Kind != types.KindTimestamp {
			return stream{}, errorf("%s needs a TIMESTAMP column, got '%s' of type %s", w.Kind, in.schema[w.TimeCol].Name, in.schema[w.TimeCol].Type)
		}
		if !in.appendOnly {
			return stream{}, errorf("%s over an updating input (a changelog) is not supported; window the source rows first", w.Kind)
		}
		emit, err := b.emitStrategy(w)
		if err != nil {
			return stream{}, err
		}
		spec := operators.WindowAggSpec{KeyCols: keyCols, Window: *w, Aggs: n.Aggs, InsertOnlyInput: in.appendOnly}
		wd := windowDesc(w, in.schema)
		if wk := n.WindowKeys; wk != nil {
			wd = fmt.Sprintf("window=[%s, %s]", in.schema[keyCols[wk[0]]].Name, in.schema[keyCols[wk[1]]].Name)
		}
		desc := fmt.Sprintf("WindowAggregate %s keys=[%s] aggs=[%s]", wd, kd, strings.Join(aggs, ", "))
		stateDesc := "per key and window: accumulators"
		if emit.Active() {
			desc += emitDesc(emit)
			stateDesc += " and the last result emitted"
		}
		var vi int
		if b.twoPhase(in, spec, emit) {
			vi = b.addTwoPhaseWindowAgg(in, spec, edge, par, schema, desc, stateDesc, kd)
		} else {
			vi = b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: schema, KeyDesc: kd,
				StateDesc:   stateDesc,
				NewOperator: func() exec.Operator { return operators.NewWindowAggEmit(spec, emit) }}, desc, edge)
		}
		out.vertex = vi
		out.appendOnly = true
		out.windowStart = len(n.GroupKeys)
		out.windowEnd = len(n.GroupKeys) + 1
		if wk := n.WindowKeys; wk != nil {
			// The window the input's rows carried, held in two keys.
			out.windowStart, out.windowEnd = wk[0], wk[1]
		}
		if !w.Proctime {
			out.rowtimes = []int{out.windowEnd}
		}
		if emit.Active() {
			// Updates of windows the watermark passed: window_end no
			// longer follows the watermark, and the rows are a changelog.
			out.appendOnly = false
			out.windowStart, out.windowEnd, out.rowtimes = -1, -1, nil
			out.updates = "a window aggregate with an emit strategy, table.exec.emit.*"
		}
		return out, nil
	}
	spec := operators.GroupAggSpec{KeyCols: keyCols, Aggs: n.Aggs, InsertOnlyInput: in.appendOnly, StateTTL: b.cfg.StateTTL,
		MiniBatch: b.cfg.MiniBatch, MiniBatchSize: b.cfg.MiniBatchSize, MiniBatchLatency: b.cfg.MiniBatchLatency}
	desc := fmt.Sprintf("GroupAggregate keys=[%s] aggs=[%s] changelog", kd, strings.Join(aggs, ", "))
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: schema, KeyDesc: kd,
		StateDesc:   "per key: accumulators" + b.ttlDesc(),
		NewOperator: func() exec.Operator { return operators.NewGroupAgg(spec) }}, desc, edge)
	out.vertex = vi
	out.appendOnly = false
	return out, nil
}

// buildWindowTVF plans a window table function that no window aggregate
// absorbed: an operator that appends each row's windows (one output row
// per window), forward-connected to its input.
func (b *builder) buildWindowTVF(n *plan.WindowTVF) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	w := n.Window
	col := in.schema[w.TimeCol].Name
	if w.Kind == plan.Session {
		return stream{}, errorf("a SESSION window table function is only supported under a window aggregation (GROUP BY window_start, window_end, and the PARTITION BY columns)")
	}
	if !w.Proctime && !in.bounded && !in.eventTime {
		return stream{}, errorf("%s over column '%s' needs event-time progress, but the input is unbounded and declares no WATERMARK: add `WATERMARK FOR %s AS %s - INTERVAL '1' SECOND` to the table, or use a PROCTIME() column",
			w.Kind, col, col, col)
	}
	if !in.appendOnly {
		return stream{}, errorf("%s over an updating input (a changelog) is not supported; apply the window to the source rows", w.Kind)
	}
	schema := n.Schema()
	desc := "WindowTableFunction " + windowDesc(&w, in.schema)
	spec := operators.WindowTVFSpec{Window: w}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: schema,
		NewOperator: func() exec.Operator { return operators.NewWindowTVF(spec) }},
		desc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	k := len(in.schema)
	out := in
	out.vertex, out.schema = vi, schema
	out.windowStart, out.windowEnd = k, k+1
	// window_end and window_time follow the watermark: a row that arrives
	// after watermark W is in windows that end after W + 1.
	out.rowtimes = []int{k + 1, k + 2}
	if w.Proctime {
		out.rowtimes = nil
	}
	return out, nil
}

func windowDesc(w *plan.Window, s types.Schema) string {
	if w.Offset != 0 {
		u := *w
		u.Offset = 0
		return windowDesc(&u, s) + " offset " + fmtDuration(w.Offset)
	}
	col := s[w.TimeCol].Name
	ms := func(v int64) string { return fmtDuration(v) }
	switch w.Kind {
	case plan.Tumble:
		return fmt.Sprintf("TUMBLE(%s, %s)", col, ms(w.Size))
	case plan.Hop:
		return fmt.Sprintf("HOP(%s, %s, %s)", col, ms(w.Slide), ms(w.Size))
	case plan.Session:
		return fmt.Sprintf("SESSION(%s, %s)", col, ms(w.Gap))
	default:
		return fmt.Sprintf("CUMULATE(%s, %s, %s)", col, ms(w.Step), ms(w.Size))
	}
}

func fmtDuration(ms int64) string {
	switch {
	case ms%3600000 == 0:
		return fmt.Sprintf("%dh", ms/3600000)
	case ms%60000 == 0:
		return fmt.Sprintf("%dmin", ms/60000)
	case ms%1000 == 0:
		return fmt.Sprintf("%ds", ms/1000)
	}
	return fmt.Sprintf("%dms", ms)
}

func keyDesc(s types.Schema, cols []int) string {
	var parts []string
	for _, c := range cols {
		parts = append(parts, s[c].Name)
	}
	return strings.Join(parts, ", ")
}

func (b *builder) buildJoin(n *plan.Join) (stream, error) {
	l, err := b.build(n.Left)
	if err != nil {
		return stream{}, err
	}
	r, err := b.build(n.Right)
	if err != nil {
		return stream{}, err
	}
	lw, rw := len(l.schema), len(r.schema)
	l, lk, err := b.keyColumns(l, n.LeftKeys)
	if err != nil {
		return stream{}, err
	}
	r, rk, err := b.keyColumns(r, n.RightKeys)
	if err != nil {
		return stream{}, err
	}
	// Computed key columns were appended to the inputs; the join output
	// keeps only the original columns, so project them away afterwards if needed.
	le, par := b.exchange(l, lk)
	re, _ := b.exchange(r, rk)
	spec := operators.JoinSpec{LeftKeyCols: lk, RightKeyCols: rk, LeftWidth: len(l.schema), RightWidth: len(r.schema), StateTTL: b.cfg.StateTTL}
	residual := n.Residual
	if len(l.schema) != lw || len(r.schema) != rw {
		residual = shiftResidual(residual, lw, len(l.schema)-lw)
	}
	spec.Residual = residual
	spec.AppendOnly = [2]bool{l.appendOnly, r.appendOnly}
	kind := "Join"
	stateDesc := "per key: rows of both sides" + b.ttlDesc()
	appendOnly := l.appendOnly && r.appendOnly
	if appendOnly {
		// An outer interval join pads a preserved row when it expires: each
		// preserved side needs bounds (else it is a regular outer join). An
		// interval semi or anti join needs bounds on its left side (it
		// emits an anti join's row when the row expires).
		bounds := intervalBounds(residual, l, r)
		if len(bounds[0])+len(bounds[1]) > 0 && (len(bounds[0]) > 0 || !n.Kind.Preserves(0) && !n.Kind.Filters()) && (len(bounds[1]) > 0 || !n.Kind.Preserves(1)) {
			spec.Expire = bounds
			kind = "IntervalJoin"
			stateDesc = "per key: rows of both sides; " + expiryDesc(bounds)
		}
	}
	if l.windowEnd >= 0 && r.windowEnd >= 0 && l.appendOnly && r.appendOnly {
		for i := range lk {
			if (lk[i] == l.windowEnd && rk[i] == r.windowEnd) || (lk[i] == l.windowStart && rk[i] == r.windowStart) {
				spec.WindowEnd = &[2]int{l.windowEnd, r.windowEnd}
				spec.Expire = [2][]operators.JoinExpiry{}
				kind = "WindowJoin"
				stateDesc = "per key and window: rows of both sides until the window closes"
				break
			}
		}
	}
	if n.Kind != plan.InnerJoin {
		spec.Outer = [2]bool{n.Kind.Preserves(0), n.Kind.Preserves(1)}
		spec.Semi, spec.Anti = n.Kind == plan.SemiJoin, n.Kind == plan.AntiJoin
		kind, stateDesc, appendOnly = b.nonInnerJoin(n.Kind, kind, stateDesc, appendOnly)
	}
	var conds []string
	for i := range lk {
		conds = append(conds, fmt.Sprintf("%s = %s", l.schema[lk[i]].Name, r.schema[rk[i]].Name))
	}
	desc := fmt.Sprintf("%s on %s", kind, strings.Join(conds, " AND "))
	if len(lk) == 0 {
		// No equi keys: one key group holds every row, so the exchanges are
		// GLOBAL into one subtask and each row meets every row of the other side.
		kind = strings.Replace(kind, "Join", "NestedLoopJoin", 1)
		desc = kind + " (no equi keys: all rows of both inputs kept in one subtask's state)"
		stateDesc = "all rows of both sides (one subtask)" + strings.TrimPrefix(stateDesc, "per key: rows of both sides")
		if len(spec.Expire[0])+len(spec.Expire[1]) > 0 {
			desc = kind + " (no equi keys: both inputs in one subtask, each row kept until it expires)"
			stateDesc = "rows of both sides (one subtask)" + strings.TrimPrefix(stateDesc, "all rows of both sides (one subtask)")
		}
	}
	if residual != nil {
		desc += " where " + residual.String()
	}
	schema := append(append(types.Schema{}, l.schema...), r.schema...)
	if n.Kind.Filters() {
		schema = append(types.Schema{}, l.schema...)
	}
	for i := range schema {
		if (i < len(l.schema) && n.Kind.Preserves(1)) || (i >= len(l.schema) && n.Kind.Preserves(0)) {
			schema[i].Type = schema[i].Type.Nullable()
		}
	}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: schema, KeyDesc: keyDesc(l.schema, lk),
		StateDesc:   stateDesc,
		NewOperator: func() exec.Operator { return operators.NewJoin(spec) }}, desc, le, re)
	out := stream{vertex: vi, parallelism: par, schema: schema, appendOnly: appendOnly,
		bounded: l.bounded && r.bounded, eventTime: l.eventTime && r.eventTime, windowStart: -1, windowEnd: -1}
	switch {
	case spec.WindowEnd == nil || n.Kind == plan.FullJoin:
		// A full join pads either side: no column always holds the window.
	case n.Kind == plan.RightJoin:
		out.windowEnd, out.windowStart = len(l.schema)+r.windowEnd, len(l.schema)+r.windowStart
		out.rowtimes = []int{out.windowEnd}
	default:
		out.windowEnd = l.windowEnd
		out.windowStart = l.windowStart
		out.rowtimes = []int{l.windowEnd}
	}
	if len(l.schema) != lw || len(r.schema) != rw {
		// Drop the computed key columns so the output matches n.Schema().
		var projs []expr.Expr
		for i := 0; i < lw; i++ {
			projs = append(projs, &expr.Col{Index: i, Name: l.schema[i].Name, T: l.schema[i].Type})
		}
		for i := 0; i < rw && !n.Kind.Filters(); i++ {
			j := len(l.schema) + i
			projs = append(projs, &expr.Col{Index: j, Name: r.schema[i].Name, T: r.schema[i].Type})
		}
		ns := n.Schema()
		d := "Calc drop join keys"
		pv := b.add(&exec.Vertex{Name: d, Parallelism: par, Schema: ns,
			NewOperator: func() exec.Operator { return operators.NewCalc(nil, projs) }}, d, exec.Edge{From: vi, Partitioning: exec.Forward})
		out.vertex = pv
		out.schema = ns
	}
	return out, nil
}

// shiftResidual rebinds a residual written against left++right when shift
// extra columns were appended to the left input (its right part starts
// shift columns later).
func shiftResidual(e expr.Expr, leftWidth, shift int) expr.Expr {
	if e == nil || shift == 0 {
		return e
	}
	return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		if c.Index < leftWidth {
			return c
		}
		return &expr.Col{Index: c.Index + shift, Name: c.Name, T: c.T}
	})
}

func (b *builder) buildUnion(n *plan.Union) (stream, error) {
	var edges []exec.Edge
	out := stream{parallelism: b.cfg.Parallelism, schema: n.Schema(), appendOnly: true, bounded: true, eventTime: true,
		windowStart: -1, windowEnd: -1}
	for _, c := range n.Inputs {
		s, err := b.build(c)
		if err != nil {
			return stream{}, err
		}
		e := exec.Edge{From: s.vertex, Partitioning: exec.Forward}
		switch {
		case s.parallelism == out.parallelism:
		case s.appendOnly:
			e.Partitioning = exec.Rebalance
		default:
			// A changelog must keep the order of each row's changes (+I
			// before its -D): hash by the whole row, never round-robin.
			e.Partitioning = exec.Hash
			for i := range s.schema {
				e.KeyCols = append(e.KeyCols, i)
			}
		}
		edges = append(edges, e)
		out.appendOnly = out.appendOnly && s.appendOnly
		out.bounded = out.bounded && s.bounded
		out.eventTime = out.eventTime && s.eventTime
	}
	desc := fmt.Sprintf("UnionAll %d inputs", len(edges))
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: out.parallelism, Schema: out.schema,
		NewOperator: func() exec.Operator { return operators.NewCalc(nil, nil) }}, desc, edges...)
	out.vertex = vi
	return out, nil
}

// isIdentity reports whether projs selects columns 0..width-1 in order.
func isIdentity(projs []expr.Expr, width int) bool {
	if projs == nil {
		return true
	}
	if len(projs) != width {
		return false
	}
	for i, e := range projs {
		c, ok := expr.AsCol(e)
		if !ok || c.Index != i {
			return false
		}
	}
	return true
}

// ttlDesc describes the state TTL for EXPLAIN.
func (b *builder) ttlDesc() string {
	if b.cfg.StateTTL <= 0 {
		return ""
	}
	return fmt.Sprintf(", idle state expires after %s (table.exec.state.ttl)", fmtDuration(b.cfg.StateTTL.Milliseconds()))
}
