package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"strings"

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
		parallelism: max(parallelism, 1), prefix: prefix, ctx: wctx, cancel: cancel}
	ids := make([]string, c.poolSize)
	for k := range ids {
		ids[k] = txnID(prefix, instance, k)
	}
	w.pool = kafkatxn.NewPool(kafkatxn.PoolConfig{IDs: ids, NewProducer: w.newProducer,
		Exhausted: func(n int) error {
			return fmt.Errorf("all %d transactional ids of sink instance %d hold transactions that wait for a checkpoint to complete; raise 'sink.transactional-id-pool-size' or let checkpoints complete", n, instance)
		}})
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
	async     kafkatxn.AsyncErr
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
	if err := w.async.Get(); err != nil {
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
		w.async.Set(err)
	}
}

func (w *writer) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.cl.Flush(w.ctx); err != nil {
		return w.fail(err)
	}
	if err := w.async.Get(); err != nil {
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

// committable identifies a pre-committed transaction, and the pool it
// came from (which a restored instance fences).
type committable struct {
	V int `json:"v"`
	kafkatxn.Prepared
	Topic       string `json:"topic"`
	Prefix      string `json:"prefix"`
	Instance    int    `json:"instance"`
	Parallelism int    `json:"parallelism"`
	PoolSize    int    `json:"pool_size"`
}

// txnWriter writes each checkpoint period in a Kafka transaction (see the
// package documentation for the protocol) on its pool of transactional
// ids.
type txnWriter struct {
	s           *sink
	admin       *kgo.Client // raw requests: fencing, committing recovered transactions
	enc         *encoder
	partition   int32
	instance    int
	parallelism int
	prefix      string
	pool        *kafkatxn.Pool
	ready       bool // transactions left by earlier attempts were aborted
	failed      error
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

// newProducer makes the transactional producer of id (kafkatxn.PoolConfig):
// initialising it fences the id's earlier producers, so only while this
// process holds the job's lease (a zombie must not fence its successor).
func (w *txnWriter) newProducer(id string) (*kgo.Client, error) {
	if err := w.s.env.WaitLease(w.job); err != nil {
		return nil, err
	}
	return w.s.cfg.newClient(append(w.s.producerOpts(), kgo.TransactionalID(id), kgo.TransactionTimeout(w.s.cfg.txnTimeout))...)
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
	if err := w.pool.Produce(w.ctx, recs); err != nil {
		return w.fail(err)
	}
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
			Topic: w.s.topic(), Prefix: w.prefix, Instance: w.instance,
			Parallelism: w.parallelism, PoolSize: w.pool.Size()})
	}
	return out, nil
}

func (w *txnWriter) decode(raw [][]byte) ([]committable, []kafkatxn.Prepared, error) {
	out := make([]committable, 0, len(raw))
	prep := make([]kafkatxn.Prepared, 0, len(raw))
	for _, r := range raw {
		var c committable
		if err := json.Unmarshal(r, &c); err != nil || c.V != committableVersion || !c.Valid() {
			return nil, nil, fmt.Errorf("table %s: invalid kafka sink committable %q", w.s.cfg.t.Name, r)
		}
		out = append(out, c)
		prep = append(prep, c.Prepared)
	}
	return out, prep, nil
}

// Commit commits the transactions of committables: those this writer
// pre-committed through their producer, any other by resuming it (as
// Recover). Committing one again is a no-op.
func (w *txnWriter) Commit(raw [][]byte) error {
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
	cs, prep, err := w.decode(raw)
	if err != nil {
		return err
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := w.pool.Resume(ctx, w.admin, prep, w.lost); err != nil {
		return w.fail(err)
	}
	if err := w.abortLeftovers(cs); err != nil {
		return w.fail(err)
	}
	return nil
}

// lost reports a pre-committed transaction that was aborted before it
// could be committed (its rows are lost, e.g. after the transaction
// timeout).
func (w *txnWriter) lost(c kafkatxn.Prepared) {
	w.s.env.Warn(fmt.Sprintf("table %s: the transaction of transactional id %s (producer %d, epoch %d, checkpoint %d) was aborted before it could be committed: its rows are lost (is 'properties.transaction.timeout.ms' shorter than the time to recover?)", w.s.cfg.t.Name, c.TxnID, c.ProducerID, c.Epoch, c.Checkpoint))
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
	pool := w.pool.Size()
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
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := w.pool.Fence(ctx, w.admin, ids, w.s.cfg.txnTimeout); err != nil {
		return err
	}
	w.ready = true
	return nil
}

// Flush commits the open transaction at once (jobs without checkpointing;
// with checkpointing the runtime does not call it).
func (w *txnWriter) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	ctx, cancel := w.opCtx()
	defer cancel()
	if err := w.pool.CommitOpen(ctx); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close aborts the open transaction (not pre-committed) and closes the
// producers; pre-committed transactions stay open for Commit or Recover.
func (w *txnWriter) Close() error {
	if w.admin == nil {
		return nil
	}
	w.pool.Close()
	w.cancel()
	w.admin.Close()
	w.admin = nil
	return nil
}
