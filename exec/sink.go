package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// BatchOutput is implemented by task outputs that can take a whole batch
// (ownership passes with the call). Operators that forward batches
// unchanged, or build their output a batch at a time (the local phase of
// a two-phase count), may use it instead of Emit per row: a hash exchange
// then partitions the batch in passes over it.
type BatchOutput interface {
	EmitBatch(b *types.Batch)
}

// RoutedOutput is implemented by task outputs that may send rows over a
// hash exchange to several instances (a task's collector). An operator
// that emits rows of the same few keys again and again (the local phase
// of a two-phase count: one partial row per key and window) can look up
// each key's instance once, remember it, and fill one batch per instance
// itself, instead of the exchange hashing every row and copying it into
// that instance's batch.
//
// Contract: Targets is the number of instances when the output has
// exactly one edge and that edge hashes rows over several instances, and
// 0 otherwise (then TargetOf and EmitBatchTo must not be called: use
// Emit or EmitBatch). TargetOf returns the instance a row of the output's
// schema goes to; it depends only on the row's key columns and stays
// the same for the task's lifetime. EmitBatchTo sends b, every row of
// which TargetOf routes to t, after every row emitted before it and
// before every row emitted after it; ownership of b passes with the call.
type RoutedOutput interface {
	Targets() int
	TargetOf(row []types.Value) int
	EmitBatchTo(t int, b *types.Batch)
}

// SinkOperator writes its input to a connector sink.
//
// Without checkpointing it flushes at the end of input. With
// checkpointing it is a Committer: a TwoPhaseCommitWriter pre-commits at
// every barrier and commits when the checkpoint completes (exactly once);
// any other writer flushes at every barrier (at least once).
type SinkOperator struct {
	Base
	Table         string
	Sink          connectors.Sink
	writer        connectors.SinkWriter
	checkpointing bool
}

// NewSinkOperator returns an operator writing to sink. Its errors are the
// connector's, which name the table; the task adds the operator's name
// only to those that do not.
func NewSinkOperator(table string, sink connectors.Sink) *SinkOperator {
	return &SinkOperator{Table: table, Sink: sink}
}

func (s *SinkOperator) Open(ctx *Context) error {
	w, err := s.Sink.Open(ctx.Ctx, ctx.Instance, ctx.Parallelism)
	if err != nil {
		return err
	}
	s.writer = w
	s.checkpointing = ctx.Checkpointing
	return nil
}

func (s *SinkOperator) ProcessBatch(_ int, b *types.Batch) error {
	if err := s.writer.Write(b); err != nil {
		return err
	}
	return nil
}

// ProcessWatermark hands the watermark to a writer that carries it on
// (connectors.WatermarkWriter); other writers have no use for it.
func (s *SinkOperator) ProcessWatermark(wm int64) error {
	if ww, ok := s.writer.(connectors.WatermarkWriter); ok {
		return ww.WriteWatermark(wm)
	}
	return nil
}

// ProcessIdle implements IdleAware: it hands the task's idle status to a
// writer that carries it on (connectors.IdleWriter).
func (s *SinkOperator) ProcessIdle(idle bool) error {
	if iw, ok := s.writer.(connectors.IdleWriter); ok {
		return iw.WriteIdle(idle)
	}
	return nil
}

// ReleasesInput implements InputReleaser: a SinkWriter does not own the
// batch after Write returns.
func (s *SinkOperator) ReleasesInput() bool { return true }

