package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// The REST API. Every response is JSON; an error is {"error": "..."} with
// a 4xx or 5xx status. REST.md documents each endpoint with examples.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/jobs", s.listJobs)
	mux.HandleFunc("GET /v1/jobs/{id}", s.getJob)
	mux.HandleFunc("GET /v1/jobs/{id}/checkpoints", s.getCheckpoints)
	mux.HandleFunc("GET /v1/jobs/{id}/exceptions", s.getExceptions)
	mux.HandleFunc("POST /v1/jobs/{id}/stop", s.stopJob)
	mux.HandleFunc("POST /v1/jobs/{id}/savepoints", s.triggerSavepoint)
	mux.HandleFunc("GET /v1/cluster", s.getCluster) // cluster.go
	mux.HandleFunc("POST /v1/statements", s.submit)
	mux.HandleFunc("POST /v1/sessions", s.openSession)                    // sessions.go
	mux.HandleFunc("POST /v1/sessions/{sid}/statements", s.sessionSubmit) // sessions.go
	mux.HandleFunc("DELETE /v1/sessions/{sid}", s.closeSession)           // sessions.go
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s (see REST.md)", r.Method, r.URL.Path))
	})
}

// jobView is a job's record and where it runs.
type jobView struct {
	rec   JobRecord
	owner string // the id of the server that runs it; "" without a cluster
	local bool   // this server runs it (its registry holds it)
}

func (s *Server) summary(v jobView) api.JobSummary {
	rec := v.rec
	js := api.JobSummary{ID: rec.ID, Name: rec.Name, Status: rec.Status, Error: rec.Error,
		Submitted: rec.Submitted, Ended: rec.Ended, Resumes: rec.Resumes, Owner: v.owner, Epoch: rec.Epoch}
	if !v.local {
		return js
	}
	if l := s.liveJob(rec.ID); l != nil {
		js.RowsIn, js.RowsOut, _ = l.job.Counts()
		js.Restarts = l.job.Restarts()
		if md := l.job.LastCheckpoint(); md != nil {
			js.LastCheckpoint = md.CheckpointID
		}
		if st, _ := l.job.Status(); st == engine.JobRestarting && rec.Status == string(engine.JobRunning) {
			js.Status = string(st)
		}
	}
	return js
}

