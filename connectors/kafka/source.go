package kafka

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/connectors/internal/textsrc"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

// pollInterval is how long Next waits for records before returning empty.
const pollInterval = 100 * time.Millisecond

// fetchMaxWait is how long the broker may hold a fetch without data.
const fetchMaxWait = 500 * time.Millisecond

// fetchQueue is how many fetched chunks a reader buffers ahead.
const fetchQueue = 2

type source struct {
	cfg    *config
	env    *connectors.Env
	policy *textsrc.Policy
}

func newSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	c, err := parseConfig(t)
	if err != nil {
		return nil, err
	}
	if c.groupID == "" && (c.startup.mode == modeGroup || c.bounded.mode == modeGroup) {
		mode := "scan.startup.mode"
		if c.startup.mode != modeGroup {
			mode = "scan.bounded.mode"
		} else if !t.HasOption("scan.startup.mode") {
			mode = "scan.startup.mode (default)"
		}
		return nil, fmt.Errorf("table %s: %s 'group-offsets' needs option 'properties.group.id'; set it, or set 'scan.startup.mode' to 'earliest-offset' or 'latest-offset'", t.Name, mode)
	}
	p, err := textsrc.NewPolicy(t, env)
	if err != nil {
		return nil, err
	}
	return &source{cfg: c, env: env, policy: p}, nil
}

// split is one partition of a topic.
type split struct {
	topic     string
	partition int32
}

func (s *split) ID() string { return s.topic + "-" + strconv.Itoa(int(s.partition)) }

func (s *source) Bounded() bool { return s.cfg.bounded.mode != modeUnbounded }

// FirstSkippedRow returns the first bad row skipped (connectors.SkippedRowSampler).
func (s *source) FirstSkippedRow() *connectors.BadRowError { return s.policy.FirstSkipped() }

// Splits lists every partition of the topics (the same for any parallelism).
func (s *source) Splits(int) ([]connectors.Split, error) {
	cl, err := s.cfg.newClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	meta, err := s.cfg.topicMetadata(context.Background(), cl, s.cfg.topics)
	if err != nil {
		return nil, err
	}
	var out []connectors.Split
	for _, tp := range s.cfg.topics {
		for _, p := range meta[tp].partitions {
			out = append(out, &split{topic: tp, partition: p})
		}
	}
	return out, nil
}

