package server

import (
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
)

// TestRunOfStagedJobMustBeStopped: a submission of a staged job's run is
// refused while a unit of that run (same storage id, same run id) still
// runs, naming the units; continuing it from its checkpoints is refused
// when a unit of the run's latest submission was stopped with a
// savepoint, and starting it anew once it ran; other jobs and runs do
// not matter.
func TestRunOfStagedJobMustBeStopped(t *testing.T) {
	s, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	second := first.Add(time.Hour)
	put := func(id, job string, run int64, status, savepoint string, submitted time.Time) {
		t.Helper()
		rec := JobRecord{ID: id, Status: status, Savepoint: savepoint, Submitted: submitted,
			Unit: &UnitInfo{Stage: 0, Unit: 0, Job: job, Run: run}}
		if err := s.reg.update(id, func(r *JobRecord) { *r = rec }); err != nil {
			t.Fatal(err)
		}
	}
	put("u1", "job-a", 7, string(engine.JobRunning), "", first)
	put("u2", "job-a", 7, string(engine.JobStopped), "", first)
	put("other-run", "job-a", 8, string(engine.JobRunning), "", first)
	put("other-job", "job-b", 7, string(engine.JobRunning), "", first)
	err = s.checkRunStopped("job-a", 7, true)
	if err == nil || !strings.Contains(err.Error(), "job job-a (run 7) still runs as units u1:") || !strings.Contains(err.Error(), "stop the job first") {
		t.Fatalf("a run with a running unit: %v", err)
	}
	if strings.Contains(err.Error(), "u2") || strings.Contains(err.Error(), "other") {
		t.Errorf("the refusal names units that do not run in the run: %v", err)
	}

	// Stopped, one with a savepoint: continuing is refused, a new start
	// of the run is not.
	put("u1", "job-a", 7, string(engine.JobStopped), "/sp/savepoint-1", first)
	err = s.checkRunStopped("job-a", 7, true)
	if err == nil || !strings.Contains(err.Error(), "u1 (/sp/savepoint-1)") || !strings.Contains(err.Error(), "stopped with a savepoint") {
		t.Fatalf("continuing after a savepoint stop: %v", err)
	}
	// Starting a run that ran before anew is refused: its topics hold
	// the earlier units' rows.
	err = s.checkRunStopped("job-a", 7, false)
	if err == nil || !strings.Contains(err.Error(), "ran before as units") || !strings.Contains(err.Error(), "'execution.savepoint.path' = 'latest'") {
		t.Errorf("starting the run anew: %v", err)
	}
	if err := s.checkRunStopped("job-a", 9, false); err != nil {
		t.Errorf("a run of its own: %v", err)
	}
	// Once the run was continued (a later submission), the earlier
	// savepoint no longer matters.
	put("u3", "job-a", 7, string(engine.JobStopped), "", second)
	if err := s.checkRunStopped("job-a", 7, true); err != nil {
		t.Errorf("continuing after a later submission of the run: %v", err)
	}
}
