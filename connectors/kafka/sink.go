package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

type sink struct {
	cfg *config
	env *connectors.Env
}

func newSink(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
	c, err := parseConfig(t)
	if err != nil {
		return nil, err
	}
	if len(c.topics) != 1 {
		return nil, fmt.Errorf("table %s: the kafka sink writes one topic, 'topic' lists %d", t.Name, len(c.topics))
	}
	return &sink{cfg: c, env: env}, nil
}

// AcceptsChangelog is false: json, csv and raw records carry no changelog op.
func (s *sink) AcceptsChangelog() bool { return false }

func (s *sink) topic() string { return s.cfg.topics[0] }

// Open checks that the topic exists and starts the writer of one instance:
// a connectors.TwoPhaseCommitWriter for 'exactly-once', a plain writer
// otherwise.
func (s *sink) Open(ctx context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	c := s.cfg
	admin, err := c.newClient()
	if err != nil {
		return nil, err
	}
	meta, err := c.topicMetadata(ctx, admin, []string{s.topic()})
	if err != nil {
		admin.Close()
		return nil, err
	}
	nparts := len(meta[s.topic()].partitions)
	partition := int32(-1)
	if c.partitioner == "fixed" && nparts > 0 {
		partition = meta[s.topic()].partitions[instance%nparts]
	}
	enc := newEncoder(c)
	wctx, cancel := context.WithCancel(context.Background())
	if c.delivery != deliveryExactlyOnce {
		opts := s.producerOpts()
		if c.delivery == deliveryNone {
			opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
		}
		admin.Close()
		cl, err := c.newClient(opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &writer{s: s, cl: cl, enc: enc, partition: partition, ctx: wctx, cancel: cancel}, nil
	}
	prefix := c.txnPrefix
	if prefix == "" {
		prefix = defaultPrefix(s.env, c.t.Name)
	}
	w := &txnWriter{s: s, admin: admin, enc: enc, partition: partition, instance: instance, job: ctx,
		parallelism: max(parallelism, 1), prefix: prefix, done: map[string]bool{}, ctx: wctx, cancel: cancel}
	for k := 0; k < c.poolSize; k++ {
		w.slots = append(w.slots, &slot{id: txnID(prefix, instance, k)})
	}
	return w, nil
}

// defaultPrefix derives the transactional id prefix from the job and the
// table, so that every attempt of the same job uses the same ids.
func defaultPrefix(env *connectors.Env, table string) string {
	job := ""
	if env != nil {
		job = env.JobName
	}
	p := "streamsql"
	if job != "" {
		p += "-" + job
	}
	return p + "-" + strings.ToLower(table)
}

func txnID(prefix string, instance, k int) string {
	return fmt.Sprintf("%s-%d-%d", prefix, instance, k)
}

// Bounds of the records a producer holds in memory (see producerOpts).
const (
	maxBufferedRecords = 50000
	maxBufferedBytes   = 64 << 20
)

func (s *sink) producerOpts() []kgo.Opt {
	c := s.cfg
	// The producer buffers records until the broker acknowledges them (in
	// exactly-once mode the records of a checkpoint period are in the
	// broker's open transaction, not in memory): at most
	// maxBufferedRecords records and maxBufferedBytes bytes, beyond which
	// Produce (and so Write) blocks: a slow broker slows the job down.
	opts := []kgo.Opt{kgo.DefaultProduceTopic(s.topic()), kgo.RecordDeliveryTimeout(c.deliveryTimeout),
		kgo.MaxBufferedRecords(maxBufferedRecords), kgo.MaxBufferedBytes(maxBufferedBytes)}
	switch c.partitioner {
	case "fixed":
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	case "round-robin":
		opts = append(opts, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	}
	if c.compression != nil {
		opts = append(opts, kgo.ProducerBatchCompression(c.compression...))
	}
	if c.hasLinger {
		opts = append(opts, kgo.ProducerLinger(c.linger))
	}
	if c.hasBatchMax {
		opts = append(opts, kgo.ProducerBatchMaxBytes(c.batchMaxBytes))
	}
	return opts
}

// encoder turns rows into records.
type encoder struct {
	t      *catalog.Table
	fmt    string
	val    format.Encoder
	raw    bool
	key    format.Encoder
	keyIdx []int
	keyRow []types.Value
	avg    int
}

func newEncoder(c *config) *encoder {
	e := &encoder{t: c.t, fmt: c.format.Name, val: c.format.NewEncoder(), raw: c.format.Name == "text", avg: 64}
	if e.fmt == "text" {
		e.fmt = "raw"
	}
	if c.keyFormat != nil {
		e.key = c.keyFormat.NewEncoder()
		e.keyIdx = c.keyFields
		e.keyRow = make([]types.Value, len(c.keyFields))
	}
	return e
}

// records encodes b (Insert rows only) into records for partition (-1:
// the partitioner chooses). The records own their bytes.
func (e *encoder) records(b *types.Batch, partition int32) ([]kgo.Record, error) {
	for _, op := range b.Ops {
		if op != types.Insert {
			return nil, fmt.Errorf("table %s: the kafka sink writes only inserted rows (format '%s' carries no changelog op), the query produces %s rows: use a sink with a primary key", e.t.Name, e.fmt, op)
		}
	}
	n := b.Len()
	recs := make([]kgo.Record, n)
	buf := make([]byte, 0, n*e.avg+64)
	for i := 0; i < n; i++ {
		row := b.Row(i)
		if e.key != nil {
			for j, k := range e.keyIdx {
				e.keyRow[j] = row[k]
			}
			s := len(buf)
			buf = e.key.AppendRow(buf, e.keyRow)
			recs[i].Key = buf[s:len(buf):len(buf)]
		}
		if e.raw && row[0].IsNull() {
			recs[i].Value = nil // a NULL raw value is a tombstone
		} else {
			s := len(buf)
			buf = e.val.AppendRow(buf, row)
			recs[i].Value = buf[s:len(buf):len(buf)]
		}
		recs[i].Partition = partition
	}
	if n > 0 {
		e.avg = len(buf)/n + 8
	}
	return recs, nil
}

// asyncErr keeps the first error of asynchronous produces.
type asyncErr struct {
	mu  sync.Mutex
	err error
}

func (a *asyncErr) set(err error) {
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	a.mu.Unlock()
}

func (a *asyncErr) get() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// writer writes without transactions ('none' and 'at-least-once'): records
// are produced asynchronously and Flush waits until the brokers have
// acknowledged every one (the runtime calls Flush at each checkpoint and at
// the end of input).
type writer struct {
	s         *sink
	cl        *kgo.Client
	enc       *encoder
	partition int32
	ctx       context.Context
	cancel    context.CancelFunc
	async     asyncErr
	failed    error
}

func (w *writer) fail(err error) error {
	if w.failed == nil {
		w.failed = fmt.Errorf("table %s: writing to topic '%s': %w", w.s.cfg.t.Name, w.s.topic(), err)
	}
	return w.failed
}

func (w *writer) Write(b *types.Batch) error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.async.get(); err != nil {
		return w.fail(err)
	}
	recs, err := w.enc.records(b, w.partition)
	if err != nil {
		return err
	}
	for i := range recs {
		w.cl.Produce(w.ctx, &recs[i], w.promise)
	}
	return nil
}

func (w *writer) promise(_ *kgo.Record, err error) {
	if err != nil {
		w.async.set(err)
	}
}

func (w *writer) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.cl.Flush(w.ctx); err != nil {
		return w.fail(err)
	}
	if err := w.async.get(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close drops records not flushed yet.
func (w *writer) Close() error {
	if w.cl == nil {
		return nil
	}
	w.cancel()
	w.cl.Close()
	w.cl = nil
	return nil
}

// Exactly once.

const committableVersion = 1

// committable identifies a pre-committed transaction.
type committable struct {
	V           int    `json:"v"`
	TxnID       string `json:"transactional_id"`
	ProducerID  int64  `json:"producer_id"`
	Epoch       int16  `json:"epoch"`
	Checkpoint  int64  `json:"checkpoint"`
	Topic       string `json:"topic"`
	Prefix      string `json:"prefix"`
	Instance    int    `json:"instance"`
	Parallelism int    `json:"parallelism"`
	PoolSize    int    `json:"pool_size"`
}

func (c *committable) key() string { return fmt.Sprintf("%s/%d/%d", c.TxnID, c.ProducerID, c.Epoch) }

type slotState int

const (
	slotFree    slotState = iota
	slotOpen              // the transaction being written
	slotPending           // pre-committed, waiting for Commit
)

// slot is one transactional id of the pool, with its producer.
type slot struct {
	id    string
	cl    *kgo.Client
	state slotState
	chk   int64
	pid   int64
	epoch int16
	// stale: the epoch did not change when the last transaction ended
	// (a broker without KIP-890), so the client is re-created (which
	// bumps the epoch) before the next transaction: every transaction of
	// an id then has its own epoch, and a committable names exactly one.
	stale bool
	async asyncErr
}

func (sl *slot) promise(_ *kgo.Record, err error) {
	if err != nil {
		sl.async.set(err)
	}
}

// txnWriter writes each checkpoint period in a Kafka transaction (see the
// package documentation for the protocol).
type txnWriter struct {
	s           *sink
	admin       *kgo.Client // raw requests: fencing, committing recovered transactions
	enc         *encoder
	partition   int32
	instance    int
	parallelism int
	prefix      string
	slots       []*slot
	next        int   // slot to try first for the next transaction
	cur         *slot // open transaction, nil when none
	ready       bool  // transactions left by earlier attempts were aborted
	failed      error
	done        map[string]bool // committables committed by this writer
	doneOrder   []string
	ctx         context.Context
	// job is the context Open was given: the job's, cancelled when it
	// stops (ends a wait for the lease, Env.WaitLease).
	job    context.Context
	cancel context.CancelFunc
}

var _ connectors.TwoPhaseCommitWriter = (*txnWriter)(nil)

func (w *txnWriter) fail(err error) error {
	if w.failed == nil {
		w.failed = fmt.Errorf("table %s: writing to topic '%s': %w", w.s.cfg.t.Name, w.s.topic(), err)
	}
	return w.failed
}

func (w *txnWriter) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.ctx, max(w.s.cfg.apiTimeout, w.s.cfg.deliveryTimeout))
}

