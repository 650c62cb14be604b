package operators

import (
	"encoding/binary"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// sessionAgg runs SESSION windows.
//
// State "sessions": group key -> the key's open sessions, sorted by start
// and pairwise separated (sessions that intersect or touch are merged, as
// Flink's TimeWindow.intersects decides), each with its accumulators.
// A row at ts opens [ts, ts+gap) and merges with every open session it
// intersects; only a row that merges with none and whose own window has
// fired is late. Timers (local, rebuilt in Open) hold each session's end;
// a session whose end moved leaves a stale timer that fires nothing.
type sessionAgg struct {
	windowBase
	sessions *store[*sessionEntry]
}

type session struct {
	start, end int64
	acc        agg.Acc
}

type sessionEntry struct {
	marks
	key      []types.Value
	sessions []session
}

type sessionCodec struct{}

func (sessionCodec) Append(buf []byte, e *sessionEntry) []byte {
	buf = types.AppendValues(buf, e.key)
	buf = binary.AppendUvarint(buf, uint64(len(e.sessions)))
	for i := range e.sessions {
		s := &e.sessions[i]
		buf = binary.AppendVarint(buf, s.start)
		buf = binary.AppendVarint(buf, s.end)
		buf = agg.AppendAcc(buf, &s.acc)
	}
	return buf
}

func (sessionCodec) Decode(buf []byte) (*sessionEntry, error) {
	e := &sessionEntry{}
	var err error
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e.sessions = make([]session, n)
	for i := range e.sessions {
		s := &e.sessions[i]
		if s.start, k = binary.Varint(buf); k <= 0 {
			return nil, errCorrupt
		}
		buf = buf[k:]
		if s.end, k = binary.Varint(buf); k <= 0 {
			return nil, errCorrupt
		}
		buf = buf[k:]
		if buf, err = agg.DecodeAcc(buf, &s.acc); err != nil {
			return nil, err
		}
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

const sessionsState = "sessions"

func (o *sessionAgg) Open(ctx *exec.Context) error {
	if err := o.open(ctx); err != nil {
		return err
	}
	if o.spec.Window.Gap <= 0 {
		return errorf("SESSION gap must be positive, got %d ms", o.spec.Window.Gap)
	}
	var err error
	if o.sessions, err = newStore(ctx.State, sessionsState, state.Codec[*sessionEntry](sessionCodec{})); err != nil {
		return err
	}
	o.sessions.rangeAll(func(kg int, key string, e *sessionEntry) bool {
		for _, s := range e.sessions {
			o.timers.add(s.end, kg, []byte(key))
		}
		return true
	})
	o.timers.sortAll()
	return nil
}

// ReleasesInput implements exec.InputReleaser: sessions keep copies of their
// key values and accumulators, never a row of the input batch.
func (o *sessionAgg) ReleasesInput() bool { return true }

func (o *sessionAgg) ProcessBatch(_ int, b *types.Batch) error {
	defer o.countLate()
	gap := o.spec.Window.Gap
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		ts, wm, ok := o.rowTime(row, kg)
		if !ok {
			continue
		}
		w := window.Session(ts, gap)
		retract := b.Ops[i].IsRetraction()
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		e, ok := o.sessions.get(kg, o.keyBuf)
		if !ok {
			if retract {
				continue
			}
			if window.Fired(w.End, wm) {
				o.late++
				continue
			}
			e = &sessionEntry{key: o.key.keyValues(row), sessions: make([]session, 1)}
			if err := o.addTo(&e.sessions[0], w, row); err != nil {
				return err
			}
			o.sessions.insert(kg, o.keyBuf, e)
			o.timers.add(w.End, kg, o.keyBuf)
			continue
		}
		if retract {
			// A retraction leaves the session bounds as they are.
			for j := range e.sessions {
				if s := &e.sessions[j]; s.start <= ts && ts < s.end {
					if err := o.funcs.Retract(&s.acc, row); err != nil {
						return err
					}
					break
				}
			}
			continue
		}
		// Sessions [lo, hi) intersect w; the list is sorted and separated,
		// so ends ascend too: a key with many open sessions costs a
		// binary search, not a scan.
		lo, _ := slices.BinarySearchFunc(e.sessions, w.Start, func(s session, t int64) int {
			if s.end < t {
				return -1
			}
			return 1
		})
		hi := lo
		for hi < len(e.sessions) && e.sessions[hi].start <= w.End {
			hi++
		}
		if lo == hi {
			if window.Fired(w.End, wm) {
				o.late++
				continue
			}
			e.sessions = slices.Insert(e.sessions, lo, session{})
			if err := o.addTo(&e.sessions[lo], w, row); err != nil {
				return err
			}
			o.timers.add(w.End, kg, o.keyBuf)
			continue
		}
		// Merge sessions lo..hi-1 and the row into sessions[lo]. The
		// merged session ends no earlier than an open session: not late.
		m := &e.sessions[lo]
		oldEnd := e.sessions[hi-1].end
		for j := lo + 1; j < hi; j++ {
			o.funcs.Merge(&m.acc, &e.sessions[j].acc)
		}
		m.start = min(m.start, w.Start)
		m.end = max(oldEnd, w.End)
		if err := o.funcs.Add(&m.acc, row); err != nil {
			return err
		}
		e.sessions = slices.Delete(e.sessions, lo+1, hi)
		if m.end != oldEnd {
			o.timers.add(m.end, kg, o.keyBuf)
		}
	}
	o.sessions.maybeFlush()
	return nil
}

func (o *sessionAgg) addTo(s *session, w window.Bounds, row []types.Value) error {
	s.start, s.end = w.Start, w.End
	o.funcs.Init(&s.acc)
	return o.funcs.Add(&s.acc, row)
}

func (o *sessionAgg) ProcessWatermark(wm int64) error { return o.advance(wm, o.fire) }
func (o *sessionAgg) OnTick(now int64) error          { return o.tick(now, o.fire) }

func (o *sessionAgg) SnapshotState(int64) error {
	o.sessions.flush()
	o.clock.snapshot()
	return nil
}

func (o *sessionAgg) Finish() error { return finishWith(o.SnapshotState, o.sessions) }

// fire emits and drops the key's session ending at end, if it still exists.
func (o *sessionAgg) fire(kg int, key []byte, end int64) error {
	e, ok := o.sessions.get(kg, key)
	if !ok {
		return nil
	}
	for j := range e.sessions {
		s := &e.sessions[j]
		if s.end != end {
			continue
		}
		o.emit(e.key, s.start, s.end, &s.acc)
		e.sessions = slices.Delete(e.sessions, j, j+1)
		if len(e.sessions) == 0 {
			o.sessions.remove(kg, key, e)
		}
		break
	}
	return nil
}
