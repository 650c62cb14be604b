package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// A running job that skips bad rows logs a warning per burst, as one
// structured record carrying the job's id, while it runs.
func TestSkippedRowBurstsAreLogged(t *testing.T) {
	var logs testkit.SyncBuffer
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard,
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
		Testing: &Testing{SourceBatchDelay: 20 * time.Millisecond, SkipLogInterval: 50 * time.Millisecond}})
	in := filepath.Join(t.TempDir(), "in.csv")
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		if i%4 == 1 {
			fmt.Fprintf(&b, "%d,x%d\n", i, i)
		} else {
			fmt.Fprintf(&b, "%d,%d\n", i, i)
		}
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `CREATE TABLE s (k BIGINT, v BIGINT) WITH ('connector'='filesystem', 'path'='` + in + `', 'format'='csv', 'format.ignore-parse-errors'='true');
CREATE TABLE o (k BIGINT, v BIGINT) WITH ('connector'='blackhole');
INSERT INTO o SELECT k, v FROM s;`
	if err := e.RunScript(context.Background(), script, io.Discard); err != nil {
		t.Fatal(err)
	}
	jobs := e.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	j := jobs[0]
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	bursts := strings.Count(out, "bad rows in the last 50ms")
	if bursts < 2 || !strings.Contains(out, `"job":"`+j.ID+`"`) || !strings.Contains(out, `"level":"WARN"`) {
		t.Fatalf("want at least two burst records with the job id %s, got:\n%s", j.ID, out)
	}
	if got := j.SkippedRows(); got != 5000 {
		t.Fatalf("skipped %d rows, want 5000", got)
	}
}
