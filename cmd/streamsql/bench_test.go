package main

import (
	"bytes"
	"context"
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
