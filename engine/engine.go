package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/connectors"
	_ "github.com/streamsql/streamsql/connectors/all" // register connectors
	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/internal/plainlog"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// Options configure an Engine.
type Options struct {
	// Stdout receives print-sink output; Stderr warnings. Default: os.Stdout/os.Stderr.
	Stdout, Stderr io.Writer
	// Now overrides the wall clock (tests).
	Now func() int64
	// Testing injects faults and slows sources down (recovery tests).
	Testing *Testing
	// Logger receives the engine's and the connectors' warnings and
	// informational messages (restarts, restore points, failed
	// checkpoints, skipped-row bursts, sink retries) as structured
	// records, with the job's id in a "job" attribute. Default: plain
	// "WARNING: ..." and "INFO: ..." lines on Stderr (plainlog).
	Logger *slog.Logger
	// JobID, when set, is asked for the id of each job the session
	// starts; "" (or no JobID) gives a fresh id. A server that starts a
	// job again keeps its id this way.
	JobID func() string
	// RestorePath, when set, restores every INSERT job from this
	// checkpoint or savepoint path, or from its own latest complete
	// checkpoint when it is "latest" (the CLI's --restore).
	RestorePath string
	// Ownership, when set, runs the session's jobs for the owner of a
	// cluster job at an owner epoch (server/cluster.go); see Ownership.
	Ownership *Ownership
	// UnitStart, when set, is how the unit of a staged job that the
	// session runs (execution.stages.unit = 'STAGE/UNIT') starts, as
	// decided where the job was submitted (UnitPlans, stages_start.go):
	// its stage's layout, what a rescaled stage restores, the hand-overs
	// of its topics.
	UnitStart *UnitStart
}

// CheckpointIDsPerEpoch is how far a cluster job's new owner numbers
// its checkpoints above the previous owner's base (or the highest id in
// the job's directory) when it takes the job over (Ownership.Jump): the
// earlier owner, if it still runs (a zombie), writes ids below that, so owners never write the same
// checkpoint directory and a checkpoint tells by its id which owner wrote
// it (about 31 years of one checkpoint a second each).
const CheckpointIDsPerEpoch = 1_000_000_000

// Ownership is what a cluster server that owns a job at an epoch tells
// the engine that runs it (server/cluster.go). The owner of epoch e takes
// the job from the owner of e-1, which may still be running (a zombie),
// and must neither restore what that owner wrote after the handover nor
// let it commit:
//   - with Jump, the job's checkpoint ids start CheckpointIDsPerEpoch
//     above the highest id in its directory or RestoreAfter, whichever
//     is higher (Job.IDBase reports the id they start above), and a
//     restart after a failure restores only checkpoints above that (else
//     the job's initial restore point);
//   - with Resume, 'execution.savepoint.path' = 'latest' restores the
//     newest complete checkpoint with RestoreAfter < id <= RestoreAfter +
//     CheckpointIDsPerEpoch (what the owner that numbered above
//     RestoreAfter wrote), or, when there is none, checkpoint
//     RestoreFallback of the job's directory (0: none, the job starts
//     from the beginning); without Resume, 'latest' is the job's newest
//     complete checkpoint, as on its own;
//   - connectors see Epoch as Env.OwnerEpoch and Run as Env.OwnerRun
//     (sinks that fence); Run is when the cluster job was submitted (Unix
//     ms), 0 for a job submitted now (its start time is used, which the
//     server records as the job's submission).
//   - Lease, when set, is asked (with the job's id) before each
//     checkpoint's metadata is written: an error (the owner may no longer
//     own the job) holds the checkpoint back (checkpoint.ErrHeldBack: not
//     counted as a failure), so that an owner cut off from its cluster, or frozen
//     past the time after which others take its jobs over, completes no
//     checkpoint that a new owner might not have seen when it chose where
//     to restore from.
//   - Owns, when set, is Env.Lease for the job's connectors: whether the
//     log names this server the owner and it announced itself recently;
//     sinks wait for it before they initialise a transactional producer,
//     which would fence the producers of a successor if this server were
//     a zombie.
type Ownership struct {
	Epoch           int64
	Run             int64
	Lease           func(jobID string) error
	Owns            func(jobID string) error
	Jump            bool
	Resume          bool
	RestoreAfter    int64
	RestoreFallback int64
}

