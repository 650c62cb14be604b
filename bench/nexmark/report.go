package nexmark

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// FlinkPerCore are Apache Flink's published Nexmark throughputs per core
// (events/s), the design's reference: the target is ten times these.
var FlinkPerCore = map[string]float64{
	"q0": 160_000, "q1": 160_000, "q2": 160_000,
	"q4": 34_000, "q5": 22_000, "q7": 12_000, "q9": 14_000, "q16": 18_700, "q20": 19_000,
}

// Checkpoint overhead limits of the design: throughput with checkpoints
// every second at least this fraction of the throughput without.
const (
	hashmapFloor = 0.95
	pebbleFloor  = 0.85
)

// runKind classifies a result by its settings: "all-events" (sources
// generating every event type, Options.AllEvents), "off" (no checkpoints,
// heap state), "pebble-off" (no checkpoints, pebble state), "hashmap" or
// "pebble" (checkpoints with that backend).
func runKind(r *Result) string {
	pebble := strings.EqualFold(r.StateBackend, "pebble")
	switch {
	case r.AllEvents:
		return "all-events"
	case r.CheckpointInterval == "" && pebble:
		return "pebble-off"
	case r.CheckpointInterval == "":
		return "off"
	case pebble:
		return "pebble"
	}
	return "hashmap"
}

// WriteTables writes the results of a suite (any mix of runs without
// checkpoints, with hashmap and with pebble checkpoints, and optionally
// with pebble state but no checkpoints, per query) as two markdown
// tables: throughput (also with every event type generated, when such a
// run exists), baseline, memory, state and latency per query, then
// the checkpoint overhead. When a query has several runs of
// one kind (repetitions, on a noisy machine) the fastest counts, with its
// own baseline ratio; the latency is the last measured for the query.
func WriteTables(w io.Writer, results []*Result) {
	byQuery := map[string]map[string]*Result{}
	failed := map[string][]string{}
	latency := map[string]*LatencyResult{}
	var queries []string
	for _, r := range results {
		if byQuery[r.Query] == nil {
			byQuery[r.Query] = map[string]*Result{}
			queries = append(queries, r.Query)
		}
		if r.Error != "" {
			if f := fmt.Sprintf("%s: %s", runKind(r), r.Error); !slices.Contains(failed[r.Query], f) {
				failed[r.Query] = append(failed[r.Query], f)
			}
			continue
		}
		if best := byQuery[r.Query][runKind(r)]; best == nil || r.EventsPerSec > best.EventsPerSec {
			byQuery[r.Query][runKind(r)] = r
		}
		if r.Latency != nil {
			latency[r.Query] = r.Latency
		}
	}
	sort.SliceStable(queries, func(i, j int) bool { return queryNum(queries[i]) < queryNum(queries[j]) })

	fmt.Fprintln(w, "| query | events/s per core | every event type generated, per core | 10× Flink per core | hand-written loop per core | engine ÷ loop | peak heap MiB | largest checkpoint (1 s hashmap) | latency p50 / p99 ms | after watermark p50 / p99 ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, q := range queries {
		off, hm, all := byQuery[q]["off"], byQuery[q]["hashmap"], byQuery[q]["all-events"]
		if off == nil {
			fmt.Fprintf(w, "| %s | failed | | | | | | | | |\n", q)
			continue
		}
		allEv, target, loop, ratio, state, lat, wm := "", "", "", "", "", "", ""
		if all != nil {
			allEv = rate(all.PerCore)
		} else if hasFailed(failed[q], "all-events") {
			allEv = "failed"
		}
		if f := FlinkPerCore[q]; f > 0 {
			target = rate(10 * f)
			if off.PerCore < 10*f {
				target += " (not met)"
			}
			if all != nil && all.PerCore < 10*f {
				allEv += " (under target)"
			}
		}
		if off.Baseline != nil {
			loop = rate(off.Baseline.EventsPerSec / float64(off.GOMAXPROCS))
			ratio = fmt.Sprintf("%.2f", off.Ratio())
		}
		if hm != nil && hm.PeakStateSize >= 0 {
			state = bytes(hm.PeakStateSize)
		}
		if l := latency[q]; l != nil && l.Rows > 0 {
			lat = fmt.Sprintf("%.0f / %.0f", ms(l.P50), ms(l.P99))
			wm = fmt.Sprintf("%.0f / %.0f", ms(l.WmP50), ms(l.WmP99))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %s |\n", q, rate(off.PerCore), allEv, target, loop, ratio,
			mib(off.PeakHeapInuse), state, lat, wm)
	}

	var cps []string
	for _, q := range queries {
		off, hm, pb := byQuery[q]["off"], byQuery[q]["hashmap"], byQuery[q]["pebble"]
		status := func(kind string) string {
			if hasFailed(failed[q], kind) {
				return "failed"
			}
			return "-"
		}
		if hm == nil && pb == nil && status("hashmap") == "-" && status("pebble") == "-" {
			continue
		}
		cell := func(r *Result, kind string, floor float64) (string, string) {
			if r == nil {
				return status(kind), ""
			}
			if off == nil {
				return rate(r.EventsPerSec), ""
			}
			x := r.EventsPerSec / off.EventsPerSec
			s := fmt.Sprintf("%.2f", x)
			if x < floor {
				s += " (over budget)"
			}
			return rate(r.EventsPerSec), s
		}
		offs := status("off")
		if off != nil {
			offs = rate(off.EventsPerSec)
		}
		h, hx := cell(hm, "hashmap", hashmapFloor)
		p, px := cell(pb, "pebble", pebbleFloor)
		pbx := "-"
		if po := byQuery[q]["pebble-off"]; po != nil && pb != nil {
			pbx = fmt.Sprintf("%.2f", pb.EventsPerSec/po.EventsPerSec)
		}
		cps = append(cps, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s |", q, offs, h, hx, p, px, pbx,
			count(hm, func(r *Result) string { return fmt.Sprint(r.Checkpoints) }), count(pb, func(r *Result) string { return fmt.Sprint(r.Checkpoints) }),
			count(hm, func(r *Result) string { return bytes(r.PeakStateSize) }), count(pb, func(r *Result) string { return bytes(r.PeakStateSize) })))
	}
	if len(cps) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| query | events/s, no checkpoints | 1 s hashmap | ÷ none | 1 s pebble | ÷ none | ÷ pebble, none | checkpoints hashmap / pebble | largest checkpoint hashmap / pebble |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, row := range cps {
			fmt.Fprintln(w, row)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(w)
		for _, q := range queries {
			for _, f := range failed[q] {
				fmt.Fprintf(w, "- %s failed (%s)\n", q, f)
			}
		}
	}
}

// hasFailed reports whether failures (as "kind: error") hold one of kind.
func hasFailed(failures []string, kind string) bool {
	for _, f := range failures {
		if strings.HasPrefix(f, kind+":") {
			return true
		}
	}
	return false
}

func count(r *Result, f func(*Result) string) string {
	if r == nil {
		return "-"
	}
	return f(r)
}

// rate formats events per second: 2.28 M, 574 K, 950.
func rate(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2f M", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0f K", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// bytes formats a size: 1.2 GiB, 316 MiB, 12 KiB, 800 B; "-" when negative.
func bytes(n int64) string {
	switch {
	case n < 0:
		return "-"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
