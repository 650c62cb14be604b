package nexmark

import (
	"strings"
	"testing"
	"time"
)

func TestWriteTables(t *testing.T) {
	results := []*Result{
		{Query: "q5", GOMAXPROCS: 1, EventsPerSec: 1_000_000, PerCore: 1_000_000, PeakHeapInuse: 300 << 20, StateSize: -1, PeakStateSize: -1,
			Baseline: &BaselineResult{EventsPerSec: 4_000_000},
			Latency:  &LatencyResult{Rows: 10, P50: 150 * time.Millisecond, P99: 180 * time.Millisecond, WmP50: 12 * time.Millisecond, WmP99: 30 * time.Millisecond}},
		{Query: "q5", CheckpointInterval: "1s", StateBackend: "hashmap", EventsPerSec: 970_000, PeakStateSize: 3 << 20, Checkpoints: 2},
		// a slower repetition of each: the fastest counts
		{Query: "q5", GOMAXPROCS: 1, EventsPerSec: 500_000, PerCore: 500_000, StateSize: -1, PeakStateSize: -1,
			Baseline: &BaselineResult{EventsPerSec: 1_000_000}},
		{Query: "q5", CheckpointInterval: "1s", StateBackend: "hashmap", EventsPerSec: 600_000, PeakStateSize: 1 << 20, Checkpoints: 2},
		{Query: "q5", CheckpointInterval: "1s", StateBackend: "pebble", EventsPerSec: 800_000, PeakStateSize: 2 << 20, Checkpoints: 2},
		{Query: "q5", StateBackend: "pebble", EventsPerSec: 890_000, StateSize: -1, PeakStateSize: -1},
		{Query: "q5", GOMAXPROCS: 1, AllEvents: true, EventsPerSec: 400_000, PerCore: 400_000, StateSize: -1, PeakStateSize: -1},
		{Query: "q5", GOMAXPROCS: 1, AllEvents: true, EventsPerSec: 150_000, PerCore: 150_000, StateSize: -1, PeakStateSize: -1},
		{Query: "q4", GOMAXPROCS: 1, EventsPerSec: 200_000, PerCore: 200_000, StateSize: -1, PeakStateSize: -1},
		{Query: "q4", GOMAXPROCS: 1, AllEvents: true, Error: "bang"},
		{Query: "q4", CheckpointInterval: "1s", StateBackend: "pebble", Error: "boom"},
		{Query: "q4", CheckpointInterval: "1s", StateBackend: "pebble", Error: "boom"},
	}
	var sb strings.Builder
	WriteTables(&sb, results)
	out := sb.String()
	for _, want := range []string{
		// q4 sorts first; 200 K per core is under 10 × 34 K
		"| q4 | 200 K | failed | 340 K (not met) |",
		"| q5 | 1.00 M | 400 K | 220 K | 4.00 M | 0.25 | 300 | 3 MiB | 150 / 180 | 12 / 30 |",
		"| q5 | 1.00 M | 970 K | 0.97 | 800 K | 0.80 (over budget) | 0.90 | 2 / 2 | 3 MiB / 2 MiB |",
		"| q4 | 200 K | - |  | failed |  | - | - / - | - / - |",
		"- q4 failed (pebble: boom)",
		"- q4 failed (all-events: bang)",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	if strings.Count(out, "boom") != 1 {
		t.Fatalf("repeated failure listed more than once:\n%s", out)
	}
	if strings.Index(out, "| q4 |") > strings.Index(out, "| q5 |") {
		t.Fatalf("queries not in numeric order:\n%s", out)
	}
}
