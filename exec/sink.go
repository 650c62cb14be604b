package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// BatchOutput is implemented by task outputs that can take a whole batch
// (ownership passes with the call). Operators that forward batches
// unchanged may use it instead of Emit per row.
type BatchOutput interface {
	EmitBatch(b *types.Batch)
}

// SinkOperator writes its input to a connector sink.
type SinkOperator struct {
	Base
	Table  string
	Sink   connectors.Sink
	writer connectors.SinkWriter
}

// NewSinkOperator returns an operator writing to sink (table names the
// target for error messages).
func NewSinkOperator(table string, sink connectors.Sink) *SinkOperator {
	return &SinkOperator{Table: table, Sink: sink}
}

func (s *SinkOperator) Open(ctx *Context) error {
	w, err := s.Sink.Open(ctx.Ctx, ctx.Instance, ctx.Parallelism)
	if err != nil {
		return fmt.Errorf("sink %s: %w", s.Table, err)
	}
	s.writer = w
	return nil
}

func (s *SinkOperator) ProcessBatch(_ int, b *types.Batch) error {
	if err := s.writer.Write(b); err != nil {
		return fmt.Errorf("sink %s: %w", s.Table, err)
	}
	return nil
}

func (s *SinkOperator) SnapshotState(int64) error {
	if err := s.writer.Flush(); err != nil {
		return fmt.Errorf("sink %s: %w", s.Table, err)
	}
	return nil
}

func (s *SinkOperator) Finish() error {
	if err := s.writer.Flush(); err != nil {
		return fmt.Errorf("sink %s: %w", s.Table, err)
	}
	return nil
}

func (s *SinkOperator) Close() error {
	if s.writer == nil {
		return nil
	}
	return s.writer.Close()
}

// CollectOperator hands every batch to a callback (query results shown to
// a user or a test). It runs with parallelism 1 behind a Global edge, so
// the callback is never called concurrently.
type CollectOperator struct {
	Base
	Fn func(b *types.Batch) error
}

func (c *CollectOperator) ProcessBatch(_ int, b *types.Batch) error { return c.Fn(b) }
