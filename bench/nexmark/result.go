package nexmark

import (
	"fmt"
	"io"
	"strconv"
)

// Result is what a run measured. Its JSON form is what
// `streamsql bench nexmark --json` prints and WriteTables reads.
type Result struct {
	Query       string  `json:"query"`
	Events      int64   `json:"events"`
	Seconds     float64 `json:"seconds"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	Parallelism int     `json:"parallelism,omitempty"`
	// CheckpointInterval and StateBackend are the run's settings ("" when
	// not set).
	CheckpointInterval string `json:"checkpoint_interval,omitempty"`
	StateBackend       string `json:"state_backend,omitempty"`
	// AllEvents: the sources generated every event type (Options.AllEvents).
	AllEvents    bool    `json:"all_events,omitempty"`
	EventsPerSec float64 `json:"events_per_sec"`
	// PerCore is EventsPerSec divided by GOMAXPROCS.
	PerCore float64 `json:"per_core"`
	// PeakSys and PeakHeapInuse are the highest runtime.MemStats Sys and
	// HeapInuse sampled during the run, in bytes.
	PeakSys       uint64 `json:"peak_sys"`
	PeakHeapInuse uint64 `json:"peak_heap_inuse"`
	// StateSize is the size in bytes of the last completed checkpoint (-1
	// when none completed).
	StateSize int64 `json:"state_size"`
	// PeakStateSize is the largest checkpoint seen (sampled every 100 ms;
	// -1 when none completed): with a bounded input the last checkpoint
	// comes after the windows have fired and may hold little.
	PeakStateSize int64 `json:"peak_state_size"`
	Checkpoints   int64 `json:"checkpoints"`
	// Baseline is the hand-written loop's run (nil when not asked for or
	// the query has none).
	Baseline *BaselineResult `json:"baseline,omitempty"`
	// Latency is the latency run (nil when not asked for or the query has
	// no windows).
	Latency *LatencyResult `json:"latency,omitempty"`
	// Error, set only by the command line's --json output, is why the run
	// failed (the other fields are then empty).
	Error string `json:"error,omitempty"`
}

// BaselineResult is the hand-written loop's run.
type BaselineResult struct {
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	// Rows is the number of result rows the loop produced.
	Rows int64 `json:"rows"`
}

// Ratio is the engine's throughput divided by the baseline's (0 without one).
func (r *Result) Ratio() float64 {
	if r.Baseline == nil || r.Baseline.EventsPerSec == 0 {
		return 0
	}
	return r.EventsPerSec / r.Baseline.EventsPerSec
}

// Header and Row format results as a markdown table.
const Header = "| query | events | seconds | events/s | events/s per core | GOMAXPROCS | peak sys MiB | peak heap MiB | state bytes | baseline events/s | engine/baseline | latency p50/p99 ms | after watermark p50/p99 ms |\n" +
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

// Row is the result as one row of the table under Header.
func (r *Result) Row() string {
	state, base, ratio, lat, wm := "-", "-", "-", "-", "-"
	if r.StateSize >= 0 {
		state = strconv.FormatInt(r.StateSize, 10)
	}
	if r.Baseline != nil {
		base = fmt.Sprintf("%.0f", r.Baseline.EventsPerSec)
		ratio = fmt.Sprintf("%.2f", r.Ratio())
	}
	if l := r.Latency; l != nil {
		lat = fmt.Sprintf("%.1f / %.1f", ms(l.P50), ms(l.P99))
		wm = fmt.Sprintf("%.1f / %.1f", ms(l.WmP50), ms(l.WmP99))
	}
	return fmt.Sprintf("| %s | %d | %.2f | %.0f | %.0f | %d | %.1f | %.1f | %s | %s | %s | %s | %s |", r.Query, r.Events, r.Seconds,
		r.EventsPerSec, r.PerCore, r.GOMAXPROCS, mib(r.PeakSys), mib(r.PeakHeapInuse), state, base, ratio, lat, wm)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Report writes the result as labelled lines.
func (r *Result) Report(w io.Writer) {
	fmt.Fprintf(w, "query:              %s\n", r.Query)
	fmt.Fprintf(w, "events:             %d\n", r.Events)
	fmt.Fprintf(w, "seconds:            %.3f\n", r.Seconds)
	fmt.Fprintf(w, "events/s:           %.0f\n", r.EventsPerSec)
	fmt.Fprintf(w, "events/s per core:  %.0f (GOMAXPROCS %d)\n", r.PerCore, r.GOMAXPROCS)
	fmt.Fprintf(w, "peak memory:        sys %.1f MiB, heap in use %.1f MiB\n", mib(r.PeakSys), mib(r.PeakHeapInuse))
	if r.StateSize >= 0 {
		fmt.Fprintf(w, "state size:         %d bytes (last checkpoint, %d checkpoints), largest %d bytes\n", r.StateSize, r.Checkpoints, r.PeakStateSize)
	} else {
		fmt.Fprintf(w, "state size:         n/a (no checkpoint completed)\n")
	}
	if r.Baseline != nil {
		fmt.Fprintf(w, "baseline events/s:  %.0f (hand-written loop, %.3f s, %d rows)\n", r.Baseline.EventsPerSec, r.Baseline.Seconds, r.Baseline.Rows)
		fmt.Fprintf(w, "engine/baseline:    %.2f\n", r.Ratio())
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency run:        %d events paced at %.0f events/s (achieved %.0f), %d rows in %d windows (%d rows closed by the end of input left out)\n",
			l.Events, l.Rate, l.EventsPerSec, l.Rows, l.Windows, l.Excluded)
		fmt.Fprintf(w, "latency:            p50 %.1f ms, p99 %.1f ms (from the window end)\n", ms(l.P50), ms(l.P99))
		fmt.Fprintf(w, "after watermark:    p50 %.1f ms, p99 %.1f ms (min %.1f ms)\n", ms(l.WmP50), ms(l.WmP99), ms(l.WmMin))
	}
}
