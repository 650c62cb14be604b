package stop

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// slowWriter is a terminal that takes perWrite for every write: the print
// sink writes once per batch, so the job runs at its pace and the
// aggregate before the sink waits on a full output channel (backpressure)
// for longer than exec.BusyLimit within one call (a batch of input rows
// emits about twice as many changelog rows: two or more blocked sends).
type slowWriter struct {
	mu       sync.Mutex
	perWrite time.Duration
	writes   int
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(w.perWrite)
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return len(p), nil
}

// STOP JOB ... WITH SAVEPOINT on a job held back by a slow sink takes the
// savepoint: tasks blocked on a full output channel are not busy computing,
// and the barrier gets through behind the queued batches. (A stop used to
// give up on the savepoint once a task had waited 750 ms on its output.)
func TestStopWithSavepointUnderBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a backpressured job")
	}
	out := &slowWriter{perWrite: 400 * time.Millisecond}
	var errs strings.Builder
	e := engine.New(engine.Options{Stdout: out, Stderr: &errs})
	ctx := context.Background()
	sp := t.TempDir()
	script := fmt.Sprintf(`SET 'execution.checkpointing.interval' = '100ms';
SET 'state.checkpoints.dir' = '%s';
SET 'state.savepoints.dir' = '%s';
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'fields.k.min' = '1', 'fields.k.max' = '9');
CREATE TABLE slow_out (k BIGINT, n BIGINT) WITH ('connector' = 'print');
INSERT INTO slow_out SELECT k, COUNT(*) FROM src GROUP BY k;
`, t.TempDir(), sp)
	for _, p := range sql.Split(script) {
		st, err := e.Prepare(p)
		if err == nil {
			_, err = e.RunStatement(ctx, st, out)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	jobs := e.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs running, want 1", len(jobs))
	}
	j := jobs[0]
	t.Cleanup(j.Stop)
	// Long enough for every channel before the sink to fill up.
	time.Sleep(3 * time.Second)
	if st, err := j.Status(); st != engine.JobRunning {
		t.Fatalf("job is %s (%v) before the stop, want RUNNING", st, err)
	}
	err := e.RunScript(ctx, fmt.Sprintf("STOP JOB '%s' WITH SAVEPOINT;", j.ID), out)
	if err != nil {
		t.Fatalf("STOP JOB WITH SAVEPOINT under backpressure: %v", err)
	}
	entries, err := os.ReadDir(sp)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no savepoint written under %s (%v)", sp, err)
	}
	if st, jerr := j.Status(); st != engine.JobStopped {
		t.Errorf("job is %s (%v) after the stop, want STOPPED", st, jerr)
	}
}
