package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSavepointAcrossOperatorChaining: checkpoints are per operator
// instance whether operators are chained or not, so a job stopped with a
// savepoint with chaining off resumes with it on (and the other way),
// at another parallelism, with the rows of an uninterrupted run.
func TestSavepointAcrossOperatorChaining(t *testing.T) {
	root := t.TempDir()
	want := referenceRows(t, filepath.Join(root, "ref"), hopInsert, 100)
	for _, from := range []string{"false", "true"} {
		to := map[string]string{"false": "true", "true": "false"}[from]
		t.Run("chaining-"+from+"-to-"+to, func(t *testing.T) {
			dir := filepath.Join(root, from)
			out, cp := filepath.Join(dir, "out"), filepath.Join(dir, "cp")
			e1, _ := newTestEngine()
			checkpointed(t, e1, cp)
			run(t, e1, "SET 'parallelism.default' = '2'; SET 'pipeline.operator-chaining' = '"+from+"';"+strings.ReplaceAll(genDDL, "%OUT%", out))
			j, err := submit(t, e1, hopInsert)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(800 * time.Millisecond)
			stopOut := run(t, e1, "STOP JOB '"+j.ID+"' WITH SAVEPOINT;")
			sp := savepointPath(t, stopOut)
			if partial := readLines(t, out); len(partial) >= len(want) || len(partial) == 0 {
				t.Fatalf("stopped with %d of %d rows written: not midway", len(partial), len(want))
			}
			e2, _ := newTestEngine()
			checkpointed(t, e2, cp)
			run(t, e2, "SET 'parallelism.default' = '3'; SET 'pipeline.operator-chaining' = '"+to+"'; SET 'execution.savepoint.path' = '"+sp+"';"+
				strings.ReplaceAll(genDDL, "%OUT%", out)+hopInsert+";")
			if err := e2.WaitAll(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := readLines(t, out); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("stop + resume gave %d rows, uninterrupted %d", len(got), len(want))
			}
		})
	}
}
