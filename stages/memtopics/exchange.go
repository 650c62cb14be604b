package memtopics

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/stages"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Exchange keeps the topics of one process. The zero value is not
// usable: call New.
type Exchange struct {
	mu     sync.Mutex
	topics map[string]*topic
}

// New returns an empty exchange.
func New() *Exchange { return &Exchange{topics: map[string]*topic{}} }

// record is a row, or a producer's watermark or status (control).
type record struct {
	control  bool
	status   bool // control: a status (idle), not a watermark
	idle     bool // status: the producer's input is idle (else active)
	producer int
	wm       int64 // control: math.MaxInt64 is the producer's end
	op       types.Op
	row      []types.Value
}

type topic struct {
	edge  stages.Edge
	mu    sync.Mutex
	parts [][]record
}

func (x *Exchange) topic(e stages.Edge) *topic {
	x.mu.Lock()
	defer x.mu.Unlock()
	t, ok := x.topics[e.ID]
	if !ok {
		t = &topic{edge: e, parts: make([][]record, e.Partitions)}
		x.topics[e.ID] = t
	}
	return t
}

// Rows returns how many rows edge id's topic holds (control records left
// out).
func (x *Exchange) Rows(id string) int {
	x.mu.Lock()
	t := x.topics[id]
	x.mu.Unlock()
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.parts {
		for _, r := range p {
			if !r.control {
				n++
			}
		}
	}
	return n
}

// Source implements stages.Exchange.
func (x *Exchange) Source(e stages.Edge, partitions []int) (connectors.Source, error) {
	return &source{t: x.topic(e), partitions: partitions}, nil
}

// Sink implements stages.Exchange.
func (x *Exchange) Sink(e stages.Edge, producer int) (connectors.Sink, error) {
	return &sink{t: x.topic(e), producer: producer}, nil
}

type split int

func (s split) ID() string { return fmt.Sprintf("partition-%d", int(s)) }

type source struct {
	t          *topic
	partitions []int
}

func (s *source) Splits(int) ([]connectors.Split, error) {
	out := make([]connectors.Split, len(s.partitions))
	for i, p := range s.partitions {
		out[i] = split(p)
	}
	return out, nil
}

func (s *source) Bounded() bool { return s.t.edge.Bounded }

func (s *source) OpenSplit(_ context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	n := s.t.edge.Producers
	r := &reader{t: s.t, part: int(sp.(split)), wms: make([]int64, n), idle: make([]bool, n), wm: math.MinInt64}
	for i := range r.wms {
		r.wms[i] = math.MinInt64
	}
	if len(pos) >= 8 {
		// A restored reader starts after the rows it had read, with the
		// producers' watermarks and statuses as they were (a position of
		// 8 bytes, from before statuses: they come back with the next
		// control records).
		r.next = int(binary.BigEndian.Uint64(pos))
		if rest := pos[8:]; len(rest) > 0 {
			for i := range r.wms {
				w, k := binary.Varint(rest)
				if k <= 0 || len(rest) <= k {
					return nil, fmt.Errorf("memory exchange %s: damaged position", s.t.edge.ID)
				}
				r.wms[i], r.idle[i], rest = w, rest[k] == 1, rest[k+1:]
			}
			w, k := binary.Varint(rest)
			if k <= 0 || k != len(rest) {
				return nil, fmt.Errorf("memory exchange %s: damaged position", s.t.edge.ID)
			}
			r.wm = w
		}
	}
	return r, nil
}

type reader struct {
	t    *topic
	part int
	next int
	wms  []int64 // per producer (math.MaxInt64: ended)
	idle []bool  // per producer: its last status said idle
	wm   int64
}

// Next copies rows until a control record advances the partition's
// watermark or changes whether it is idle, waiting a little when nothing
// is there yet.
func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	r.t.mu.Lock()
	recs := r.t.parts[r.part]
	r.t.mu.Unlock()
	if r.next >= len(recs) {
		if r.ended() {
			return io.EOF
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
		return nil
	}
	for r.next < len(recs) && b.Len() < cap(b.Ops) {
		rec := recs[r.next]
		r.next++
		if !rec.control {
			b.Append(rec.op, rec.row)
			continue
		}
		wasIdle := r.Idle()
		if rec.status {
			r.idle[rec.producer] = rec.idle
		} else {
			// A watermark says its producer is active too.
			r.idle[rec.producer] = false
			r.wms[rec.producer] = max(r.wms[rec.producer], rec.wm)
		}
		if w := r.compute(); w > r.wm {
			r.wm = w
			break
		}
		if r.Idle() != wasIdle {
			break
		}
	}
	return nil
}

