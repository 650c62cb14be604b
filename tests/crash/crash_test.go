package crash

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// checkpointInterval is the jobs' checkpoint interval; every kill lands a
// random fraction of it after a checkpoint of the killed process.
const checkpointInterval = 100 * time.Millisecond

// script reads the CSV files under in and runs two jobs into filesystem
// sinks that commit when checkpoints complete: a filter/projection (every
// row flows through) and a tumbling-window count and sum per key (keyed
// state). expectedRows and expectedCounts compute the same answers in
// MariaDB.
func script(in, out1, out2, cpDir string, parallelism int) string {
	return fmt.Sprintf(`
SET 'parallelism.default' = '%d';
SET 'execution.checkpointing.interval' = '%dms';
SET 'state.checkpoints.dir' = '%s';
SET 'state.checkpoints.num-retained' = '2';
CREATE TABLE src (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
CREATE TABLE rows_out (k BIGINT, v2 BIGINT, ts TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
CREATE TABLE counts_out (k BIGINT, w TIMESTAMP(3), c BIGINT, s BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
INSERT INTO rows_out SELECT k, v * 2, ts FROM src WHERE v %% 3 <> 0;
INSERT INTO counts_out SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*), SUM(v)
FROM src GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
`, parallelism, checkpointInterval.Milliseconds(), cpDir, in, out1+"/", out2+"/")
}