func (w *txnWriter) Write(b *types.Batch) error {
	if w.failed != nil {
		return w.failed
	}
	recs, err := w.enc.records(b, w.partition)
	if err != nil || len(recs) == 0 {
		return err
	}
	if !w.ready {
		if err := w.abortLeftovers(nil); err != nil {
			return w.fail(err)
		}
	}
	if w.cur == nil {
		if err := w.begin(); err != nil {
			return w.fail(err)
		}
	}
	sl := w.cur
	if err := sl.async.get(); err != nil {
		return w.fail(err)
	}
	for i := range recs {
		sl.cl.Produce(w.ctx, &recs[i], sl.promise)
	}
	return nil
}

// begin starts a transaction on a free transactional id.
func (w *txnWriter) begin() error {
	var sl *slot
	for i := range w.slots {
		k := (w.next + i) % len(w.slots)
		if w.slots[k].state == slotFree {
			sl = w.slots[k]
			w.next = k + 1
			break
		}
	}
	if sl == nil {
		return fmt.Errorf("all %d transactional ids of sink instance %d hold transactions that wait for a checkpoint to complete; raise 'sink.transactional-id-pool-size' or let checkpoints complete", len(w.slots), w.instance)
	}
	if sl.cl != nil && sl.stale {
		sl.cl.Close()
		sl.cl = nil
	}
	if sl.cl == nil {
		// Initialising the id fences its earlier producers: only while
		// this process holds the job's lease (a zombie must not fence its
		// successor).
		if err := w.s.env.WaitLease(w.job); err != nil {
			return fmt.Errorf("transactional id %s: %w", sl.id, err)
		}
		opts := append(w.s.producerOpts(), kgo.TransactionalID(sl.id), kgo.TransactionTimeout(w.s.cfg.txnTimeout))
		cl, err := w.s.cfg.newClient(opts...)
		if err != nil {
			return err
		}
		sl.cl, sl.stale = cl, false
	}
	if err := sl.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("transactional id %s: %w", sl.id, err)
	}
	sl.state = slotOpen
	sl.async = asyncErr{}
	w.cur = sl
	return nil
}

