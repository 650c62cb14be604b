package plan

import (
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// WindowTVF is a window table-valued function in FROM:
// TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t, DESCRIPTOR(ts), ...)).
// Output schema: the input columns, then window_start, window_end and
// window_time (window_end - 1 ms, the output's time attribute), all
// TIMESTAMP(3) NOT NULL. Each input row appears once per window that
// holds it (once for TUMBLE, size/slide times for HOP, once per step up
// to the end of its base window for CUMULATE).
//
// Window.TimeCol indexes Input; Window.Offset shifts the windows'
// alignment from the Unix epoch.
// Partition holds SESSION's PARTITION BY columns (indexes of Input).
//
// A GROUP BY window_start, window_end over a WindowTVF is bound as an
// Aggregate with the same Window over the WindowTVF's input (the
// group-window form's operator); a WindowTVF that remains in a plan is
// planned as its own operator that assigns the windows.
type WindowTVF struct {
	Input     Node
	Window    Window
	Partition []int
}

var windowTimestamp = types.Type{Kind: types.KindTimestamp, Precision: 3, NotNull: true}

// WindowTVFColumns are the columns a WindowTVF appends to its input.
var WindowTVFColumns = types.Schema{
	{Name: "window_start", Type: windowTimestamp},
	{Name: "window_end", Type: windowTimestamp},
	{Name: "window_time", Type: windowTimestamp},
}

func (w *WindowTVF) Schema() types.Schema {
	in := w.Input.Schema()
	s := make(types.Schema, 0, len(in)+len(WindowTVFColumns))
	return append(append(s, in...), WindowTVFColumns...)
}
func (w *WindowTVF) Children() []Node { return []Node{w.Input} }
func (w *WindowTVF) Describe() string {
	s := "WindowTVF " + w.Window.String()
	if len(w.Partition) > 0 {
		s += fmt.Sprintf(" partition=%v", w.Partition)
	}
	return s
}