// ownerEpoch is o's epoch, 0 without one.
func ownerEpoch(o *Ownership) int64 {
	if o == nil {
		return 0
	}
	return o.Epoch
}

// Testing holds fault-injection settings for recovery tests.
type Testing struct {
	// FailAfterRows fails the first attempt of every job once its sink has
	// received that many rows.
	FailAfterRows int64
	// FailAfterCheckpoint fails the first attempt of every checkpointing
	// job once, after its first checkpoint completed, as soon as its
	// sources read more input (exec.Job.FailAfterCheckpoint): the restart
	// must restore that checkpoint. The first attempt's sources hold after
	// their first rows until that checkpoint completed (exec
	// Options.HoldInput), so that even a small input has rows left to
	// read. A job whose sources read everything in their first rows is
	// not failed.
	FailAfterCheckpoint bool
	// SourceBatchDelay pauses sources after every batch.
	SourceBatchDelay time.Duration
	// SkipLogInterval replaces skipBurstInterval (how often a running
	// job's skipped rows are logged).
	SkipLogInterval time.Duration
	// BatchSize overrides the rows per batch.
	BatchSize int
	// RestartParallelism, when > 0, re-plans a restarted job at this
	// parallelism (restore at another parallelism).
	RestartParallelism int
	// OnJobStart, when set, is called with every job (INSERT or query)
	// once its first attempt started, from the goroutine that submitted
	// it: a test can then check each job's attempts after it ended.
	OnJobStart func(*Job)
}

// Engine executes statements of one session.
type Engine struct {
	opts Options
	mu   sync.Mutex
	cat  *catalog.Catalog
	conf *Config
	mem  *memory.Store
	env  *connectors.Env
	jobs *registry
	// indexes maps the lower-case name of each CREATE INDEX to its table
	// (indexes have no other effect).
	indexes map[string]string
}

// New returns an engine with an empty catalog.
func New(opts Options) *Engine {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(plainlog.New(opts.Stderr))
	}
	mem := memory.NewStore()
	return &Engine{
		opts:    opts,
		cat:     catalog.New(),
		conf:    NewConfig(),
		mem:     mem,
		env:     &connectors.Env{Stdout: opts.Stdout, Stderr: opts.Stderr, Logger: opts.Logger, Memory: mem, Now: opts.Now, OwnerEpoch: ownerEpoch(opts.Ownership)},
		jobs:    newRegistry(),
		indexes: map[string]string{},
	}
}

// Config returns the session configuration (SET values).
func (e *Engine) Config() *Config { return e.conf }

// Catalog returns the session catalog (read it only between statements).
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// Jobs lists the jobs started in this session.
func (e *Engine) Jobs() []*Job { return e.jobs.list() }

// Job returns a job by id, or nil.
func (e *Engine) Job(id string) *Job { return e.jobs.get(id) }

// aggPhase reads table.optimizer.agg-phase-strategy (checked already).
func aggPhase(v string) planner.AggPhase {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "ONE_PHASE":
		return planner.AggPhaseOne
	case "TWO_PHASE":
		return planner.AggPhaseTwo
	}
	return planner.AggPhaseAuto
}

