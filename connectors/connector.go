package connectors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

// Env is what the engine lends to connectors.
type Env struct {
	// Stdout receives the print sink's output.
	Stdout io.Writer
	// Stderr is the process's error stream (for a sink that writes
	// there); warnings go through Warn.
	Stderr io.Writer
	// Logger, when set, receives what Warn and Info report, labelled with
	// the job; without it they are "WARNING: ..." lines on Stderr.
	Logger *slog.Logger
	// Memory holds the in-memory tables' logs.
	Memory MemoryStore
	// Now returns the wall clock in milliseconds (PROCTIME, rate limits).
	Now func() int64
	// JobName identifies the job across restarts and processes (stable
	// for the same query; 'pipeline.name' when set). Sinks use it to
	// record their progress (e.g. a JDBC sink's progress rows).
	JobName string
	// StateDir is a durable local directory a connector may use for data
	// that must survive a crash of the process (e.g. a source's
	// write-ahead log); "" when checkpointing is off.
	StateDir string
	// OwnerEpoch is the job's owner epoch in a cluster: 0 on its own,
	// else raised by one every time another server takes the job over
	// (server/cluster.go). A sink that can fence uses it so that an
	// earlier owner that is still running (a zombie) can no longer
	// commit once a later owner recovered: e.g. the JDBC sink's fence
	// row (connectors/jdbc/doc.go). The Kafka sink's transactional ids
	// fence earlier owners without it.
	OwnerEpoch int64
	// OwnerRun orders the runs of one job in a cluster: when the cluster
	// job was submitted (Unix ms). Owners compare by (OwnerRun,
	// OwnerEpoch): the same query submitted again is a later run, whose
	// epochs count from 1 again and supersede every owner of an earlier
	// run.
	OwnerRun int64
	// Lease, when set (a job of a cluster's server), reports whether this
	// process still holds the job's lease: the cluster's log names it the
	// owner and it announced itself recently (server/failover.go). A sink
	// waits for it (WaitLease) before it initialises a transactional
	// producer: initialising fences every earlier producer of the id, and
	// a zombie (a former owner frozen past the takeover, then resumed)
	// must not fence its successor. May be called from any goroutine.
	Lease func() error
}

