package kafkatxn

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Prepared names one pre-committed transaction: what a checkpoint's
// committable must hold for any instance to commit it (CommitPrepared).
// The writers' committables embed it (the JSON names are part of their
// checkpoint format).
type Prepared struct {
	TxnID      string `json:"transactional_id"`
	ProducerID int64  `json:"producer_id"`
	Epoch      int16  `json:"epoch"`
	// Checkpoint is the checkpoint whose barrier ended the transaction.
	Checkpoint int64 `json:"checkpoint"`
}

// Valid reports whether p names a transaction (a decoded committable's
// check).
func (p Prepared) Valid() bool { return p.TxnID != "" && p.ProducerID >= 0 && p.Epoch >= 0 }

func (p Prepared) key() string { return fmt.Sprintf("%s/%d/%d", p.TxnID, p.ProducerID, p.Epoch) }

// PoolConfig says how a Pool makes its producers.
type PoolConfig struct {
	// IDs are the pool's transactional ids, in the order they are used.
	IDs []string
	// NewProducer makes the transactional producer of id. It is called
	// when an id begins its first transaction, and its next one after
	// its producer was closed (a stale epoch, a fence): initialising the
	// producer fences the id's earlier producers, so a writer that must
	// not fence a successor waits for its lease here.
	NewProducer func(id string) (*kgo.Client, error)
	// Exhausted is the error for a pool of size ids that all hold a
	// transaction waiting for a checkpoint, in the writer's words (what
	// to raise).
	Exhausted func(size int) error
}

// Pool is the pool of transactional ids of one exactly-once writer (the
// kafka sink's instance, the exchange's producer), with their
// producers, driven by the checkpoint protocol:
//
//	Produce      records go into the open transaction, begun on the next
//	             free id when none is open
//	PreCommit    at a barrier: the open transaction is flushed and waits
//	             (pending); every pending one is returned, oldest first
//	Commit       when a checkpoint completes: pending transactions are
//	             ended through their producer, others (a restored
//	             checkpoint's) by their Prepared; one committed before is
//	             skipped
//	Resume       on restore: a restored checkpoint's transactions
//	             committed by their Prepared
//	Fence        on restore: ids earlier instances may have left open
//	             are fenced (their transactions aborted)
//	CommitOpen   without checkpoints: the open transaction committed now
//	Close        the open transaction aborted; pending ones stay open
//
// The writer calls the methods from one goroutine (or under its lock);
// only the producers' delivery callbacks run elsewhere. The pool owns
// its producers; the admin client the methods take is the caller's.
type Pool struct {
	cfg   PoolConfig
	slots []*slot
	next  int   // slot to try first for the next transaction
	cur   *slot // the open transaction, nil when none
	done  doneSet
}

// NewPool returns a pool of cfg.IDs, none with a producer yet.
func NewPool(cfg PoolConfig) *Pool {
	p := &Pool{cfg: cfg, done: doneSet{m: map[string]bool{}}}
	for _, id := range cfg.IDs {
		p.slots = append(p.slots, &slot{id: id})
	}
	return p
}

// Size is the number of transactional ids.
func (p *Pool) Size() int { return len(p.slots) }

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
	// then has its own epoch, and a Prepared names exactly one.
	stale bool
	async AsyncErr
}

func (sl *slot) promise(_ *kgo.Record, err error) { sl.async.Set(err) }

// begin starts a transaction on a free transactional id.
func (p *Pool) begin() error {
	var sl *slot
	for i := range p.slots {
		k := (p.next + i) % len(p.slots)
		if p.slots[k].state == slotFree {
			sl = p.slots[k]
			p.next = k + 1
			break
		}
	}
	if sl == nil {
		return p.cfg.Exhausted(len(p.slots))
	}
	if sl.cl != nil && sl.stale {
		sl.cl.Close()
		sl.cl = nil
	}
	if sl.cl == nil {
		cl, err := p.cfg.NewProducer(sl.id)
		if err != nil {
			return fmt.Errorf("transactional id %s: %w", sl.id, err)
		}
		sl.cl, sl.stale = cl, false
	}
	if err := sl.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("transactional id %s: %w", sl.id, err)
	}
	sl.state = slotOpen
	sl.async = AsyncErr{}
	p.cur = sl
	return nil
}

// Produce sends recs (which own their bytes) into the open transaction,
// beginning one when none is open; ctx bounds the records' delivery. It
// returns the first delivery error of the open transaction so far.
func (p *Pool) Produce(ctx context.Context, recs []kgo.Record) error {
	if p.cur == nil {
		if err := p.begin(); err != nil {
			return err
		}
	}
	sl := p.cur
	if err := sl.async.Get(); err != nil {
		return err
	}
	for i := range recs {
		sl.cl.Produce(ctx, &recs[i], sl.promise)
	}
	return nil
}

// FlushOpen waits until every record of the open transaction (if any) is
// acknowledged.
func (p *Pool) FlushOpen(ctx context.Context) error {
	if p.cur == nil {
		return nil
	}
	if err := p.cur.cl.Flush(ctx); err != nil {
		return err
	}
	return p.cur.async.Get()
}

// PreCommit flushes the open transaction (if any) and leaves it pending
// under checkpointID. It returns every pending transaction, oldest
// first, so that committing checkpoint n commits everything written
// before barrier n.
func (p *Pool) PreCommit(ctx context.Context, checkpointID int64) ([]Prepared, error) {
	if sl := p.cur; sl != nil {
		if err := p.FlushOpen(ctx); err != nil {
			return nil, err
		}
		pid, epoch, err := sl.cl.ProducerID(ctx)
		if err != nil {
			return nil, fmt.Errorf("transactional id %s: %w", sl.id, err)
		}
		sl.state, sl.chk, sl.pid, sl.epoch = slotPending, checkpointID, pid, epoch
		p.cur = nil
	}
	var pending []*slot
	for _, sl := range p.slots {
		if sl.state == slotPending {
			pending = append(pending, sl)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].chk < pending[j].chk })
	out := make([]Prepared, len(pending))
	for i, sl := range pending {
		out[i] = Prepared{TxnID: sl.id, ProducerID: sl.pid, Epoch: sl.epoch, Checkpoint: sl.chk}
	}
	return out, nil
}