// writeInput writes files CSV files of rowsPerFile rows (k, v, ts) under
// dir and returns their paths. Within a file event time advances by 3 ms
// a row with up to 800 ms of disorder, less than the watermark's 1 s
// delay, so no row is ever late and every row counts.
func writeInput(t *testing.T, dir string, files, rowsPerFile int) []string {
	rng := rand.New(rand.NewPCG(7, 9))
	var paths []string
	for f := 0; f < files; f++ {
		var b bytes.Buffer
		for i := 0; i < rowsPerFile; i++ {
			ms := int64(i)*3 + rng.Int64N(800)
			ts := time.UnixMilli(1600000000000 + ms).UTC().Format("2006-01-02 15:04:05.000")
			fmt.Fprintf(&b, "%d,%d,%s\n", rng.IntN(50), rng.IntN(1000), ts)
		}
		p := filepath.Join(dir, fmt.Sprintf("part-%02d.csv", f))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// crashSeed returns the seed of the kill points: STREAMSQL_CRASH_SEED when
// set (to replay a run), else a fresh one. The test logs it.
func crashSeed(t *testing.T) uint64 {
	if s := os.Getenv("STREAMSQL_CRASH_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STREAMSQL_CRASH_SEED=%q: expected an unsigned integer", s)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestKillAfterCheckpointsRestoresExactlyOnce runs the two jobs of script
// as a separate process, kills it with SIGKILL a random fraction of a
// checkpoint interval after each of its jobs completed a checkpoint, and
// restarts it with --restore latest (at parallelism 1, 2 and 3 in turn)
// until it finishes. Every restarted process must restore, for each job,
// a checkpoint that was complete before the kill; the committed output
// must equal, line for line with no duplicate and nothing missing, the
// answer MariaDB computes from the same input files.
func TestKillAfterCheckpointsRestoresExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for several seconds")
	}
	_, db := testkit.OwnDatabase(t, "streamsql_crash_", nil)
	bin := testkit.BuildBinary(t)
	root := t.TempDir()
	in := filepath.Join(root, "in")
	os.MkdirAll(in, 0o755)
	files := writeInput(t, in, 4, 600000)

	began := time.Now()
	wantRows, wantCounts := expectedAnswers(t, db, files)
	t.Logf("MariaDB's answer: %d rows, %d window counts, in %s", len(wantRows), len(wantCounts), time.Since(began).Round(time.Millisecond))

	seed := crashSeed(t)
	t.Logf("kill points from seed %d (replay with STREAMSQL_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	base := filepath.Join(root, "run")
	outRows, outCounts, cpDir := filepath.Join(base, "rows"), filepath.Join(base, "counts"), filepath.Join(base, "cp")
	for _, d := range []string{outRows, outCounts, cpDir} {
		os.MkdirAll(d, 0o755)
	}
	const jobs, maxKills = 2, 5
	kills := 0
	var restored []string
	began = time.Now()
	for attempt := 0; ; attempt++ {
		par := 1 + attempt%3 // restore at other parallelisms too
		args := []string{"-e", script(in, outRows, outCounts, cpDir, par)}
		if attempt > 0 {
			args = append([]string{"--restore", "latest"}, args...)
		}
		before := testkit.CompletedCheckpoints(t, cpDir)
		p := testkit.StartProcess(t, exec.Command(bin, args...))
		if kills >= maxKills {
			waitForEnd(t, p, attempt)
			checkRestores(t, p.Output(), attempt, before, jobs)
			restored = append(restored, restoreSummary(p.Output()))
			break
		}
		if !testkit.WaitForNewCheckpoints(t, p, cpDir, before, jobs) {
			// The process ended before each job completed a checkpoint.
			waitForEnd(t, p, attempt)
			checkRestores(t, p.Output(), attempt, before, jobs)
			restored = append(restored, restoreSummary(p.Output()))
			break
		}
		// A random point between this checkpoint and the next.
		time.Sleep(time.Duration(rng.Int64N(int64(checkpointInterval))))
		p.Kill()
		kills++
		checkRestores(t, p.Output(), attempt, before, jobs)
		if attempt > 0 {
			restored = append(restored, restoreSummary(p.Output()))
		}
	}
	t.Logf("killed %d times in %s; the processes after a kill restored %v", kills, time.Since(began).Round(time.Millisecond), restored)
	if kills < 3 {
		t.Fatalf("the job was killed only %d times after checkpoints before it finished: make the input larger", kills)
	}
	compareLines(t, "rows", wantRows, testkit.CommittedLines(t, outRows))
	compareLines(t, "counts", wantCounts, testkit.CommittedLines(t, outCounts))
}

// waitForEnd waits until the process ends by itself and fails t unless
// it exits with 0 within two minutes.
func waitForEnd(t *testing.T, p *testkit.Process, attempt int) {
	t.Helper()
	select {
	case <-p.Done():
		if err := p.Err(); err != nil {
			t.Fatalf("attempt %d failed: %v\n%s", attempt, err, p.Output())
		}
	case <-time.After(2 * time.Minute):
		p.Kill()
		t.Fatalf("attempt %d hung:\n%s", attempt, p.Output())
	}
}

// checkRestores checks what a process printed about its restore points:
// the first (attempt 0) starts from the beginning; every later one
// restores, for each of the jobs, exactly one checkpoint that was
// complete before the process started (listed in before), with an id
// above 0, and never starts from the beginning.
func checkRestores(t *testing.T, output string, attempt int, before testkit.Checkpoints, jobs int) {
	t.Helper()
	restores, startedOver := testkit.Restores(output)
	if attempt == 0 {
		if len(restores) > 0 {
			t.Fatalf("the first process restored %q though no checkpoint existed:\n%s", restores[0].Line, output)
		}
		return
	}
	if startedOver != "" {
		t.Fatalf("process %d (after a kill) started a job from the beginning instead of restoring a checkpoint (%q):\n%s", attempt, startedOver, output)
	}
	if len(restores) != jobs {
		t.Fatalf("process %d (after a kill) printed %d restore lines, want one for each of its %d jobs:\n%s", attempt, len(restores), jobs, output)
	}
	seen := map[string]bool{}
	for _, r := range restores {
		if r.ID <= 0 || filepath.Base(r.Dir) != fmt.Sprintf("chk-%d", r.ID) || !before[r.Job][r.ID] {
			t.Fatalf("process %d restored checkpoint %d (%s), which is not one that was complete before the kill (%v):\n%s",
				attempt, r.ID, r.Dir, before, output)
		}
		if r.Attempt != 1 {
			t.Fatalf("process %d: job %s restored in attempt %d, want 1 (an unplanned failure and restart):\n%s", attempt, r.JobID, r.Attempt, output)
		}
		if seen[r.Job] {
			t.Fatalf("process %d: two jobs restored from %s:\n%s", attempt, r.Job, output)
		}
		seen[r.Job] = true
	}
}

// restoreSummary lists the checkpoint ids a process restored, for the log.
func restoreSummary(output string) string {
	var ids []string
	restores, _ := testkit.Restores(output)
	for _, r := range restores {
		ids = append(ids, fmt.Sprintf("%s/chk-%d", r.Job, r.ID))
	}
	return fmt.Sprint(ids)
}

// compareLines fails t unless got (sorted) holds exactly the lines of
// want (sorted): it names the lines missing and the lines too many
// (duplicates included) with their counts.
func compareLines(t *testing.T, name string, want, got []string) {
	t.Helper()
	var missing, extra []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: output differs from MariaDB's answer (%d lines, got %d): %d missing (first: %q), %d too many, duplicates included (first: %q)",
			name, len(want), len(got), len(missing), first(missing), len(extra), first(extra))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