// PreCommit implements Committer.
func (s *SinkOperator) PreCommit(id int64) ([][]byte, error) {
	if tp, ok := s.writer.(connectors.TwoPhaseCommitWriter); ok {
		c, err := tp.PreCommit(id)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := s.writer.Flush(); err != nil {
		return nil, err
	}
	return nil, nil
}

// CommittableBytes reports the bytes of the files c references, when the
// sink's writer keeps its pre-committed rows in files (see
// connectors.CommittableSizer); 0 otherwise.
func (s *SinkOperator) CommittableBytes(c [][]byte) int64 {
	if sz, ok := s.writer.(connectors.CommittableSizer); ok && len(c) > 0 {
		return sz.CommittableBytes(c)
	}
	return 0
}

// Commit implements Committer.
func (s *SinkOperator) Commit(c [][]byte) error {
	if tp, ok := s.writer.(connectors.TwoPhaseCommitWriter); ok && len(c) > 0 {
		if err := tp.Commit(c); err != nil {
			return err
		}
	}
	return nil
}

// Recover implements Committer.
func (s *SinkOperator) Recover(c [][]byte) error {
	if tp, ok := s.writer.(connectors.TwoPhaseCommitWriter); ok {
		if err := tp.Recover(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *SinkOperator) Finish() error {
	if s.checkpointing {
		// The final checkpoint pre-commits and commits the last rows.
		return nil
	}
	if err := s.writer.Flush(); err != nil {
		return err
	}
	return nil
}

func (s *SinkOperator) Close() error {
	if s.writer == nil {
		return nil
	}
	return s.writer.Close()
}

// CollectOperator hands result rows to a callback (query results shown to
// a user or a test). It runs with parallelism 1 behind a Global edge, so
// the callback is never called concurrently.
//
// With checkpointing it is a Committer: rows are held back and handed over
// only when the checkpoint that covers them completes, so that a restart
// from a checkpoint never delivers a row twice. Committables carry the
// rows themselves with a sequence number, so that recovering them in a
// later attempt of the same query delivers each once.
type CollectOperator struct {
	Base
	Fn            func(b *types.Batch) error
	checkpointing bool
	width         int
	pending       *types.Batch
	seq           int64
	// delivered tracks the committables already handed over; it outlives
	// attempts because the planner builds one CollectOperator factory per
	// query and the engine keeps it (see Delivered).
	Delivered *DeliveredSet
}

// DeliveredSet remembers which committables a collect operator delivered,
// across restarts of one query.
type DeliveredSet struct {
	ids map[string]bool
}

// NewDeliveredSet returns an empty set.
func NewDeliveredSet() *DeliveredSet { return &DeliveredSet{ids: map[string]bool{}} }

func (c *CollectOperator) Open(ctx *Context) error {
	c.checkpointing = ctx.Checkpointing
	if c.Delivered == nil {
		c.Delivered = NewDeliveredSet()
	}
	return nil
}

func (c *CollectOperator) ProcessBatch(_ int, b *types.Batch) error {
	if !c.checkpointing {
		return c.Fn(b)
	}
	if c.pending == nil {
		c.pending = types.NewBatch(b.Width, b.Len())
	}
	for i := 0; i < b.Len(); i++ {
		c.pending.Append(b.Ops[i], b.Row(i))
	}
	return nil
}

// PreCommit implements Committer: the rows since the last barrier become
// one committable.
func (c *CollectOperator) PreCommit(id int64) ([][]byte, error) {
	if c.pending == nil || c.pending.Len() == 0 {
		return nil, nil
	}
	buf := binaryAppendString(nil, fmt.Sprintf("%d", id))
	for i := 0; i < c.pending.Len(); i++ {
		buf = append(buf, byte(c.pending.Ops[i]))
		buf = types.AppendValues(buf, c.pending.Row(i))
	}
	c.pending = nil
	return [][]byte{buf}, nil
}

// Commit implements Committer.
func (c *CollectOperator) Commit(cs [][]byte) error {
	for _, raw := range cs {
		key, rest, err := binaryReadString(raw)
		if err != nil {
			return err
		}
		if c.Delivered.ids[key] {
			continue
		}
		b := types.NewBatch(0, 16)
		for len(rest) > 0 {
			op := types.Op(rest[0])
			row, r, err := types.DecodeValues(rest[1:])
			if err != nil {
				return fmt.Errorf("collect: damaged committable: %w", err)
			}
			rest = r
			if b.Width == 0 {
				b.Width = len(row)
			}
			b.Append(op, row)
		}
		if err := c.Fn(b); err != nil {
			return err
		}
		c.Delivered.ids[key] = true
	}
	return nil
}

// Recover implements Committer.
func (c *CollectOperator) Recover(cs [][]byte) error { return c.Commit(cs) }

func binaryAppendString(buf []byte, s string) []byte {
	buf = append(buf, byte(len(s)))
	return append(buf, s...)
}

func binaryReadString(buf []byte) (string, []byte, error) {
	if len(buf) == 0 || int(buf[0]) > len(buf)-1 {
		return "", nil, fmt.Errorf("collect: damaged committable")
	}
	n := int(buf[0])
	return string(buf[1 : 1+n]), buf[1+n:], nil
}
