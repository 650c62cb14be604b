// Package window is the pure arithmetic of group windows: which windows a
// timestamp belongs to, how the time line is cut into slices (panes) that
// windows share, and when a window has fired. It has no state and no
// dependencies; the window operators in exec/operators build on it.
//
// Conventions (Flink's):
//   - Times are milliseconds since the Unix epoch; windows are half-open
//     [Start, End) and aligned to the epoch. Alignment uses floor division,
//     so negative timestamps fall into the window below them.
//   - TUMBLE(size): start = floor(ts/size)*size.
//   - HOP(slide, size): every window whose start is a multiple of slide and
//     start <= ts < start+size. Windows may start before the first event and
//     before time zero. When slide > size some timestamps fall in no window.
//   - CUMULATE(step, size): with base b = floor(ts/size)*size, the windows
//     [b, b+k*step) for k = 1..size/step with b+k*step > ts. size must be a
//     multiple of step.
//   - SESSION(gap): a row at ts opens [ts, ts+gap); two windows merge when
//     they intersect, touching included (Flink's TimeWindow.intersects:
//     a.Start <= b.End && a.End >= b.Start).
//   - A window fires once the watermark reaches End-1 (see Fired).
//
// Slicing: a Slicer cuts the time line into slices so that a row is
// accumulated exactly once, into the slice holding its timestamp; a window
// is the merge of the slices it covers. Tumble slices are the windows
// themselves, hop slices are panes of gcd(size, slide), cumulate slices are
// steps.
package window
