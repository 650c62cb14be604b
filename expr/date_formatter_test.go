package expr

import (
	"math/rand/v2"
	"sync"
	"testing"
)

func TestFormatUnit(t *testing.T) {
	for _, c := range []struct {
		pattern string
		unit    int64
	}{
		{"%Y-%m-%d", msPerDay},
		{"%W %D %M %j", msPerDay},
		{"literal", msPerDay},
		{"%H:%i", msPerMinute},
		{"%Y-%m-%d %H", msPerHour},
		{"%p", msPerHour},
		{"%T", msPerSecond},
		{"%r", msPerSecond},
		{"%s%i", msPerSecond},
		{"%Y %f", 0},
		{"100%", msPerDay},
		{"%%H", msPerDay},
	} {
		if got := formatUnit(c.pattern); got != c.unit {
			t.Errorf("formatUnit(%q) = %d, want %d", c.pattern, got, c.unit)
		}
	}
}

// TestDateFormatterMatchesRendering renders timestamps in time order (runs
// within one unit, steps across units, backwards jumps, negative times)
// through a formatter and directly: the remembered results must be the
// rendered ones.
func TestDateFormatterMatchesRendering(t *testing.T) {
	specs := []string{"%Y", "%y", "%m", "%c", "%M", "%b", "%d", "%e", "%H", "%k", "%h", "%I", "%l",
		"%i", "%s", "%S", "%f", "%p", "%T", "%r", "%W", "%a", "%w", "%j", "%D", "%%", "-", ":", " "}
	rng := rand.New(rand.NewPCG(1, 2))
	steps := []int64{0, 1, 999, msPerSecond, msPerMinute - 1, msPerHour, msPerDay - 1, msPerDay, 40 * msPerDay}
	for p := 0; p < 200; p++ {
		var pattern []byte
		for n := 1 + rng.IntN(5); n > 0; n-- {
			pattern = append(pattern, specs[rng.IntN(len(specs))]...)
		}
		f := newDateFormatter(string(pattern))
		ms := rng.Int64N(200*365*msPerDay) - 100*365*msPerDay
		for i := 0; i < 300; i++ {
			switch r := rng.IntN(10); {
			case r == 0:
				ms -= steps[rng.IntN(len(steps))]
			default:
				ms += steps[rng.IntN(len(steps))]
			}
			want := string(appendDateFormat(nil, ms, f.pattern))
			if got := f.format(ms); got != want {
				t.Fatalf("pattern %q at %d: %q, want %q", f.pattern, ms, got, want)
			}
		}
	}
}

// TestDateFormatterShared has goroutines render interleaved units through
// one formatter, as operator instances sharing a bound expression do (run
// with -race).
func TestDateFormatterShared(t *testing.T) {
	f := newDateFormatter(mysqlFormat("yyyy-MM-dd HH:mm"))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int64) {
			defer wg.Done()
			for i := int64(0); i < 5000; i++ {
				ms := (i*7 + g*13) * 17 * msPerSecond
				if got, want := f.format(ms), string(appendDateFormat(nil, ms, f.pattern)); got != want {
					t.Errorf("at %d: %q, want %q", ms, got, want)
					return
				}
			}
		}(int64(g))
	}
	wg.Wait()
}
