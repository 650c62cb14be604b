package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// TestClusterStagesSameResultsAtOneTwoThreeServers runs a windowed count
// and a running count from an 8-partition topic of 40,000 events into
// MySQL, cut into stages of three units, on clusters of one, two and
// three `streamsql server` processes, and the same jobs whole on one
// server: every run's tables must be the same, and equal to MariaDB's own
// grouping of the events.
func TestClusterStagesSameResultsAtOneTwoThreeServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs six server processes")
	}
	f := newKafkaMySQLFixtureOn(t, 40000, 8, 40000)
	bin := testkit.BuildBinary(t)
	tables := func(suffix string) (windowed, running string) {
		return queryRows(t, f.db, fmt.Sprintf("SELECT k, DATE_FORMAT(w_end, '%%Y-%%m-%%d %%H:%%i:%%s'), c, s FROM %s.windowed%s ORDER BY 1, 2", f.schema, suffix)),
			queryRows(t, f.db, fmt.Sprintf("SELECT k, c, s FROM %s.running%s ORDER BY 1", f.schema, suffix))
	}
	run := func(name string, servers int, staged bool) (windowed, running string) {
		t.Helper()
		suffix := "_" + name
		script := strings.NewReplacer("'table-name' = 'windowed'", "'table-name' = 'windowed"+suffix+"'",
			"'table-name' = 'running'", "'table-name' = 'running"+suffix+"'").Replace(f.script)
		if staged {
			script = "SET 'execution.stages.units' = '3';\n" + script
		}
		shared := t.TempDir()
		var procs []*clusterProcess
		for i := 0; i < servers; i++ {
			p := startNamedClusterServer(t, bin, "same-"+name, fmt.Sprintf("S%d", i), f.brokers, shared)
			defer p.p.Kill()
			procs = append(procs, p)
		}
		waitUntil(t, 30*time.Second, "every server up", func() bool {
			for _, p := range procs {
				if upServers(t, p.base) != servers {
					return false
				}
			}
			return true
		}, procs...)
		submitToServer(t, procs[0].base, script)
		waitUntil(t, 2*time.Minute, name+": every job finished", func() bool {
			jobs := clusterJobs(t, procs[0].base)
			owners := map[string]bool{}
			for _, j := range jobs {
				owners[j.Owner] = true
				if j.Status == "FAILED" {
					t.Fatalf("%s: job %s (%s) failed: %s", name, j.ID, j.Name, j.Error)
				}
				if j.Status != "FINISHED" {
					return false
				}
			}
			if staged && len(owners) != servers {
				t.Fatalf("%s: the units ran on %d servers, want %d", name, len(owners), servers)
			}
			return len(jobs) > 0
		}, procs...)
		return tables(suffix)
	}
	wholeW, wholeR := run("whole", 1, false)
	if strings.Count(wholeR, "\n") != 20 {
		t.Fatalf("the whole run counted %d keys, want 20:\n%s", strings.Count(wholeR, "\n"), wholeR)
	}
	for _, n := range []int{1, 2, 3} {
		w, r := run(fmt.Sprintf("staged%d", n), n, true)
		if w != wholeW || r != wholeR {
			t.Errorf("%d servers: the tables differ from the whole run's:\n--- windowed\n%.1500s\n--- want\n%.1500s\n--- running\n%s\n--- want\n%s", n, w, wholeW, r, wholeR)
		}
	}
	// And the whole run equals MariaDB's grouping of the events.
	if _, err := f.db.Exec(fmt.Sprintf("CREATE VIEW %[1]s.windowed AS SELECT * FROM %[1]s.windowed_whole", f.schema)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(fmt.Sprintf("CREATE VIEW %[1]s.running AS SELECT * FROM %[1]s.running_whole", f.schema)); err != nil {
		t.Fatal(err)
	}
	f.compare(t)
}

// startNamedClusterServer is startClusterServer for a cluster of the
// given name.
func startNamedClusterServer(t *testing.T, bin, cluster, id, brokers, checkpoints string) *clusterProcess {
	t.Helper()
	p := testkit.StartProcess(t, exec.Command(bin, "server", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--checkpoint-interval", "200ms", "--checkpoint-dir", checkpoints, "--cluster-name", cluster,
		"--cluster-bootstrap-servers", brokers, "--server-id", id, "--cluster-heartbeat", clusterHeartbeat.String()))
	return awaitListening(t, id, p)
}
