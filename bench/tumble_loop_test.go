package bench

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/engine"
)

// TestTumbleLoopMatchesEngine: the hand-written loop of the tumbling-count
// benchmark counts exactly the events the engine counts (same keys from
// the same generator, same windows).
func TestTumbleLoopMatchesEngine(t *testing.T) {
	const n = 50_000
	script := strings.Replace(tumbleSQL(n), "'connector' = 'blackhole'", "'connector' = 'memory'", 1)
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
		t.Fatal(err)
	}
	_, rows, err := eng.Query("SELECT k, w, c FROM sink")
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d|%d|%d", r[1].Millis(), r[0].Int(), r[2].Int()))
	}
	tumbleLoop(n, func(end, key, count int64) { want = append(want, fmt.Sprintf("%d|%d|%d", end, key, count)) })
	sort.Strings(got)
	sort.Strings(want)
	if len(want) < benchKeys || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("engine gave %d rows, loop %d; first: %v vs %v", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}
