package operators

import (
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// GroupAggSpec configures a non-windowed GROUP BY.
type GroupAggSpec struct {
	KeyCols []int
	Aggs    []plan.AggCall
	// InsertOnlyInput, when set, promises that the input carries only +I
	// rows: MIN/MAX then keep just the current extreme instead of a value
	// multiset, and DISTINCT which values occurred, not how often
	// (agg.CompileInsertOnly). A retraction then fails the job.
	InsertOnlyInput bool
	// StateTTL (table.exec.state.ttl) is how long a group's state is kept
	// without being read or written, in processing time; 0 keeps it
	// forever.
	StateTTL time.Duration
	// MiniBatch folds rows into their groups before emitting: one change
	// per group the mini-batch changed (see groupagg_minibatch.go). Not
	// with a StateTTL, which keeps the row-by-row path.
	MiniBatch bool
	// MiniBatchSize bounds the rows of a mini-batch
	// (table.exec.mini-batch.size); 0: no bound (with a
	// MiniBatchLatency), or the whole input batch (without).
	MiniBatchSize int
	// MiniBatchLatency (table.exec.mini-batch.allow-latency) is how long
	// a mini-batch may hold rows back. 0: a mini-batch is (a piece of) one
	// input batch and holds nothing back; above 0: it spans input batches
	// and emits when it reaches MiniBatchSize rows, when its first row
	// is MiniBatchLatency old (OnTick), at a checkpoint barrier
	// (SnapshotState), at the end of the input (Finish), and earlier when
	// the state must write its groups back (see groupagg_minibatch.go).
	MiniBatchLatency time.Duration
}

// NewGroupAgg returns a non-windowed GROUP BY. Its input must be
// hash-partitioned on KeyCols (or be a single instance when KeyCols is
// empty: a global aggregate with one group).
//
// Output row: keys..., aggs...; a changelog keyed by the keys. Per input row:
// the group's first row emits +I; a change emits -U (old) then +U (new); a
// group emptied by retractions emits -D (its last result); an unchanged
// result emits nothing. Input may be a changelog: +I/+U add, -U/-D retract;
// a retraction for a group that does not exist is ignored.
//
// With a StateTTL, a group idle (neither read nor written) for the TTL in
// processing time expires: its state is removed, and a later row for its
// key starts a new group (+I; no retraction of the old result, as in
// Flink). Every row for a group refreshes its stamp; OnTick removes expired
// groups incrementally (see ttl.go).
//
// A global aggregate (no KeyCols) has a result over zero rows too, as in
// SQL (COUNT 0; SUM, MIN, MAX, AVG NULL): the instance owning the key group
// of the empty key emits it as +I in Open when its state holds no entry for
// the empty key, and stores the (empty) entry, so that the fact that the
// initial row was emitted lives in the checkpointed state: a restore finds
// the entry and emits nothing. Rows then update the result (-U/+U), and a
// retraction of the last row returns it to the empty result (-U/+U), never
// -D.
//
// State "groups": group key -> key values, accumulators and the TTL stamp
// (last access, expiry slot).
func NewGroupAgg(spec GroupAggSpec) exec.Operator { return &groupAgg{spec: spec} }

type groupAgg struct {
	exec.Base
	spec   GroupAggSpec
	ctx    *exec.Context
	key    keying
	funcs  *agg.Funcs
	groups *store[*groupEntry]
	ttl    stateTTL
	keyBuf []byte
	old    []types.Value
	out    []types.Value
	mb     miniBatch
}

type groupEntry struct {
	marks
	ttlStamp
	key []types.Value
	acc agg.Acc
}

// groupCodec encodes the TTL stamp, then the key values and accumulators,
// then any patches (AppendPatch). It implements state.PatchCodec: with
// incremental checkpoints of the memory backend, a group whose DISTINCT
// (or retractable MIN/MAX) multisets a checkpoint holds is written as a
// patch of what changed since, not whole: the values added, removed or
// recounted in its multisets, with the stamp and every other field of
// the accumulators (small) written whole.
type groupCodec struct{}

// groupPatch starts a patch appended to a group's encoding. Decode
// refuses any other byte there.
const groupPatch = 0x01

func (groupCodec) Append(buf []byte, e *groupEntry) []byte {
	buf = appendStamp(buf, &e.ttlStamp)
	return winEntryCodec{}.Append(buf, &winEntry{key: e.key, acc: e.acc})
}

// AppendPatch implements state.PatchCodec: groupPatch, the stamp, then
// agg.AppendAccChanges of the accumulators (which says when it cannot:
// the group is then written whole). grown is the part of the patch's
// bytes that its multisets' new values take, estimated in proportion to
// their entries.
func (groupCodec) AppendPatch(buf []byte, e *groupEntry) ([]byte, int, bool) {
	start := len(buf)
	buf = append(buf, groupPatch)
	buf = appendStamp(buf, &e.ttlStamp)
	sets := len(buf)
	buf, fresh, ok := agg.AppendAccChanges(buf, &e.acc)
	if !ok {
		return buf[:start], 0, false
	}
	changes := 0
	for i := range e.acc.Slots {
		changes += e.acc.Slots[i].Multiset().Changes()
	}
	grown := 0
	if changes > 0 {
		grown = (len(buf) - sets) * fresh / changes
	}
	return buf, grown, true
}

// AppendTail implements state.TailCodec: AppendPatch's patch.
func (c groupCodec) AppendTail(buf []byte, e *groupEntry) ([]byte, bool) {
	buf, _, ok := c.AppendPatch(buf, e)
	return buf, ok
}

// MarkWritten implements state.TailCodec: the checkpoints hold e as it
// is (agg.MarkWritten).
func (groupCodec) MarkWritten(e *groupEntry) { agg.MarkWritten(&e.acc) }

func (groupCodec) Decode(buf []byte) (*groupEntry, error) {
	st, buf, err := decodeStamp(buf)
	if err != nil {
		return nil, err
	}
	e := &groupEntry{ttlStamp: st}
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	if buf, err = agg.DecodeAcc(buf, &e.acc); err != nil {
		return nil, err
	}
	for len(buf) > 0 {
		if buf[0] != groupPatch {
			return nil, errCorrupt
		}
		if e.ttlStamp, buf, err = decodeStamp(buf[1:]); err != nil {
			return nil, err
		}
		if buf, err = agg.DecodeAccChanges(buf, &e.acc); err != nil {
			return nil, err
		}
	}
	return e, nil
}

var _ state.PatchCodec[*groupEntry] = groupCodec{}

const groupsState = "groups"

func (o *groupAgg) Open(ctx *exec.Context) error {
	o.ctx = ctx
	o.key = newKeying(ctx, o.spec.KeyCols)
	f, err := agg.Compile(o.spec.Aggs, true)
	if o.spec.InsertOnlyInput {
		f, err = agg.CompileInsertOnly(o.spec.Aggs) // DISTINCT sets without counts
	}
	if err != nil {
		return err
	}
	o.funcs = f
	if o.groups, err = newStore(ctx.State, groupsState, state.Codec[*groupEntry](groupCodec{})); err != nil {
		return err
	}
	nk := len(o.spec.KeyCols)
	o.old = make([]types.Value, nk+len(o.spec.Aggs))
	o.out = make([]types.Value, nk+len(o.spec.Aggs))
	o.ttl.open(o.spec.StateTTL, ctx.Now)
	if o.ttl.on() {
		o.rebuildTTL()
	}
	if len(o.spec.KeyCols) == 0 {
		return o.openGlobal()
	}
	return nil
}

// openGlobal emits the result over zero rows of a global aggregate once
// per job (see NewGroupAgg): only on the instance owning the empty key's
// key group, and only when no entry (emitted before a checkpoint this
// state was restored from) exists.
func (o *groupAgg) openGlobal() error {
	kg := o.ctx.KeyGroupOfHash(exec.HashKey(nil, nil))
	if !o.key.kgs.Contains(kg) {
		return nil
	}
	if _, ok := o.groups.peek(kg, nil); ok {
		return nil
	}
	e := &groupEntry{}
	o.funcs.Init(&e.acc)
	if o.ttl.on() {
		o.ttl.create(kg, nil, &e.ttlStamp)
	}
	o.groups.insert(kg, nil, e)
	if err := o.funcs.Results(o.out, &e.acc); err != nil {
		return err
	}
	o.ctx.Out.Emit(types.Insert, o.out)
	return nil
}

// rebuildTTL registers every stored group in the expiry index.
func (o *groupAgg) rebuildTTL() {
	var unstamped []keyRef
	o.groups.rangeAll(func(kg int, key string, e *groupEntry) bool {
		if !o.ttl.restore(kg, []byte(key), &e.ttlStamp) {
			unstamped = append(unstamped, keyRef{kg, key})
		}
		return true
	})
	for _, u := range unstamped {
		key := []byte(u.key)
		if e, ok := o.groups.get(u.kg, key); ok {
			o.ttl.create(u.kg, key, &e.ttlStamp)
		}
	}
}

func (o *groupAgg) ProcessBatch(_ int, b *types.Batch) error {
	nk := len(o.spec.KeyCols)
	ttl := o.ttl.on()
	if ttl {
		o.ttl.sync()
	} else if o.spec.MiniBatch {
		return o.processMiniBatch(b)
	}
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		retract := b.Ops[i].IsRetraction()
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		e, ok := o.groups.get(kg, o.keyBuf)
		if ttl {
			e, ok = refresh(&o.ttl, o.groups, kg, o.keyBuf, e, ok)
		}
		if !ok {
			if retract {
				continue
			}
			e = &groupEntry{key: o.key.keyValues(row)}
			o.funcs.Init(&e.acc)
			if err := o.funcs.Add(&e.acc, row); err != nil {
				return err
			}
			if ttl {
				o.ttl.create(kg, o.keyBuf, &e.ttlStamp)
			}
			o.groups.insert(kg, o.keyBuf, e)
			copy(o.out, e.key)
			if err := o.funcs.Results(o.out[nk:], &e.acc); err != nil {
				return err
			}
			o.ctx.Out.Emit(types.Insert, o.out)
			continue
		}
		copy(o.old, e.key)
		if err := o.funcs.Results(o.old[nk:], &e.acc); err != nil {
			return err
		}
		if retract {
			err = o.funcs.Retract(&e.acc, row)
		} else {
			err = o.funcs.Add(&e.acc, row)
		}
		if err != nil {
			return err
		}
		if e.acc.Rows <= 0 && nk == 0 {
			o.funcs.Init(&e.acc) // a global aggregate returns to its result over zero rows
		} else if e.acc.Rows <= 0 {
			o.groups.remove(kg, o.keyBuf, e)
			o.ctx.Out.Emit(types.Delete, o.old)
			continue
		}
		copy(o.out, e.key)
		if err := o.funcs.Results(o.out[nk:], &e.acc); err != nil {
			return err
		}
		if sameValues(o.old[nk:], o.out[nk:]) {
			continue
		}
		o.ctx.Out.Emit(types.UpdateBefore, o.old)
		o.ctx.Out.Emit(types.UpdateAfter, o.out)
	}
	o.groups.maybeFlush()
	return nil
}

