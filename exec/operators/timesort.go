package operators

import (
	"encoding/binary"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// SortKey is one ORDER BY term of a TimeSort: a column, descending when
// Desc; NULL sorts before every value.
type SortKey struct {
	Col  int
	Desc bool
}

// TimeSortSpec configures ORDER BY rowtime [, more keys] on a stream.
type TimeSortSpec struct {
	// TimeCol is the time attribute (a TIMESTAMP column that follows the
	// input's watermark), sorted ascending.
	TimeCol int
	// Then orders the rows of one time.
	Then []SortKey
}

// NewTimeSort returns a streaming sort on an ascending time attribute
// (Flink's temporal sort). Its input is append-only and arrives on a
// single instance (a Global edge). Each row is buffered under its time;
// when the watermark reaches a time (time <= watermark) the rows of that
// time are emitted as +I, ordered by Then (ties in arrival order), and
// dropped from state; times are released in ascending order, so the output
// is append-only and sorted. A row whose time is at or below the
// watermark when it arrives is late: it is dropped and counted (late rows
// dropped); a row whose time is NULL is dropped and counted the same way.
//
// State "sort": time -> the rows of that time, in arrival order (in the key
// group of the empty key, or the first owned one); "watermark": the
// watermark at the last checkpoint. The index of pending times is rebuilt
// from the state in Open.
func NewTimeSort(spec TimeSortSpec) exec.Operator { return &timeSort{spec: spec} }

type timeSort struct {
	exec.Base
	spec  TimeSortSpec
	ctx   *exec.Context
	kg    int
	clock clock
	rows  *store[*sortEntry]
	times timeQueue
	kbuf  []byte
}

type sortEntry struct {
	marks
	rows [][]types.Value
}

type sortCodec struct{}

// sortCodec encodes the number of rows, then each row's values.
func (sortCodec) Append(buf []byte, e *sortEntry) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(e.rows)))
	for _, r := range e.rows {
		buf = types.AppendValues(buf, r)
	}
	return buf
}

func (sortCodec) Decode(buf []byte) (*sortEntry, error) {
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e := &sortEntry{rows: make([][]types.Value, 0, n)}
	for range n {
		var r []types.Value
		var err error
		if r, buf, err = types.DecodeValues(buf); err != nil {
			return nil, err
		}
		e.rows = append(e.rows, r)
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

const sortState = "sort"

func (o *timeSort) Open(ctx *exec.Context) error {
	o.ctx = ctx
	metricsOf(ctx)
	k := newKeying(ctx, nil)
	o.kg = k.groupOrStart(nil)
	if err := o.clock.open(ctx); err != nil {
		return err
	}
	var err error
	if o.rows, err = newStore(ctx.State, sortState, state.Codec[*sortEntry](sortCodec{})); err != nil {
		return err
	}
	var times []int64
	o.rows.rangeAll(func(kg int, key string, _ *sortEntry) bool {
		if kg == o.kg {
			times = append(times, readTime([]byte(key)))
		}
		return true
	})
	slices.Sort(times)
	o.times = timeQueue{asc: times}
	return nil
}

// ReleasesInput implements exec.InputReleaser: rows are copied.
func (o *timeSort) ReleasesInput() bool { return true }

func (o *timeSort) ProcessBatch(_ int, b *types.Batch) error {
	for i, n := 0, b.Len(); i < n; i++ {
		if b.Ops[i].IsRetraction() {
			return errorf("ORDER BY a time attribute needs an append-only input, but a row was retracted")
		}
		row := b.Row(i)
		v := row[o.spec.TimeCol]
		if v.IsNull() || v.Millis() <= o.clock.at(o.kg) {
			o.ctx.Metrics.LateRowsDropped.Add(1)
			continue
		}
		t := v.Millis()
		o.kbuf = appendTime(o.kbuf[:0], t)
		e, ok := o.rows.get(o.kg, o.kbuf)
		if !ok {
			e = &sortEntry{rows: [][]types.Value{slices.Clone(row)}}
			o.rows.insert(o.kg, o.kbuf, e)
			o.times.push(t)
			continue
		}
		e.rows = append(e.rows, slices.Clone(row))
	}
	o.rows.maybeFlush()
	return nil
}

func (o *timeSort) ProcessWatermark(wm int64) error {
	if !o.clock.advance(wm) {
		return nil
	}
	for o.times.len() > 0 && o.times.min() <= wm {
		t := o.times.pop()
		o.kbuf = appendTime(o.kbuf[:0], t)
		e, ok := o.rows.peek(o.kg, o.kbuf)
		if !ok {
			continue
		}
		if len(o.spec.Then) > 0 {
			slices.SortStableFunc(e.rows, o.compare)
		}
		for _, r := range e.rows {
			o.ctx.Out.Emit(types.Insert, r)
		}
		o.rows.remove(o.kg, o.kbuf, e)
	}
	return nil
}

// compare orders two rows of one time by the keys after the time.
func (o *timeSort) compare(a, b []types.Value) int {
	for _, k := range o.spec.Then {
		c := types.Compare(a[k.Col], b[k.Col])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (o *timeSort) SnapshotState(int64) error {
	o.rows.flush()
	o.clock.snapshot()
	return nil
}

func (o *timeSort) Finish() error { o.rows.finish(); return nil }
