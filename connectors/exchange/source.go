package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// pollInterval is how long Next waits for records when none is buffered
// (until SetPollWait says otherwise).
const pollInterval = 100 * time.Millisecond

type source struct {
	cfg        Config
	t          Topic
	partitions []int
}

// NewSource returns the source reading the listed partitions of topic t,
// one split per partition.
func NewSource(cfg Config, t Topic, partitions []int) connectors.Source {
	return &source{cfg: cfg.withDefaults(), t: t, partitions: append([]int(nil), partitions...)}
}

// split is one partition of the topic.
type split struct {
	topic     string
	partition int
}

func (s *split) ID() string { return s.topic + "-" + strconv.Itoa(s.partition) }

// Bounded is Topic.Bounded: a split ends once every producer wrote its end.
func (s *source) Bounded() bool { return s.t.Bounded }

// Splits returns one split per listed partition, whatever the parallelism.
func (s *source) Splits(int) ([]connectors.Split, error) {
	if err := s.t.validate(); err != nil {
		return nil, err
	}
	out := make([]connectors.Split, 0, len(s.partitions))
	for _, p := range s.partitions {
		if p < 0 || p >= s.t.Partitions {
			return nil, fmt.Errorf("exchange topic '%s': partition %d is not one of its %d", s.t.Name, p, s.t.Partitions)
		}
		out = append(out, &split{topic: s.t.Name, partition: p})
	}
	return out, nil
}

// asSplit returns sp as a partition, also from a split ID.
func (s *source) asSplit(sp connectors.Split) (*split, error) {
	k, ok := sp.(*split)
	if !ok {
		id := sp.ID()
		i := strings.LastIndexByte(id, '-')
		p, err := strconv.Atoi(id[i+1:])
		if i <= 0 || err != nil || id[:i] != s.t.Name {
			return nil, fmt.Errorf("exchange topic '%s': '%s' is not one of its splits", s.t.Name, id)
		}
		k = &split{topic: s.t.Name, partition: p}
	}
	if k.topic != s.t.Name || k.partition < 0 || k.partition >= s.t.Partitions {
		return nil, fmt.Errorf("exchange topic '%s': '%s' is not one of its splits", s.t.Name, k.ID())
	}
	return k, nil
}

// OpenSplit starts reading the partition (read_committed) at its
// beginning, or where position says, with the producers' watermarks it
// records.
func (s *source) OpenSplit(ctx context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	if err := s.t.validate(); err != nil {
		return nil, err
	}
	k, err := s.asSplit(sp)
	if err != nil {
		return nil, err
	}
	r := &reader{t: &s.t, partition: k.partition, wm: math.MinInt64,
		where: fmt.Sprintf("exchange topic '%s' partition %d", s.t.Name, k.partition)}
	start := kgo.NewOffset().AtStart()
	fresh := func() {
		r.prods = make([]producerState, s.t.Producers)
		for i := range r.prods {
			r.prods[i].wm = math.MinInt64
		}
	}
	handOver, rescaled := s.t.HandOver[k.partition]
	if pos != nil {
		p, err := decodePositionAny(pos)
		if err != nil {
			return nil, fmt.Errorf("%s: restoring position: %w", r.where, err)
		}
		r.pos, r.prods, r.wm, r.handOver = p.offset, p.prods, p.wm, p.handOver
		if !p.hasWm {
			r.wm = r.computeWatermark(math.MinInt64)
		}
		if len(p.prods) != s.t.Producers {
			if !rescaled {
				return nil, fmt.Errorf("%s: restoring position: the position records %d producers, the topic has %d", r.where, len(p.prods), s.t.Producers)
			}
			// The position is a previous layout's: its producers'
			// remaining records all come before handOver (they had
			// stopped), and the partition's watermark stands.
			fresh()
			r.handOver = max(r.handOver, handOver)
		}
		start = kgo.NewOffset().At(r.pos)
	} else {
		fresh()
		r.wm = r.computeWatermark(math.MinInt64)
		if rescaled {
			r.handOver = handOver
		}
	}
	r.row = make([]types.Value, len(s.t.Schema))
	r.logEnd.Store(-1)
	r.readPos.Store(r.pos)
	cl, err := s.cfg.newClient(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.t.Name: {int32(k.partition): start}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.RetryTimeout(s.cfg.RequestTimeout),
	)
	if err != nil {
		return nil, err
	}
	if err := checkTopic(ctx, s.cfg, cl, &s.t); err != nil {
		cl.Close()
		return nil, err
	}
	r.cl = cl
	return r, nil
}

