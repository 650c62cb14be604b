package window

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

func TestFloor(t *testing.T) {
	cases := []struct{ a, b, div, mod int64 }{
		{7, 5, 1, 2}, {5, 5, 1, 0}, {0, 5, 0, 0}, {-1, 5, -1, 4}, {-5, 5, -1, 0}, {-6, 5, -2, 4},
	}
	for _, c := range cases {
		if d, m := FloorDiv(c.a, c.b), FloorMod(c.a, c.b); d != c.div || m != c.mod {
			t.Errorf("floor(%d/%d) = %d mod %d, want %d mod %d", c.a, c.b, d, m, c.div, c.mod)
		}
	}
	if Align(-1, 1000) != -1000 || Align(999, 1000) != 0 || Align(1000, 1000) != 1000 {
		t.Error("Align")
	}
}

func TestTumble(t *testing.T) {
	for _, c := range []struct{ ts, start int64 }{{0, 0}, {9, 0}, {10, 10}, {-1, -10}, {-10, -10}, {-11, -20}} {
		if w := Tumble(c.ts, 10); w != (Bounds{c.start, c.start + 10}) {
			t.Errorf("Tumble(%d) = %v", c.ts, w)
		}
	}
}

// bruteHop lists windows by scanning every multiple of slide near ts.
func bruteHop(ts, slide, size int64) []Bounds {
	var out []Bounds
	for s := Align(ts-size-slide, slide); s <= ts; s += slide {
		if s <= ts && ts < s+size {
			out = append(out, Bounds{s, s + size})
		}
	}
	return out
}

