package operators

import (
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
	// multiset. A retraction then fails the job.
	InsertOnlyInput bool
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
// State "groups": group key -> key values and accumulators.
func NewGroupAgg(spec GroupAggSpec) exec.Operator { return &groupAgg{spec: spec} }

type groupAgg struct {
	exec.Base
	spec   GroupAggSpec
	ctx    *exec.Context
	key    keying
	funcs  *agg.Funcs
	groups *store[*groupEntry]
	keyBuf []byte
	old    []types.Value
	out    []types.Value
}

type groupEntry struct {
	marks
	key []types.Value
	acc agg.Acc
}

type groupCodec struct{}

func (groupCodec) Append(buf []byte, e *groupEntry) []byte {
	return winEntryCodec{}.Append(buf, &winEntry{key: e.key, acc: e.acc})
}

func (groupCodec) Decode(buf []byte) (*groupEntry, error) {
	w, err := winEntryCodec{}.Decode(buf)
	if err != nil {
		return nil, err
	}
	return &groupEntry{key: w.key, acc: w.acc}, nil
}

const groupsState = "groups"

func (o *groupAgg) Open(ctx *exec.Context) error {
	o.ctx = ctx
	o.key = newKeying(ctx, o.spec.KeyCols)
	f, err := agg.Compile(o.spec.Aggs, !o.spec.InsertOnlyInput)
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
	return nil
}

func (o *groupAgg) ProcessBatch(_ int, b *types.Batch) error {
	nk := len(o.spec.KeyCols)
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		retract := b.Ops[i].IsRetraction()
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		e, ok := o.groups.get(kg, o.keyBuf)
		if !ok {
			if retract {
				continue
			}
			e = &groupEntry{key: o.key.keyValues(row)}
			o.funcs.Init(&e.acc)
			if err := o.funcs.Add(&e.acc, row); err != nil {
				return err
			}
			o.groups.insert(kg, o.keyBuf, e)
			copy(o.out, e.key)
			o.funcs.Results(o.out[nk:], &e.acc)
			o.ctx.Out.Emit(types.Insert, o.out)
			continue
		}
		copy(o.old, e.key)
		o.funcs.Results(o.old[nk:], &e.acc)
		if retract {
			err = o.funcs.Retract(&e.acc, row)
		} else {
			err = o.funcs.Add(&e.acc, row)
		}
		if err != nil {
			return err
		}
		if e.acc.Rows <= 0 {
			o.groups.remove(kg, o.keyBuf, e)
			o.ctx.Out.Emit(types.Delete, o.old)
			continue
		}
		copy(o.out, e.key)
		o.funcs.Results(o.out[nk:], &e.acc)
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

func (o *groupAgg) SnapshotState(int64) error { o.groups.flush(); return nil }
func (o *groupAgg) Finish() error             { o.groups.flush(); return nil }
