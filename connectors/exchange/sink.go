package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"math"
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
	w := &writer{cfg: s.cfg, t: &s.t, producer: producer, admin: admin,
		wm: math.MinInt64, sentWm: math.MinInt64, ctx: wctx, cancel: cancel, job: ctx}
	return w, nil
}

func (s *sink) producerOpts() []kgo.Opt {
	return []kgo.Opt{kgo.DefaultProduceTopic(s.t.Name), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordDeliveryTimeout(s.cfg.DeliveryTimeout),
		kgo.MaxBufferedRecords(maxBufferedRecords), kgo.MaxBufferedBytes(maxBufferedBytes)}
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
	plainErr kafkatxn.AsyncErr

	// modeTxn: the pool of transactional ids.
	prefix string
	pool   *kafkatxn.Pool

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

func (w *writer) plainPromise(_ *kgo.Record, err error) { w.plainErr.Set(err) }

// produce sends recs: at once in modePlain, into the open transaction
// (begun if none) in modeTxn. The records own their bytes.
func (w *writer) produce(recs []kgo.Record) error {
	if w.mode == modePlain {
		if err := w.plainErr.Get(); err != nil {
			return w.fail(err)
		}
		for i := range recs {
			w.plain.Produce(w.ctx, &recs[i], w.plainPromise)
		}
		return nil
	}
	if err := w.pool.Produce(w.ctx, recs); err != nil {
		return w.fail(err)
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
		if err := w.plainErr.Get(); err != nil {
			return w.fail(err)
		}
		return nil
	}
	if err := w.pool.CommitOpen(ctx); err != nil {
		return w.fail(err)
	}
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
	if w.pool != nil {
		w.pool.Close()
	}
	w.cancel()
	if w.plain != nil {
		w.plain.Close()
		w.plain = nil
	}
	w.admin.Close()
	w.admin = nil
	return nil
}

// Transactions.

const committableVersion = 1

// committable identifies a pre-committed transaction, and the pool it
// came from (which a restored writer fences).
type committable struct {
	V int `json:"v"`
	kafkatxn.Prepared
	Topic    string `json:"topic"`
	Prefix   string `json:"prefix"`
	Producer int    `json:"producer"`
	PoolSize int    `json:"pool_size"`
}

// txnID is the k-th transactional id of a producer of a topic.
func txnID(prefix, topic string, producer, k int) string {
	return fmt.Sprintf("%s-%s-%d-%d", prefix, topic, producer, k)
}

// newProducer makes the transactional producer of id (kafkatxn.PoolConfig):
// initialising it fences the id's earlier producers, so only while this
// process holds the job's lease (a zombie must not fence its successor).
func (w *writer) newProducer(id string) (*kgo.Client, error) {
	if err := w.cfg.Env.WaitLease(w.job); err != nil {
		return nil, err
	}
	opts := append((&sink{cfg: w.cfg, t: *w.t}).producerOpts(), kgo.TransactionalID(id), kgo.TransactionTimeout(w.cfg.TransactionTimeout))
	return w.cfg.newClient(opts...)
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
	ctx, cancel := w.opCtx()
	defer cancel()
	pending, err := w.pool.PreCommit(ctx, checkpointID)
	if err != nil {
		return nil, w.fail(err)
	}
	if len(pending) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(pending))
	for i, p := range pending {
		out[i], _ = json.Marshal(committable{V: committableVersion, Prepared: p,
			Topic: w.t.Name, Prefix: w.prefix, Producer: w.producer, PoolSize: w.pool.Size()})
	}
	return out, nil
}

func (w *writer) decode(raw [][]byte) ([]committable, []kafkatxn.Prepared, error) {
	out := make([]committable, 0, len(raw))
	prep := make([]kafkatxn.Prepared, 0, len(raw))
	for _, r := range raw {
		var c committable
		if err := json.Unmarshal(r, &c); err != nil || c.V != committableVersion || !c.Valid() {
			return nil, nil, w.fail(fmt.Errorf("invalid exchange committable %q", r))
		}
		out = append(out, c)
		prep = append(prep, c.Prepared)
	}
	return out, prep, nil
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
	_, prep, err := w.decode(raw)
	if err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := w.pool.Commit(ctx, w.admin, prep, w.lost); err != nil {
		return w.fail(err)
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
		ids := make([]string, w.cfg.TxnPoolSize)
		for k := range ids {
			ids[k] = txnID(w.prefix, w.t.Name, w.producer, k)
		}
		w.pool = kafkatxn.NewPool(kafkatxn.PoolConfig{IDs: ids, NewProducer: w.newProducer,
			Exhausted: func(n int) error {
				return fmt.Errorf("all %d transactional ids hold transactions that wait for a checkpoint to complete; raise Config.TxnPoolSize or let checkpoints complete", n)
			}})
	}
	if err := w.cfg.Env.WaitLease(w.job); err != nil {
		return w.fail(err)
	}
	cs, prep, err := w.decode(raw)
	if err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := w.pool.Resume(ctx, w.admin, prep, w.lost); err != nil {
		return w.fail(err)
	}
	if err := w.fenceLeftovers(ctx, cs); err != nil {
		return w.fail(err)
	}
	return nil
}

// lost reports a pre-committed transaction that was aborted before it
// could be committed (its rows are lost, e.g. after the transaction
// timeout).
func (w *writer) lost(c kafkatxn.Prepared) {
	w.cfg.Env.Warn(fmt.Sprintf("exchange topic '%s': the transaction of transactional id %s (producer %d, epoch %d, checkpoint %d) was aborted before it could be committed: its rows are lost (is Config.TransactionTimeout shorter than the time to recover?)", w.t.Name, c.TxnID, c.ProducerID, c.Epoch, c.Checkpoint))
}

// fenceLeftovers fences every transactional id of this producer's pool
// and of the pools of the producers cs name.
func (w *writer) fenceLeftovers(ctx context.Context, cs []committable) error {
	ids := map[string]bool{}
	for _, id := range w.pool.IDs() {
		ids[id] = true
	}
	size := w.pool.Size()
	for _, c := range cs {
		if c.Prefix == "" || c.Topic == "" {
			continue
		}
		for k := 0; k < max(size, c.PoolSize); k++ {
			ids[txnID(c.Prefix, c.Topic, c.Producer, k)] = true
		}
	}
	// Producers of a previous layout that no producer of this one is:
	// each is fenced by one writer (Topic.Retired).
	for q := w.t.Producers; q < w.t.Retired; q++ {
		if q%w.t.Producers == w.producer {
			for k := 0; k < size; k++ {
				ids[txnID(w.prefix, w.t.Name, q, k)] = true
			}
		}
	}
	return w.pool.Fence(ctx, w.admin, ids, w.cfg.TransactionTimeout)
}