func (e *Engine) plannerConfig() planner.Config {
	c := planner.Config{
		Parallelism:      e.conf.Int("parallelism.default"),
		MaxParallelism:   e.conf.Int("pipeline.max-parallelism"),
		IdleTimeoutMs:    e.conf.DurationMs("table.exec.source.idle-timeout"),
		StateTTL:         time.Duration(e.conf.DurationMs("table.exec.state.ttl")) * time.Millisecond,
		NoSubPlanReuse:   !e.conf.Bool("table.optimizer.reuse-sub-plan-enabled"),
		MiniBatch:        e.conf.Bool("table.exec.mini-batch.enabled"),
		MiniBatchSize:    max(e.conf.Int("table.exec.mini-batch.size"), 0),
		MiniBatchLatency: time.Duration(e.conf.DurationMs("table.exec.mini-batch.allow-latency")) * time.Millisecond,
		AggPhase:         aggPhase(e.conf.Get("table.optimizer.agg-phase-strategy")),
		SplitDistinct:    e.conf.Bool("table.optimizer.distinct-agg.split.enabled"),
		SplitBuckets:     e.conf.Int("table.optimizer.distinct-agg.split.bucket-num"),
		Emit: planner.EmitConfig{
			AllowLateness: e.conf.DurationMs("table.exec.emit.allow-lateness"),
			EarlyFire:     e.conf.Bool("table.exec.emit.early-fire.enabled"),
			EarlyDelay:    e.conf.optionalMs("table.exec.emit.early-fire.delay"),
			LateFire:      e.conf.Bool("table.exec.emit.late-fire.enabled"),
			LateDelay:     e.conf.optionalMs("table.exec.emit.late-fire.delay"),
		},
	}
	if e.opts.Testing != nil && e.opts.Testing.BatchSize > 0 {
		c.BatchSize = e.opts.Testing.BatchSize
	}
	return c
}

// Result is what one statement produced.
type Result struct {
	// Message is a one-line acknowledgement ("Table created.").
	Message string
	// Schema and Rows are a result set (SHOW, DESCRIBE, a bounded SELECT).
	Schema types.Schema
	Rows   [][]types.Value
	// Text is preformatted output (EXPLAIN, SHOW CREATE TABLE, HELP).
	Text string
	// Job is set for a job started by INSERT.
	Job *Job
	// Jobs are the jobs an INSERT started: Job alone, or the units of a
	// job cut into stages (execution.stages.units), Job being the first.
	Jobs []*Job
	// Quit asks the caller to end the session.
	Quit bool
}

// Prepare compiles one statement against the current catalog.
func (e *Engine) Prepare(p sql.Piece) (sql.Stmt, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sql.Compile(p, e.cat)
}

