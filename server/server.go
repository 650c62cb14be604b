package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/metrics"
	"github.com/streamsql/streamsql/sql"
)

// Config configures a Server.
type Config struct {
	// Listen is the address the command serves on (checked by New: any
	// address but loopback needs AuthToken).
	Listen string
	// DataDir holds the job registry and, by default, the checkpoints.
	DataDir string
	// AuthToken, when set, is required as a bearer token on every request.
	AuthToken string
	// Stdout receives print-sink rows; Log the server's and the jobs'
	// messages. Default: io.Discard for both.
	Stdout, Log io.Writer
	// CheckpointInterval is the interval of jobs whose statements set
	// none (default 10 s).
	CheckpointInterval time.Duration
}

// Server owns jobs and serves the REST API and metrics.
type Server struct {
	cfg Config
	reg *registry

	mu      sync.Mutex
	live    map[string]*liveJob // by record id
	closing bool
	wg      sync.WaitGroup // watchers
}

// liveJob is a job running in this process: its record's id, the session
// engine that runs it and the engine's job.
type liveJob struct {
	id  string
	eng *engine.Engine
	job *engine.Job
}

// New opens the registry under cfg.DataDir. It refuses a non-loopback
// listen address without a token.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is required (--data-dir)")
	}
	if cfg.Listen != "" && cfg.AuthToken == "" && !loopback(cfg.Listen) {
		return nil, fmt.Errorf("server: listening on %s (not a loopback address) needs a token: pass --auth-token or set STREAMSQL_AUTH_TOKEN", cfg.Listen)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 10 * time.Second
	}
	reg, err := openRegistry(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, reg: reg, live: map[string]*liveJob{}}, nil
}

// loopback reports whether addr (host:port) is on a loopback interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Start starts again every job the registry lists as running, from its
// newest complete checkpoint. A job that cannot start is marked FAILED
// with the reason; Start returns the first such error after trying all.
func (s *Server) Start() error {
	var first error
	for _, rec := range s.reg.list() {
		if rec.Status != string(engine.JobRunning) {
			continue
		}
		if err := s.resume(rec); err != nil {
			s.logf("job %s: cannot resume: %v", rec.ID, err)
			s.reg.update(rec.ID, func(r *JobRecord) {
				r.Status, r.Error = string(engine.JobFailed), "cannot resume: "+err.Error()
				now := time.Now()
				r.Ended = &now
			})
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// resume runs a record's statements in a new session that restores the
// job's latest checkpoint.
func (s *Server) resume(rec JobRecord) error {
	eng := s.newSession()
	if len(rec.Statements) == 0 {
		return errors.New("the record holds no statements")
	}
	for i, text := range rec.Statements {
		last := i == len(rec.Statements)-1
		if last {
			// Only the job restores: the setup statements (INSERTs
			// into in-memory tables among them) run as submitted.
			if err := eng.Config().Set("execution.savepoint.path", "latest"); err != nil {
				return err
			}
		}
		res, err := s.execText(eng, text)
		if err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
		if last {
			if res == nil || res.Job == nil {
				return errors.New("the last statement started no job")
			}
			s.reg.update(rec.ID, func(r *JobRecord) { r.Resumes++ })
			s.track(rec.ID, eng, res.Job)
			s.logf("job %s: resumed (%s)", rec.ID, rec.Name)
		}
	}
	return nil
}

// execText compiles and runs one statement in eng (not a SELECT).
func (s *Server) execText(eng *engine.Engine, text string) (*engine.Result, error) {
	pieces := sql.Split(text)
	if len(pieces) != 1 {
		return nil, fmt.Errorf("expected one statement, found %d", len(pieces))
	}
	st, err := eng.Prepare(pieces[0])
	if err != nil {
		return nil, err
	}
	return eng.Execute(context.Background(), st, engine.ExecOptions{Sync: isSetup(st)})
}

// newSession is a fresh engine with the server's defaults: checkpoints
// under the data directory, every job checkpointing.
func (s *Server) newSession() *engine.Engine {
	eng := engine.New(engine.Options{Stdout: s.cfg.Stdout, Stderr: s.cfg.Log})
	conf := eng.Config()
	conf.Set("state.checkpoints.dir", filepath.Join(s.cfg.DataDir, "checkpoints"))
	conf.Set("execution.checkpointing.interval", s.cfg.CheckpointInterval.String())
	return eng
}

// track registers a running job and watches it until it ends.
func (s *Server) track(id string, eng *engine.Engine, j *engine.Job) {
	s.mu.Lock()
	s.live[id] = &liveJob{id: id, eng: eng, job: j}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		<-j.Done()
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			return // stays RUNNING: the next start resumes it
		}
		st, err := j.Status()
		s.reg.update(id, func(r *JobRecord) {
			r.Status = string(st)
			if err != nil {
				r.Error = err.Error()
			}
			now := time.Now()
			r.Ended = &now
		})
		s.logf("job %s: %s", id, st)
	}()
}

// metricsJobs lists the jobs running in this process for /metrics,
// under their record ids.
func (s *Server) metricsJobs() []metrics.Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]metrics.Job, 0, len(s.live))
	for _, l := range s.live {
		out = append(out, metrics.Job{ID: l.id, Job: l.job})
	}
	return out
}

// liveJob returns the running job of a record (nil when it does not run
// in this process).
func (s *Server) liveJob(id string) *liveJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live[id]
}

// Shutdown stops every running job after a last checkpoint, leaving it
// RUNNING in the registry so that the next Start resumes it, and waits
// for them (at most timeout per job for the checkpoint).
func (s *Server) Shutdown(timeout time.Duration) {
	s.mu.Lock()
	s.closing = true
	var jobs []*liveJob
	for _, l := range s.live {
		jobs = append(jobs, l)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, l := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-l.job.Done():
				return
			default:
			}
			if err := l.job.StopWithCheckpoint(timeout); err != nil {
				s.logf("job %s: stopped without a last checkpoint: %v", l.id, err)
			}
		}()
	}
	wg.Wait()
	s.wg.Wait()
}

// Handler serves the REST API (/v1/...) and the metrics (/metrics).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux) // api.go
	mux.Handle("GET /metrics", metrics.Handler(s.metricsJobs))
	return s.authorize(mux)
}

// authorize checks the bearer token on every request when one is set.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.cfg.AuthToken == "" {
		return next
	}
	want := "Bearer " + s.cfg.AuthToken
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !constantTimeEqual(r.Header.Get("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="streamsql"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong token: send the header Authorization: Bearer <token>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, time.Now().UTC().Format(time.RFC3339)+" "+format+"\n", args...)
}

// isSetup reports whether a statement sets up a session (recorded with
// the jobs that follow it and replayed when they are started again).
func isSetup(st sql.Stmt) bool {
	switch s := st.(type) {
	case *sql.CreateTable, *sql.CreateView, *sql.DropTable, *sql.DropView, *sql.Set, *sql.Reset,
		*sql.AlterTableSet, *sql.CreateIndex, *sql.DropIndex, *sql.Delete, *sql.Update:
		return true
	case *sql.Insert:
		return s.Table.IsMemory() // test data for the session's in-memory tables
	}
	return false
}
