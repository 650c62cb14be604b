package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// Bounds of the records a producer holds in memory before Write blocks.
const (
	maxBufferedRecords = 50000
	maxBufferedBytes   = 64 << 20
)

type sink struct {
	cfg  Config
	t    Topic
	base int
}

// NewSink returns the sink writing topic t: the writer of sink instance i
// is producer producerBase+i (which must be below t.Producers).
func NewSink(cfg Config, t Topic, producerBase int) connectors.Sink {
	return &sink{cfg: cfg.withDefaults(), t: t, base: producerBase}
}

// AcceptsChangelog is true: records carry each row's op.
func (s *sink) AcceptsChangelog() bool { return true }

// Open checks that the topic exists with t.Partitions partitions and
// returns the writer of producer producerBase+instance. It connects no
// transactional id: whether the writer runs under checkpoints is known at
// its first call (Recover under checkpoints, see writer).
func (s *sink) Open(ctx context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	t := s.t
	if err := t.validate(); err != nil {
		return nil, err
	}
	producer := s.base + instance
	if producer < 0 || producer >= t.Producers {
		return nil, fmt.Errorf("exchange topic '%s': sink instance %d would be producer %d, the topic has producers 0 to %d", t.Name, instance, producer, t.Producers-1)
	}
	admin, err := s.cfg.newClient()
	if err != nil {
		return nil, err
	}
	if err := checkTopic(ctx, s.cfg, admin, &t); err != nil {
		admin.Close()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	w := &writer{cfg: s.cfg, t: &s.t, producer: producer, admin: admin, done: map[string]bool{},
		wm: math.MinInt64, sentWm: math.MinInt64, ctx: wctx, cancel: cancel, job: ctx}
	return w, nil
}

func (s *sink) producerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.DefaultProduceTopic(s.t.Name), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordDeliveryTimeout(s.cfg.DeliveryTimeout),
		kgo.MaxBufferedRecords(maxBufferedRecords), kgo.MaxBufferedBytes(maxBufferedBytes)}
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

type writerMode int

const (
	modeUndecided writerMode = iota
	modePlain                // no checkpoints: idempotent producer, flushes
	modeTxn                  // checkpoints: Kafka transactions
)

// writer is the writer of one producer. It implements
// connectors.TwoPhaseCommitWriter and connectors.WatermarkWriter; methods
// are called from one goroutine (the sink operator's task).
//
// Recover, called first exactly when the job checkpoints, switches it to
// transactions; any other first call (Write, WriteWatermark, Flush) to
// plain idempotent produces.
//
// A plain writer that holds back an advance of the watermark (written
// less than WatermarkInterval ago) writes it from a timer once the
// interval has passed, so that a producer whose input stalls still lets
// its readers see its last watermark: mu serializes that timer with the
// methods.
type writer struct {
	mu       sync.Mutex
	timer    *time.Timer // pending deferred watermark (modePlain)
	closed   bool
	cfg      Config
	t        *Topic
	producer int
	admin    *kgo.Client // raw requests: fencing, resuming transactions
	mode     writerMode

	plain    *kgo.Client // modePlain: idempotent producer
	plainErr asyncErr

	// modeTxn: the pool of transactional ids.
	prefix    string
	slots     []*slot
	next      int   // slot to try first for the next transaction
	cur       *slot // open transaction, nil when none
	done      map[string]bool
	doneOrder []string

	wm     int64 // the latest watermark received
	sentWm int64 // the latest watermark written into every partition
	idle   bool  // the input is idle: the last status written
	// announced: this writer has written a status or a watermark. Until
	// it has, a reader restored from a checkpoint taken while the
	// producer was idle still counts it idle (rows carry no producer):
	// the first rows go after an active status.
	announced bool
	endSent   bool      // the end was written into every partition
	lastWmAt  time.Time // when sentWm was written (modePlain)

	failed error
	ctx    context.Context
	// job is the context Open was given: the job's, cancelled when it
	// stops (ends a wait for the lease, Env.WaitLease).
	job    context.Context
	cancel context.CancelFunc
}

var (
	_ connectors.TwoPhaseCommitWriter = (*writer)(nil)
	_ connectors.WatermarkWriter      = (*writer)(nil)
	_ connectors.IdleWriter           = (*writer)(nil)
)

func (w *writer) fail(err error) error {
	if w.failed == nil {
		w.failed = fmt.Errorf("exchange topic '%s' producer %d: %w", w.t.Name, w.producer, err)
	}
	return w.failed
}