func TestHopNegativeStarts(t *testing.T) {
	got := AppendHop(nil, 0, 1000, 4000)
	want := []Bounds{{-3000, 1000}, {-2000, 2000}, {-1000, 3000}, {0, 4000}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	got = AppendHop(nil, 2500, 1000, 1500)
	want = []Bounds{{2000, 3500}} // [1000, 2500) ends before 2500
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	// slide > size leaves gaps
	if got := AppendHop(nil, 1500, 1000, 500); len(got) != 0 {
		t.Fatalf("gap: got %v", got)
	}
}

func TestCumulate(t *testing.T) {
	got := AppendCumulate(nil, 3500, 1000, 4000)
	want := []Bounds{{0, 4000}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	got = AppendCumulate(nil, -2500, 1000, 4000)
	want = []Bounds{{-4000, -2000}, {-4000, -1000}, {-4000, 0}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	got = AppendCumulate(nil, 4000, 1000, 4000)
	want = []Bounds{{4000, 5000}, {4000, 6000}, {4000, 7000}, {4000, 8000}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestIntersects(t *testing.T) {
	a := Bounds{0, 10}
	if !a.Intersects(Bounds{10, 20}) || !(Bounds{10, 20}).Intersects(a) {
		t.Error("touching windows must intersect (Flink)")
	}
	if a.Intersects(Bounds{11, 20}) {
		t.Error("disjoint")
	}
	if c := a.Cover(Bounds{5, 30}); c != (Bounds{0, 30}) {
		t.Error(c)
	}
}

func TestFired(t *testing.T) {
	if Fired(10, 8) || !Fired(10, 9) || !Fired(10, math.MaxInt64) || Fired(10, math.MinInt64) {
		t.Error("Fired")
	}
}

// windowsOfSlices derives the windows holding ts from the slicer: the windows
// covering ts's slice, from FirstWindowEnd to LastWindowEnd.
func windowsOfSlices(s *Slicer, ts int64) []Bounds {
	se := s.SliceEnd(ts)
	first, ok := s.FirstWindowEnd(se)
	if !ok {
		return nil
	}
	var out []Bounds
	for e := first; e <= s.LastWindowEnd(se); {
		out = append(out, Bounds{s.WindowStart(e), e})
		n, ok := s.NextWindowEndAfter(e)
		if !ok {
			break
		}
		e = n
	}
	return out
}

func TestSlicerMatchesAssignment(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		ts := r.Int63n(200000) - 100000
		switch i % 3 {
		case 0:
			slide := 1 + r.Int63n(50)
			size := 1 + r.Int63n(200)
			s, err := NewHopSlicer(slide, size)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteHop(ts, slide, size)
			if got := AppendHop(nil, ts, slide, size); !slices.Equal(got, want) {
				t.Fatalf("AppendHop(%d, %d, %d) = %v want %v", ts, slide, size, got, want)
			}
			if got := windowsOfSlices(&s, ts); !slices.Equal(got, want) {
				t.Fatalf("hop slices(%d, %d, %d) = %v want %v", ts, slide, size, got, want)
			}
			checkNext(t, &s, ts, want, r)
		case 1:
			step := 1 + r.Int63n(30)
			size := step * (1 + r.Int63n(8))
			s, err := NewCumulateSlicer(step, size)
			if err != nil {
				t.Fatal(err)
			}
			want := AppendCumulate(nil, ts, step, size)
			if got := windowsOfSlices(&s, ts); !slices.Equal(got, want) {
				t.Fatalf("cumulate slices(%d, %d, %d) = %v want %v", ts, step, size, got, want)
			}
			for _, w := range want {
				if !w.Contains(ts) {
					t.Fatalf("%v does not hold %d", w, ts)
				}
			}
			checkNext(t, &s, ts, want, r)
		case 2:
			size := 1 + r.Int63n(100)
			s, _ := NewTumbleSlicer(size)
			want := []Bounds{Tumble(ts, size)}
			if got := windowsOfSlices(&s, ts); !slices.Equal(got, want) {
				t.Fatalf("tumble slices = %v want %v", got, want)
			}
			checkNext(t, &s, ts, want, r)
		}
	}
}

// checkNext verifies NextWindowEnd against the list of windows holding ts.
func checkNext(t *testing.T, s *Slicer, ts int64, wins []Bounds, r *rand.Rand) {
	t.Helper()
	wm := ts - 300 + r.Int63n(600)
	var want int64
	wantOK := false
	for _, w := range wins {
		if !Fired(w.End, wm) {
			want, wantOK = w.End, true
			break
		}
	}
	got, ok := s.NextWindowEnd(s.SliceEnd(ts), wm)
	if ok != wantOK || (ok && got != want) {
		t.Fatalf("NextWindowEnd(ts=%d, wm=%d) = %d %v, want %d %v (windows %v, slicer %+v)", ts, wm, got, ok, want, wantOK, wins, *s)
	}
	if _, ok := s.NextWindowEnd(s.SliceEnd(ts), math.MaxInt64); ok {
		t.Fatal("nothing is open at the end of input")
	}
}

func TestSlicerErrors(t *testing.T) {
	if _, err := NewCumulateSlicer(3, 10); err == nil {
		t.Error("cumulate size not multiple of step")
	}
	if _, err := NewHopSlicer(0, 10); err == nil {
		t.Error("zero slide")
	}
	if _, err := NewTumbleSlicer(-1); err == nil {
		t.Error("negative size")
	}
}

// TestSlicerOffset: with an offset, the slicer's windows are the epoch
// windows of ts - offset, shifted by offset.
func TestSlicerOffset(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	shift := func(bs []Bounds, off int64) []Bounds {
		out := make([]Bounds, len(bs))
		for i, b := range bs {
			out[i] = Bounds{Start: b.Start + off, End: b.End + off}
		}
		return out
	}
	for i := 0; i < 20000; i++ {
		ts := r.Int63n(200000) - 100000
		var s Slicer
		var want []Bounds
		var err error
		switch i % 3 {
		case 0:
			slide, size := 1+r.Int63n(50), 1+r.Int63n(200)
			s, err = NewHopSlicer(slide, size)
			s.Offset = r.Int63n(2*size) - size
			want = shift(AppendHop(nil, ts-s.Offset, slide, size), s.Offset)
		case 1:
			step := 1 + r.Int63n(30)
			size := step * (1 + r.Int63n(8))
			s, err = NewCumulateSlicer(step, size)
			s.Offset = r.Int63n(2*size) - size
			want = shift(AppendCumulate(nil, ts-s.Offset, step, size), s.Offset)
		case 2:
			size := 1 + r.Int63n(100)
			s, err = NewTumbleSlicer(size)
			s.Offset = r.Int63n(2*size) - size
			want = shift([]Bounds{Tumble(ts-s.Offset, size)}, s.Offset)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !w.Contains(ts) {
				t.Fatalf("%v does not hold %d", w, ts)
			}
		}
		if got := windowsOfSlices(&s, ts); !slices.Equal(got, want) {
			t.Fatalf("slices(%d) of %+v = %v want %v", ts, s, got, want)
		}
		checkNext(t, &s, ts, want, r)
	}
}
