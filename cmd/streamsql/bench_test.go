package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchNexmark(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "nexmark", "--query", "q1", "--events", "10000", "--gomaxprocs", "1", "--baseline"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"events/s:", "events/s per core:", "(GOMAXPROCS 1)", "peak memory:", "state size:", "engine/baseline:"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"bench", "nexmark", "--query", "q2", "--events", "5000", "--table"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[2], "| q2 |") {
		t.Fatalf("table:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"bench", "nexmark", "--query", "q99", "--events", "10"}, nil, &out, &errb); code != 1 {
		t.Fatalf("unknown query: exit %d", code)
	}
	if code := run(context.Background(), []string{"bench", "nope"}, nil, &out, &errb); code != 2 {
		t.Fatalf("unknown benchmark: exit %d", code)
	}
}

// TestBenchJSONAndReport: --json lines (one per run, with the latency of a
// windowed query) make the tables of nexmark-report.
func TestBenchJSONAndReport(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"bench", "nexmark", "--query", "q7", "--events", "120000", "--baseline", "--latency", "--rate", "2000000", "--json"}
	if code := run(context.Background(), args, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	args = []string{"bench", "nexmark", "--query", "q7", "--events", "120000", "--checkpoint-interval", "50ms", "--state-backend", "hashmap", "--json"}
	if code := run(context.Background(), args, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"bench", "nexmark", "--query", "q99", "--events", "10", "--json"}, nil, &out, &errb); code != 1 {
		t.Fatalf("unknown query: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"latency":{`) || !strings.Contains(lines[0], `"baseline":{`) ||
		!strings.Contains(lines[1], `"checkpoint_interval":"50ms"`) || !strings.Contains(lines[2], `"error":"unknown nexmark query`) {
		t.Fatalf("json:\n%s", out.String())
	}
	file := filepath.Join(t.TempDir(), "runs.json")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"bench", "nexmark-report", file}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"| q7 | ", " / - |", "| q99 | failed |", "- q99 failed (off: unknown nexmark query"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in\n%s", want, out.String())
		}
	}
}
