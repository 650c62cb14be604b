package server

import (
	"net/http"
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

// TestStopAllUnitsRefusals: POST /v1/jobs/{id}/stop with all_units is for
// a unit of a staged job whose record names its run, without a
// savepoint; it acts on the running units of that run only (the others'
// records are left as they are).
func TestStopAllUnitsRefusals(t *testing.T) {
	s, ts := startServer(t, t.TempDir(), "")
	put := func(id string, unit *UnitInfo, status string) {
		t.Helper()
		rec := JobRecord{ID: id, Status: status, Submitted: time.Now(), Unit: unit}
		if err := s.reg.update(id, func(r *JobRecord) { *r = rec }); err != nil {
			t.Fatal(err)
		}
	}
	put("plain", nil, string(engine.JobRunning))
	put("old-unit", &UnitInfo{Stage: 1}, string(engine.JobRunning))
	put("stopped", &UnitInfo{Job: "job-a", Run: 5}, string(engine.JobStopped))
	put("u1", &UnitInfo{Job: "job-a", Run: 7}, string(engine.JobRunning))
	put("u2", &UnitInfo{Job: "job-a", Run: 7, Unit: 1}, string(engine.JobRunning))
	put("other-run", &UnitInfo{Job: "job-a", Run: 8}, string(engine.JobRunning))
	for _, tc := range []struct {
		id, body string
		code     int
		says     string
	}{
		{"plain", `{"all_units": true}`, http.StatusBadRequest, "is not a unit of a job cut into stages"},
		{"old-unit", `{"all_units": true}`, http.StatusBadRequest, "submitted by an earlier release"},
		{"u1", `{"all_units": true, "savepoint": true}`, http.StatusBadRequest, "leave savepoint out"},
		{"stopped", `{"all_units": true}`, http.StatusConflict, "no unit of job job-a (run 5) is running"},
	} {
		var out struct{ Error string }
		if code := call(t, "POST", ts.URL+"/v1/jobs/"+tc.id+"/stop", "", tc.body, &out); code != tc.code || !strings.Contains(out.Error, tc.says) {
			t.Errorf("stop %s with %s: %d %q, want %d saying %q", tc.id, tc.body, code, out.Error, tc.code, tc.says)
		}
	}
	// The records say u1 and u2 run, but no job runs here: the answer
	// lists both (and only them) as not running.
	var out struct {
		Run   int64
		Units []struct{ ID, Error string }
	}
	if code := call(t, "POST", ts.URL+"/v1/jobs/u2/stop", "", `{"all_units": true}`, &out); code != http.StatusConflict || out.Run != 7 || len(out.Units) != 2 {
		t.Fatalf("stop u2's run: %d %+v", code, out)
	}
	for _, u := range out.Units {
		if (u.ID != "u1" && u.ID != "u2") || !strings.Contains(u.Error, "is not running") {
			t.Errorf("unit in the answer: %+v", u)
		}
	}
	if rec, _ := s.reg.get("other-run"); rec.Status != string(engine.JobRunning) {
		t.Errorf("a unit of another run was touched: %+v", rec)
	}
}