// Exec runs every statement of text; INSERT jobs run to completion (the
// sqllogic contract). It implements the sqllogic DB interface together
// with Query.
func (e *Engine) Exec(text string) error {
	for _, p := range sql.Split(text) {
		st, err := e.Prepare(p)
		if err != nil {
			return err
		}
		res, err := e.Execute(context.Background(), st, ExecOptions{Sync: true})
		if err != nil {
			return err
		}
		if res.Job != nil {
			if err := res.Job.Wait(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Query runs a bounded SELECT to completion and returns its final rows (a
// changelog result is materialised).
func (e *Engine) Query(text string) (types.Schema, [][]types.Value, error) {
	pieces := sql.Split(text)
	if len(pieces) != 1 {
		return nil, nil, fmt.Errorf("expected one query, got %d statements", len(pieces))
	}
	st, err := e.Prepare(pieces[0])
	if err != nil {
		return nil, nil, err
	}
	q, ok := st.(*sql.Query)
	if !ok {
		return nil, nil, fmt.Errorf("statement %d is not a query", pieces[0].Index)
	}
	return e.RunQuery(context.Background(), q, nil)
}

// RunQuery runs a SELECT. With onRow == nil the query must be bounded and
// the final rows are returned; otherwise every changelog row is passed to
// onRow as it is produced (from one goroutine) until the query ends or
// ctx is cancelled, and nil rows are returned.
func (e *Engine) RunQuery(ctx context.Context, q *sql.Query, onRow func(op types.Op, row []types.Value) error) (types.Schema, [][]types.Value, error) {
	return e.RunQueryWatch(ctx, q, onRow, nil)
}

// RunQueryWatch is RunQuery that also hands the query's job to onStart
// once it runs (for a status line: rows read, watermark, checkpoints).
func (e *Engine) RunQueryWatch(ctx context.Context, q *sql.Query, onRow func(op types.Op, row []types.Value) error, onStart func(*Job)) (types.Schema, [][]types.Value, error) {
	mat := newMaterializer()
	width := q.Width() // the Hidden sort columns are dropped once sorted
	collect := func(b *types.Batch) error {
		for i := 0; i < b.Len(); i++ {
			if onRow != nil {
				if err := onRow(b.Ops[i], b.Row(i)[:width]); err != nil {
					return err
				}
				continue
			}
			mat.apply(b.Ops[i], b.Row(i))
		}
		return nil
	}
	env := *e.env
	cfg := e.plannerConfig()
	if onRow == nil && !e.conf.IsSet("table.exec.mini-batch.enabled") {
		// Only the final table is shown: intermediate results of a batch
		// are never seen, so aggregates fold whole batches. The latency
		// stays the configured one (0 unless SET: nothing is held back).
		cfg.MiniBatch = true
	}
	delivered := exec.NewDeliveredSet() // shared by every plan of this query
	replan := func(par int) (*planner.Plan, error) {
		c := cfg
		c.Parallelism = par
		return planner.PlanQuery(q.Plan, c, &env, collect, delivered)
	}
	e.mu.Lock()
	p, err := replan(cfg.Parallelism)
	e.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	if onRow == nil && !p.Bounded {
		return nil, nil, fmt.Errorf("the query reads an unbounded source; its result never ends (run it in the shell or with -f to see rows as they come)")
	}
	j, err := e.launch(p, replan, oneLine(q.Piece().Text, 60), false, &env)
	if err != nil {
		return nil, nil, err
	}
	if onStart != nil {
		onStart(j)
	}
	stop := context.AfterFunc(ctx, j.Stop)
	defer stop()
	err = j.Wait()
	if st, _ := j.Status(); st == JobStopped && ctx.Err() != nil {
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	if onRow != nil {
		return p.Schema[:width], nil, nil
	}
	rows := mat.rows()
	if len(q.OrderBy) > 0 {
		sortRows(rows, q.OrderBy)
	}
	if q.Limit >= 0 && int64(len(rows)) > q.Limit {
		rows = rows[:q.Limit]
	}
	if q.Hidden > 0 {
		for i, r := range rows {
			rows[i] = r[:width]
		}
	}
	return p.Schema[:width], rows, nil
}

// sortRows orders rows by the ORDER BY keys (NULLs first ascending, as MySQL).
func sortRows(rows [][]types.Value, keys []sql.OrderKey) {
	sort.SliceStable(rows, func(a, b int) bool {
		for _, k := range keys {
			c := types.Compare(rows[a][k.Col], rows[b][k.Col])
			if c == 0 {
				continue
			}
			if k.Desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

// showConfig lists every configuration key with its current value.
func (e *Engine) showConfig() *Result {
	schema := types.Schema{{Name: "key", Type: types.String}, {Name: "value", Type: types.String}}
	var rows [][]types.Value
	for _, k := range ConfigKeys {
		rows = append(rows, []types.Value{types.StringValue(k.Key), types.StringValue(catalog.MaskOption(k.Key, e.conf.Get(k.Key)))})
	}
	return &Result{Schema: schema, Rows: rows}
}

// ExecOptions tune Execute.
type ExecOptions struct {
	// Sync makes INSERT wait for its job (also when table.dml-sync is false).
	Sync bool
}

// Execute runs a compiled statement other than a SELECT (use RunQuery).
func (e *Engine) Execute(ctx context.Context, st sql.Stmt, o ExecOptions) (*Result, error) {
	switch s := st.(type) {
	case *sql.CreateTable:
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.cat.Table(s.Table.Name) != nil && s.IfNotExists {
			return &Result{Message: "Table already exists."}, nil
		}
		if !s.Table.IsMemory() {
			f := connectors.Lookup(s.Table.Connector())
			if f == nil {
				return nil, connectors.UnknownConnectorError(s.Table.Name, s.Table.Connector())
			}
			if err := connectors.ValidateOptions(s.Table, f); err != nil {
				return nil, err
			}
		}
		if err := e.cat.AddTable(s.Table); err != nil {
			return nil, err
		}
		return &Result{Message: "Table created."}, nil
	case *sql.CreateView:
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.cat.View(s.View.Name) != nil && s.IfNotExists {
			return &Result{Message: "View already exists."}, nil
		}
		if err := e.cat.AddView(s.View); err != nil {
			return nil, err
		}
		return &Result{Message: "View created."}, nil
	case *sql.DropTable:
		e.mu.Lock()
		defer e.mu.Unlock()
		if !e.cat.DropTable(s.Name) {
			if s.IfExists {
				return &Result{Message: "Table does not exist."}, nil
			}
			return nil, fmt.Errorf("table '%s' does not exist", s.Name)
		}
		e.mem.Drop(s.Name)
		for k, t := range e.indexes {
			if strings.EqualFold(t, s.Name) {
				delete(e.indexes, k)
			}
		}
		return &Result{Message: "Table dropped."}, nil
	case *sql.AlterTableSet:
		e.mu.Lock()
		defer e.mu.Unlock()
		t := s.Table
		old := e.cat.Table(t.Name)
		if old == nil {
			return nil, fmt.Errorf("table '%s' does not exist", t.Name)
		}
		if !t.IsMemory() {
			f := connectors.Lookup(t.Connector())
			if f == nil {
				return nil, connectors.UnknownConnectorError(t.Name, t.Connector())
			}
			if err := connectors.ValidateOptions(t, f); err != nil {
				return nil, err
			}
		}
		e.cat.DropTable(t.Name)
		if err := e.cat.AddTable(t); err != nil {
			_ = e.cat.AddTable(old)
			return nil, err
		}
		if old.IsMemory() && !t.IsMemory() {
			e.mem.Drop(t.Name)
		}
		return &Result{Message: "Table altered."}, nil
	case *sql.CreateIndex:
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.cat.Table(s.Table) == nil {
			return nil, fmt.Errorf("table '%s' does not exist", s.Table)
		}
		if _, ok := e.indexes[indexKey(s.Name)]; ok {
			if s.IfNotExists {
				return &Result{Message: "Index already exists."}, nil
			}
			return nil, s.Duplicate()
		}
		e.indexes[indexKey(s.Name)] = s.Table
		return &Result{Message: "Index created."}, nil
	case *sql.DropIndex:
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.indexes[indexKey(s.Name)]; !ok {
			if s.IfExists {
				return &Result{Message: "Index does not exist."}, nil
			}
			return nil, s.Unknown()
		}
		delete(e.indexes, indexKey(s.Name))
		return &Result{Message: "Index dropped."}, nil
	case *sql.Delete:
		return e.deleteRows(s)
	case *sql.Update:
		return e.updateRows(s)
	case *sql.DropView:
		e.mu.Lock()
		defer e.mu.Unlock()
		if !e.cat.DropView(s.Name) {
			if s.IfExists {
				return &Result{Message: "View does not exist."}, nil
			}
			return nil, fmt.Errorf("view '%s' does not exist", s.Name)
		}
		return &Result{Message: "View dropped."}, nil
	case *sql.Insert:
		if s.Replace {
			return e.replaceRows(ctx, s)
		}
		return e.insert(ctx, s, o)
	case *sql.StatementSet:
		return e.insertSet(ctx, s, o) // statement_set.go
	case *sql.Set:
		if s.Key == "" {
			return e.showConfig(), nil
		}
		if err := e.conf.Set(s.Key, s.Value); err != nil {
			return nil, err
		}
		msg := "Configuration set."
		if k := lookupKey(s.Key); k != nil && !k.Effective {
			msg += fmt.Sprintf(" Note: '%s' is stored but has no effect in this version.", k.Key)
		}
		return &Result{Message: msg}, nil
	case *sql.Reset:
		if err := e.conf.Reset(s.Key); err != nil {
			return nil, err
		}
		return &Result{Message: "Configuration reset."}, nil
	case *sql.ShowTables:
		var rows [][]types.Value
		for _, n := range e.cat.TableNames() {
			rows = append(rows, []types.Value{types.StringValue(n)})
		}
		return &Result{Schema: types.Schema{{Name: "table name", Type: types.String}}, Rows: rows}, nil
	case *sql.ShowCreateTable:
		if t := e.cat.Table(s.Name); t != nil {
			return &Result{Text: ShowCreate(t)}, nil
		}
		if v := e.cat.View(s.Name); v != nil {
			return &Result{Text: strings.TrimSpace(v.DDL) + ";\n"}, nil
		}
		return nil, fmt.Errorf("table '%s' does not exist", s.Name)
	case *sql.Describe:
		return e.describe(s.Name)
	case *sql.ShowJobs:
		if s.Full {
			return e.showFullJobs(), nil
		}
		return e.showJobs(), nil
	case *sql.ShowFunctions:
		return showFunctions(), nil
	case *sql.ShowCluster:
		// Only a server (streamsql server) knows a cluster: this engine
		// runs its jobs in its own process.
		return &Result{Message: NotClustered}, nil
	case *sql.StopJob:
		j := e.jobs.get(s.JobID)
		if j == nil {
			return nil, fmt.Errorf("no job with id '%s' (SHOW JOBS lists them)", s.JobID)
		}
		if s.Savepoint {
			path, err := j.Savepoint(true, s.Drain)
			if err != nil {
				return nil, fmt.Errorf("STOP JOB '%s' WITH SAVEPOINT: %w", s.JobID, err)
			}
			return &Result{Message: fmt.Sprintf("Job %s stopped with savepoint %s", j.ID, path),
				Schema: types.Schema{{Name: "savepoint path", Type: types.String}}, Rows: [][]types.Value{{types.StringValue(path)}}}, nil
		}
		j.Stop()
		return &Result{Message: fmt.Sprintf("Job %s stopped.", j.ID)}, nil
	case *sql.TriggerSavepoint:
		j := e.jobs.get(s.JobID)
		if j == nil {
			return nil, fmt.Errorf("no job with id '%s' (SHOW JOBS lists them)", s.JobID)
		}
		path, err := j.Savepoint(false, false)
		if err != nil {
			return nil, fmt.Errorf("TRIGGER SAVEPOINT '%s': %w", s.JobID, err)
		}
		return &Result{Schema: types.Schema{{Name: "savepoint path", Type: types.String}}, Rows: [][]types.Value{{types.StringValue(path)}}}, nil
	case *sql.Explain:
		return e.explain(s)
	case *sql.Help:
		return &Result{Text: Help()}, nil
	case *sql.Quit:
		return &Result{Quit: true}, nil
	case *sql.Query:
		return nil, fmt.Errorf("internal: SELECT must go through RunQuery")
	}
	return nil, fmt.Errorf("unsupported statement %T", st)
}

func (e *Engine) insert(ctx context.Context, s *sql.Insert, o ExecOptions) (*Result, error) {
	targets := []planner.Target{{Table: s.Table, Query: s.Query}}
	return e.submitInserts(targets, oneLine(s.Piece().Text, 60), "INSERT INTO "+s.Table.Name, o) // statement_set.go
}

// launch starts a planned job under supervision (restarts per the
// restart strategy). INSERT jobs honour --restore / execution.savepoint.path.
func (e *Engine) launch(p *planner.Plan, replan func(int) (*planner.Plan, error), name string, restore bool, env *connectors.Env) (*Job, error) {
	return e.launchAs(p, replan, name, restore, env, storageID(e.conf, p))
}

// launchAs is launch with the job's storage id (its directory under the
// checkpoint storage) given.
func (e *Engine) launchAs(p *planner.Plan, replan func(int) (*planner.Plan, error), name string, restore bool, env *connectors.Env, sid string) (*Job, error) {
	setup, err := e.newJobSetup(p, sid, restore)
	if err != nil {
		return nil, err
	}
	return e.launchSetup(p, setup, replan, name, env, sid)
}

// launchUnit starts a unit of a staged job. initial, when set, is the
// restore point merged from the checkpoints of a previous unit layout (a
// rescale): the first attempt restores it, and so do restarts until the
// unit completed a checkpoint of its own. keep (0: none) is a checkpoint
// of the previous layout in the unit's directory that retention must
// leave: other units restore from it too.
func (e *Engine) launchUnit(p *planner.Plan, name string, env *connectors.Env, sid string, initial *checkpoint.Metadata, keep int64) (*Job, error) {
	setup, err := e.newJobSetup(p, sid, initial == nil)
	if err != nil {
		return nil, err
	}
	if initial != nil {
		if setup.cp == nil {
			return nil, fmt.Errorf("rescaling a job cut into stages needs checkpointing")
		}
		setup.initial = initial
		setup.restoreBy, setup.restoreFrom = "rescale", fmt.Sprintf("the checkpoints of the previous units (latest: %d)", initial.CheckpointID)
	}
	if keep > 0 && setup.cp != nil {
		// The other new units of a rescaled stage may restore it (also
		// once this one restores a checkpoint of its own).
		setup.cp.Store.Keep(keep)
	}
	return e.launchSetup(p, setup, nil, name, env, sid)
}

// launchSetup starts a job whose setup is made.
func (e *Engine) launchSetup(p *planner.Plan, setup *jobSetup, replan func(int) (*planner.Plan, error), name string, env *connectors.Env, sid string) (*Job, error) {
	setup.replan = replan
	env.JobName = sid
	if setup.cp != nil {
		env.StateDir = filepath.Join(setup.cp.Storage.Root(), sid, "connectors")
	}
	id := ""
	if e.opts.JobID != nil {
		id = e.opts.JobID()
	}
	if id == "" {
		id = e.jobs.newID()
	}
	env.Logger = e.opts.Logger.With("job", id)
	started := time.Now()
	if own := e.opts.Ownership; own != nil {
		env.OwnerRun = own.Run
		if env.OwnerRun == 0 {
			env.OwnerRun = started.UnixMilli()
		}
		if owns := own.Owns; owns != nil {
			env.Lease = func() error { return owns(id) }
		}
	}
	j := &Job{ID: id, Name: name, Started: started, Plan: p, StorageID: sid,
		status: JobRunning, done: make(chan struct{}), wake: make(chan struct{}, 1), setup: setup}
	setup.jobID = j.ID
	run, err := setup.start(j, false)
	if err != nil {
		return nil, err
	}
	j.run = run
	if t := e.opts.Testing; t != nil && t.OnJobStart != nil {
		t.OnJobStart(j)
	}
	go j.supervise(e)
	interval := skipBurstInterval
	if t := e.opts.Testing; t != nil && t.SkipLogInterval > 0 {
		interval = t.SkipLogInterval
	}
	go j.watchSkips(e, interval)
	return j, nil
}

// warn prints a warning line to the engine's error stream.
func (e *Engine) warn(msg string) { e.logJob(slog.LevelWarn, "", msg) }

// info writes an informational line (a restart's restore point) to
// standard error.
func (e *Engine) info(msg string) { e.logJob(slog.LevelInfo, "", msg) }

// logJob writes a warning or informational message about job (""
// when it concerns no job) to the Logger.
func (e *Engine) logJob(level slog.Level, job, msg string) {
	if job != "" {
		e.opts.Logger.Log(context.Background(), level, msg, "job", job)
	} else {
		e.opts.Logger.Log(context.Background(), level, msg)
	}
}

func contextBackground() context.Context { return context.Background() }

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}

// StopAll stops every running job, all at once, and waits for them. A job
// that checkpoints takes a last checkpoint first, so that --restore latest
// continues exactly where it stopped, unless an operator is busy in a long
// computation: then it stops at once without one (exec.BusyError).
func (e *Engine) StopAll() {
	var wg sync.WaitGroup
	for _, j := range e.jobs.list() {
		if st, _ := j.Status(); st == JobRunning || st == JobRestarting {
			wg.Go(func() {
				if err := j.StopWithCheckpoint(10 * time.Second); err != nil {
					e.logJob(slog.LevelWarn, j.ID, fmt.Sprintf("job %s: %v", j.ID, err))
				}
			})
		}
	}
	wg.Wait()
}

// WaitAll waits for every job and returns the error of each that failed:
// nil, one error, or Failures when several failed.
func (e *Engine) WaitAll(ctx context.Context) error {
	for _, j := range e.jobs.list() {
		select {
		case <-j.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return joinFailures(e.jobFailures())
}

func (e *Engine) describe(name string) (*Result, error) {
	var cols types.Schema
	var t *catalog.Table
	if t = e.cat.Table(name); t != nil {
		cols = t.Columns
	} else if v := e.cat.View(name); v != nil {
		cols = v.Columns
	} else {
		return nil, fmt.Errorf("table '%s' does not exist", name)
	}
	schema := types.Schema{{Name: "name", Type: types.String}, {Name: "type", Type: types.String},
		{Name: "null", Type: types.Bool}, {Name: "key", Type: types.String}, {Name: "extras", Type: types.String},
		{Name: "watermark", Type: types.String}}
	var rows [][]types.Value
	for i, c := range cols {
		key, extras, wm := types.NullValue(), types.NullValue(), types.NullValue()
		typ := c.Type.String()
		if t != nil {
			for _, k := range t.PrimaryKey {
				if k == i {
					key = types.StringValue("PRI")
				}
			}
			if t.ProctimeColumn == i {
				extras = types.StringValue("AS PROCTIME()")
				typ = "TIMESTAMP_LTZ(3) *PROCTIME*"
			}
			if t.Watermark != nil && t.Watermark.Column == i {
				wm = types.StringValue(t.Watermark.Text)
				typ += " *ROWTIME*"
			}
		}
		rows = append(rows, []types.Value{types.StringValue(c.Name), types.StringValue(typ),
			types.BoolValue(!c.Type.NotNull), key, extras, wm})
	}
	return &Result{Schema: schema, Rows: rows}, nil
}

func (e *Engine) explain(s *sql.Explain) (*Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch inner := s.Stmt.(type) {
	case *sql.Query:
		p, err := planner.PlanQuery(inner.Plan, e.plannerConfig(), e.env, nil, nil)
		if err != nil {
			return nil, err
		}
		return &Result{Text: logicalPlanText(inner.Plan, p.Optimized[0], s.Rules) + p.Explain()}, nil
	case *sql.Insert:
		p, err := planner.PlanInsert(inner.Table, inner.Query, e.plannerConfig(), e.env)
		if err != nil {
			return nil, err
		}
		st, err := e.stagesText(p)
		if err != nil {
			return nil, err
		}
		return &Result{Text: logicalPlanText(inner.Query, p.Optimized[0], s.Rules) + p.Explain() + st}, nil
	case *sql.StatementSet:
		return e.explainSet(inner, s.Rules) // statement_set.go
	}
	return nil, fmt.Errorf("EXPLAIN works on SELECT and INSERT statements and statement sets")
}

// IsBounded reports whether a query reads only bounded inputs.
func (e *Engine) IsBounded(q *sql.Query) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := planner.PlanQuery(q.Plan, e.plannerConfig(), e.env, nil, nil)
	if err != nil {
		return false, err
	}
	return p.Bounded, nil
}
