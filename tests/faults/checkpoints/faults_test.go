package checkpoints

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/state"
)

// script is the job: 6000 generated rows at 2000 rows/s (event time
// advances 2 s per second, so the 1 s windows fire every 0.5 s and most
// checkpoints carry no output), counted and summed per key and tumbling
// window into a filesystem sink that commits with checkpoints. Pebble
// checkpoints are incremental (shared SST files); the heap backend's are
// full, so that each checkpoint has a .state file of its own to damage.
func script(backend, out, cp string) string {
	return fmt.Sprintf(`
SET 'parallelism.default' = '1';
SET 'execution.checkpointing.interval' = '100ms';
SET 'state.checkpoints.dir' = '%s';
SET 'state.checkpoints.num-retained' = '3';
SET 'state.backend' = '%s';
SET 'state.backend.incremental' = '%t';
CREATE TABLE gen (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND) WITH (
  'connector' = 'datagen', 'rows-per-second' = '2000', 'number-of-rows' = '6000',
  'fields.k.kind' = 'random', 'fields.k.min' = '1', 'fields.k.max' = '20',
  'fields.v.kind' = 'random', 'fields.v.min' = '0', 'fields.v.max' = '1000',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '5999');
CREATE TABLE counts (k BIGINT, w TIMESTAMP(3), c BIGINT, s BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '%s/', 'format' = 'csv');
INSERT INTO counts SELECT k, TUMBLE_END(ts, INTERVAL '1' SECOND), COUNT(*), SUM(v)
FROM gen GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k;
`, cp, backend, backend == "pebble", out)
}

// runToEnd runs the job to its end and returns its combined output.
func runToEnd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	p := testkit.StartProcess(t, exec.Command(bin, args...))
	select {
	case <-p.Done():
		if err := p.Err(); err != nil {
			t.Fatalf("streamsql %s: %v\n%s", strings.Join(args[:len(args)-1], " "), err, p.Output())
		}
	case <-time.After(2 * time.Minute):
		p.Kill()
		t.Fatalf("streamsql did not end within 2 minutes:\n%s", p.Output())
	}
	return p.Output()
}

// killPoint is the state a killed run left: its latest complete
// checkpoint and the one before it (the one a restore must fall back to
// when the latest is damaged).
type killPoint struct {
	latest, previous *checkpoint.Metadata
	// newSST is a shared Pebble SST the latest checkpoint references and
	// the previous one does not ("" for the hashmap backend).
	newSST string
}

// inspect finds the kill point in checkpoint directory cp. ok is false
// unless there are at least three complete checkpoints, the latest one
// carries no sink output (so that falling back to the previous one
// cannot replay output already committed), and with pebble it uploaded a
// new SST.
func inspect(cp, backend string) (kp killPoint, ok bool) {
	st, err := storage.NewLocal(cp)
	if err != nil {
		return kp, false
	}
	infos, err := checkpoint.List(st, checkpoint.ListOptions{})
	if err != nil {
		return kp, false
	}
	var complete []checkpoint.Info
	for _, in := range infos {
		if in.Status == checkpoint.Complete && !in.Savepoint {
			complete = append(complete, in)
		}
	}
	if len(complete) < 3 {
		return kp, false
	}
	if kp.latest, err = checkpoint.Load(st, complete[len(complete)-1].Dir); err != nil {
		return kp, false
	}
	if kp.previous, err = checkpoint.Load(st, complete[len(complete)-2].Dir); err != nil {
		return kp, false
	}
	for _, op := range kp.latest.Operators {
		for _, task := range op.Tasks {
			if len(task.Committables) > 0 {
				return kp, false
			}
		}
	}
	if backend == "pebble" {
		old := map[string]bool{}
		for _, r := range stateFiles(kp.previous) {
			old[r.Path] = true
		}
		for _, r := range stateFiles(kp.latest) {
			if r.Shared && strings.HasSuffix(r.Path, ".sst") && !old[r.Path] {
				kp.newSST = r.Path
			}
		}
		if kp.newSST == "" {
			return kp, false
		}
	}
	return kp, true
}

// stateFiles lists the keyed-state files md references.
func stateFiles(md *checkpoint.Metadata) []state.FileRef {
	var refs []state.FileRef
	for _, op := range md.Operators {
		for _, task := range op.Tasks {
			if task.Keyed != nil {
				refs = append(refs, task.Keyed.Files...)
				refs = append(refs, task.Keyed.Changelog...)
			}
		}
	}
	return refs
}

// killMidway starts the job with checkpoints in cp and output in out and
// kills it (SIGKILL) at a kill point (see inspect), found by polling the
// checkpoint directory. A run that passes the point before it is seen is
// started again from scratch (at most 10 times).
func killMidway(t *testing.T, bin, backend, out, cp string) killPoint {
	t.Helper()
	for attempt := 1; attempt <= 10; attempt++ {
		os.RemoveAll(out)
		os.RemoveAll(cp)
		os.MkdirAll(out, 0o755)
		os.MkdirAll(cp, 0o755)
		p := testkit.StartProcess(t, exec.Command(bin, "-e", script(backend, out, cp)))
		deadline := time.After(time.Minute)
		killed := false
		for !killed {
			select {
			case <-p.Done():
				t.Logf("attempt %d: the job ended (%v) before a kill point was seen", attempt, p.Err())
				killed = true
				continue
			case <-deadline:
				p.Kill()
				t.Fatalf("no kill point within a minute:\n%s", p.Output())
			case <-time.After(5 * time.Millisecond):
			}
			if _, ok := inspect(cp, backend); ok {
				p.Kill()
				killed = true
				// A checkpoint may have completed between the look and the kill.
				if kp, ok := inspect(cp, backend); ok {
					t.Logf("killed after checkpoint %d", kp.latest.CheckpointID)
					return kp
				}
				t.Logf("attempt %d: a checkpoint completed just before the kill; again", attempt)
			}
		}
	}
	t.Fatal("no run was killed at a kill point in 10 attempts")
	return killPoint{}
}

