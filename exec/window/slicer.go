package window

import (
	"errors"
	"fmt"
	"math"
)

// SlicerKind is the window kind a Slicer serves.
type SlicerKind uint8

const (
	TumbleSlices SlicerKind = iota
	HopSlices
	CumulateSlices
)

// Slicer cuts the time line into slices shared by the windows of one
// TUMBLE, HOP or CUMULATE definition. Slices are aligned to the epoch and
// identified by their end. Every window is a union of whole slices:
//   - tumble: the slice is the window;
//   - hop: slices are panes of length gcd(size, slide); a window [s, s+size)
//     is the union of the size/pane panes it covers;
//   - cumulate: slices are steps; window [b, b+k*step) is the union of the
//     first k steps of its base b.
type Slicer struct {
	Kind  SlicerKind
	Size  int64
	Slide int64 // hop only
	Step  int64 // cumulate only
	// Slice is the slice length.
	Slice int64
	// Offset shifts every slice and window from the epoch alignment by
	// this many ms (set after construction; 0 aligns to the epoch).
	Offset int64
}

// align returns the largest multiple of n plus Offset that is <= ts.
func (s *Slicer) align(ts, n int64) int64 { return Align(ts-s.Offset, n) + s.Offset }

// NewTumbleSlicer returns the slicer of TUMBLE(size).
func NewTumbleSlicer(size int64) (Slicer, error) {
	if size <= 0 {
		return Slicer{}, fmt.Errorf("TUMBLE size must be positive, got %d ms", size)
	}
	return Slicer{Kind: TumbleSlices, Size: size, Slice: size}, nil
}

// NewHopSlicer returns the slicer of HOP(slide, size).
func NewHopSlicer(slide, size int64) (Slicer, error) {
	if size <= 0 || slide <= 0 {
		return Slicer{}, fmt.Errorf("HOP slide and size must be positive, got slide %d ms, size %d ms", slide, size)
	}
	return Slicer{Kind: HopSlices, Size: size, Slide: slide, Slice: GCD(size, slide)}, nil
}

// NewCumulateSlicer returns the slicer of CUMULATE(step, size).
func NewCumulateSlicer(step, size int64) (Slicer, error) {
	if size <= 0 || step <= 0 {
		return Slicer{}, fmt.Errorf("CUMULATE step and size must be positive, got step %d ms, size %d ms", step, size)
	}
	if size%step != 0 {
		return Slicer{}, errors.New("CUMULATE size must be a whole multiple of step")
	}
	return Slicer{Kind: CumulateSlices, Size: size, Step: step, Slice: step}, nil
}

// SliceEnd returns the end of the slice holding ts.
func (s *Slicer) SliceEnd(ts int64) int64 { return s.align(ts, s.Slice) + s.Slice }

// WindowStart returns the start of the window ending at end.
func (s *Slicer) WindowStart(end int64) int64 {
	if s.Kind == CumulateSlices {
		return s.align(end-1, s.Size)
	}
	return end - s.Size
}

// FirstWindowEnd returns the end of the earliest window covering the slice
// ending at sliceEnd; ok is false when no window covers it (hop with
// slide > size).
func (s *Slicer) FirstWindowEnd(sliceEnd int64) (end int64, ok bool) {
	switch s.Kind {
	case HopSlices:
		e := sliceEnd + FloorMod(s.Size-(sliceEnd-s.Offset), s.Slide)
		return e, e <= s.LastWindowEnd(sliceEnd)
	default:
		return sliceEnd, true
	}
}

// LastWindowEnd returns the end of the latest window covering the slice
// ending at sliceEnd (if any window covers it): after that window fires the
// slice is no longer needed.
func (s *Slicer) LastWindowEnd(sliceEnd int64) int64 {
	switch s.Kind {
	case HopSlices:
		p := sliceEnd - s.Slice
		return p + s.Size - FloorMod(p-s.Offset, s.Slide)
	case CumulateSlices:
		return s.align(sliceEnd-1, s.Size) + s.Size
	default:
		return sliceEnd
	}
}

// NextWindowEnd returns the end of the earliest window covering the slice
// ending at sliceEnd that has not fired at watermark wm; ok is false when
// every covering window has fired (a row in that slice is late for all of
// them) or none covers it.
func (s *Slicer) NextWindowEnd(sliceEnd, wm int64) (end int64, ok bool) {
	first, ok := s.FirstWindowEnd(sliceEnd)
	if !ok {
		return 0, false
	}
	if !Fired(first, wm) {
		return first, true
	}
	last := s.LastWindowEnd(sliceEnd)
	if Fired(last, wm) || wm == math.MaxInt64 {
		return 0, false
	}
	// Smallest window end > wm+1 in the same residue class as first.
	period := s.Slide
	if s.Kind == CumulateSlices {
		period = s.Step
	}
	t := wm + 2
	return t + FloorMod(first-t, period), true
}

// NextWindowEndAfter returns the end of the window that follows the window
// ending at end in the same series (hop: end+slide; cumulate: end+step
// within the same base), and whether there is one.
func (s *Slicer) NextWindowEndAfter(end int64) (int64, bool) {
	switch s.Kind {
	case HopSlices:
		return end + s.Slide, true
	case CumulateSlices:
		if end-s.align(end-1, s.Size) >= s.Size {
			return 0, false
		}
		return end + s.Step, true
	}
	return 0, false
}