// PreCommit flushes the open transaction and leaves it open; its
// committable names the transactional id, producer id and epoch. The
// committables are those of every pre-committed transaction not yet
// committed, oldest first, so that committing checkpoint n commits
// everything written before barrier n.
func (w *txnWriter) PreCommit(checkpointID int64) ([][]byte, error) {
	if w.failed != nil {
		return nil, w.failed
	}
	if sl := w.cur; sl != nil {
		ctx, cancel := w.opCtx()
		defer cancel()
		if err := sl.cl.Flush(ctx); err != nil {
			return nil, w.fail(err)
		}
		if err := sl.async.get(); err != nil {
			return nil, w.fail(err)
		}
		pid, epoch, err := sl.cl.ProducerID(ctx)
		if err != nil {
			return nil, w.fail(fmt.Errorf("transactional id %s: %w", sl.id, err))
		}
		sl.state, sl.chk, sl.pid, sl.epoch = slotPending, checkpointID, pid, epoch
		w.cur = nil
	}
	var pending []*slot
	for _, sl := range w.slots {
		if sl.state == slotPending {
			pending = append(pending, sl)
		}
	}
	if len(pending) == 0 {
		return nil, nil
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].chk < pending[j].chk })
	out := make([][]byte, len(pending))
	for i, sl := range pending {
		out[i], _ = json.Marshal(committable{V: committableVersion, TxnID: sl.id, ProducerID: sl.pid, Epoch: sl.epoch,
			Checkpoint: sl.chk, Topic: w.s.topic(), Prefix: w.prefix, Instance: w.instance,
			Parallelism: w.parallelism, PoolSize: len(w.slots)})
	}
	return out, nil
}

