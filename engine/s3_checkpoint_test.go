package engine

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/checkpoint/storage/s3test"
)

// s3Settings points a session's checkpoints and savepoints at bucket
// "ckpt" of srv.
func s3Settings(srv *s3test.Server, extra string) string {
	var b strings.Builder
	for k, v := range srv.Settings() {
		b.WriteString("SET '" + k + "' = '" + v + "';")
	}
	b.WriteString("SET 'execution.checkpointing.interval' = '50ms'; SET 'state.checkpoints.dir' = 's3://ckpt/checkpoints';")
	b.WriteString(extra)
	return b.String()
}

// TestCheckpointsOnS3 runs a windowed job whose checkpoints go to an
// S3-compatible store: the first attempt fails after a checkpoint and the
// restart restores it from the store (Pebble incremental state: shared SST
// files uploaded and reused), then a savepoint on the store is taken,
// the job stopped and resumed from the savepoint's s3:// URL at another
// parallelism and backend. The output equals an uninterrupted run.
func TestCheckpointsOnS3(t *testing.T) {
	srv := s3test.Start(t, "ckpt")
	root := t.TempDir()
	want := referenceRows(t, filepath.Join(root, "ref"), genInsert, 50)

	out := filepath.Join(root, "out")
	var jobs []*Job
	e1 := New(Options{Stdout: io.Discard, Stderr: io.Discard, Testing: &Testing{FailAfterCheckpoint: true,
		OnJobStart: func(j *Job) { jobs = append(jobs, j) }}})
	run(t, e1, s3Settings(srv, "SET 'restart-strategy' = 'fixed-delay'; SET 'restart-strategy.fixed-delay.delay' = '0'; SET 'parallelism.default' = '2'; SET 'state.backend' = 'pebble'; SET 'state.backend.incremental' = 'true';")+
		strings.ReplaceAll(genDDL, "%OUT%", out))
	j, err := submit(t, e1, genInsert)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(j.Attempts()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a checkpoint or two of the restored attempt
	if a := j.Attempts(); len(a) < 2 || a[1].RestoredID == 0 {
		t.Fatalf("attempts %+v: the planned failure and the restore of a checkpoint from the store did not happen", a)
	}
	if st, err := j.Status(); st != JobRunning {
		for _, a := range j.Attempts() {
			t.Logf("attempt: %+v", a)
		}
		t.Fatalf("job %s: %v", st, err)
	}
	stopOut := run(t, e1, "STOP JOB '"+j.ID+"' WITH SAVEPOINT;")
	var sp string
	for _, f := range strings.Fields(stopOut) {
		if strings.HasPrefix(f, "s3://ckpt/checkpoints/savepoints/savepoint-") {
			sp = f
		}
	}
	if sp == "" {
		t.Fatalf("STOP JOB printed no s3:// savepoint: %q", stopOut)
	}

	// The store holds the job's checkpoints and the savepoint.
	store, err := storage.OpenLocation("s3://ckpt/checkpoints", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	infos, err := checkpoint.List(store, checkpoint.ListOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	listing := checkpoint.FormatList(infos)
	if !strings.Contains(listing, "complete") || strings.Contains(listing, "damaged") {
		t.Fatalf("checkpoints on the store:\n%s", listing)
	}

	e2, _ := newTestEngine()
	run(t, e2, s3Settings(srv, "SET 'parallelism.default' = '3'; SET 'execution.savepoint.path' = '"+sp+"';")+
		strings.ReplaceAll(genDDL, "%OUT%", out)+genInsert+";")
	if err := e2.WaitAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("restore from the store gave %d rows, uninterrupted %d", len(got), len(want))
	}
}

// TestS3LocationErrors: a bucket that does not exist, or a restore URL
// outside the configured locations, fails the INSERT with a message that
// names it.
func TestS3LocationErrors(t *testing.T) {
	srv := s3test.Start(t, "ckpt")
	e, _ := newTestEngine()
	run(t, e, s3Settings(srv, "SET 'state.checkpoints.dir' = 's3://nobucket/x';")+strings.ReplaceAll(genDDL, "%OUT%", t.TempDir()))
	_, err := submit(t, e, genInsert)
	if err == nil || !strings.Contains(err.Error(), `bucket "nobucket" does not exist`) {
		t.Fatalf("missing bucket: %v", err)
	}
	e2, _ := newTestEngine()
	run(t, e2, s3Settings(srv, "SET 'execution.savepoint.path' = 's3://other/sp/savepoint-1';")+strings.ReplaceAll(genDDL, "%OUT%", t.TempDir()))
	_, err = submit(t, e2, genInsert)
	if err == nil || !strings.Contains(err.Error(), "s3://other/sp/savepoint-1") || !strings.Contains(err.Error(), "s3://ckpt/checkpoints") {
		t.Fatalf("restore outside the locations: %v", err)
	}
}
