package operators

import (
	"fmt"

	"github.com/streamsql/streamsql/state"
)

// storedLen is the number of entries the backend holds after a flush (a
// serialising store writes new entries at flushes).
func (s *store[P]) storedLen() int {
	s.flush()
	return s.m.Len()
}

// copyState and stateSizes serve the test harness: copying state through
// the codecs into another backend (restore) and summarising it.

func (o *sliceAgg) copyState(dst state.Backend) error {
	o.flush() // drops the hot index with the flush
	if err := o.slices.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}

func (o *sessionAgg) copyState(dst state.Backend) error {
	if err := o.sessions.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}

func (o *emitAgg) copyState(dst state.Backend) error {
	if err := o.wins.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}

func (o *groupAgg) copyState(dst state.Backend) error { return o.groups.copyTo(dst) }

func (o *join) copyState(dst state.Backend) error {
	for _, st := range o.sides {
		if err := st.copyTo(dst); err != nil {
			return err
		}
	}
	if o.timed() {
		return o.clock.copyTo(dst)
	}
	return nil
}

func (o *emitAgg) stateSizes() string    { return fmt.Sprintf("emitwins=%d", o.wins.storedLen()) }
func (o *sliceAgg) stateSizes() string   { o.flush(); return fmt.Sprintf("slices=%d", o.slices.m.Len()) }
func (o *sessionAgg) stateSizes() string { return fmt.Sprintf("sessions=%d", o.sessions.storedLen()) }
func (o *groupAgg) stateSizes() string   { return fmt.Sprintf("groups=%d", o.groups.storedLen()) }
func (o *join) stateSizes() string {
	if len(o.spec.Expire[0])+len(o.spec.Expire[1]) == 0 {
		return fmt.Sprintf("left=%d right=%d", o.sides[0].storedLen(), o.sides[1].storedLen())
	}
	// Interval joins: keys and rows per side.
	var rows [2]int64
	for s := range o.sides {
		o.sides[s].flush()
		o.sides[s].rangeAll(func(_ int, _ string, b *bag) bool {
			for _, r := range b.rows {
				rows[s] += r.count()
			}
			return true
		})
	}
	return fmt.Sprintf("left=%d (%d rows) right=%d (%d rows)", o.sides[0].storedLen(), rows[0], o.sides[1].storedLen(), rows[1])
}

func (o *topN) copyState(dst state.Backend) error { return o.parts.copyTo(dst) }

func (o *topN) stateSizes() string {
	o.parts.flush()
	rows := 0
	o.parts.rangeAll(func(_ int, _ string, p *ranked) bool {
		rows += len(p.rows)
		return true
	})
	return fmt.Sprintf("partitions=%d rows=%d", o.parts.storedLen(), rows)
}

func (o *setOp) copyState(dst state.Backend) error { return o.rows.copyTo(dst) }
func (o *setOp) stateSizes() string                { return fmt.Sprintf("rows=%d", o.rows.storedLen()) }

func (o *timeSort) copyState(dst state.Backend) error {
	if err := o.rows.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}
func (o *timeSort) stateSizes() string { return fmt.Sprintf("sort=%d", o.rows.storedLen()) }