// jobViews lists this server's jobs and, when clustered, the other
// servers' jobs, oldest submission first.
func (s *Server) jobViews() []jobView {
	own := s.ownerID()
	var out []jobView
	seen := map[string]bool{}
	for _, rec := range s.reg.list() {
		out = append(out, jobView{rec: rec, owner: own, local: true})
		seen[rec.ID] = true
	}
	if s.cluster != nil {
		for _, rj := range s.cluster.remoteJobs() {
			if !seen[rj.rec.ID] {
				out = append(out, jobView{rec: rj.rec, owner: rj.owner})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		ra, rb := out[a].rec, out[b].rec
		if !ra.Submitted.Equal(rb.Submitted) {
			return ra.Submitted.Before(rb.Submitted)
		}
		return ra.ID < rb.ID
	})
	return out
}

// ownerID is this server's id in its cluster ("" without a cluster).
func (s *Server) ownerID() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.id
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	out := []api.JobSummary{}
	for _, v := range s.jobViews() {
		out = append(out, s.summary(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out})
}

// record finds the record of the request's {id} (this server's, or
// another server's of the cluster), or answers 404.
func (s *Server) record(w http.ResponseWriter, r *http.Request) (jobView, bool) {
	id := r.PathValue("id")
	if rec, ok := s.reg.get(id); ok {
		return jobView{rec: rec, owner: s.ownerID(), local: true}, true
	}
	if s.cluster != nil {
		if rj, ok := s.cluster.remoteJob(id); ok {
			return jobView{rec: rj.rec, owner: rj.owner}, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no job %s", id))
	return jobView{}, false
}

// getJob answers a job's record and, when this server runs it, its live
// figures (another server's job: the record only).
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	v, ok := s.record(w, r)
	if !ok {
		return
	}
	rec := v.rec
	d := api.JobDetail{JobSummary: s.summary(v), Savepoint: rec.Savepoint, Vertices: []api.VertexView{}}
	for _, st := range rec.Statements {
		d.Statements = append(d.Statements, sql.MaskSecrets(st))
	}
	if l := s.liveJob(rec.ID); v.local && l != nil {
		_, _, wm := l.job.Counts()
		d.Watermark = watermarkText(wm)
		d.LateRows, d.Skipped = l.job.LateRows(), l.job.SkippedRows()
		for _, v := range l.job.Vertices() {
			d.Vertices = append(d.Vertices, vertexView(v))
		}
	}
	writeJSON(w, http.StatusOK, d)
}

// vertexView is the REST form of an operator's figures.
func vertexView(v engine.VertexStats) api.VertexView {
	vv := api.VertexView{ID: v.ID, Name: v.Name, Parallelism: v.Parallelism, Status: v.Status, Inputs: []api.InputView{},
		RowsIn: v.RowsIn, RowsOut: v.RowsOut, RowsInPerSec: round2(v.RowsInPerSec), RowsOutPerSec: round2(v.RowsOutPerSec),
		BusyRatio: round3(v.BusyRatio), BackpressureRatio: round3(v.BackpressureRatio),
		Backpressure: backpressureLevel(v.BackpressureRatio), LateRows: v.LateRows, Skipped: v.SkippedRows,
		Watermark: watermarkText(v.Watermark), StateBytes: v.StateBytes, PendingRecords: known(v.PendingRecords),
		Subtasks: []api.SubtaskView{}}
	for _, in := range v.Inputs {
		vv.Inputs = append(vv.Inputs, api.InputView{From: in.From, Partitioning: in.Partitioning, Key: in.Key, Chained: in.Chained})
	}
	for _, st := range v.Subtasks {
		sv := api.SubtaskView{Subtask: st.Index, Status: st.Status, RowsIn: st.RowsIn, RowsOut: st.RowsOut,
			RowsInPerSec: round2(st.RowsInPerSec), RowsOutPerSec: round2(st.RowsOutPerSec),
			BusyRatio: round3(st.BusyRatio), BackpressureRatio: round3(st.BackpressureRatio), IdleRatio: round3(st.IdleRatio),
			LateRows: st.LateRows, Skipped: st.SkippedRows, Watermark: watermarkText(st.Watermark),
			StateBytes: st.StateBytes, PendingRecords: known(st.PendingRecords), Commits: st.Commits}
		if v.Sink && st.Commits > 0 {
			ms := round3(float64(st.LastCommit) / float64(time.Millisecond))
			sv.LastCommitMs = &ms
		}
		vv.Subtasks = append(vv.Subtasks, sv)
	}
	return vv
}

// backpressureLevel is Flink's reading of a backpressure ratio: "ok" up
// to 10%, "low" up to 50%, "high" above.
func backpressureLevel(ratio float64) string {
	switch {
	case ratio <= 0.1:
		return "ok"
	case ratio <= 0.5:
		return "low"
	}
	return "high"
}

func known(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// watermarkText renders a watermark as a timestamp (nil: none yet).
func watermarkText(wm int64) *string {
	var s string
	switch wm {
	case exec.MinWatermark:
		return nil
	case exec.MaxWatermark:
		s = "+inf (end of input)"
	default:
		s = types.Render(types.TimestampValue(wm), types.Timestamp)
	}
	return &s
}

func (s *Server) getCheckpoints(w http.ResponseWriter, r *http.Request) {
	v, ok := s.record(w, r)
	if !ok {
		return
	}
	rec := v.rec
	out := []api.CheckpointView{}
	var completed, failed int64
	if l := s.liveJob(rec.ID); v.local && l != nil {
		var hist []engine.CheckpointStats
		hist, completed = l.job.Checkpoints()
		failed = l.job.FailedCheckpoints()
		for _, c := range hist {
			out = append(out, checkpointView(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"completed": completed, "failed": failed, "history": out})
}

// checkpointView is the REST form of a checkpoint's figures.
func checkpointView(c engine.CheckpointStats) api.CheckpointView {
	cv := api.CheckpointView{ID: c.ID, Savepoint: c.Savepoint, Status: "COMPLETED", TriggeredAt: c.TriggeredAt,
		CompletedAt: c.CompletedAt, DurationMs: c.Duration().Milliseconds(), Size: c.Size, IncrementalSize: c.IncrementalSize,
		AlignmentMs: round3(float64(c.Alignment) / float64(time.Millisecond))}
	if c.Failed {
		cv.Status, cv.Failure = "FAILED", c.Failure
	}
	if a := c.Slowest; a != nil {
		cv.Slowest = &api.SubtaskAckView{VertexID: a.VertexID, Vertex: a.Vertex, Subtask: a.Subtask,
			AckMs: a.Ack.Milliseconds(), AlignmentMs: round3(float64(a.Alignment) / float64(time.Millisecond)), StateBytes: a.StateBytes}
	}
	return cv
}

func (s *Server) getExceptions(w http.ResponseWriter, r *http.Request) {
	v, ok := s.record(w, r)
	if !ok {
		return
	}
	rec := v.rec
	attempts := []api.AttemptView{}
	restarts := 0
	if l := s.liveJob(rec.ID); v.local && l != nil {
		restarts = l.job.Restarts()
		for _, a := range l.job.Attempts() {
			attempts = append(attempts, api.AttemptView{Restart: a.Restart, RestoredID: a.RestoredID,
				RestoredSavepoint: a.RestoredSavepoint, RestoredPath: a.RestoredPath, Parallelism: a.Parallelism})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"error": rec.Error, "restarts": restarts, "attempts": attempts})
}

// runningJob finds the record of the request's {id} and its running
// job, or answers 404 (no such job) or 409 (it does not run, or it runs
// on another server of the cluster).
func (s *Server) runningJob(w http.ResponseWriter, r *http.Request) (JobRecord, *liveJob, bool) {
	v, ok := s.record(w, r)
	if !ok {
		return v.rec, nil, false
	}
	if v.owner != "" && !v.local {
		writeError(w, http.StatusConflict, fmt.Sprintf("job %s runs on server %s: only that server serves this request", v.rec.ID, v.owner))
		return v.rec, nil, false
	}
	l := s.liveJob(v.rec.ID)
	if l == nil || l.job.Ended() {
		writeError(w, http.StatusConflict, fmt.Sprintf("job %s is not running (%s)", v.rec.ID, v.rec.Status))
		return v.rec, nil, false
	}
	return v.rec, l, true
}

// errNotRunning: the job to stop does not run in this process.
var errNotRunning = errors.New("the job is not running")

// errHandedOver: the unit to stop was being handed over to another
// server, past the point where a stop keeps it here (rebalance.go): its
// new owner stops it.
var errHandedOver = errors.New("the unit was being handed over to another server")

// unitStopTimeout bounds the last checkpoint of a unit being stopped.
const unitStopTimeout = 30 * time.Second

// stopLocal stops a job running in this process (after a savepoint, and
// draining its windows first, when asked; a unit of a staged job without
// a savepoint after a last checkpoint), records it STOPPED and returns the
// savepoint's path. A failed savepoint leaves the job running.
func (s *Server) stopLocal(id string, savepoint, drain bool) (string, error) {
	l := s.liveJob(id)
	if l == nil {
		return "", errNotRunning
	}
	s.mu.Lock()
	switch {
	case l.handedOver || l.moving && savepoint:
		s.mu.Unlock()
		return "", errHandedOver
	case !l.moving && l.job.Ended():
		s.mu.Unlock()
		return "", errNotRunning
	}
	moving := l.moving
	l.stopping = true
	s.mu.Unlock()
	path := ""
	if moving {
		// handOver is stopping it with a last checkpoint; seeing the
		// stop, it hands nothing over.
	} else if savepoint {
		p, err := l.job.Savepoint(true, drain)
		if err != nil {
			s.mu.Lock()
			l.stopping = false
			s.mu.Unlock()
			if l.job.Ended() { // it ended otherwise meanwhile
				s.recordEnd(id, l.job)
			}
			return "", fmt.Errorf("savepoint failed, the job goes on: %w", err)
		}
		path = p
	} else if rec, ok := s.reg.get(id); ok && rec.Unit != nil {
		// A unit stops with a last checkpoint, which its job continues
		// from (perhaps at another number of units: stages.go).
		if err := l.job.StopWithCheckpoint(unitStopTimeout); err != nil {
			s.cfg.Logger.Warn("the unit's last checkpoint failed; it stopped without one", "job", id, "error", err.Error())
		}
	} else {
		l.job.Stop()
	}
	<-l.job.Done()
	s.updateJob(id, func(r *JobRecord) {
		r.end(string(engine.JobStopped), nil)
		r.Savepoint = path
	})
	s.cfg.Logger.Info("job stopped", "job", id, "savepoint", path)
	return path, nil
}

// stopJob stops a job of this server, or asks the server that runs it
// through the cluster's command log and waits for its record to show
// the job stopped (at most Config.ClusterStopTimeout). With all_units, a
// unit of a job cut into stages stops every running unit of its run, at
// once, each with a last checkpoint (stopUnits).
func (s *Server) stopJob(w http.ResponseWriter, r *http.Request) {
	v, ok := s.record(w, r)
	if !ok {
		return
	}
	var req api.StopRequest
	if err := decodeOptional(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.AllUnits {
		s.stopUnits(w, r, v, req)
		return
	}
	out := s.stopOne(r.Context(), v, req)
	if out.err != nil {
		writeError(w, out.err.code, out.err.msg)
		return
	}
	writeJSON(w, http.StatusOK, out.result())
}

// stopOutcome is what stopping one job did: its record's id, status,
// savepoint and owner, or the error to answer with.
type stopOutcome struct {
	id, status, savepoint, owner string
	err                          *stopError
}

func (o stopOutcome) result() map[string]any {
	out := map[string]any{"id": o.id, "status": o.status, "savepoint": o.savepoint}
	if o.owner != "" {
		out["owner"] = o.owner
	}
	return out
}

// stopOne stops job v: here when this server runs it, else through its
// owner (stopRemote).
func (s *Server) stopOne(ctx context.Context, v jobView, req api.StopRequest) stopOutcome {
	remote := func(rj remoteJob) stopOutcome {
		rec, err := s.stopRemote(ctx, rj, req.Savepoint, req.Drain, s.cfg.ClusterStopTimeout)
		if err != nil {
			var se *stopError
			if !errors.As(err, &se) {
				se = &stopError{http.StatusInternalServerError, err.Error()}
			}
			return stopOutcome{id: rj.rec.ID, err: se}
		}
		return stopOutcome{id: rec.ID, status: rec.Status, savepoint: rec.Savepoint, owner: rj.owner}
	}
	if !v.local {
		if v.rec.Status != string(engine.JobRunning) {
			return stopOutcome{id: v.rec.ID, err: &stopError{http.StatusConflict, fmt.Sprintf("job %s is not running (%s on server %s)", v.rec.ID, v.rec.Status, v.owner)}}
		}
		return remote(remoteJob{owner: v.owner, rec: v.rec})
	}
	path, err := s.stopLocal(v.rec.ID, req.Savepoint, req.Drain)
	if errors.Is(err, errHandedOver) {
		// Its new owner stops it, once this server knows the new owner.
		if rj, ok := s.awaitRemote(ctx, v.rec.ID, s.cfg.ClusterStopTimeout); ok {
			return remote(rj)
		}
	}
	switch {
	case errors.Is(err, errNotRunning):
		return stopOutcome{id: v.rec.ID, err: &stopError{http.StatusConflict, fmt.Sprintf("job %s is not running (%s)", v.rec.ID, v.rec.Status)}}
	case err != nil:
		return stopOutcome{id: v.rec.ID, err: &stopError{http.StatusInternalServerError, err.Error()}}
	}
	return stopOutcome{id: v.rec.ID, status: string(engine.JobStopped), savepoint: path, owner: v.owner}
}

// stopUnits stops every running unit of the run unit v belongs to (on
// this server and the others), all at once, each with a last checkpoint,
// so that the job can be continued from them (at another number of units
// too: SCALEOUT.md). It answers with every unit's outcome; the status is
// the first failure's when a unit could not be stopped.
func (s *Server) stopUnits(w http.ResponseWriter, r *http.Request, v jobView, req api.StopRequest) {
	u := v.rec.Unit
	switch {
	case u == nil:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("job %s is not a unit of a job cut into stages: all_units stops a staged job's units", v.rec.ID))
		return
	case u.Job == "" || u.Run == 0:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unit %s was submitted by an earlier release, whose records do not say which units share its run: stop each unit", v.rec.ID))
		return
	case req.Savepoint:
		writeError(w, http.StatusBadRequest, "all_units stops each unit with a last checkpoint, which the job continues from; a unit stopped with a savepoint cannot be continued (its sinks commit past its last checkpoint): leave savepoint out")
		return
	}
	var units []jobView
	for _, o := range s.jobViews() {
		if ou := o.rec.Unit; ou != nil && ou.Job == u.Job && ou.Run == u.Run && o.rec.Status == string(engine.JobRunning) {
			units = append(units, o)
		}
	}
	if len(units) == 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("no unit of job %s (run %d) is running", u.Job, u.Run))
		return
	}
	outs := make([]stopOutcome, len(units))
	var wg sync.WaitGroup
	for i, o := range units {
		wg.Go(func() { outs[i] = s.stopOne(r.Context(), o, api.StopRequest{}) })
	}
	wg.Wait()
	res := make([]map[string]any, len(outs))
	var failed *stopError
	for i, o := range outs {
		if o.err != nil {
			res[i] = map[string]any{"id": o.id, "error": o.err.msg}
			if failed == nil {
				failed = o.err
			}
			continue
		}
		res[i] = o.result()
	}
	code := http.StatusOK
	if failed != nil {
		code = failed.code
	}
	writeJSON(w, code, map[string]any{"job": u.Job, "run": u.Run, "units": res})
}

func (s *Server) triggerSavepoint(w http.ResponseWriter, r *http.Request) {
	rec, l, ok := s.runningJob(w, r)
	if !ok {
		return
	}
	p, err := l.job.Savepoint(false, false)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "savepoint failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": rec.ID, "savepoint": p})
}

// submit runs a script in a new session of its own (see run).
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	s.run(w, r, &session{eng: s.newSession(nil, nil, nil)})
}

