package window

import (
	"fmt"
	"math"
)

// FloorDiv returns floor(a / b) for b > 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// FloorMod returns a - FloorDiv(a, b)*b, in [0, b), for b > 0.
func FloorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Align returns the largest multiple of size that is <= ts (size > 0).
func Align(ts, size int64) int64 { return ts - FloorMod(ts, size) }

// GCD returns the greatest common divisor of two positive numbers.
func GCD(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Bounds is a half-open window [Start, End).
type Bounds struct {
	Start, End int64
}

func (w Bounds) String() string { return fmt.Sprintf("[%d, %d)", w.Start, w.End) }

// MaxTimestamp is the last instant inside the window (End - 1): the
// watermark at which the window fires.
func (w Bounds) MaxTimestamp() int64 { return w.End - 1 }

// Contains reports whether ts lies in [Start, End).
func (w Bounds) Contains(ts int64) bool { return w.Start <= ts && ts < w.End }

// Intersects reports whether two windows overlap or touch, as Flink's
// TimeWindow.intersects: w.Start <= o.End && w.End >= o.Start. Session
// windows that intersect merge.
func (w Bounds) Intersects(o Bounds) bool { return w.Start <= o.End && w.End >= o.Start }

// Cover returns the smallest window containing both.
func (w Bounds) Cover(o Bounds) Bounds {
	return Bounds{Start: min(w.Start, o.Start), End: max(w.End, o.End)}
}

// Fired reports whether a window ending at end has fired at watermark wm:
// wm >= end - 1.
func Fired(end, wm int64) bool {
	if end == math.MinInt64 {
		return true
	}
	return end-1 <= wm
}

// Tumble returns the tumbling window of the given size holding ts.
func Tumble(ts, size int64) Bounds {
	s := Align(ts, size)
	return Bounds{Start: s, End: s + size}
}

// AppendHop appends the hopping windows HOP(slide, size) holding ts to dst,
// in ascending order of start.
func AppendHop(dst []Bounds, ts, slide, size int64) []Bounds {
	last := Align(ts, slide) // largest start <= ts
	first := last
	for first-slide > ts-size {
		first -= slide
	}
	for s := first; s <= last; s += slide {
		if ts < s+size {
			dst = append(dst, Bounds{Start: s, End: s + size})
		}
	}
	return dst
}

// AppendCumulate appends the cumulating windows CUMULATE(step, size)
// holding ts to dst, in ascending order of end. size must be a multiple of step.
func AppendCumulate(dst []Bounds, ts, step, size int64) []Bounds {
	b := Align(ts, size)
	for e := Align(ts, step) + step; e <= b+size; e += step {
		dst = append(dst, Bounds{Start: b, End: e})
	}
	return dst
}

// Session returns the window a single row at ts opens: [ts, ts+gap).
func Session(ts, gap int64) Bounds { return Bounds{Start: ts, End: ts + gap} }