// reader reads one partition. Its methods are called from the source
// task's goroutine, except PendingRecords (any goroutine).
type reader struct {
	t         *Topic
	partition int
	where     string
	cl        *kgo.Client

	pos   int64           // next offset to read
	prods []producerState // per producer, as of pos
	wm    int64           // the watermark reported (never goes back)
	// handOver: control records below it are a previous layout's
	// producers' and are skipped (Topic.HandOver).
	handOver int64

	buf []*kgo.Record // fetched, not yet read
	idx int
	row []types.Value // decoding scratch

	pollWait    time.Duration
	pollWaitSet bool
	waited      time.Duration

	// logEnd is the partition's last stable offset at the last fetch (-1
	// before one); readPos is pos as of the last Next.
	logEnd, readPos atomic.Int64
}

var (
	_ connectors.WatermarkReader        = (*reader)(nil)
	_ connectors.PollWaiter             = (*reader)(nil)
	_ connectors.PendingRecordsReporter = (*reader)(nil)
	_ connectors.WaitReporter           = (*reader)(nil)
	_ connectors.IdleReporter           = (*reader)(nil)
)

// computeWatermark returns the partition's watermark given its current
// one cur: the minimum of the last watermarks of the producers that count,
// or cur when none does or it would not advance. A producer counts unless
// it ended or is idle, or it is active again but behind cur (it counts
// once its watermark caught up: it neither takes the partition's
// watermark back nor holds it meanwhile; see exec's watermarkValve). A
// producer that never reported counts as math.MinInt64 (so the partition
// has no watermark until every active producer reported, and after a
// hand-over to a new producer layout keeps the one it had until every
// new producer reported). When every live
// producer is idle, it is the largest of their watermarks (none of them
// will advance, and the one idle last would otherwise hold the partition
// forever; exec's watermarkValve does the same). Once every producer
// ended it is math.MaxInt64.
func (r *reader) computeWatermark(cur int64) int64 {
	m, top := int64(math.MaxInt64), int64(math.MinInt64)
	counted, live, active := false, false, false
	for _, p := range r.prods {
		if p.ended {
			continue
		}
		live = true
		top = max(top, p.wm)
		if p.idle {
			continue
		}
		active = true
		if p.seen && p.wm < cur {
			continue // resumed behind: catching up
		}
		counted = true
		m = min(m, p.wm)
	}
	if !live {
		return math.MaxInt64
	}
	if !active {
		return max(top, cur)
	}
	if !counted {
		return cur
	}
	return max(m, cur)
}

// Idle implements connectors.IdleReporter: every producer that has not
// ended is idle (and one has not).
func (r *reader) Idle() bool {
	live := false
	for _, p := range r.prods {
		if p.ended {
			continue
		}
		if !p.idle {
			return false
		}
		live = true
	}
	return live
}

// allEnded reports whether every producer wrote its end.
func (r *reader) allEnded() bool {
	for _, p := range r.prods {
		if !p.ended {
			return false
		}
	}
	return true
}

// Watermark implements connectors.WatermarkReader.
func (r *reader) Watermark() int64 { return r.wm }

// SetPollWait implements connectors.PollWaiter.
func (r *reader) SetPollWait(d time.Duration) { r.pollWait, r.pollWaitSet = d, true }

// WaitedNs implements connectors.WaitReporter.
func (r *reader) WaitedNs() int64 { return int64(r.waited) }

// PendingRecords implements connectors.PendingRecordsReporter: the
// records between the next offset to read and the last stable offset at
// the last fetch, -1 before the first fetch.
func (r *reader) PendingRecords() int64 {
	end := r.logEnd.Load()
	if end < 0 {
		return -1
	}
	return max(0, end-r.readPos.Load())
}

// Position implements connectors.SplitReader (see encodePosition).
func (r *reader) Position() []byte { return encodePosition(r.pos, r.prods, r.wm, r.handOver) }

// ended reports whether a bounded split has read every producer's end.
func (r *reader) ended() bool { return r.t.Bounded && r.allEnded() }