func (w *writer) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.ctx, max(w.cfg.RequestTimeout, w.cfg.DeliveryTimeout))
}

// startPlain makes the writer a plain (non-transactional) one.
func (w *writer) startPlain() error {
	if w.mode != modeUndecided {
		return nil
	}
	cl, err := w.cfg.newClient((&sink{cfg: w.cfg, t: *w.t}).producerOpts()...)
	if err != nil {
		return w.fail(err)
	}
	w.plain, w.mode = cl, modePlain
	return nil
}

func (w *writer) plainPromise(_ *kgo.Record, err error) {
	if err != nil {
		w.plainErr.set(err)
	}
}

// produce sends recs: at once in modePlain, into the open transaction
// (begun if none) in modeTxn. The records own their bytes.
func (w *writer) produce(recs []kgo.Record) error {
	if w.mode == modePlain {
		if err := w.plainErr.get(); err != nil {
			return w.fail(err)
		}
		for i := range recs {
			w.plain.Produce(w.ctx, &recs[i], w.plainPromise)
		}
		return nil
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

// Write routes each row of b to the partition of its key group.
func (w *writer) Write(b *types.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	n := b.Len()
	if n == 0 {
		return nil
	}
	if b.Width != len(w.t.Schema) {
		return w.fail(fmt.Errorf("rows of %d columns, the topic's schema has %d", b.Width, len(w.t.Schema)))
	}
	if w.endSent {
		return w.fail(fmt.Errorf("%d rows after the end of input", n))
	}
	if err := w.startPlain(); err != nil {
		return err
	}
	if !w.announced {
		if err := w.writeStatus(false); err != nil {
			return err
		}
	}
	recs := make([]kgo.Record, n)
	buf := make([]byte, 0, n*(8+4*b.Width))
	for i := 0; i < n; i++ {
		row := b.Row(i)
		s := len(buf)
		buf = appendRow(buf, b.Ops[i], row)
		recs[i].Value = buf[s:len(buf):len(buf)]
		recs[i].Partition = int32(w.t.PartitionOf(row))
	}
	return w.produce(recs)
}

// WriteWatermark records wm. A plain writer writes it into every
// partition when WatermarkInterval has passed since it last did, else
// once it has (from a timer, unless a later call did); a transactional
// one at its next PreCommit. The end (math.MaxInt64) is written at once
// by a plain writer, at the next PreCommit by a transactional one.
func (w *writer) WriteWatermark(wm int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	if wm <= w.wm {
		return nil
	}
	w.wm = wm
	if err := w.startPlain(); err != nil {
		return err
	}
	if w.mode != modePlain {
		return nil
	}
	if since := time.Since(w.lastWmAt); wm == math.MaxInt64 || since >= w.cfg.WatermarkInterval {
		return w.writeProgress()
	} else if w.timer == nil {
		w.timer = time.AfterFunc(w.cfg.WatermarkInterval-since, w.deferredProgress)
	}
	return nil
}

// WriteIdle writes the input's status into every partition when it
// changes: idle after the latest watermark (written then, held back or
// not), active again before the rows and watermarks that follow. A plain
// writer writes it at once, a transactional one into its open transaction
// (begun for it if none is), visible with the transaction's commit.
// Nothing is written after the end.
func (w *writer) WriteIdle(idle bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	if idle == w.idle || w.endSent {
		return nil
	}
	if err := w.startPlain(); err != nil {
		return err
	}
	if idle {
		if err := w.writeProgress(); err != nil {
			return err
		}
		if w.endSent {
			return nil
		}
	}
	return w.writeStatus(idle)
}

// writeStatus writes status idle into every partition (w.mu held, the
// writer started).
func (w *writer) writeStatus(idle bool) error {
	recs := make([]kgo.Record, w.t.Partitions)
	buf := make([]byte, 0, 8*len(recs))
	for p := range recs {
		s := len(buf)
		buf = appendStatus(buf, w.producer, idle)
		recs[p].Value = buf[s:len(buf):len(buf)]
		recs[p].Partition = int32(p)
	}
	if err := w.produce(recs); err != nil {
		return err
	}
	w.idle, w.announced = idle, true
	return nil
}

// deferredProgress writes the watermark WriteWatermark held back (from
// its timer's goroutine). Its records may land before rows written since
// the advance, never before rows written until it: the watermark only
// looks later to readers. A failure fails the writer's next call.
func (w *writer) deferredProgress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = nil
	if w.closed || w.failed != nil || w.mode != modePlain {
		return
	}
	w.writeProgress()
}

// writeProgress writes the latest watermark, or the end, into every
// partition, unless already written.
func (w *writer) writeProgress() error {
	var one func([]byte) []byte
	switch {
	case w.endSent:
		return nil
	case w.wm == math.MaxInt64:
		one = func(b []byte) []byte { return appendEnd(b, w.producer) }
	case w.wm > w.sentWm:
		one = func(b []byte) []byte { return appendWatermark(b, w.producer, w.wm) }
	default:
		return nil
	}
	recs := make([]kgo.Record, w.t.Partitions)
	buf := make([]byte, 0, 16*len(recs))
	for p := range recs {
		s := len(buf)
		buf = one(buf)
		recs[p].Value = buf[s:len(buf):len(buf)]
		recs[p].Partition = int32(p)
	}
	if err := w.produce(recs); err != nil {
		return err
	}
	w.sentWm, w.lastWmAt = w.wm, time.Now()
	w.endSent = w.wm == math.MaxInt64
	w.idle, w.announced = false, true // a reader takes a watermark as an active status
	return nil
}

// Flush writes the latest watermark into every partition and waits until
// every record is acknowledged. In modeTxn (not used by the runtime under
// checkpoints) it commits the open transaction.
func (w *writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush()
}

func (w *writer) flush() error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.startPlain(); err != nil {
		return err
	}
	if err := w.writeProgress(); err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if w.mode == modePlain {
		if err := w.plain.Flush(ctx); err != nil {
			return w.fail(err)
		}
		if err := w.plainErr.get(); err != nil {
			return w.fail(err)
		}
		return nil
	}
	sl := w.cur
	if sl == nil {
		return nil
	}
	if err := w.flushTxn(ctx, sl); err != nil {
		return err
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

// Close drops what a plain writer did not flush, aborts the open
// transaction (never a pre-committed one) and closes the clients.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.admin == nil {
		return nil
	}
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
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
	if w.plain != nil {
		w.plain.Close()
		w.plain = nil
	}
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

// Transactions.

const committableVersion = 1

// committable identifies a pre-committed transaction.
type committable struct {
	V          int    `json:"v"`
	TxnID      string `json:"transactional_id"`
	ProducerID int64  `json:"producer_id"`
	Epoch      int16  `json:"epoch"`
	Checkpoint int64  `json:"checkpoint"`
	Topic      string `json:"topic"`
	Prefix     string `json:"prefix"`
	Producer   int    `json:"producer"`
	PoolSize   int    `json:"pool_size"`
}

func (c *committable) key() string { return fmt.Sprintf("%s/%d/%d", c.TxnID, c.ProducerID, c.Epoch) }

// txnID is the k-th transactional id of a producer of a topic.
func txnID(prefix, topic string, producer, k int) string {
	return fmt.Sprintf("%s-%s-%d-%d", prefix, topic, producer, k)
}

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
	// stale: the epoch did not change when the last transaction ended (a
	// broker without KIP-890), so the client is re-created (which bumps
	// the epoch) before the next transaction: every transaction of an id
	// then has its own epoch, and a committable names exactly one.
	stale bool
	async asyncErr
}