// asSplit returns sp as a partition, also from a split ID.
func (s *source) asSplit(sp connectors.Split) (*split, error) {
	if k, ok := sp.(*split); ok {
		return k, nil
	}
	id := sp.ID()
	i := strings.LastIndexByte(id, '-')
	if i > 0 {
		if p, err := strconv.ParseInt(id[i+1:], 10, 32); err == nil && p >= 0 {
			for _, tp := range s.cfg.topics {
				if tp == id[:i] {
					return &split{topic: tp, partition: int32(p)}, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("table %s: '%s' is not a partition of topic '%s'", s.cfg.t.Name, id, strings.Join(s.cfg.topics, ";"))
}

// OpenSplit resolves the start offset (the position, or the startup mode)
// and the end offset of a bounded source, and starts fetching.
func (s *source) OpenSplit(ctx context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	k, err := s.asSplit(sp)
	if err != nil {
		return nil, err
	}
	c := s.cfg
	cl, err := c.newClient()
	if err != nil {
		return nil, err
	}
	r := &reader{src: s, cl: cl, topic: k.topic, partition: k.partition, end: -1,
		source: fmt.Sprintf("kafka topic '%s' partition %d", k.topic, k.partition),
		dec:    c.format.NewDecoder(), width: len(c.format.Schema), raw: c.format.Name == "text",
		snaps: map[int64]int64{}}
	r.logEnd.Store(-1)
	fail := func(err error) (connectors.SplitReader, error) {
		cl.Close()
		return nil, err
	}
	meta, err := c.topicMetadata(ctx, cl, []string{k.topic})
	if err != nil {
		return fail(err)
	}
	r.topicID = meta[k.topic].id
	if _, ok := meta[k.topic].leaders[k.partition]; !ok {
		return fail(fmt.Errorf("table %s: topic '%s' on %s has no partition %d", c.t.Name, k.topic, c.serverList(), k.partition))
	}
	haveEnd := false
	if pos != nil {
		if (len(pos) != 8 && len(pos) != 16) || int64(binary.BigEndian.Uint64(pos)) < 0 {
			return fail(fmt.Errorf("table %s: invalid position of split %s", c.t.Name, k.ID()))
		}
		r.pos = int64(binary.BigEndian.Uint64(pos))
		if len(pos) == 16 {
			r.end, haveEnd = int64(binary.BigEndian.Uint64(pos[8:])), true
		}
	} else if r.pos, err = r.startOffset(ctx); err != nil {
		return fail(err)
	}
	if !haveEnd && c.bounded.mode != modeUnbounded {
		if r.end, err = r.endOffset(ctx); err != nil {
			return fail(err)
		}
	}
	if r.end >= 0 && r.pos > r.end {
		r.pos = r.end
	}
	r.readPos.Store(r.pos)
	r.results = make(chan fetchResult, fetchQueue)
	fctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.fetchDone = make(chan struct{})
	go r.fetchLoop(fctx, r.pos, meta[k.topic].leaders[k.partition])
	return r, nil
}

// startOffset applies the startup mode.
func (r *reader) startOffset(ctx context.Context) (int64, error) {
	c := r.src.cfg
	switch c.startup.mode {
	case modeEarliest:
		return r.listOffset(ctx, -2)
	case modeLatest:
		return r.listOffset(ctx, -1)
	case modeTimestamp:
		o, err := r.listOffset(ctx, c.startup.ts)
		if err == nil && o < 0 {
			return r.listOffset(ctx, -1)
		}
		return o, err
	case modeSpecific:
		if o, ok := c.startup.specific[r.partition]; ok {
			return o, nil
		}
		return r.listOffset(ctx, -2)
	}
	o, ok, err := r.groupOffset(ctx)
	if err != nil || ok {
		return o, err
	}
	switch c.autoReset {
	case "earliest":
		return r.listOffset(ctx, -2)
	case "latest":
		return r.listOffset(ctx, -1)
	}
	return 0, fmt.Errorf("table %s: group '%s' has no committed offset for topic '%s' partition %d; set 'properties.auto.offset.reset' to 'earliest' or 'latest', or choose another 'scan.startup.mode'", c.t.Name, c.groupID, r.topic, r.partition)
}

// endOffset applies the bounded mode: the offset at which the split ends.
func (r *reader) endOffset(ctx context.Context) (int64, error) {
	c := r.src.cfg
	switch c.bounded.mode {
	case modeTimestamp:
		o, err := r.listOffset(ctx, c.bounded.ts)
		if err == nil && o < 0 {
			return r.listOffset(ctx, -1)
		}
		return o, err
	case modeSpecific:
		if o, ok := c.bounded.specific[r.partition]; ok {
			return o, nil
		}
		return r.listOffset(ctx, -1)
	case modeGroup:
		o, ok, err := r.groupOffset(ctx)
		if err == nil && !ok {
			return 0, fmt.Errorf("table %s: group '%s' has no committed offset for topic '%s' partition %d, which 'scan.bounded.mode' 'group-offsets' needs", c.t.Name, c.groupID, r.topic, r.partition)
		}
		return o, err
	}
	return r.listOffset(ctx, -1)
}

// listOffset asks the partition leader for an offset: ts -2 is the log
// start, -1 the end (the last stable offset under read_committed), other
// values the first offset whose record timestamp is >= ts (-1 if none).
func (r *reader) listOffset(ctx context.Context, ts int64) (int64, error) {
	c := r.src.cfg
	ctx, cancel := context.WithTimeout(ctx, c.apiTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		if c.readCommit {
			req.IsolationLevel = 1
		}
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = r.topic
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = r.partition
		rp.Timestamp = ts
		rp.CurrentLeaderEpoch = -1
		rp.MaxNumOffsets = 1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, r.cl)
		var code int16
		if err == nil {
			code = kerr.UnknownTopicOrPartition.Code
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if t.Topic == r.topic && p.Partition == r.partition {
						if p.ErrorCode == 0 {
							return p.Offset, nil
						}
						code = p.ErrorCode
					}
				}
			}
			err = kerr.ErrorForCode(code)
		}
		if (code == 0 || kafkatxn.Retriable(code)) && ctx.Err() == nil {
			if kafkatxn.Sleep(ctx, kafkatxn.Backoff(attempt)) == nil {
				continue
			}
		}
		return 0, fmt.Errorf("table %s: listing offsets of topic '%s' partition %d on %s: %v", c.t.Name, r.topic, r.partition, c.serverList(), err)
	}
}

// groupOffset returns the offset committed by the consumer group.
func (r *reader) groupOffset(ctx context.Context) (int64, bool, error) {
	c := r.src.cfg
	ctx, cancel := context.WithTimeout(ctx, c.apiTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.RequireStable = true
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = c.groupID
		gt := kmsg.NewOffsetFetchRequestGroupTopic()
		gt.Topic = r.topic
		gt.TopicID = r.topicID
		gt.Partitions = []int32{r.partition}
		g.Topics = append(g.Topics, gt)
		req.Groups = append(req.Groups, g)
		resp, err := req.RequestWith(ctx, r.cl)
		var code int16
		if err == nil {
			code = kerr.UnknownTopicOrPartition.Code
			for _, rg := range resp.Groups {
				if rg.ErrorCode == kerr.GroupIDNotFound.Code {
					return -1, false, nil // a group that never committed
				}
				if rg.ErrorCode != 0 {
					code = rg.ErrorCode
					continue
				}
				for _, t := range rg.Topics {
					for _, p := range t.Partitions {
						if p.Partition != r.partition || (t.Topic != r.topic && t.TopicID != r.topicID) {
							continue
						}
						if p.ErrorCode == 0 {
							return p.Offset, p.Offset >= 0, nil
						}
						code = p.ErrorCode
					}
				}
			}
			err = kerr.ErrorForCode(code)
		}
		if (code == 0 || kafkatxn.Retriable(code) || code == kerr.UnstableOffsetCommit.Code) && ctx.Err() == nil {
			if kafkatxn.Sleep(ctx, kafkatxn.Backoff(attempt)) == nil {
				continue
			}
		}
		return 0, false, fmt.Errorf("table %s: offsets of group '%s' for topic '%s' partition %d on %s: %v", c.t.Name, c.groupID, r.topic, r.partition, c.serverList(), err)
	}
}

var _ connectors.CheckpointedReader = (*reader)(nil)

// fetchResult is one fetched chunk: records from the requested offset on,
// and the offset to fetch next (after control records and aborted
// transactions too). A chunk with an error ends the fetching.
type fetchResult struct {
	recs []*kgo.Record
	next int64
	err  error
}

type reader struct {
	// pollWait, once pollWaitSet (SetPollWait, by the source task's
	// goroutine, which also calls Next), replaces pollInterval.
	pollWait    time.Duration
	pollWaitSet bool
	src         *source
	cl          *kgo.Client
	topic       string
	topicID     [16]byte
	partition   int32
	source      string // for bad-row errors
	dec         format.Decoder
	width       int
	raw         bool

	pos int64 // next offset to read
	// waited is the time Next spent waiting for fetched records.
	waited time.Duration
	// logEnd is the partition's end as of the last fetch: its high
	// watermark (read_committed: last stable offset); -1 before the
	// first. readPos is pos as of the reader's last Next. Both are read
	// by PendingRecords from any goroutine.
	logEnd, readPos atomic.Int64
	end             int64 // bounded: the split ends at this offset; -1 unbounded

	results   chan fetchResult
	cancel    context.CancelFunc
	fetchDone chan struct{}
	cur       *fetchResult
	idx       int
	pending   error
	skipped   atomic.Int64

	snaps map[int64]int64 // checkpoint id -> position, for group commits
	gc    struct {
		mu         sync.Mutex
		want, done int64
		running    bool
		wg         sync.WaitGroup
		warned     bool
	}
}

func (r *reader) ended() bool { return r.end >= 0 && r.pos >= r.end }

// SetPollWait sets how long Next waits for records when none is buffered
// (connectors.PollWaiter; pollInterval until set).
func (r *reader) SetPollWait(d time.Duration) { r.pollWait, r.pollWaitSet = d, true }

// Next appends the rows of the records fetched so far (at least one row
// when any is there within pollInterval).
func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	defer func() { r.readPos.Store(r.pos) }()
	if r.pending != nil {
		return r.pending
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := textsrc.CheckWidth(r.src.cfg.t, b, r.width); err != nil {
		return err
	}
	n0 := b.Len()
	limit := textsrc.Limit(b)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for b.Len() < limit && !r.ended() {
		if r.cur != nil {
			if err := r.fill(b, limit); err != nil {
				r.pending = err
				if b.Len() > n0 {
					return nil
				}
				return err
			}
			continue
		}
		var res fetchResult
		var ok bool
		wait := pollInterval
		if r.pollWaitSet {
			wait = r.pollWait
		}
		if b.Len() > n0 || wait <= 0 {
			// Rows already, or told not to wait: only what is there.
			select {
			case res, ok = <-r.results:
			default:
				return nil
			}
		} else {
			if timer == nil {
				timer = time.NewTimer(wait)
			}
			waitStart := time.Now()
			select {
			case res, ok = <-r.results:
			case <-timer.C:
				r.waited += time.Since(waitStart)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
			r.waited += time.Since(waitStart)
		}
		if !ok {
			r.pending = fmt.Errorf("table %s: %s: the reader is closed", r.src.cfg.t.Name, r.source)
			break
		}
		if res.err != nil {
			r.pending = res.err
			break
		}
		r.cur, r.idx = &res, 0
	}
	if b.Len() > n0 {
		return nil
	}
	if r.pending != nil {
		return r.pending
	}
	if r.ended() {
		return io.EOF
	}
	return nil
}

// fill decodes rows of the current chunk into b until limit; it returns a
// bad row's error under the failing policy.
func (r *reader) fill(b *types.Batch, limit int) error {
	res := r.cur
	for r.idx < len(res.recs) && b.Len() < limit {
		rec := res.recs[r.idx]
		if r.end >= 0 && rec.Offset >= r.end {
			r.pos = r.end
			r.cur = nil
			return nil
		}
		if err := r.decode(b, rec); err != nil {
			return err
		}
		r.idx++
		r.pos = rec.Offset + 1
	}
	if r.idx == len(res.recs) {
		next := res.next
		if r.end >= 0 && next > r.end {
			next = r.end
		}
		if next > r.pos {
			r.pos = next
		}
		r.cur = nil
	}
	return nil
}

// decode appends the row of one record (none for a tombstone or a record
// the format skips).
func (r *reader) decode(b *types.Batch, rec *kgo.Record) error {
	v := rec.Value
	if v == nil && !r.raw {
		return nil // a tombstone holds no row
	}
	if !r.raw {
		v = bytes.TrimSuffix(v, []byte{'\n'})
		v = bytes.TrimSuffix(v, []byte{'\r'})
	}
	row := b.AppendEmpty(types.Insert)
	var err error
	if rec.Value == nil {
		row[0] = types.Value{}
	} else {
		err = r.dec.Decode(v, row)
	}
	if err == nil {
		return nil
	}
	clear(row)
	b.Ops = b.Ops[:len(b.Ops)-1]
	b.Vals = b.Vals[:len(b.Vals)-b.Width]
	if errors.Is(err, format.ErrSkipRecord) {
		return nil
	}
	return r.src.policy.BadRow(connectors.BadRowError{Source: r.source, Offset: rec.Offset, Unit: "offset"}, v, err, &r.skipped)
}

// fetchLoop fetches the partition from off on into r.results until the
// end offset, an error, or cancellation.
func (r *reader) fetchLoop(ctx context.Context, off int64, leader int32) {
	defer close(r.fetchDone)
	defer close(r.results)
	c := r.src.cfg
	send := func(res fetchResult) bool {
		select {
		case r.results <- res:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var failingSince time.Time
	attempt := 0
	retry := func(err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if failingSince.IsZero() {
			failingSince = time.Now()
		} else if time.Since(failingSince) > c.apiTimeout {
			send(fetchResult{err: fmt.Errorf("table %s: fetching %s from %s: %v", c.t.Name, r.source, c.serverList(), err)})
			return false
		}
		leader = -1
		attempt++
		return kafkatxn.Sleep(ctx, kafkatxn.Backoff(attempt)) == nil
	}
	tid := r.topicID
	dec := kgo.DefaultDecompressor()
	iso := kgo.ReadUncommitted()
	if c.readCommit {
		iso = kgo.ReadCommitted()
	}
	for r.end < 0 || off < r.end {
		if leader < 0 {
			meta, err := c.topicMetadata(ctx, r.cl, []string{r.topic})
			if err != nil {
				if !retry(err) {
					return
				}
				continue
			}
			l, ok := meta[r.topic].leaders[r.partition]
			if !ok || l < 0 {
				if !retry(fmt.Errorf("no leader for the partition")) {
					return
				}
				continue
			}
			leader, tid = l, meta[r.topic].id
		}
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = int32(fetchMaxWait / time.Millisecond)
		req.MinBytes = 1
		req.MaxBytes = c.fetchMax
		if c.readCommit {
			req.IsolationLevel = 1
		}
		req.SessionID, req.SessionEpoch = 0, -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic, rt.TopicID = r.topic, tid
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = r.partition
		rp.FetchOffset = off
		rp.CurrentLeaderEpoch = -1
		rp.LastFetchedEpoch = -1
		rp.LogStartOffset = -1
		rp.PartitionMaxBytes = c.partMax
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := r.cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			if !retry(err) {
				return
			}
			continue
		}
		fr := resp.(*kmsg.FetchResponse)
		if fr.ErrorCode != 0 {
			if !kafkatxn.Retriable(fr.ErrorCode) {
				send(fetchResult{err: fmt.Errorf("table %s: fetching %s from %s: %v", c.t.Name, r.source, c.serverList(), kerr.ErrorForCode(fr.ErrorCode))})
				return
			}
			if !retry(kerr.ErrorForCode(fr.ErrorCode)) {
				return
			}
			continue
		}
		var part *kmsg.FetchResponseTopicPartition
		for i := range fr.Topics {
			for j := range fr.Topics[i].Partitions {
				if fr.Topics[i].Partitions[j].Partition == r.partition {
					part = &fr.Topics[i].Partitions[j]
				}
			}
		}
		if part == nil {
			if !retry(errors.New("the broker returned no data for the partition")) {
				return
			}
			continue
		}
		switch code := part.ErrorCode; {
		case code == kerr.OffsetOutOfRange.Code:
			send(fetchResult{err: fmt.Errorf("table %s: offset %d of %s is out of range on %s (the log holds offsets %d to %d): its records were deleted, or the position belongs to another topic", c.t.Name, off, r.source, c.serverList(), part.LogStartOffset, part.HighWatermark)})
			return
		case code != 0 && kafkatxn.Retriable(code):
			if !retry(kerr.ErrorForCode(code)) {
				return
			}
			continue
		case code != 0:
			send(fetchResult{err: fmt.Errorf("table %s: fetching %s from %s: %v", c.t.Name, r.source, c.serverList(), kerr.ErrorForCode(code))})
			return
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset: off, IsolationLevel: iso, Topic: r.topic, Partition: r.partition,
		}, part, dec, nil)
		if fp.Err != nil && len(fp.Records) == 0 && next <= off {
			send(fetchResult{err: fmt.Errorf("table %s: reading %s at offset %d: %v", c.t.Name, r.source, off, fp.Err)})
			return
		}
		failingSince, attempt = time.Time{}, 0
		if c.readCommit {
			r.logEnd.Store(part.LastStableOffset)
		} else {
			r.logEnd.Store(part.HighWatermark)
		}
		if len(fp.Records) == 0 && next <= off {
			continue // nothing new within fetchMaxWait
		}
		if next < off {
			next = off
		}
		if !send(fetchResult{recs: fp.Records, next: next}) {
			return
		}
		off = next
	}
}

// WaitedNs implements connectors.WaitReporter.
func (r *reader) WaitedNs() int64 { return int64(r.waited) }

// PendingRecords implements connectors.PendingRecordsReporter: the
// records between the next offset to read and the partition's end at the
// last fetch (for a bounded split, its end offset), -1 before the first
// fetch.
func (r *reader) PendingRecords() int64 {
	end := r.logEnd.Load()
	if r.end >= 0 && (end < 0 || r.end < end) {
		end = r.end
	}
	if end < 0 {
		return -1
	}
	return max(0, end-r.readPos.Load())
}

// Position is the next offset to read, 8 bytes big-endian, followed by the
// end offset (8 bytes) when the source is bounded.
func (r *reader) Position() []byte {
	p := binary.BigEndian.AppendUint64(nil, uint64(r.pos))
	if r.end >= 0 {
		p = binary.BigEndian.AppendUint64(p, uint64(r.end))
	}
	return p
}

// SnapshotPosition is Position; it remembers the offset so that
// CheckpointComplete can commit it to the consumer group.
func (r *reader) SnapshotPosition(checkpointID int64) ([]byte, error) {
	if r.src.cfg.groupID != "" {
		r.snaps[checkpointID] = r.pos
	}
	return r.Position(), nil
}

// CheckpointComplete commits the offset of the completed checkpoint to
// the consumer group (in the background; for monitoring and for jobs
// started with 'group-offsets', never for restores).
func (r *reader) CheckpointComplete(checkpointID int64) {
	off, ok := r.snaps[checkpointID]
	if !ok {
		return
	}
	for id := range r.snaps {
		if id <= checkpointID {
			delete(r.snaps, id)
		}
	}
	g := &r.gc
	g.mu.Lock()
	defer g.mu.Unlock()
	g.want = off
	if g.running {
		return
	}
	g.running = true
	g.wg.Add(1)
	go r.commitLoop()
}

func (r *reader) commitLoop() {
	g := &r.gc
	defer g.wg.Done()
	for {
		g.mu.Lock()
		off := g.want
		if off == g.done {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		err := r.commitGroup(off)
		g.mu.Lock()
		g.done = off
		if err != nil && !g.warned {
			g.warned = true
			r.src.env.Warn(err.Error())
		}
		g.mu.Unlock()
	}
}

// commitGroup commits off for the partition to the consumer group, as a
// consumer outside of any group generation (as Flink's source does).
func (r *reader) commitGroup(off int64) error {
	c := r.src.cfg
	ctx, cancel := context.WithTimeout(context.Background(), min(c.apiTimeout, 10*time.Second))
	defer cancel()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = c.groupID
	req.Generation = -1
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic, rt.TopicID = r.topic, r.topicID
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Partition = r.partition
	rp.Offset = off
	rp.LeaderEpoch = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, r.cl)
	if err == nil {
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					err = kerr.ErrorForCode(p.ErrorCode)
				}
			}
		}
	}
	if err != nil {
		return fmt.Errorf("table %s: committing offset %d of %s to group '%s': %v", c.t.Name, off, r.source, c.groupID, err)
	}
	return nil
}

// SkippedRows returns the number of bad rows skipped.
func (r *reader) SkippedRows() int64 { return r.skipped.Load() }

// Close stops fetching, waits for a group commit in flight and closes the
// client.
func (r *reader) Close() error {
	if r.cl == nil {
		return nil
	}
	r.cancel()
	<-r.fetchDone
	r.gc.wg.Wait()
	r.cl.Close()
	r.cl = nil
	return nil
}