// Next appends the rows read up to the batch's room or to a control
// record that advances the watermark or changes whether the partition is
// idle (Idle), whichever comes first. When no
// record is buffered it waits for one up to the poll wait. It returns
// io.EOF once a bounded split read every producer's end.
func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	defer func() { r.readPos.Store(r.pos) }()
	if b.Width != len(r.row) {
		return fmt.Errorf("%s: a batch of %d columns, the topic's schema has %d", r.where, b.Width, len(r.row))
	}
	limit := cap(b.Ops)
	if limit <= b.Len() {
		limit = b.Len() + 1024
	}
	n0 := b.Len()
	for b.Len() < limit && !r.ended() {
		if r.idx < len(r.buf) {
			advanced, err := r.read(b, r.buf[r.idx])
			r.idx++
			if err != nil {
				return err
			}
			if advanced {
				return nil // the rows before the watermark go first
			}
			continue
		}
		clear(r.buf) // let the fetched records go
		r.buf, r.idx = r.buf[:0], 0
		if b.Len() > n0 {
			return nil // rows already: do not wait
		}
		if err := r.poll(ctx, limit-b.Len()); err != nil {
			return err
		}
		if len(r.buf) == 0 {
			return nil
		}
	}
	if b.Len() == n0 && r.ended() {
		return io.EOF
	}
	return nil
}

// read handles one record: a row goes to b, a control record updates its
// producer; advanced tells whether the watermark advanced or the
// partition became idle or active.
func (r *reader) read(b *types.Batch, rec *kgo.Record) (bool, error) {
	if rec.Offset < r.pos {
		return false, nil // fetched again after a retry
	}
	if rec.Offset < r.handOver && len(rec.Value) > 0 {
		switch rec.Value[0] {
		case tagWatermark, tagEnd, tagStatus:
			// A previous layout's producer: the partition's watermark
			// stands until the current producers report theirs.
			r.pos = rec.Offset + 1
			return false, nil
		}
	}
	d, err := decodeRecord(rec.Value, r.row, r.t.Producers)
	if err != nil {
		return false, fmt.Errorf("%s at offset %d: %w", r.where, rec.Offset, err)
	}
	r.pos = rec.Offset + 1
	if d.isRow() {
		b.Append(types.Op(d.tag), r.row)
		return false, nil
	}
	p := &r.prods[d.producer]
	if p.ended {
		// A producer resumed after its end (e.g. an upstream job restored
		// from a savepoint taken with drain): its end stands.
		return false, nil
	}
	wasIdle := r.Idle()
	if d.tag == tagStatus {
		// A producer idle since before its first watermark does not hold
		// the others back; an active one waits for its first watermark.
		p.idle = d.idle
	} else {
		// A watermark says its producer is active too: a writer writes
		// none while idle, and one that restarted does not know that it
		// wrote an idle status before.
		p.idle = false
		p.seen = true
		if d.wm > p.wm {
			p.wm = d.wm
		}
		p.ended = d.tag == tagEnd
	}
	changed := r.Idle() != wasIdle
	if w := r.computeWatermark(r.wm); w > r.wm {
		r.wm = w
		return true, nil
	}
	return changed, nil
}

// poll fetches up to n records into r.buf, waiting up to the poll wait
// when none is there.
func (r *reader) poll(ctx context.Context, n int) error {
	wait := pollInterval
	if r.pollWaitSet {
		wait = r.pollWait
	}
	var fetches kgo.Fetches
	if wait <= 0 {
		fetches = r.cl.PollRecords(nil, n) // only what is there
	} else {
		pctx, cancel := context.WithTimeout(ctx, wait)
		start := time.Now()
		fetches = r.cl.PollRecords(pctx, n)
		r.waited += time.Since(start)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	var ferr error
	fetches.EachError(func(_ string, _ int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
			ferr = err
		}
	})
	if ferr != nil {
		return fmt.Errorf("%s: fetching at offset %d: %w", r.where, r.pos, ferr)
	}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.LastStableOffset >= 0 {
			r.logEnd.Store(p.LastStableOffset)
		} else if p.HighWatermark >= 0 {
			r.logEnd.Store(p.HighWatermark)
		}
		r.buf = append(r.buf, p.Records...)
	})
	return nil
}

// Close stops fetching.
func (r *reader) Close() error {
	if r.cl != nil {
		r.cl.Close()
		r.cl = nil
	}
	return nil
}
