package types

import (
	"math"
	"testing"
)

// TestAppendIntervalExtremes: the most negative interval used to render
// as "--106751991167 16:47:04.(0(" (its negation overflows).
func TestAppendIntervalExtremes(t *testing.T) {
	for ms, want := range map[int64]string{
		math.MinInt64: "-106751991167 07:12:55.808",
		math.MaxInt64: "+106751991167 07:12:55.807",
		-1:            "-0 00:00:00.001",
		90061001:      "+1 01:01:01.001",
	} {
		if got := string(AppendInterval(nil, ms)); got != want {
			t.Errorf("AppendInterval(%d) = %s, want %s", ms, got, want)
		}
	}
}
