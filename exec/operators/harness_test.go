package operators

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// emitted is one output row.
type emitted struct {
	op   types.Op
	vals []types.Value
}

// sink is a fake exec.Output that collects rows.
type sink struct{ rows []emitted }

func (s *sink) Emit(op types.Op, row []types.Value) {
	s.rows = append(s.rows, emitted{op: op, vals: slices.Clone(row)})
}

// EmitBatch implements exec.BatchOutput, as a task's output does: it
// takes the batch's rows and then overwrites them (the batch is the
// sink's now; an operator that kept a row slice of it would see that).
func (s *sink) EmitBatch(b *types.Batch) {
	for i := 0; i < b.Len(); i++ {
		s.Emit(b.Ops[i], b.Row(i))
	}
	for i := range b.Vals {
		b.Vals[i] = types.StringValue("emitted batch")
	}
}

func (s *sink) take() []emitted {
	r := s.rows
	s.rows = nil
	return r
}

// harness drives one operator instance the way a task does.
type harness struct {
	tb      testing.TB
	newOp   func() exec.Operator
	op      exec.Operator
	ctx     *exec.Context
	out     *sink
	backend *state.HashMapBackend
	widths  []int
	clock   int64 // what ctx.Now returns (processing time, ms)
}

func newTestContext(b state.Backend, out exec.Output) *exec.Context {
	return &exec.Context{
		JobID: "test", OperatorID: "op", Name: "op", Parallelism: 1, MaxParallelism: 128,
		KeyGroups: state.RangeFor(128, 1, 0), State: b, Out: out, Metrics: &exec.Metrics{},
		Now: func() int64 { return 0 },
	}
}

func newHarness(tb testing.TB, newOp func() exec.Operator, widths ...int) *harness {
	h := &harness{tb: tb, newOp: newOp, out: &sink{}, widths: widths,
		backend: state.NewHashMapBackend(state.RangeFor(128, 1, 0))}
	h.ctx = newTestContext(h.backend, h.out)
	h.ctx.Now = h.now
	h.op = newOp()
	if err := h.op.Open(h.ctx); err != nil {
		tb.Fatalf("open: %v", err)
	}
	return h
}

func (h *harness) process(input int, rows []emitted) []emitted {
	b := types.NewBatch(h.widths[input], len(rows))
	for _, r := range rows {
		b.Append(r.op, r.vals)
	}
	if err := h.op.ProcessBatch(input, b); err != nil {
		h.tb.Fatalf("ProcessBatch: %v", err)
	}
	out := h.out.take()
	// An operator that releases its input (exec.InputReleaser) keeps
	// nothing of the batch: the task recycles it and upstream overwrites
	// its rows. Overwrite them here, so that every test of such an
	// operator shows it keeps no row slice of its input.
	if r, ok := h.op.(exec.InputReleaser); ok && r.ReleasesInput() {
		for i := range b.Vals {
			b.Vals[i] = types.StringValue("released batch")
		}
	}
	return out
}

func (h *harness) watermark(wm int64) []emitted {
	if err := h.op.ProcessWatermark(wm); err != nil {
		h.tb.Fatalf("ProcessWatermark: %v", err)
	}
	return h.out.take()
}

func (h *harness) now() int64 { return h.clock }

// tick sets the clock to now and calls OnTick(now).
func (h *harness) tick(now int64) []emitted {
	h.clock = now
	if err := h.op.OnTick(now); err != nil {
		h.tb.Fatalf("OnTick: %v", err)
	}
	return h.out.take()
}

// finish ends the input: final watermark, then Finish.
func (h *harness) finish() []emitted {
	out := h.watermark(exec.MaxWatermark)
	if err := h.op.Finish(); err != nil {
		h.tb.Fatalf("Finish: %v", err)
	}
	return append(out, h.out.take()...)
}

// stateCopier is implemented by stateful operators: it copies their state
// through its codecs into another backend.
type stateCopier interface {
	copyState(dst state.Backend) error
}

// restore checkpoints the operator, copies its state through the codecs
// into a fresh backend, and opens a new instance on it (rebuilding the
// operator-local indexes), keeping the metrics.
func (h *harness) restore() {
	if err := h.op.SnapshotState(1); err != nil {
		h.tb.Fatalf("SnapshotState: %v", err)
	}
	sc, ok := h.op.(stateCopier)
	if !ok {
		return
	}
	nb := state.NewHashMapBackend(state.RangeFor(128, 1, 0))
	if err := sc.copyState(nb); err != nil {
		h.tb.Fatalf("copy state: %v", err)
	}
	if err := h.op.Close(); err != nil {
		h.tb.Fatalf("Close: %v", err)
	}
	m := h.ctx.Metrics
	h.backend = nb
	h.ctx = newTestContext(nb, h.out)
	h.ctx.Metrics = m
	h.ctx.Now = h.now
	h.op = h.newOp()
	if err := h.op.Open(h.ctx); err != nil {
		h.tb.Fatalf("reopen: %v", err)
	}
}

// formatRow renders an output row: op, then values (timestamps as ms).
func formatRow(r emitted) string {
	var b strings.Builder
	b.WriteString(r.op.String())
	for _, v := range r.vals {
		b.WriteByte(' ')
		b.WriteString(formatValue(v))
	}
	return b.String()
}

func formatValue(v types.Value) string {
	switch v.Kind() {
	case types.KindNull:
		return "NULL"
	case types.KindTimestamp:
		return strconv.FormatInt(v.Millis(), 10)
	case types.KindDecimal:
		return string(types.AppendDecimal(nil, v.Unscaled(), v.Scale()))
	case types.KindDouble:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case types.KindString:
		return "'" + v.Str() + "'"
	}
	return v.String()
}

// parseValue parses a literal for a column of type t.
func parseValue(s string, t types.Type) (types.Value, error) {
	if s == "NULL" {
		return types.NullValue(), nil
	}
	switch t.Kind {
	case types.KindInt:
		i, err := strconv.ParseInt(s, 10, 64)
		return types.IntValue(i), err
	case types.KindTimestamp:
		i, err := strconv.ParseInt(s, 10, 64)
		return types.TimestampValue(i), err
	case types.KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		return types.DoubleValue(f), err
	case types.KindDecimal:
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		ip, fp, _ := strings.Cut(s, ".")
		for len(fp) < int(t.Scale) {
			fp += "0"
		}
		if len(fp) > int(t.Scale) {
			return types.Value{}, fmt.Errorf("%s has more than %d decimals", s, t.Scale)
		}
		u, err := strconv.ParseInt(ip+fp, 10, 64)
		if neg {
			u = -u
		}
		return types.DecimalValue(u, t.Scale), err
	case types.KindString:
		return types.StringValue(strings.Trim(s, "'")), nil
	case types.KindBool:
		return types.BoolValue(s == "true" || s == "TRUE"), nil
	}
	return types.Value{}, fmt.Errorf("cannot parse %q as %s", s, t)
}

func parseOp(s string) (types.Op, error) {
	for op := types.Insert; op <= types.Delete; op++ {
		if op.String() == s {
			return op, nil
		}
	}
	return 0, fmt.Errorf("unknown op %q", s)
}
