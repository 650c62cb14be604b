package crash

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// script reads a CSV file and runs two jobs into filesystem sinks that
// commit when checkpoints complete: a filter/projection (every row
// flows through) and a tumbling-window count (keyed state).
func script(in, out1, out2, cpDir string, parallelism int) string {
	return fmt.Sprintf(`
SET 'parallelism.default' = '%d';
SET 'execution.checkpointing.interval' = '100ms';
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
`, parallelism, cpDir, in, out1+"/", out2+"/")
}

func writeInput(t *testing.T, dir string, files, rowsPerFile int) {
	rng := rand.New(rand.NewPCG(7, 9))
	for f := 0; f < files; f++ {
		var b bytes.Buffer
		for i := 0; i < rowsPerFile; i++ {
			// Event time advances with i, with some disorder.
			ms := int64(i)*3 + rng.Int64N(800)
			ts := time.UnixMilli(1600000000000 + ms).UTC().Format("2006-01-02 15:04:05.000")
			fmt.Fprintf(&b, "%d,%d,%s\n", rng.IntN(50), rng.IntN(1000), ts)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%02d.csv", f)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKillAndRestoreGivesIdenticalOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for several seconds")
	}
	bin := testkit.BuildBinary(t)
	root := t.TempDir()
	in := filepath.Join(root, "in")
	os.MkdirAll(in, 0o755)
	writeInput(t, in, 4, 400000)

	run := func(name string, par int, restore bool) (string, string, *exec.Cmd) {
		base := filepath.Join(root, name)
		out1, out2, cp := filepath.Join(base, "rows"), filepath.Join(base, "counts"), filepath.Join(base, "cp")
		for _, d := range []string{out1, out2, cp} {
			os.MkdirAll(d, 0o755)
		}
		args := []string{"-e", script(in, out1, out2, cp, par)}
		if restore {
			args = append([]string{"--restore", "latest"}, args...)
		}
		cmd := exec.Command(bin, args...)
		return out1, out2, cmd
	}

	// The reference: one uninterrupted run.
	ref1, ref2, cmd := run("reference", 2, false)
	began := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refTime := time.Since(began)
	t.Logf("uninterrupted run: %s", refTime)
	want1, want2 := testkit.CommittedLines(t, ref1), testkit.CommittedLines(t, ref2)
	if len(want1) < 100000 || len(want2) == 0 {
		t.Fatalf("reference output too small: %d and %d lines", len(want1), len(want2))
	}

	// The crashed run: kill -9 at random points, restore, until it finishes.
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	var got1, got2 string
	for attempt := 0; attempt < 30; attempt++ {
		par := 1 + attempt%3 // restore at other parallelisms too
		o1, o2, cmd := run("crashed", par, attempt > 0)
		got1, got2 = o1, o2
		p := testkit.StartProcess(t, cmd)
		// Kill somewhere between 10% and 20% of an uninterrupted run into
		// each attempt, so that several kills happen before the end.
		killAfter := refTime/10 + time.Duration(rng.Int64N(int64(refTime/10)))
		if kills >= 4 {
			killAfter = time.Hour // enough crashes: let it finish
		}
		select {
		case <-p.Done():
			if err := p.Err(); err != nil {
				t.Fatalf("attempt %d failed: %v\n%s", attempt, err, p.Output())
			}
			attempt = 1 << 30 // finished
		case <-time.After(killAfter):
			p.Kill()
			kills++
		case <-time.After(2 * time.Minute):
			p.Kill()
			t.Fatalf("attempt %d hung:\n%s", attempt, p.Output())
		}
		if attempt >= 1<<30 {
			break
		}
	}
	if kills < 3 {
		t.Fatalf("the job was killed only %d times before it finished: make the input larger", kills)
	}
	t.Logf("killed %d times", kills)
	for _, c := range []struct {
		name      string
		want, got []string
	}{{"rows", want1, testkit.CommittedLines(t, got1)}, {"counts", want2, testkit.CommittedLines(t, got2)}} {
		if strings.Join(c.want, "\n") != strings.Join(c.got, "\n") {
			t.Errorf("%s: output differs from the uninterrupted run: %d lines vs %d lines (first difference: %s)",
				c.name, len(c.got), len(c.want), firstDiff(c.want, c.got))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("line %d: want %q got %q", i+1, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}
