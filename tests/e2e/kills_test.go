package e2e

import (
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

// seedEnv names the environment variable that fixes the seed of the kill
// points, to repeat a run: the test logs the seed it used.
const seedEnv = "STREAMSQL_E2E_SEED"

// plannedKills is how many processes killProcesses kills before it lets
// one run to the end.
const plannedKills = 4

// killRNG returns the random source of the kill points, seeded from
// seedEnv when it is set and from the clock otherwise; the seed goes to
// the test log either way.
func killRNG(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: not an unsigned integer", seedEnv, s)
		}
		seed = v
	}
	t.Logf("kill points from seed %d (repeat with %s=%d)", seed, seedEnv, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// checkRestored fails t unless output, of a process started with
// --restore latest while the checkpoint directory held the complete
// checkpoints latest, shows each of the jobs restoring the newest of them:
// one "attempt 1 restores checkpoint <id> (<dir>)" line per job whose id
// and directory are latest's, and no attempt that started from the
// beginning.
func checkRestored(t *testing.T, proc int, output string, jobs int, latest map[string]int64) {
	t.Helper()
	restores, startedOver := testkit.Restores(output)
	if startedOver != "" {
		t.Fatalf("process %d started over instead of restoring: %q\n%s", proc, startedOver, output)
	}
	restored := map[string]int64{}
	for _, r := range restores {
		if r.Attempt != 1 || filepath.Base(r.Dir) != fmt.Sprintf("chk-%d", r.ID) {
			t.Errorf("process %d: unexpected restore line %q", proc, r.Line)
		}
		if _, dup := restored[r.Job]; dup {
			t.Errorf("process %d: job directory %s restored twice", proc, r.Job)
		}
		restored[r.Job] = r.ID
	}
	if len(restored) != jobs || fmt.Sprint(restored) != fmt.Sprint(latest) {
		t.Fatalf("process %d restored %v (job directory: checkpoint id), want the latest complete checkpoints %v of %d jobs:\n%s",
			proc, restored, latest, jobs, output)
	}
	t.Logf("process %d restored checkpoints %v (job directory: checkpoint id)", proc, restored)
}

// killProcesses runs the streamsql binary bin on script with checkpoints
// under root until it finishes, and returns how many processes it
// killed. It kills plannedKills processes with SIGKILL, each after every
// one of the jobs jobs completed a checkpoint in that process, at a point
// drawn from rng within interval (the checkpoint interval) after that;
// every later process starts with --restore latest and must restore the
// latest checkpoint of each job (checkRestored). A process that fails, or
// a job that finishes before the planned kills, fails t.
func killProcesses(t *testing.T, bin, script, root string, jobs int, interval time.Duration, rng *rand.Rand) int {
	t.Helper()
	for proc := 0; ; proc++ {
		args := []string{"-e", script}
		if proc > 0 {
			args = append([]string{"--restore", "latest"}, args...)
		}
		before := testkit.CompletedCheckpoints(t, root)
		p := testkit.StartProcess(t, exec.Command(bin, args...))
		if proc < plannedKills {
			if !testkit.WaitForNewCheckpoints(t, p, root, before, jobs) {
				t.Fatalf("the job finished after %d of %d planned kills: make the input larger\n%s", proc, plannedKills, p.Output())
			}
			time.Sleep(time.Duration(rng.Int64N(int64(interval))))
			p.Kill()
			t.Logf("process %d killed after checkpoints %v", proc, testkit.CompletedCheckpoints(t, root).LatestByJob())
			if p.Err() == nil {
				t.Fatalf("the job finished before kill %d of %d: make the input larger\n%s", proc+1, plannedKills, p.Output())
			}
		} else {
			select {
			case <-p.Done():
				if err := p.Err(); err != nil {
					t.Fatalf("process %d failed: %v\n%s", proc, err, p.Output())
				}
			case <-time.After(3 * time.Minute):
				p.Kill()
				t.Fatalf("process %d hung:\n%s", proc, p.Output())
			}
		}
		if proc > 0 {
			checkRestored(t, proc, p.Output(), jobs, before.LatestByJob())
		}
		if proc == plannedKills {
			return proc
		}
	}
}