// sameValues compares results exactly: same kind and same value (a decimal
// result keeps its scale, so Equal suffices within one column).
func sameValues(a, b []types.Value) bool {
	for i := range a {
		if a[i].Kind() != b[i].Kind() || !types.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// ReleasesInput implements exec.InputReleaser: groups keep copies of their
// key values and accumulators, never a row of the input batch.
func (o *groupAgg) ReleasesInput() bool { return true }

// OnTick emits a held mini-batch whose first row is MiniBatchLatency old,
// and removes groups whose TTL expired (a bounded number per tick; the
// two never both apply: a StateTTL works row by row).
func (o *groupAgg) OnTick(now int64) error {
	if o.mb.due(now, o.spec.MiniBatchLatency) {
		return o.releaseMiniBatch()
	}
	if !o.ttl.on() {
		return nil
	}
	o.ttl.startSweep()
	for {
		kg, key, due, ok := o.ttl.next()
		if !ok {
			break
		}
		sweepEntry(&o.ttl, o.groups, kg, key, key, due)
	}
	o.groups.maybeFlush()
	return nil
}

// SnapshotState emits a held mini-batch before it flushes the store, so
// that the checkpoint's state and the changelog emitted before the barrier
// (the task sends what SnapshotState emits ahead of the barrier) agree.
func (o *groupAgg) SnapshotState(int64) error {
	err := o.emitMiniBatch()
	o.groups.flush()
	return err
}

// Finish emits a held mini-batch, then finishes the store.
func (o *groupAgg) Finish() error {
	err := o.emitMiniBatch()
	o.groups.finish()
	return err
}
