package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const hopInsert = `INSERT INTO counts SELECT k, HOP_END(ts, INTERVAL '0.5' SECOND, INTERVAL '2' SECOND), COUNT(*) FROM gen GROUP BY HOP(ts, INTERVAL '0.5' SECOND, INTERVAL '2' SECOND), k`

// TestHopSavepointAndRescale: a HOP aggregate on the memory backend keeps
// its panes out of the state map between checkpoints; a savepoint taken
// while it runs, one taken when it stops, and a resume from the latter at
// another parallelism (on either backend) give the rows of an
// uninterrupted run.
func TestHopSavepointAndRescale(t *testing.T) {
	root := t.TempDir()
	want := referenceRows(t, filepath.Join(root, "ref"), hopInsert, 100)
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			stopAndResume(t, filepath.Join(root, backend), want, "SET 'parallelism.default' = '2';",
				"SET 'parallelism.default' = '3'; SET 'state.backend' = '"+backend+"';", true)
		})
	}
}

// stopAndResume runs hopInsert over genDDL with the SET statements
// before, stops it with a savepoint midway (after a savepoint taken while
// it runs, with midSavepoint), resumes it from there with the SET
// statements after, and checks that the output then holds want, the rows
// of an uninterrupted run.
func stopAndResume(t *testing.T, dir string, want []string, before, after string, midSavepoint bool) {
	t.Helper()
	out, cp := filepath.Join(dir, "out"), filepath.Join(dir, "cp")
	e1, _ := newTestEngine()
	checkpointed(t, e1, cp)
	run(t, e1, before+strings.ReplaceAll(genDDL, "%OUT%", out))
	j, err := submit(t, e1, hopInsert)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	if midSavepoint {
		if _, err := j.Savepoint(false, false); err != nil {
			t.Fatalf("TRIGGER SAVEPOINT: %v", err)
		}
		time.Sleep(400 * time.Millisecond)
	}
	stopOut := run(t, e1, "STOP JOB '"+j.ID+"' WITH SAVEPOINT;")
	sp := savepointPath(t, stopOut)
	if partial := readLines(t, out); len(partial) >= len(want) || len(partial) == 0 {
		t.Fatalf("stopped with %d of %d rows written: not midway", len(partial), len(want))
	}
	e2, _ := newTestEngine()
	checkpointed(t, e2, cp)
	run(t, e2, after+" SET 'execution.savepoint.path' = '"+sp+"';"+
		strings.ReplaceAll(genDDL, "%OUT%", out)+hopInsert+";")
	if err := e2.WaitAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stop + resume gave %d rows, uninterrupted %d", len(got), len(want))
	}
}
