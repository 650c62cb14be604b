package operators

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// WindowTVFSpec configures a window table function operator (a
// plan.WindowTVF that no window aggregate absorbed).
type WindowTVFSpec struct {
	// Window is TUMBLE, HOP or CUMULATE; TimeCol indexes the input;
	// Offset shifts the windows' alignment from the Unix epoch (ms).
	Window plan.Window
}

// NewWindowTVF assigns windows to rows: each input row is emitted once per
// window that holds it, with window_start, window_end and window_time
// (window_end - 1 ms) appended, in ascending window order. It is stateless
// and keeps the input's order and op (the input is append-only).
//
// On event time a row is dropped from each window that has already fired
// downstream's view of time, that is whose end - 1 is at or below the
// watermark received so far (as a window aggregate drops it), and
// LateRowsDropped counts the rows dropped from at least one window (as a
// window aggregate counts them). A NULL time drops the row. On processing
// time nothing is late.
func NewWindowTVF(spec WindowTVFSpec) exec.Operator {
	return &windowTVF{spec: spec, wm: exec.MinWatermark}
}

type windowTVF struct {
	exec.Base
	spec    WindowTVFSpec
	ctx     *exec.Context
	metrics *exec.Metrics
	wm      int64
	bounds  []window.Bounds
	out     []types.Value
	late    int64
}

func (o *windowTVF) Open(ctx *exec.Context) error {
	if o.spec.Window.Kind == plan.Session {
		return errorf("a SESSION window table function needs a window aggregate above it")
	}
	o.ctx, o.metrics = ctx, metricsOf(ctx)
	return nil
}

// ReleasesInput implements exec.InputReleaser: rows are copied by Emit.
func (o *windowTVF) ReleasesInput() bool { return true }

func (o *windowTVF) ProcessWatermark(wm int64) error {
	if wm > o.wm {
		o.wm = wm
	}
	return nil
}

// assign appends the windows holding ts to o.bounds[:0].
func (o *windowTVF) assign(ts int64) []window.Bounds {
	w, off := &o.spec.Window, o.spec.Window.Offset
	t := ts - off
	b := o.bounds[:0]
	switch w.Kind {
	case plan.Tumble:
		b = append(b, window.Tumble(t, w.Size))
	case plan.Hop:
		b = window.AppendHop(b, t, w.Slide, w.Size)
	case plan.Cumulate:
		b = window.AppendCumulate(b, t, w.Step, w.Size)
	}
	for i := range b {
		b[i].Start += off
		b[i].End += off
	}
	o.bounds = b
	return b
}

func (o *windowTVF) ProcessBatch(_ int, b *types.Batch) error {
	width, tc := b.Width, o.spec.Window.TimeCol
	if cap(o.out) < width+3 {
		o.out = make([]types.Value, width+3)
	}
	out := o.out[:width+3]
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		tv := row[tc]
		if tv.IsNull() {
			continue
		}
		copy(out, row)
		dropped := false
		for _, w := range o.assign(tv.Millis()) {
			if !o.spec.Window.Proctime && window.Fired(w.End, o.wm) {
				dropped = true
				continue
			}
			out[width] = types.TimestampValue(w.Start)
			out[width+1] = types.TimestampValue(w.End)
			out[width+2] = types.TimestampValue(w.End - 1)
			o.ctx.Out.Emit(b.Ops[i], out)
		}
		if dropped {
			o.late++
		}
	}
	if o.late > 0 {
		o.metrics.LateRowsDropped.Add(o.late)
		o.late = 0
	}
	return nil
}