// run runs the script of a POST .../statements request in sess: setup
// statements (CREATE, SET, ...) shape the session; each INSERT or
// statement set becomes a job the server owns; SHOW, DESCRIBE, EXPLAIN
// and HELP answer with their text or rows (SHOW CLUSTER: the cluster's
// servers, showCluster; SHOW JOBS, STOP JOB and TRIGGER SAVEPOINT are
// left to the job endpoints); a SELECT over bounded inputs
// answers with its final rows. A SELECT over an unbounded input must be
// the script's last statement: the response then streams its changelog
// (streamQuery). It stops at the first failing statement (400, with the
// results so far; jobs already started keep running).
func (s *Server) run(w http.ResponseWriter, r *http.Request, sess *session) {
	var req api.SubmitRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be JSON: {\"statements\": \"CREATE TABLE ...; INSERT INTO ...;\"}: "+err.Error())
		return
	}
	pieces := sql.Split(req.Statements)
	if len(pieces) == 0 {
		writeError(w, http.StatusBadRequest, "no statement to run")
		return
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	eng := sess.eng
	results := []api.StatementResult{}
	fail := func(i int, err error) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "statement": i + 1, "results": results})
	}
	for i, p := range pieces {
		st, err := eng.Prepare(p)
		if err != nil {
			fail(i, err)
			return
		}
		switch st := st.(type) {
		case *sql.Query:
			bounded, err := eng.IsBounded(st)
			if err != nil {
				fail(i, err)
				return
			}
			if !bounded {
				if i != len(pieces)-1 {
					fail(i, errors.New("a SELECT over an unbounded input streams its rows until the client goes away: it must be the last statement of a request"))
					return
				}
				s.streamQuery(w, r, eng, st, i+1, results) // sessions.go
				return
			}
			schema, rows, err := eng.RunQuery(r.Context(), st, nil)
			if err != nil {
				fail(i, err)
				return
			}
			results = append(results, rowsResult(i+1, schema, rows))
			continue
		case *sql.ShowCluster:
			results = append(results, s.showCluster(i+1)) // cluster.go
			continue
		case *sql.StopJob, *sql.TriggerSavepoint, *sql.ShowJobs:
			fail(i, errors.New("jobs of the server are managed with GET /v1/jobs, POST /v1/jobs/{id}/stop and POST /v1/jobs/{id}/savepoints"))
			return
		case *sql.Quit:
			continue
		}
		if !isSetup(st) {
			units, err := eng.StageUnits(st)
			if err != nil {
				fail(i, err)
				return
			}
			if len(units) > 0 {
				recs, err := s.submitStaged(sess, st, p.Text, units) // stages.go
				if err != nil {
					fail(i, err)
					return
				}
				out := api.StatementResult{Statement: i + 1, JobID: recs[0].ID}
				ids := make([]string, len(recs))
				for k, r := range recs {
					ids[k] = r.ID
				}
				out.Message = fmt.Sprintf("Job submitted in %d units: %s", len(recs), strings.Join(ids, ", "))
				s.cfg.Logger.Info("job submitted in units", "jobs", strings.Join(ids, ","))
				results = append(results, out)
				continue
			}
		}
		res, err := eng.Execute(context.Background(), st, engine.ExecOptions{Sync: isSetup(st)})
		if err != nil {
			fail(i, err)
			return
		}
		out := rowsResult(i+1, res.Schema, res.Rows)
		out.Message, out.Text = res.Message, res.Text
		switch {
		case isSetup(st):
			sess.setup = append(sess.setup, p.Text)
		case res.Job != nil:
			j := res.Job
			out.JobID = j.ID
			stmts := append(append([]string(nil), sess.setup...), p.Text)
			if err := s.updateJob(j.ID, func(r *JobRecord) {
				r.Name, r.Statements, r.Status, r.Submitted = j.Name, stmts, string(engine.JobRunning), j.Started
				if s.cluster != nil {
					r.Epoch, r.IDBase = 1, j.IDBase()
				}
			}); err != nil {
				j.Stop()
				writeError(w, http.StatusInternalServerError, "the job could not be registered, so it was stopped: "+err.Error())
				return
			}
			s.track(j.ID, eng, j)
			s.cfg.Logger.Info("job submitted", "job", j.ID, "name", j.Name)
		}
		results = append(results, out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// rowsResult renders a statement's rows (none: only its number).
func rowsResult(n int, schema types.Schema, rows [][]types.Value) api.StatementResult {
	out := api.StatementResult{Statement: n}
	for _, c := range schema {
		out.Columns = append(out.Columns, c.Name)
	}
	for _, row := range rows {
		out.Rows = append(out.Rows, renderRow(schema, row))
	}
	return out
}

func renderRow(schema types.Schema, row []types.Value) []string {
	cells := make([]string, len(row))
	for k, v := range row {
		if v.IsNull() {
			cells[k] = "NULL"
			continue
		}
		cells[k] = types.Render(v, schema[k].Type)
	}
	return cells
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(v); err != nil {
		return fmt.Errorf("the body must be JSON: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": strings.TrimSpace(msg)})
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