func (sl *slot) promise(_ *kgo.Record, err error) {
	if err != nil {
		sl.async.set(err)
	}
}

// begin starts a transaction on a free transactional id.
func (w *writer) begin() error {
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
		return fmt.Errorf("all %d transactional ids hold transactions that wait for a checkpoint to complete; raise Config.TxnPoolSize or let checkpoints complete", len(w.slots))
	}
	if sl.cl != nil && sl.stale {
		sl.cl.Close()
		sl.cl = nil
	}
	if sl.cl == nil {
		// Initialising the id fences its earlier producers: only while
		// this process holds the job's lease (a zombie must not fence its
		// successor).
		if err := w.cfg.Env.WaitLease(w.job); err != nil {
			return fmt.Errorf("transactional id %s: %w", sl.id, err)
		}
		opts := append((&sink{cfg: w.cfg, t: *w.t}).producerOpts(), kgo.TransactionalID(sl.id), kgo.TransactionTimeout(w.cfg.TransactionTimeout))
		cl, err := w.cfg.newClient(opts...)
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

// flushTxn waits until every record of sl's transaction is acknowledged.
func (w *writer) flushTxn(ctx context.Context, sl *slot) error {
	if err := sl.cl.Flush(ctx); err != nil {
		return w.fail(err)
	}
	if err := sl.async.get(); err != nil {
		return w.fail(err)
	}
	return nil
}

// PreCommit writes the latest watermark (or the end) into every partition
// of the open transaction, beginning one for it when the watermark
// advanced and no row was written; flushes that transaction and leaves it
// open. It returns the committables of every pre-committed transaction
// not committed yet, oldest first. A writer not under checkpoints
// flushes.
func (w *writer) PreCommit(checkpointID int64) ([][]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return nil, w.failed
	}
	if w.mode != modeTxn {
		return nil, w.flush()
	}
	if err := w.writeProgress(); err != nil {
		return nil, err
	}
	if sl := w.cur; sl != nil {
		ctx, cancel := w.opCtx()
		defer cancel()
		if err := w.flushTxn(ctx, sl); err != nil {
			return nil, err
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
			Checkpoint: sl.chk, Topic: w.t.Name, Prefix: w.prefix, Producer: w.producer, PoolSize: len(w.slots)})
	}
	return out, nil
}

