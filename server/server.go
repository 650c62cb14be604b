package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/dashboard"
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
	// Stdout receives print-sink rows (default: discarded).
	Stdout io.Writer
	// Logger receives the server's and the jobs' messages as structured
	// records, each about a job with its id in a "job" attribute
	// (default: discarded).
	Logger *slog.Logger
	// CheckpointInterval is the interval of jobs whose statements set
	// none (default 10 s).
	CheckpointInterval time.Duration
	// ProcessMemory is the process's memory budget (--memory,
	// taskmanager.memory.process.size; empty: none): every session's jobs
	// see it, so that their Pebble state gets its managed share.
	ProcessMemory string

	// ClusterName and ClusterBootstrapServers (both set) make the server
	// one of a cluster: it shares the cluster's command log (package
	// cluster) on those Kafka brokers with the other servers of the same
	// name (see doc.go). Both empty: a server on its own.
	ClusterName             string
	ClusterBootstrapServers []string
	// ServerID names this server in its cluster (default: the id kept in
	// <DataDir>/server-id, generated as <host name>-<8 hex digits> at the
	// first clustered start).
	ServerID string
	// ClusterStopTimeout bounds how long a stop of another server's job
	// waits for that server to stop it (default 30 s).
	ClusterStopTimeout time.Duration
	// CheckpointDir is where jobs checkpoint (state.checkpoints.dir: a
	// directory or an s3:// URL; default <DataDir>/checkpoints). The
	// servers of a cluster share one, so that a server can take over the
	// jobs of a server that went away (failover.go).
	CheckpointDir string
	// Settings are configuration keys every session starts with (the
	// command's -D key=value), before its own SETs: e.g. the s3.* keys
	// of an s3:// CheckpointDir.
	Settings map[string]string
	// ClusterHeartbeat is the interval of a clustered server's
	// announcements on the log (default 10 s); GET /v1/cluster shows a
	// server unseen for three intervals as unreachable.
	ClusterHeartbeat time.Duration
}

// Server owns jobs and serves the REST API and metrics.
type Server struct {
	cfg     Config
	reg     *registry
	cluster *clusterState // nil: not one of a cluster (cluster.go)

	mu       sync.Mutex
	live     map[string]*liveJob // by record id
	sessions map[string]*session // by session id (sessions.go)
	closing  bool
	wg       sync.WaitGroup // watchers
}

