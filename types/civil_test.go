package types

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// AppendTimestamp writes what time.Time's formatting writes, for instants
// across years 0-9999 (leap days, year ends, before 1970), outside them
// and at the int64 extremes, at every precision.
func TestAppendTimestampMatchesTime(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	yearMs := func(y int) int64 { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() }
	ms := []int64{0, -1, 1, 999, -999, 86_399_999, -86_400_000, yearMs(0), yearMs(0) - 1, yearMs(10000) - 1, yearMs(10000),
		yearMs(2000) + 59*86_400_000, yearMs(1900) + 59*86_400_000, yearMs(2024) - 1, math.MinInt64, math.MaxInt64}
	for range 20000 {
		ms = append(ms, r.Int63n(yearMs(10000)-yearMs(0))+yearMs(0))
	}
	for range 2000 {
		ms = append(ms, r.Int63()-r.Int63())
	}
	for _, m := range ms {
		for p := 0; p <= 3; p++ {
			want := time.UnixMilli(m).UTC().AppendFormat(nil, "2006-01-02 15:04:05")
			if p > 0 {
				frac := (m%1000 + 1000) % 1000
				want = append(want, '.')
				want = append(want, []byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}[:p]...)
			}
			if got := AppendTimestamp([]byte("x"), m, p); string(got) != "x"+string(want) {
				t.Fatalf("AppendTimestamp(%d, %d) = %q, want %q", m, p, got[1:], want)
			}
		}
	}
}