func (w *txnWriter) decode(raw [][]byte) ([]committable, error) {
	out := make([]committable, 0, len(raw))
	for _, r := range raw {
		var c committable
		if err := json.Unmarshal(r, &c); err != nil || c.V != committableVersion || c.TxnID == "" || c.ProducerID < 0 || c.Epoch < 0 {
			return nil, fmt.Errorf("table %s: invalid kafka sink committable %q", w.s.cfg.t.Name, r)
		}
		out = append(out, c)
	}
	return out, nil
}

func (w *txnWriter) markDone(c *committable) {
	k := c.key()
	if w.done[k] {
		return
	}
	w.done[k] = true
	w.doneOrder = append(w.doneOrder, k)
	if len(w.doneOrder) > 1024 {
		delete(w.done, w.doneOrder[0])
		w.doneOrder = w.doneOrder[1:]
	}
}

// Commit commits the transactions of committables: those this writer
// pre-committed through their producer, any other by resuming it (as
// Recover). Committing one again is a no-op.
func (w *txnWriter) Commit(raw [][]byte) error {
	if w.failed != nil {
		return w.failed
	}
	cs, err := w.decode(raw)
	if err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	for i := range cs {
		c := &cs[i]
		if w.done[c.key()] {
			continue
		}
		var sl *slot
		for _, s := range w.slots {
			if s.state == slotPending && s.id == c.TxnID && s.pid == c.ProducerID && s.epoch == c.Epoch {
				sl = s
			}
		}
		if sl != nil {
			if err := sl.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				return w.fail(fmt.Errorf("committing the transaction of transactional id %s: %w", sl.id, err))
			}
			if _, epoch, err := sl.cl.ProducerID(ctx); err != nil || epoch == sl.epoch {
				sl.stale = true
			}
			sl.state = slotFree
		} else if err := w.resume(ctx, c); err != nil {
			return w.fail(err)
		}
		w.markDone(c)
	}
	return nil
}

// Recover commits the transactions of a restored checkpoint, then aborts
// every transaction that earlier attempts left open on the transactional
// ids this instance owns.
func (w *txnWriter) Recover(raw [][]byte) error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.s.env.WaitLease(w.job); err != nil {
		return err
	}
	cs, err := w.decode(raw)
	if err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	for i := range cs {
		if w.done[cs[i].key()] {
			continue
		}
		if err := w.resume(ctx, &cs[i]); err != nil {
			return w.fail(err)
		}
		w.markDone(&cs[i])
	}
	if err := w.abortLeftovers(cs); err != nil {
		return w.fail(err)
	}
	return nil
}

