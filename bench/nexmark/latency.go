package nexmark

import (
	"math"
	"sort"
	"sync"
	"time"
)

// End-to-end latency of windowed queries (see README.md, "Latency").
//
// A latency run replaces the query's nexmark sources by a wrapper that
// logs, per split, the largest dateTime produced so far and the wall time
// at which the Next call that produced it returned (one entry per batch),
// and its blackhole sink by one that notes, per Write call, the wall time
// and the window end of every +I and +U row (from a column of the row, see
// latencySpecs). After the run each noted row gets two latencies:
//
//   - from the window end: emission time minus T_end(W), the earliest
//     time at which any split of any source had produced an event with
//     dateTime >= W, the window end;
//   - after the watermark: emission time minus T_wm(W), the earliest time
//     by which every split of one source scan had produced an event with
//     dateTime >= W - 1 + delay (the table's watermark delay), i.e. the
//     first moment a scan's watermark could pass the window end (a split
//     that ended before counts from its end). A query that reads several
//     scans may wait for a later one: the earliest makes the figure an
//     upper bound of the time the engine took after its watermark allowed
//     the window out.
//
// Rows of windows that no event closed (no scan reached W - 1 + delay
// before its end) are left out and counted.

// LatencyResult is what a latency run measured.
type LatencyResult struct {
	// Rate is the wall-clock rate the sources were paced at, in events of
	// all types per second; EventsPerSec what the run achieved.
	Rate         float64 `json:"rate"`
	Events       int64   `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	// Rows is the number of +I/+U rows measured, in Windows distinct
	// windows; Excluded the rows of windows closed by the end of input.
	Rows     int64 `json:"rows"`
	Windows  int   `json:"windows"`
	Excluded int64 `json:"excluded"`
	// P50 and P99 are from the window end; WmP50 and WmP99 after the
	// watermark (see the package comment of latency.go).
	P50   time.Duration `json:"p50_ns"`
	P99   time.Duration `json:"p99_ns"`
	WmP50 time.Duration `json:"wm_p50_ns"`
	WmP99 time.Duration `json:"wm_p99_ns"`
	// WmMin is the smallest latency after the watermark: below zero a row
	// left before any scan's watermark could let its window out, i.e. its
	// window was attributed wrongly (see latencySpecs).
	WmMin time.Duration `json:"wm_min_ns"`
}

// splitLog is one split's production log. It is written by the split's
// reader goroutine and read only after the job has ended.
type splitLog struct {
	scan  int     // the source scan the split belongs to
	delay int64   // the table's watermark delay, ms
	ts    []int64 // largest dateTime produced, after each Next with rows (ascending)
	at    []int64 // ns since the run's start at which that Next returned
	ended int64   // ns since the run's start at which the split ended; -1 while not
}

// add notes that events up to dateTime ts had been produced at time at.
func (l *splitLog) add(ts, at int64) {
	if n := len(l.ts); n > 0 && ts <= l.ts[n-1] {
		return
	}
	l.ts = append(l.ts, ts)
	l.at = append(l.at, at)
}

// reached returns when the split first produced an event with dateTime >=
// t, or false when it never did.
func (l *splitLog) reached(t int64) (int64, bool) {
	i := sort.Search(len(l.ts), func(i int) bool { return l.ts[i] >= t })
	if i == len(l.ts) {
		return 0, false
	}
	return l.at[i], true
}

// emission is a run of rows of one window written by one Write call.
type emission struct {
	end, at int64 // window end (ms), ns since the run's start
	n       int64
}

// latencyRun collects one latency run's logs. Readers and sink writers
// register with it under mu; each log is written by one goroutine.
type latencyRun struct {
	spec  *latencySpec
	start time.Time

	mu        sync.Mutex
	scans     int // source scans so far
	logs      []*splitLog
	emissions []emission
}

func newLatencyRun(spec *latencySpec) *latencyRun {
	return &latencyRun{spec: spec, start: time.Now()}
}

// now is the time since the run's start in ns (monotonic).
func (r *latencyRun) now() int64 { return int64(time.Since(r.start)) }

// newScan returns the id of a new source scan.
func (r *latencyRun) newScan() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scans++
	return r.scans - 1
}

// newLog returns the log of a split of source scan scan.
func (r *latencyRun) newLog(scan int, delay int64) *splitLog {
	l := &splitLog{scan: scan, delay: delay, ended: -1}
	r.mu.Lock()
	r.logs = append(r.logs, l)
	r.mu.Unlock()
	return l
}

// emitted notes rows written at time at; ends holds the window end of each
// row (consecutive equal ends are counted together).
func (r *latencyRun) emitted(at int64, ends []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range ends {
		if n := len(r.emissions); n > 0 && r.emissions[n-1].end == e && r.emissions[n-1].at == at {
			r.emissions[n-1].n++
			continue
		}
		r.emissions = append(r.emissions, emission{end: e, at: at, n: 1})
	}
}

// tEnd is T_end(w); false when no split produced an event at or after w.
func (r *latencyRun) tEnd(w int64) (int64, bool) {
	best, ok := int64(math.MaxInt64), false
	for _, l := range r.logs {
		if at, reached := l.reached(w); reached && at < best {
			best, ok = at, true
		}
	}
	return best, ok
}

// tWatermark is T_wm(w); false when no scan's watermark passed w before
// the scan ended.
func (r *latencyRun) tWatermark(w int64) (int64, bool) {
	// per scan: the latest time a split reached (or ended), whether
	// every split did, and whether one reached
	latest := make([]int64, r.scans)
	open := make([]bool, r.scans)
	reached := make([]bool, r.scans)
	for _, l := range r.logs {
		at, ok := l.reached(w - 1 + l.delay)
		switch {
		case ok:
			reached[l.scan] = true
		case l.ended >= 0:
			at = l.ended
		default:
			open[l.scan] = true
		}
		latest[l.scan] = max(latest[l.scan], at)
	}
	best, any := int64(math.MaxInt64), false
	for s := range latest {
		if reached[s] && !open[s] && latest[s] < best {
			best, any = latest[s], true
		}
	}
	return best, any
}

// result computes the latencies after the job has ended.
func (r *latencyRun) result() *LatencyResult {
	res := &LatencyResult{}
	type sample struct{ d, n int64 }
	var fromEnd, fromWm []sample
	windows := map[int64]bool{}
	for _, e := range r.emissions {
		te, ok1 := r.tEnd(e.end)
		tw, ok2 := r.tWatermark(e.end)
		if !ok1 || !ok2 {
			res.Excluded += e.n
			continue
		}
		res.Rows += e.n
		windows[e.end] = true
		fromEnd = append(fromEnd, sample{e.at - te, e.n})
		fromWm = append(fromWm, sample{e.at - tw, e.n})
	}
	res.Windows = len(windows)
	pct := func(s []sample, p float64) time.Duration {
		if len(s) == 0 {
			return 0
		}
		sort.Slice(s, func(i, j int) bool { return s[i].d < s[j].d })
		var total int64
		for _, x := range s {
			total += x.n
		}
		rank := int64(math.Ceil(p * float64(total))) // nearest rank, 1-based
		var seen int64
		for _, x := range s {
			if seen += x.n; seen >= rank {
				return time.Duration(x.d)
			}
		}
		return time.Duration(s[len(s)-1].d)
	}
	res.P50, res.P99 = pct(fromEnd, 0.50), pct(fromEnd, 0.99)
	res.WmP50, res.WmP99 = pct(fromWm, 0.50), pct(fromWm, 0.99)
	if len(fromWm) > 0 {
		res.WmMin = time.Duration(fromWm[0].d) // sorted by pct
	}
	return res
}