// liveJob is a job running in this process: its record's id, the session
// engine that runs it and the engine's job.
type liveJob struct {
	id  string
	eng *engine.Engine
	job *engine.Job
	// stopping (guarded by Server.mu): a stop request is stopping the
	// job and records its end (with the savepoint) itself.
	stopping bool
	// movedAway (guarded by Server.mu): another server took the job over
	// (failover.go); its end here is not recorded.
	movedAway bool
	// moving (guarded by Server.mu): the unit is being stopped to be
	// handed over to another server (rebalance.go); handedOver once the
	// record naming that server is being appended. A stop that comes
	// before handedOver wins: the unit stops here and is not handed over.
	moving, handedOver bool
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 10 * time.Second
	}
	if cfg.ClusterStopTimeout <= 0 {
		cfg.ClusterStopTimeout = 30 * time.Second
	}
	if (cfg.ClusterName == "") != (len(cfg.ClusterBootstrapServers) == 0) {
		return nil, errors.New("server: a cluster needs both a name (--cluster-name) and its Kafka brokers (--cluster-bootstrap-servers)")
	}
	if cfg.ServerID != "" && cfg.ClusterName == "" {
		return nil, errors.New("server: --server-id names a server in a cluster: it needs --cluster-name and --cluster-bootstrap-servers")
	}
	check := engine.NewConfig()
	for k, v := range cfg.Settings {
		if err := check.Set(k, v); err != nil {
			return nil, fmt.Errorf("server: -D %s=%s: %w", k, v, err)
		}
	}
	reg, err := openRegistry(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, reg: reg, live: map[string]*liveJob{}}
	if cfg.ClusterName != "" {
		if s.cluster, err = openCluster(cfg); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ID is the server's id in its cluster ("" when it is not one of a
// cluster).
func (s *Server) ID() string { return s.ownerID() }

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
// A clustered server then appends its records to the command log and
// follows the log until Shutdown.
func (s *Server) Start() error {
	if s.cluster != nil {
		return s.startClustered() // failover.go
	}
	var first error
	for _, rec := range s.reg.list() {
		if rec.Status != string(engine.JobRunning) {
			continue
		}
		if err := s.resumeOrFail(rec, s.ownership(rec)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// resumeOrFail resumes a record (resume) and, when it cannot start, marks
// it FAILED with the reason and returns the error.
func (s *Server) resumeOrFail(rec JobRecord, own *engine.Ownership) error {
	err := s.resume(rec, own)
	if err != nil {
		s.cfg.Logger.Error("cannot resume the job", "job", rec.ID, "error", err.Error())
		s.updateJob(rec.ID, func(r *JobRecord) {
			r.end(string(engine.JobFailed), fmt.Errorf("cannot resume: %w", err))
		})
	}
	return err
}

// resume runs a record's statements in a new session that restores the
// job's latest checkpoint (own: which one, for a cluster's job).
func (s *Server) resume(rec JobRecord, own *engine.Ownership) error {
	keepID := false // set for the job's own statement: it keeps its id
	var start *engine.UnitStart
	if rec.Unit != nil {
		start = rec.Unit.Start
	}
	eng := s.newSession(func() string {
		if keepID {
			return rec.ID
		}
		return ""
	}, own, start)
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
			keepID = true
		}
		res, err := s.execText(eng, text)
		if err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
		if last {
			if res == nil || res.Job == nil {
				return errors.New("the last statement started no job")
			}
			j := res.Job
			restored := int64(0)
			if a := j.Attempts(); len(a) > 0 {
				restored = a[0].RestoredID
			}
			if !s.changeJob(rec.ID, func(r *JobRecord) {
				r.Resumes++
				if own != nil && own.Jump {
					// The new owner's epoch starts here.
					r.IDBase, r.RestoredID, r.Jumped = j.IDBase(), restored, true
				}
			}) {
				// Another server took the job over meanwhile (lostJob
				// removed the record): it does not run here too.
				j.Release()
				return nil
			}
			s.track(rec.ID, eng, j)
			s.cfg.Logger.Info("job resumed from its latest checkpoint", "job", rec.ID, "name", rec.Name)
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
// under the data directory, every job checkpointing. jobID (nil: fresh
// ids) names the jobs it starts; start (nil: none) is how the unit of a
// staged job it runs starts (UnitInfo.Start).
func (s *Server) newSession(jobID func() string, own *engine.Ownership, start *engine.UnitStart) *engine.Engine {
	if own == nil && s.cluster != nil {
		own = &engine.Ownership{Epoch: 1, Lease: s.lease, Owns: s.owns} // a job submitted to a cluster
	}
	eng := engine.New(engine.Options{Stdout: s.cfg.Stdout, Logger: s.cfg.Logger,
		Stderr: &lineLogger{log: s.cfg.Logger}, JobID: jobID, Ownership: own, UnitStart: start})
	conf := eng.Config()
	dir := s.cfg.CheckpointDir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, "checkpoints")
	}
	conf.Set("state.checkpoints.dir", dir)
	if s.cluster != nil {
		// Jobs cut into stages exchange rows through the cluster's Kafka.
		conf.Set(engine.StagesExchangeKey, "kafka")
		conf.Set(engine.StagesBootstrapKey, strings.Join(s.cfg.ClusterBootstrapServers, ","))
	}
	for k, v := range s.cfg.Settings {
		conf.Set(k, v) // checked by New
	}
	conf.Set("execution.checkpointing.interval", s.cfg.CheckpointInterval.String())
	if s.cfg.ProcessMemory != "" {
		conf.Set(engine.ProcessMemoryKey, s.cfg.ProcessMemory)
	}
	return eng
}

// track registers a running job and watches it until it ends. A job
// tracked once Shutdown began (a takeover finishing) is stopped here,
// Shutdown having listed the live jobs already; it stays RUNNING in the
// registry for the next start. A job whose record is gone (lostJob, which
// removes the record before it looks for the live job) is stopped too:
// between them, one of the two sees the other under s.mu.
func (s *Server) track(id string, eng *engine.Engine, j *engine.Job) {
	l := &liveJob{id: id, eng: eng, job: j}
	s.mu.Lock()
	s.live[id] = l
	s.wg.Add(1)
	_, mine := s.reg.get(id)
	if !mine {
		l.movedAway = true
	}
	stop := s.closing || !mine
	s.mu.Unlock()
	if stop {
		j.Release()
	}
	go func() {
		defer s.wg.Done()
		<-j.Done()
		s.mu.Lock()
		closing, stopping, moved := s.closing, l.stopping, l.movedAway
		s.mu.Unlock()
		if closing {
			return // stays RUNNING: the next start resumes it
		}
		if moved {
			return // another server owns it now
		}
		if stopping {
			return // stopLocal records the stop
		}
		s.recordEnd(id, j)
	}()
}

// goUnlessClosing runs fn in a goroutine that Shutdown waits for, unless
// the server is shutting down; it reports whether fn was started.
func (s *Server) goUnlessClosing(fn func()) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// recordEnd records how a job that ended in this process ended.
func (s *Server) recordEnd(id string, j *engine.Job) {
	st, err := j.Status()
	s.updateJob(id, func(r *JobRecord) { r.end(string(st), err) })
	if err != nil {
		s.cfg.Logger.Error("job ended", "job", id, "status", string(st), "error", err.Error())
	} else {
		s.cfg.Logger.Info("job ended", "job", id, "status", string(st))
	}
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
// for them (at most timeout per job for the checkpoint). A clustered
// server renews its lease (so that the last checkpoints are its to
// complete, within two heartbeats), stops following the command log and
// announces that it stopped last; the other servers then take its
// running jobs over.
func (s *Server) Shutdown(timeout time.Duration) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	if s.cluster != nil {
		s.renewLease(context.Background())
		s.cluster.stopFollowing()
		defer s.cluster.log.Close()
		defer func() { s.announce(true, time.Now().UnixMilli()) }() // after the jobs stopped, before the log closes
	}
	s.mu.Lock()
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
			if l.job.Ended() {
				return
			}
			if err := l.job.StopWithCheckpoint(timeout); err != nil {
				s.cfg.Logger.Warn("job stopped without a last checkpoint", "job", l.id, "error", err.Error())
			}
		}()
	}
	wg.Wait()
	s.wg.Wait()
}

// Handler serves the REST API (/v1/...), the metrics (/metrics) and the
// web dashboard (/ and /assets/: static files, served without the token;
// the API calls they make carry it).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux) // api.go
	mux.Handle("GET /metrics", metrics.Handler(s.metricsJobs))
	top := http.NewServeMux()
	web := dashboard.Handler()
	top.Handle("GET /{$}", web)
	top.Handle("GET /assets/", web)
	top.Handle("/", s.authorize(mux))
	return top
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

// lineLogger logs each line a session writes to its standard error (the
// engine's summaries, such as skipped rows) as one record.
type lineLogger struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			l.log.Info(line)
		}
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
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