func (w *writer) decode(raw [][]byte) ([]committable, error) {
	out := make([]committable, 0, len(raw))
	for _, r := range raw {
		var c committable
		if err := json.Unmarshal(r, &c); err != nil || c.V != committableVersion || c.TxnID == "" || c.ProducerID < 0 || c.Epoch < 0 {
			return nil, w.fail(fmt.Errorf("invalid exchange committable %q", r))
		}
		out = append(out, c)
	}
	return out, nil
}

func (w *writer) markDone(c *committable) {
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
func (w *writer) Commit(raw [][]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
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

// Recover switches the writer to transactions, commits the transactions
// of a restored checkpoint, then fences every transactional id of this
// producer (and of the producers the committables name): this aborts the
// transactions that earlier instances left open and makes their
// producers fail.
func (w *writer) Recover(raw [][]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	if w.mode == modePlain {
		return w.fail(fmt.Errorf("Recover after the writer started writing without checkpoints"))
	}
	if w.mode == modeUndecided {
		if w.cfg.TransactionalIDPrefix == "" {
			return w.fail(fmt.Errorf("writing under checkpoints needs Config.TransactionalIDPrefix"))
		}
		w.mode, w.prefix = modeTxn, w.cfg.TransactionalIDPrefix
		for k := 0; k < w.cfg.TxnPoolSize; k++ {
			w.slots = append(w.slots, &slot{id: txnID(w.prefix, w.t.Name, w.producer, k)})
		}
	}
	if err := w.cfg.Env.WaitLease(w.job); err != nil {
		return w.fail(err)
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
	if err := w.fenceLeftovers(ctx, cs); err != nil {
		return w.fail(err)
	}
	return nil
}

// resume commits a pre-committed transaction with EndTxn under the
// producer id and epoch it was written with. One committed before (its
// id moved on to a newer epoch) is left as it is; one that was aborted
// (its rows are lost, e.g. after the transaction timeout) is reported
// through Config.Env.
func (w *writer) resume(ctx context.Context, c *committable) error {
	aborted, err := kafkatxn.CommitPrepared(ctx, w.admin, c.TxnID, c.ProducerID, c.Epoch)
	if aborted {
		w.cfg.Env.Warn(fmt.Sprintf("exchange topic '%s': the transaction of transactional id %s (producer %d, epoch %d, checkpoint %d) was aborted before it could be committed: its rows are lost (is Config.TransactionTimeout shorter than the time to recover?)", w.t.Name, c.TxnID, c.ProducerID, c.Epoch, c.Checkpoint))
	}
	return err
}

// fenceLeftovers fences every transactional id of this producer's pool
// and of the pools of the producers cs name.
func (w *writer) fenceLeftovers(ctx context.Context, cs []committable) error {
	ids := map[string]bool{}
	for k := range w.slots {
		ids[w.slots[k].id] = true
	}
	for _, c := range cs {
		if c.Prefix == "" || c.Topic == "" {
			continue
		}
		for k := 0; k < max(len(w.slots), c.PoolSize); k++ {
			ids[txnID(c.Prefix, c.Topic, c.Producer, k)] = true
		}
	}
	// Producers of a previous layout that no producer of this one is:
	// each is fenced by one writer (Topic.Retired).
	for q := w.t.Producers; q < w.t.Retired; q++ {
		if q%w.t.Producers == w.producer {
			for k := range w.slots {
				ids[txnID(w.prefix, w.t.Name, q, k)] = true
			}
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
	return nil
}

// fence initialises a producer id for id, which aborts its open
// transaction and fences the producers of earlier instances.
func (w *writer) fence(ctx context.Context, id string) error {
	return kafkatxn.Fence(ctx, w.admin, id, w.cfg.TransactionTimeout)
}