// compute is the partition's watermark as the Kafka exchange's readers
// compute it (connectors/exchange): the minimum over the producers that
// have not ended and are active, leaving out one that became active
// again behind the current watermark until it caught up; the largest of
// theirs when every live producer is idle.
func (r *reader) compute() int64 {
	m, top := int64(math.MaxInt64), int64(math.MinInt64)
	counted, live, active := false, false, false
	for i, w := range r.wms {
		if w == math.MaxInt64 {
			continue
		}
		live = true
		top = max(top, w)
		if r.idle[i] {
			continue
		}
		active = true
		if w < r.wm {
			continue
		}
		counted = true
		m = min(m, w)
	}
	switch {
	case !live:
		return math.MaxInt64
	case !active:
		return max(top, r.wm)
	case !counted:
		return r.wm
	}
	return max(m, r.wm)
}

// Idle implements connectors.IdleReporter: every producer that has not
// ended is idle.
func (r *reader) Idle() bool {
	live := false
	for i, w := range r.wms {
		if w == math.MaxInt64 {
			continue
		}
		if !r.idle[i] {
			return false
		}
		live = true
	}
	return live
}

func (r *reader) ended() bool {
	if !r.t.edge.Bounded {
		return false
	}
	return minOf(r.wms) == math.MaxInt64
}

func minOf(ws []int64) int64 {
	m := int64(math.MaxInt64)
	for _, w := range ws {
		m = min(m, w)
	}
	return m
}

func (r *reader) Watermark() int64 { return r.wm }

// Position is the next record (8 bytes), then per producer its watermark
// (varint) and whether it is idle (a byte), then the partition's
// watermark (varint).
func (r *reader) Position() []byte {
	buf := binary.BigEndian.AppendUint64(nil, uint64(r.next))
	for i, w := range r.wms {
		buf = binary.AppendVarint(buf, w)
		if r.idle[i] {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
	}
	return binary.AppendVarint(buf, r.wm)
}

func (r *reader) Close() error { return nil }

type sink struct {
	t        *topic
	producer int
}

func (s *sink) Open(context.Context, int, int) (connectors.SinkWriter, error) {
	return &writer{t: s.t, producer: s.producer, wm: math.MinInt64}, nil
}

func (s *sink) AcceptsChangelog() bool { return true }

type writer struct {
	t        *topic
	producer int
	wm       int64
	idle     bool // the last status written
	// announced: a status or a watermark written. Until then a reader
	// restored while the producer was idle counts it idle: the first
	// rows go after an active status.
	announced bool
}

func (w *writer) Write(b *types.Batch) error {
	e := w.t.edge
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	if !w.announced && b.Len() > 0 {
		w.appendStatus(false)
	}
	for i := 0; i < b.Len(); i++ {
		row := append([]types.Value(nil), b.Row(i)...)
		p := 0
		if !e.Global() {
			p = state.KeyGroupOf(exec.HashKey(row, e.KeyCols), e.Partitions)
		}
		w.t.parts[p] = append(w.t.parts[p], record{op: b.Ops[i], row: row})
	}
	return nil
}

// WriteWatermark writes the watermark into every partition.
func (w *writer) WriteWatermark(wm int64) error {
	if wm <= w.wm {
		return nil
	}
	w.wm = wm
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	for p := range w.t.parts {
		w.t.parts[p] = append(w.t.parts[p], record{control: true, producer: w.producer, wm: wm})
	}
	w.idle, w.announced = false, true // a reader takes a watermark as an active status
	return nil
}

// WriteIdle writes the input's status into every partition when it
// changes (connectors.IdleWriter).
func (w *writer) WriteIdle(idle bool) error {
	if idle == w.idle || w.wm == math.MaxInt64 {
		return nil
	}
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	w.appendStatus(idle)
	return nil
}

// appendStatus writes status idle into every partition (w.t.mu held).
func (w *writer) appendStatus(idle bool) {
	for p := range w.t.parts {
		w.t.parts[p] = append(w.t.parts[p], record{control: true, status: true, idle: idle, producer: w.producer})
	}
	w.idle, w.announced = idle, true
}

func (w *writer) Flush() error { return nil }
func (w *writer) Close() error { return nil }

var (
	_ connectors.IdleReporter    = (*reader)(nil)
	_ connectors.WatermarkReader = (*reader)(nil)
	_ connectors.IdleWriter      = (*writer)(nil)
	_ connectors.WatermarkWriter = (*writer)(nil)
)