// resume commits a pre-committed transaction with EndTxn under the producer
// id and epoch it was written with. A transaction that was committed
// before (or superseded: its id has a newer epoch) is left as it is; one
// that was aborted (its rows are lost, e.g. after the transaction timeout)
// is reported on Stderr.
func (w *txnWriter) resume(ctx context.Context, c *committable) error {
	aborted, err := kafkatxn.CommitPrepared(ctx, w.admin, c.TxnID, c.ProducerID, c.Epoch)
	if aborted {
		w.warn(fmt.Sprintf("table %s: the transaction of transactional id %s (producer %d, epoch %d, checkpoint %d) was aborted before it could be committed: its rows are lost (is 'properties.transaction.timeout.ms' shorter than the time to recover?)", w.s.cfg.t.Name, c.TxnID, c.ProducerID, c.Epoch, c.Checkpoint))
	}
	return err
}

func (w *txnWriter) warn(msg string) {
	w.s.env.Warn(msg)
}

// abortLeftovers fences every transactional id of this instance's pool
// (and of the pools of former instances whose committables cs hands to
// it, or that a lower parallelism folds into it): initialising a producer
// id aborts the transaction an earlier attempt left open on it.
func (w *txnWriter) abortLeftovers(cs []committable) error {
	ids := map[string]bool{}
	add := func(prefix string, inst, pool int) {
		for k := 0; k < pool; k++ {
			ids[txnID(prefix, inst, k)] = true
		}
	}
	pool := len(w.slots)
	add(w.prefix, w.instance, pool)
	formerPar := map[string]int{w.prefix: w.parallelism}
	for _, c := range cs {
		p := max(pool, c.PoolSize)
		if c.Prefix != "" {
			add(c.Prefix, c.Instance, p)
			formerPar[c.Prefix] = max(formerPar[c.Prefix], c.Parallelism)
		}
		pool = p
	}
	for prefix, par := range formerPar {
		for k := w.instance + w.parallelism; k < par; k += w.parallelism {
			add(prefix, k, pool)
		}
	}
	for _, sl := range w.slots {
		if sl.state != slotFree {
			delete(ids, sl.id) // never fence a transaction of this writer
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	ctx, cancel := w.opCtx()
	defer cancel()
	for _, id := range sorted {
		if err := w.fence(ctx, id); err != nil {
			return err
		}
	}
	for _, sl := range w.slots {
		if sl.state == slotFree && sl.cl != nil {
			sl.stale = true // fenced: a new producer is needed
		}
	}
	w.ready = true
	return nil
}

// fence initialises a producer id for id, which aborts its open
// transaction and fences the producers of earlier attempts.
func (w *txnWriter) fence(ctx context.Context, id string) error {
	return kafkatxn.Fence(ctx, w.admin, id, w.s.cfg.txnTimeout)
}

// Flush commits the open transaction at once (jobs without checkpointing;
// with checkpointing the runtime does not call it).
func (w *txnWriter) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	sl := w.cur
	if sl == nil {
		return nil
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := sl.cl.Flush(ctx); err != nil {
		return w.fail(err)
	}
	if err := sl.async.get(); err != nil {
		return w.fail(err)
	}
	_, epoch, _ := sl.cl.ProducerID(ctx)
	if err := sl.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return w.fail(fmt.Errorf("committing the transaction of transactional id %s: %w", sl.id, err))
	}
	if _, e2, err := sl.cl.ProducerID(ctx); err != nil || e2 == epoch {
		sl.stale = true
	}
	sl.state = slotFree
	w.cur = nil
	return nil
}

// Close aborts the open transaction (not pre-committed) and closes the
// producers; pre-committed transactions stay open for Commit or Recover.
func (w *txnWriter) Close() error {
	if w.admin == nil {
		return nil
	}
	if sl := w.cur; sl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sl.cl.AbortBufferedRecords(ctx)
		sl.cl.EndTransaction(ctx, kgo.TryAbort)
		cancel()
		sl.state = slotFree
		w.cur = nil
	}
	w.cancel()
	for _, sl := range w.slots {
		if sl.cl != nil {
			sl.cl.Close()
			sl.cl = nil
		}
	}
	w.admin.Close()
	w.admin = nil
	return nil
}