// end commits sl's transaction through its producer and frees sl;
// epoch is the epoch it was written with (a producer that keeps it after
// the end makes sl stale).
func (p *Pool) end(ctx context.Context, sl *slot, epoch int16) error {
	if err := sl.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("committing the transaction of transactional id %s: %w", sl.id, err)
	}
	if _, e2, err := sl.cl.ProducerID(ctx); err != nil || e2 == epoch {
		sl.stale = true
	}
	sl.state = slotFree
	return nil
}

// Commit commits the transactions cs names: those of this pool's pending
// ones through their producer, any other by its Prepared (as Resume).
// Committing one again is a no-op. aborted is told of a transaction the
// broker aborted before it could be committed (its records are lost).
func (p *Pool) Commit(ctx context.Context, admin *kgo.Client, cs []Prepared, aborted func(Prepared)) error {
	for _, c := range cs {
		if p.done.has(c.key()) {
			continue
		}
		var sl *slot
		for _, s := range p.slots {
			if s.state == slotPending && s.id == c.TxnID && s.pid == c.ProducerID && s.epoch == c.Epoch {
				sl = s
			}
		}
		if sl != nil {
			if err := p.end(ctx, sl, sl.epoch); err != nil {
				return err
			}
		} else if err := resume(ctx, admin, c, aborted); err != nil {
			return err
		}
		p.done.add(c.key())
	}
	return nil
}

// Resume commits the transactions of a restored checkpoint by their
// Prepared (EndTxn under the producer id and epoch each was written
// with), skipping those committed already.
func (p *Pool) Resume(ctx context.Context, admin *kgo.Client, cs []Prepared, aborted func(Prepared)) error {
	for _, c := range cs {
		if p.done.has(c.key()) {
			continue
		}
		if err := resume(ctx, admin, c, aborted); err != nil {
			return err
		}
		p.done.add(c.key())
	}
	return nil
}

func resume(ctx context.Context, admin *kgo.Client, c Prepared, aborted func(Prepared)) error {
	lost, err := CommitPrepared(ctx, admin, c.TxnID, c.ProducerID, c.Epoch)
	if lost && aborted != nil {
		aborted(c)
	}
	return err
}

// Fence fences each of ids (in sorted order) but this pool's ids whose
// transaction is open or pending: initialising a producer id aborts the
// transaction an earlier instance left open on it and makes its
// producers fail. The pool's free ids get new producers afterwards.
func (p *Pool) Fence(ctx context.Context, admin *kgo.Client, ids map[string]bool, timeout time.Duration) error {
	mine := map[string]bool{}
	for _, sl := range p.slots {
		if sl.state != slotFree {
			mine[sl.id] = true // never fence a transaction of this writer
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		if !mine[id] {
			sorted = append(sorted, id)
		}
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		if err := Fence(ctx, admin, id, timeout); err != nil {
			return err
		}
	}
	for _, sl := range p.slots {
		if sl.state == slotFree && sl.cl != nil {
			sl.stale = true // fenced: a new producer is needed
		}
	}
	return nil
}

// IDs are the pool's transactional ids.
func (p *Pool) IDs() []string {
	out := make([]string, len(p.slots))
	for i, sl := range p.slots {
		out[i] = sl.id
	}
	return out
}

// CommitOpen flushes the open transaction (if any) and commits it at
// once: a writer without checkpoints.
func (p *Pool) CommitOpen(ctx context.Context) error {
	sl := p.cur
	if sl == nil {
		return nil
	}
	if err := p.FlushOpen(ctx); err != nil {
		return err
	}
	_, epoch, _ := sl.cl.ProducerID(ctx)
	if err := p.end(ctx, sl, epoch); err != nil {
		return err
	}
	p.cur = nil
	return nil
}

// Close aborts the open transaction (never a pending one, which stays
// open for a Commit or a Resume by a later instance) and closes the
// producers.
func (p *Pool) Close() {
	if sl := p.cur; sl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sl.cl.AbortBufferedRecords(ctx)
		sl.cl.EndTransaction(ctx, kgo.TryAbort)
		cancel()
		sl.state = slotFree
		p.cur = nil
	}
	for _, sl := range p.slots {
		if sl.cl != nil {
			sl.cl.Close()
			sl.cl = nil
		}
	}
}

// doneSet is a bounded set of the transactions a pool committed (the
// 1,024 newest), so that committing one again is a no-op.
type doneSet struct {
	m     map[string]bool
	order []string
}

func (d *doneSet) has(k string) bool { return d.m[k] }

func (d *doneSet) add(k string) {
	if d.m[k] {
		return
	}
	d.m[k] = true
	d.order = append(d.order, k)
	if len(d.order) > 1024 {
		delete(d.m, d.order[0])
		d.order = d.order[1:]
	}
}

// AsyncErr keeps the first error of asynchronous produces; safe for
// concurrent use (delivery callbacks set it).
type AsyncErr struct {
	mu  sync.Mutex
	err error
}

// Set records err when it is the first non-nil one.
func (a *AsyncErr) Set(err error) {
	if err == nil {
		return
	}
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	a.mu.Unlock()
}

// Get returns the first error recorded.
func (a *AsyncErr) Get() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}