// WaitLease returns once e.Lease holds (at once without one), or with
// ctx's error when ctx ends first: a zombie's job is cancelled once its
// server learns that another owns it. It checks every 50 ms.
func (e *Env) WaitLease(ctx context.Context) error {
	if e == nil || e.Lease == nil {
		return nil
	}
	warned := false
	for start := time.Now(); ; {
		err := e.Lease()
		if err == nil {
			return nil
		}
		if !warned && time.Since(start) > time.Second {
			warned = true
			e.Warn("waiting for the job's lease before initialising a transactional producer: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Warn reports something a connector did to carry on (a retry, a failed
// commit it will redo, a skipped row) as one log line. A nil Env drops it.
func (e *Env) Warn(msg string) { e.log(slog.LevelWarn, msg) }

// Info reports a connector's informational message as one log line.
func (e *Env) Info(msg string) { e.log(slog.LevelInfo, msg) }

func (e *Env) log(level slog.Level, msg string) {
	switch {
	case e == nil:
	case e.Logger != nil:
		e.Logger.Log(context.Background(), level, msg)
	case e.Stderr != nil:
		name := "INFO"
		if level >= slog.LevelWarn {
			name = "WARNING"
		}
		fmt.Fprintf(e.Stderr, "%s: %s\n", name, msg)
	}
}

// MemoryStore is the engine's store of in-memory table logs.
type MemoryStore interface {
	// Snapshot returns the rows appended to the table so far (the caller
	// must not modify them).
	Snapshot(table string) [][]types.Value
	// Append adds rows to the table's log.
	Append(table string, rows [][]types.Value)
}

// Split is one independently readable part of a source (a file, a
// partition, a generator slice). Splits of one source have distinct IDs that
// are stable across runs of the same query (checkpoints key positions by ID).
type Split interface {
	ID() string
}

// Source reads a table.
type Source interface {
	// Splits lists the source's splits. parallelism is the number of source
	// tasks the planner will run; a source may return more or fewer splits.
	Splits(parallelism int) ([]Split, error)
	// Bounded reports whether every split ends.
	Bounded() bool
	// OpenSplit opens a reader at the start of split, or, when position is
	// not nil, just after the row that Position() returned it for.
	OpenSplit(ctx context.Context, split Split, position []byte) (SplitReader, error)
}

// SplitRestorer is implemented by sources whose splits may be cut
// differently from those of the checkpoint being restored (a filesystem
// source that cuts files into byte ranges, restoring a checkpoint taken
// when each file was one split, or cut at another size). When a job
// restores a checkpoint holding state of the source, the runtime calls
// RestoreSplits with the splits it planned (from Splits) and the restored
// positions by split ID (of all former instances), and reads the splits
// it returns instead; each is opened with the position restored under its
// ID, if any. The result must read every row not yet read at the
// checkpoint exactly once.
type SplitRestorer interface {
	RestoreSplits(planned []Split, restored map[string][]byte) ([]Split, error)
}

// ColumnSkipper is implemented by sources that can skip building columns
// no query reads. The planner calls SkipColumns once, before Splits and
// OpenSplit, with read[i] telling whether physical column i (of
// catalog.Table.PhysicalColumns) is read; the source may then leave the
// unread columns NULL. The read columns' values must not change.
type ColumnSkipper interface {
	SkipColumns(read []bool)
}

// SplitReader reads one split. Methods are called from one goroutine.
type SplitReader interface {
	// Next appends rows to b (whose Width is the number of physical columns
	// of the table, see catalog.Table.PhysicalColumns) and returns. It
	// returns io.EOF once the split is exhausted and no row was appended.
	// An unbounded reader with no data must return (with no rows and a nil
	// error) within about 100 ms, so that the task can handle barriers and
	// idleness; it must return promptly when ctx is cancelled.
	// Rows must be Insert rows of the table's physical columns. Bad input
	// is reported as an error created by BadRow (unless the table's parse
	// error policy says to skip it).
	Next(ctx context.Context, b *types.Batch) error
	// Position encodes the read position after the last row appended by
	// Next, so that OpenSplit(split, pos) continues with the following row.
	Position() []byte
	Close() error
}

// Sink writes a table.
type Sink interface {
	// Open starts the writer of one parallel sink instance.
	Open(ctx context.Context, instance, parallelism int) (SinkWriter, error)
}

// SinkWriter writes rows (with their changelog ops) for one sink instance.
type SinkWriter interface {
	// Write consumes a batch of rows of the table's physical columns. The
	// writer does not own b after returning.
	Write(b *types.Batch) error
	// Flush makes everything written so far visible/durable (called at
	// checkpoints and before Close at end of input).
	Flush() error
	Close() error
}

// ChangelogSink is implemented by sinks that say whether they can apply a
// changelog (-U, +U, -D rows). The planner rejects a query whose result is
// a changelog when its sink does not accept one; a sink that does not
// implement ChangelogSink is treated as accepting inserts only.
type ChangelogSink interface {
	AcceptsChangelog() bool
}

// SkippedRowCounter is implemented by split readers of text sources: it
// returns how many bad input rows the reader skipped under the table's
// 'format.ignore-parse-errors' policy. It may be called from any goroutine.
type SkippedRowCounter interface {
	SkippedRows() int64
}

// WaitReporter is implemented by split readers whose Next may wait for
// data or for a rate limit before it returns rows: WaitedNs is the total
// time Next spent waiting so far, so that the task counts it as idle, not
// busy. Called from the reader's goroutine.
type WaitReporter interface {
	WaitedNs() int64
}

// PollWaiter is implemented by split readers whose Next waits a while
// for rows when none is buffered (Kafka). A source task that reads
// several splits in turn sets the wait before each Next (from its own
// goroutine): none while another split just had rows, so that an empty
// split does not hold up the busy ones, and a share of the usual wait
// when a whole round found nothing. A reader that is never told waits as
// it documents.
type PollWaiter interface {
	SetPollWait(d time.Duration)
}

// PendingRecordsReporter is implemented by split readers that know how far
// behind the end of their log they are (Kafka: the partition's high
// watermark, or last stable offset under read_committed, less the next
// offset to read). PendingRecords returns that count, or -1 while unknown
// (nothing fetched yet). It may be called from any goroutine.
type PendingRecordsReporter interface {
	PendingRecords() int64
}

// WatermarkReader is implemented by split readers whose splits carry
// their own event-time progress, instead of a watermark computed from a
// column: an exchange topic between the stages of a job, where each
// upstream instance writes its watermark into the records. The source task
// of a vertex with SourceSpec.ReaderWatermarks calls Watermark after every
// Next (from its goroutine) and takes it as the split's watermark: the
// rows that Next returned come before it, so a reader ends a batch where
// the watermark it reads advances. math.MinInt64 means no progress yet;
// the value never goes back. An ended split no longer holds the watermark
// back, whatever its reader reported.
type WatermarkReader interface {
	Watermark() int64
}

// WatermarkWriter is implemented by sink writers that carry the job's
// event-time progress on to a later reader (an exchange topic's writer).
// The sink operator calls WriteWatermark each time its input's watermark
// advances, after writing every row that came before it, from the same
// goroutine as Write; math.MaxInt64 is the end of event time.
type WatermarkWriter interface {
	WriteWatermark(wm int64) error
}

// IdleReporter is implemented by split readers whose split knows when it
// is idle: an exchange partition whose producers are all idle (their
// inputs have no rows for now, see IdleWriter). The source task calls Idle
// after every Next (from its goroutine) and leaves the split out of its
// watermark while it reports true, as a split idle for
// table.exec.source.idle-timeout; when every split of the task is idle,
// the task tells its consumers it is idle.
type IdleReporter interface {
	Idle() bool
}

// IdleWriter is implemented by sink writers that carry their input's idle
// status on to a later reader (an exchange topic's writer, whose readers
// implement IdleReporter). The sink operator calls WriteIdle(true) when
// every input of its task went idle (after the rows and the watermark
// before that), and WriteIdle(false) when one is active again, before the
// rows and watermarks that follow; from the same goroutine as Write.
type IdleWriter interface {
	WriteIdle(idle bool) error
}

// SkippedRowSampler is implemented by sources of text tables: it returns
// the first bad row skipped by any of the source's split readers (nil when
// none was), so that a summary can say where to look. It may be called
// from any goroutine.
type SkippedRowSampler interface {
	FirstSkippedRow() *BadRowError
}

// TwoPhaseCommitWriter is a SinkWriter that takes part in checkpoints so
// that every row is committed exactly once.
//
// Order of calls on one instance: Open (which must discard whatever an
// earlier, failed attempt of this sink instance left uncommitted and not
// pre-committed), then Recover with the committables of the checkpoint
// being restored (if any; Recover is called, with nil when there is
// nothing to restore, exactly when the job checkpoints — a writer may take
// it as the sign that it runs under checkpoints), then Write ... PreCommit(n) ... Write ...
// PreCommit(n+1) ..., with Commit called (from the same goroutine, between
// other calls) once checkpoint n completes, for the committables
// PreCommit(n) returned. On a bounded end of input the runtime calls
// PreCommit and then Commit for the final rows. Flush is not used.
type TwoPhaseCommitWriter interface {
	SinkWriter
	// PreCommit makes everything written since the last PreCommit durable
	// but not yet visible, and describes it as committables (stored in the
	// checkpoint; nil when nothing was written). A checkpoint may be
	// aborted after PreCommit: its transactions are then committed with a
	// later checkpoint (the runtime keeps them and passes them to Commit
	// again, and repeats them in later checkpoints until committed).
	// After a restore at another parallelism, the committables of former
	// instance i go to new instance i mod parallelism.
	PreCommit(checkpointID int64) ([][]byte, error)
	// Commit makes pre-committed transactions visible. It must be
	// idempotent: committing one that is already committed is not an error.
	Commit(committables [][]byte) error
	// Recover commits the committables of a restored checkpoint (some may
	// already be committed) and aborts anything else left pending.
	Recover(committables [][]byte) error
}

// CommittableSizer is implemented by a TwoPhaseCommitWriter whose
// committables reference files it wrote (e.g. the JDBC sink's spill files)
// instead of carrying the rows. The runtime calls CommittableBytes after
// PreCommit, from the writer's goroutine, with every committable the
// checkpoint holds for the instance; the result (the bytes of the files
// those committables reference, as recorded when they were written) is
// counted in the checkpoint's size.
type CommittableSizer interface {
	CommittableBytes(committables [][]byte) int64
}

// CheckpointedReader is a SplitReader whose checkpointed position needs
// more than Position (e.g. a socket source that logs what it received).
// SnapshotPosition is called by the source task at a barrier instead of
// Position, in the same step as the barrier is emitted.
type CheckpointedReader interface {
	SplitReader
	SnapshotPosition(checkpointID int64) ([]byte, error)
	// CheckpointComplete lets the reader drop log data older than the
	// completed checkpoint.
	CheckpointComplete(checkpointID int64)
}

// Factory builds sources and sinks for one connector name.
type Factory struct {
	Name string
	// Options lists the option keys the connector accepts, for validation
	// and shell completion ("connector" itself is implied).
	Options []OptionSpec
	// NewSource builds a source for t; nil if the connector cannot read.
	NewSource func(t *catalog.Table, env *Env) (Source, error)
	// NewSink builds a sink for t; nil if the connector cannot write.
	NewSink func(t *catalog.Table, env *Env) (Sink, error)
	// NewLookup, optional, builds the lookup side of a lookup join for t
	// (see LookupSource) when the connector looks rows up by key (jdbc).
	// Without it, a connector whose source is bounded serves lookups from
	// its rows loaded into memory (see NewLookupSource).
	NewLookup func(t *catalog.Table, env *Env) (LookupSource, error)
	// Validate, optional, checks t's option values and dynamic keys (such
	// as datagen's 'fields.<col>.kind') without connecting to anything;
	// ValidateOptions calls it after checking the keys, so that CREATE
	// TABLE reports what NewSource/NewSink would.
	Validate func(t *catalog.Table) error
}

// OptionSpec documents one WITH option. A Key may contain one '#' standing
// for any non-empty text, as in Flink's 'fields.#.kind' (the connector then
// checks what '#' names itself).
type OptionSpec struct {
	Key      string
	Default  string
	Required bool
	Help     string
}

var (
	mu        sync.RWMutex
	factories = map[string]*Factory{}
)

// Register adds a connector; it panics on a duplicate name (programming error at init).
func Register(f *Factory) {
	mu.Lock()
	defer mu.Unlock()
	name := strings.ToLower(f.Name)
	if factories[name] != nil {
		panic("connector registered twice: " + name)
	}
	factories[name] = f
}

// Lookup returns the factory for a connector name, or nil.
func Lookup(name string) *Factory {
	mu.RLock()
	defer mu.RUnlock()
	return factories[strings.ToLower(name)]
}

// Names lists the names of the registered connectors, sorted, as a
// 'connector' option spells them (the in-memory connector's unnamed
// registration, a table without 'connector', is listed as "memory" only).
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for n := range factories {
		if n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ValidateOptions checks t's WITH options against spec: unknown keys and
// missing required keys are errors naming the table and the key.
func ValidateOptions(t *catalog.Table, f *Factory) error {
	known := map[string]bool{"connector": true}
	var patterns [][2]string // prefix, suffix around '#'
	for _, o := range f.Options {
		k := strings.ToLower(o.Key)
		if pre, suf, ok := strings.Cut(k, "#"); ok {
			patterns = append(patterns, [2]string{pre, suf})
			continue
		}
		known[k] = true
	}
	matches := func(k string) bool {
		if known[k] {
			return true
		}
		for _, p := range patterns {
			if len(k) > len(p[0])+len(p[1]) && strings.HasPrefix(k, p[0]) && strings.HasSuffix(k, p[1]) {
				return true
			}
		}
		return false
	}
	for _, o := range t.Options {
		if !matches(strings.ToLower(o.Key)) {
			return fmt.Errorf("table %s: connector '%s' has no option '%s' (known: %s)", t.Name, f.Name, o.Key, strings.Join(f.optionKeys(), ", "))
		}
	}
	for _, o := range f.Options {
		if o.Required && !t.HasOption(o.Key) {
			return fmt.Errorf("table %s: connector '%s' needs option '%s'", t.Name, f.Name, o.Key)
		}
	}
	if f.Validate != nil {
		return f.Validate(t)
	}
	return nil
}

func (f *Factory) optionKeys() []string {
	var out []string
	for _, o := range f.Options {
		out = append(out, o.Key)
	}
	return out
}

// BadRowError reports an input row that could not be parsed.
type BadRowError struct {
	Table  string
	Kind   string // what Source names: "file", "socket", or "" when Source says it
	Source string // file path, host:port, ...
	Line   int64  // 1-based line of the row's first byte; 0 when unknown or not applicable
	Offset int64  // byte offset or record offset in the source (see Unit)
	Unit   string // "byte offset" or "offset"
	Row    string // the raw row text (truncated)
	Reason string
}

// Where renders the row's place: "file bids.csv, line 17 (byte offset
// 512)", or "kafka topic 't' partition 0 at offset 12" without a line.
func (e *BadRowError) Where() string {
	src := e.Source
	if e.Kind != "" {
		src = e.Kind + " " + src
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d (%s %d)", src, e.Line, e.Unit, e.Offset)
	}
	return fmt.Sprintf("%s at %s %d", src, e.Unit, e.Offset)
}

func (e *BadRowError) Error() string {
	row := e.Row
	if len(row) > 200 {
		row = row[:200] + "..."
	}
	return fmt.Sprintf("table %s: bad row in %s: %s: %q", e.Table, e.Where(), e.Reason, row)
}