// Damages applied to one file.
var damages = []struct {
	name  string
	apply func(t *testing.T, p string)
}{
	{"truncated", func(t *testing.T, p string) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	}},
	{"bit-flipped", func(t *testing.T, p string) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0x04
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}},
	{"missing", func(t *testing.T, p string) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}},
	// Tests run as root, which reads a file whatever its mode: a
	// directory in its place cannot be read as a file by anyone.
	{"unreadable", func(t *testing.T, p string) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}},
}

// copyTree copies directory src to dst (regular files and directories).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

var usingRE = regexp.MustCompile(`using checkpoint (\d+) instead`)

// TestDamagedLatestCheckpointFallsBackToPreviousOne: for each backend, a
// job killed after a few checkpoints; for each kind of file of its latest
// checkpoint and each damage, --restore latest restores the previous
// checkpoint (saying which file is damaged) and the output equals an
// uninterrupted run's.
func TestDamagedLatestCheckpointFallsBackToPreviousOne(t *testing.T) {
	if testing.Short() {
		t.Skip("runs streamsql processes for about a minute")
	}
	bin := testkit.BuildBinary(t)
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			root := t.TempDir()
			refOut, refCp := filepath.Join(root, "ref-out"), filepath.Join(root, "ref-cp")
			runToEnd(t, bin, "-e", script(backend, refOut, refCp))
			want := testkit.CommittedLines(t, refOut)
			if len(want) < 100 {
				t.Fatalf("the uninterrupted run wrote %d rows", len(want))
			}

			killedOut, killedCp := filepath.Join(root, "killed-out"), filepath.Join(root, "killed-cp")
			kp := killMidway(t, bin, backend, killedOut, killedCp)
			latestDir := kp.latest.Dir
			// The files to damage: kind, and path relative to the checkpoint root.
			files := [][2]string{{"_metadata", path.Join(latestDir, checkpoint.MetadataFile)}}
			if backend == "hashmap" {
				for _, r := range stateFiles(kp.latest) {
					if strings.HasSuffix(r.Path, ".state") && strings.HasPrefix(r.Path, latestDir+"/") {
						files = append(files, [2]string{".state", r.Path})
						break
					}
				}
			} else {
				files = append(files, [2]string{"shared .sst", kp.newSST})
			}
			if len(files) != 2 {
				t.Fatalf("checkpoint %d has no .state file: %+v", kp.latest.CheckpointID, stateFiles(kp.latest))
			}

			for _, file := range files {
				kind, rel := file[0], file[1]
				for _, d := range damages {
					t.Run(kind+"/"+d.name, func(t *testing.T) {
						dir := t.TempDir()
						out, cp := filepath.Join(dir, "out"), filepath.Join(dir, "cp")
						copyTree(t, killedOut, out)
						copyTree(t, killedCp, cp)
						d.apply(t, filepath.Join(cp, filepath.FromSlash(rel)))

						checkListing(t, bin, cp, kp, path.Base(rel))

						log := runToEnd(t, bin, "--restore", "latest", "-e", script(backend, out, cp))
						m := usingRE.FindStringSubmatch(log)
						if m == nil || m[1] != fmt.Sprint(kp.previous.CheckpointID) {
							t.Fatalf("want a restore of checkpoint %d (the one before the damaged %d), got:\n%s",
								kp.previous.CheckpointID, kp.latest.CheckpointID, log)
						}
						if !strings.Contains(log, fmt.Sprintf("checkpoint %d (", kp.latest.CheckpointID)) || !strings.Contains(log, path.Base(rel)) {
							t.Fatalf("the warning does not name checkpoint %d and its damaged file %s:\n%s", kp.latest.CheckpointID, path.Base(rel), log)
						}
						if got := testkit.CommittedLines(t, out); strings.Join(got, "\n") != strings.Join(want, "\n") {
							t.Fatalf("output differs from the uninterrupted run: %d rows, want %d (first difference: %s)",
								len(got), len(want), firstDiff(want, got))
						}
					})
				}
			}
		})
	}
}

// checkListing runs `streamsql checkpoints -verify CP`: the damaged
// latest checkpoint is not complete and its note names the damaged file;
// the previous one is the latest complete one.
func checkListing(t *testing.T, bin, cp string, kp killPoint, file string) {
	t.Helper()
	list := runToEnd(t, bin, "checkpoints", "-verify", cp)
	note := regexp.MustCompile(fmt.Sprintf(`(?m)^checkpoint %d \(.*\): (damaged|incomplete): .*%s.*$`, kp.latest.CheckpointID, regexp.QuoteMeta(file)))
	latest := regexp.MustCompile(fmt.Sprintf(`(?m)^\S+\s+%d\s+checkpoint\s+complete \(latest\)`, kp.previous.CheckpointID))
	if !note.MatchString(list) || !latest.MatchString(list) {
		t.Fatalf("streamsql checkpoints -verify should show checkpoint %d damaged or incomplete, naming %s, and %d as the latest complete one:\n%s",
			kp.latest.CheckpointID, file, kp.previous.CheckpointID, list)
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
