package jdbc

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func init() {
	for _, name := range []string{"jdbc", "mysql"} {
		connectors.Register(&connectors.Factory{
			Name:      name,
			Options:   append(options(), lookupOptions()...),
			NewSink:   newSink,
			NewLookup: newLookup, // lookup.go
			Validate: func(t *catalog.Table) error {
				if _, err := parseConfig(t); err != nil {
					return fmt.Errorf("table %s: %v", t.Name, err)
				}
				if _, err := parseLookupConfig(t); err != nil {
					return fmt.Errorf("table %s: %v", t.Name, err)
				}
				return nil
			},
		})
	}
}

// Tuning, variables so that tests can shorten them.
var (
	// backoffBase is the first retry delay; it doubles up to backoffMax.
	backoffBase = 100 * time.Millisecond
	backoffMax  = 10 * time.Second
	// progressRetained is how many checkpoint ids of progress rows are
	// kept behind the latest committed one; pruneEvery how often (in
	// commits) older ones are deleted.
	progressRetained int64 = 1000
	pruneEvery             = 32
)

// maxParams bounds the placeholders of one statement (the protocol
// allows 65535); maxRowsPerStatement the rows of one multi-row statement,
// maxStatementBytes (about) the size of its values.
const (
	maxParams           = 60000
	maxRowsPerStatement = 500
	maxStatementBytes   = 4 << 20
)

func newSink(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
	cfg, err := parseConfig(t)
	if err != nil {
		return nil, err
	}
	s := &sink{t: t, env: env, cfg: cfg, cols: t.PhysicalColumns()}
	s.name = qualified(cfg.db, cfg.table)
	s.progressName = qualified(cfg.progressDB, cfg.progress)
	for _, idx := range t.PrimaryKey {
		p := idx
		if t.ProctimeColumn >= 0 && idx > t.ProctimeColumn {
			p--
		}
		s.key = append(s.key, p)
	}
	s.buildStatements()
	return s, nil
}

// sink is one table's sink; Open starts a writer per parallel instance.
type sink struct {
	t            *catalog.Table
	env          *connectors.Env // read at Open: the engine sets JobName after planning
	cfg          *config
	cols         types.Schema // physical columns, the rows' layout
	key          []int        // primary key columns (indexes into cols); nil without one
	name         string       // `db`.`table`
	progressName string

	insertHead  string // INSERT INTO t (`a`, `b`) VALUES
	rowHolders  string // (?, ?)
	upsertTail  string //  ON DUPLICATE KEY UPDATE `b` = VALUES(`b`)
	deleteHead  string // DELETE FROM t WHERE
	keyHolders  string // `k` = ? / (`a` = ? AND `b` = ?)
	rowsPerStmt int
	keysPerStmt int
}

var (
	_ connectors.ChangelogSink        = (*sink)(nil)
	_ connectors.TwoPhaseCommitWriter = (*twoPhaseWriter)(nil)
)

// AcceptsChangelog is true when the table has a primary key: updates and
// deletes are applied by key.
func (s *sink) AcceptsChangelog() bool { return s.key != nil }

func (s *sink) buildStatements() {
	var cols, holders, updates []string
	for _, c := range s.cols {
		cols = append(cols, quote(c.Name))
		holders = append(holders, "?")
	}
	isKey := map[int]bool{}
	for _, k := range s.key {
		isKey[k] = true
	}
	for i, c := range s.cols {
		if !isKey[i] {
			updates = append(updates, quote(c.Name)+" = VALUES("+quote(c.Name)+")")
		}
	}
	if len(updates) == 0 && len(s.key) > 0 {
		// every column is part of the key: an existing row stays as it is
		c := quote(s.cols[s.key[0]].Name)
		updates = append(updates, c+" = "+c)
	}
	s.insertHead = "INSERT INTO " + s.name + " (" + strings.Join(cols, ", ") + ") VALUES "
	s.rowHolders = "(" + strings.Join(holders, ", ") + ")"
	s.upsertTail = " ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	s.rowsPerStmt = max(1, min(maxRowsPerStatement, maxParams/max(1, len(s.cols))))
	if len(s.key) > 0 {
		var conds []string
		for _, k := range s.key {
			conds = append(conds, quote(s.cols[k].Name)+" = ?")
		}
		s.keyHolders = strings.Join(conds, " AND ")
		if len(conds) > 1 {
			s.keyHolders = "(" + s.keyHolders + ")"
		}
		s.deleteHead = "DELETE FROM " + s.name + " WHERE "
		s.keysPerStmt = max(1, min(maxRowsPerStatement, maxParams/len(s.key)))
	}
}

func (s *sink) insertSQL(n int) string {
	var b strings.Builder
	b.Grow(len(s.insertHead) + n*(len(s.rowHolders)+2) + len(s.upsertTail))
	b.WriteString(s.insertHead)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.rowHolders)
	}
	if s.key != nil {
		b.WriteString(s.upsertTail)
	}
	return b.String()
}

func (s *sink) deleteSQL(n int) string {
	var b strings.Builder
	b.WriteString(s.deleteHead)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(s.keyHolders)
	}
	return b.String()
}

// createSQL is the CREATE TABLE of 'sink.create-table'.
func (s *sink) createSQL() (string, error) {
	isKey := map[int]bool{}
	for _, k := range s.key {
		isKey[k] = true
	}
	var parts []string
	for i, c := range s.cols {
		ty, err := columnType(c.Type, isKey[i])
		if err != nil {
			return "", err
		}
		parts = append(parts, quote(c.Name)+" "+ty)
	}
	if len(s.key) > 0 {
		var ks []string
		for _, k := range s.key {
			ks = append(ks, quote(s.cols[k].Name))
		}
		parts = append(parts, "PRIMARY KEY ("+strings.Join(ks, ", ")+")")
	}
	return "CREATE TABLE IF NOT EXISTS " + s.name + " (\n  " + strings.Join(parts, ",\n  ") + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", nil
}

func (s *sink) progressSQL() string {
	return "CREATE TABLE IF NOT EXISTS " + s.progressName + ` (
  job VARCHAR(190) NOT NULL,
  sink VARCHAR(190) NOT NULL,
  checkpoint_id BIGINT NOT NULL,
  token VARCHAR(64) NOT NULL,
  row_count BIGINT NOT NULL,
  committed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (job, sink, checkpoint_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

// Error reporting. Every error the package returns passes through
// errorf, which removes credentials from its text (driver messages
// included) and prefixes the table name.

// safeError is an error whose text holds no credentials. It does not
// unwrap to the driver's error (whose text might), but it reports
// context cancellation for errors.Is.
type safeError struct {
	msg   string
	cause error
}

func (e *safeError) Error() string { return e.msg }

func (e *safeError) Is(target error) bool {
	return (target == context.Canceled || target == context.DeadlineExceeded) && errors.Is(e.cause, target)
}

func (s *sink) errorf(cause error, format string, args ...any) error {
	return tableErrorf(s.cfg, s.t.Name, cause, format, args...)
}

// describe renders a driver error for a message.
func describe(err error) string {
	var se *safeError
	if errors.As(err, &se) {
		return se.msg
	}
	return err.Error()
}

// warn prints a warning (credentials removed) to the engine's error stream.
func (s *sink) warn(format string, args ...any) { warn(s.env, s.cfg, s.t.Name, format, args...) }

// warn prints a warning about table to env's error stream, with the
// credentials of cfg removed and errors described (see describe).
func warn(env *connectors.Env, cfg *config, table string, format string, args ...any) {
	if env == nil {
		return
	}
	for i, a := range args {
		if e, ok := a.(error); ok {
			args[i] = describe(e)
		}
	}
	env.Warn(cfg.clean(fmt.Sprintf("table %s: ", table) + fmt.Sprintf(format, args...)))
}

// driverLogger receives the driver's own log lines and passes them on
// as warnings without credentials (the driver's default logger writes to
// the process's standard error directly).
type driverLogger struct {
	warn func(format string, args ...any)
}

func (l driverLogger) Print(v ...any) {
	l.warn("database driver: %s", strings.TrimSpace(fmt.Sprint(v...)))
}

// retryable reports whether err is a lost or refused connection, or a
// transient server condition that a new attempt may not meet.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, // too many connections
			1053, // server shutdown in progress
			1205, // lock wait timeout
			1213, // deadlock
			1927, // connection killed
			2006, // server has gone away
			2013, // lost connection during query
			4031: // disconnected for inactivity
			return true
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, mysql.ErrBusyBuffer) ||
		errors.Is(err, mysql.ErrPktSync) || errors.Is(err, mysql.ErrPktSyncMul) || errors.Is(err, mysql.ErrMalformPkt) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

func isMySQLError(err error, numbers ...uint16) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		for _, n := range numbers {
			if me.Number == n {
				return true
			}
		}
	}
	return false
}

// Open starts the writer of one instance: it connects (retrying), checks
// that the table exists with the declared columns (or creates it, with
// 'sink.create-table'), and that a table with a primary key has a
// PRIMARY KEY or UNIQUE index on exactly those columns.
func (s *sink) Open(ctx context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	cfg := s.cfg.driver.Clone()
	cfg.Logger = driverLogger{s.warn}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, s.errorf(err, "connection settings: %v", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(5 * time.Minute)
	job := ""
	if s.env != nil {
		job = s.env.JobName
	}
	if job == "" {
		job = "table:" + s.t.Name
	}
	var epoch int64
	if s.env != nil {
		epoch = fenceValue(s.env.OwnerRun, s.env.OwnerEpoch)
	}
	base := ""
	if s.env != nil {
		base = s.env.StateDir
	}
	if base == "" {
		// outside the engine (which sets StateDir whenever the job
		// checkpoints): the system's temporary directory
		base = filepath.Join(os.TempDir(), "streamsql-jdbc")
	}
	w := &writer{
		s: s, ctx: ctx, db: db, instance: instance, parallelism: max(1, parallelism), epoch: epoch,
		job:      fitKey(job),
		sinkID:   fitKey(s.cfg.db + "." + s.cfg.table + "/" + strconv.Itoa(instance)),
		fenceID:  fitKey(s.cfg.db + "." + s.cfg.table),
		token:    newToken(),
		buf:      newBuffer(len(s.cols), s.key),
		stmts:    map[string]*sql.Stmt{},
		stop:     make(chan struct{}),
		spillDir: spillDir(base, job, s.cfg.db+"."+s.cfg.table),
		watch:    newWaitWatch(s.cfg.waitWarning, s.cfg.addr, s.warn),
	}
	if err := w.retry("connecting", w.checkTable); err != nil {
		db.Close()
		return nil, err
	}
	if s.cfg.exactlyOnce {
		return &twoPhaseWriter{w}, nil
	}
	return w, nil
}

// fitKey shortens a name to fit the progress table's key columns.
func fitKey(s string) string {
	if len(s) <= 190 {
		return s
	}
	h := fnv.New64a()
	io.WriteString(h, s)
	return fmt.Sprintf("%s~%016x", s[:170], h.Sum64())
}

func newToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkTable checks (or creates) the target table.
func (w *writer) checkTable(ctx context.Context) error {
	s := w.s
	var cols []string
	for _, c := range s.cols {
		cols = append(cols, quote(c.Name))
	}
	probe := "SELECT " + strings.Join(cols, ", ") + " FROM " + s.name + " WHERE 1 = 0"
	err := w.probe(ctx, probe)
	if isMySQLError(err, 1146) && s.cfg.createTable {
		ddl, derr := s.createSQL()
		if derr != nil {
			return permanent(s.errorf(derr, "%v", derr))
		}
		if _, err := w.db.ExecContext(ctx, ddl); err != nil {
			if retryable(err) {
				return err
			}
			return permanent(s.errorf(err, "cannot create the database table %s: %v", s.name, err))
		}
		err = w.probe(ctx, probe)
	}
	switch {
	case err == nil:
	case isMySQLError(err, 1146):
		return permanent(s.errorf(err, "the database table %s does not exist: create it, or set 'sink.create-table' = 'true'", s.name))
	case isMySQLError(err, 1049):
		return permanent(s.errorf(err, "the database %s does not exist", quote(s.cfg.db)))
	case isMySQLError(err, 1054):
		return permanent(s.errorf(err, "the database table %s does not have the declared columns: %v", s.name, err))
	case retryable(err):
		return err
	default:
		return permanent(s.errorf(err, "cannot use the database table %s: %v", s.name, err))
	}
	if s.key == nil {
		return nil
	}
	rows, err := w.db.QueryContext(ctx, `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`, s.cfg.db, s.cfg.table)
	if err != nil {
		return err
	}
	defer rows.Close()
	indexes := map[string][]string{}
	for rows.Next() {
		var idx, col string
		if err := rows.Scan(&idx, &col); err != nil {
			return err
		}
		indexes[idx] = append(indexes[idx], strings.ToLower(col))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var want []string
	for _, k := range s.key {
		want = append(want, strings.ToLower(s.cols[k].Name))
	}
	sort.Strings(want)
	for _, cols := range indexes {
		sort.Strings(cols)
		if strings.Join(cols, "\x00") == strings.Join(want, "\x00") {
			return nil
		}
	}
	var names []string
	for _, k := range s.key {
		names = append(names, s.cols[k].Name)
	}
	return permanent(s.errorf(nil, "the database table %s has no PRIMARY KEY or UNIQUE index on (%s), the declared primary key: upserts need one",
		s.name, strings.Join(names, ", ")))
}

func (w *writer) probe(ctx context.Context, query string) error {
	rows, err := w.db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	return rows.Close()
}

// permanentError marks an error that a retry cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }

func permanent(err error) error { return permanentError{err} }

const (
	modeUnknown = iota
	modeDirect  // Write and Flush: rows are written in batches (at-least-once)
	modeTwoPhase
)

// writer writes one sink instance. The runtime calls its methods from one
// goroutine; mu guards against the interval flusher goroutine (direct
// mode only).
type writer struct {
	s           *sink
	ctx         context.Context
	db          *sql.DB
	instance    int
	parallelism int
	job         string
	sinkID      string
	token       string // tells this writer's committables from those of other runs
	watch       *waitWatch

	// Exactly-once: rows beyond the memory bounds go to spill, the file of
	// the current checkpoint period (nil until the first spill); seq
	// numbers the files of this writer.
	spillDir string
	spill    *spillWriter
	seq      int64

	mu        sync.Mutex
	mode      int
	buf       *buffer
	failed    error
	stmts     map[string]*sql.Stmt // prepared full-size statements
	args      []any
	progress  bool // the progress table exists
	commits   int
	flusher   bool
	stop      chan struct{} // closed by Close
	stopOnce  sync.Once
	flushDone chan struct{}
	closed    bool

	// Fencing (fence.go). epoch is the job's owner (Env.OwnerRun and
	// Env.OwnerEpoch, read at Open, as fenceValue); > 0 turns fencing on with the fence row (job,
	// fenceID, fenceCheckpoint), shared by all instances of the job's sink
	// for this table. fenced: this writer raised the fence row to its
	// epoch. afterFenceRead, when set (tests), runs in each commit
	// transaction right after the fence row was read with its shared lock.
	epoch          int64
	fenceID        string // 'db.table'
	fenced         bool
	afterFenceRead func()
}

// retry runs fn as the writer's retrier does (1 + 'sink.max-retries'
// attempts); closing the writer stops the waiting.
func (w *writer) retry(what string, fn func(ctx context.Context) error) error {
	return retrier{ctx: w.ctx, stop: w.stop, retries: w.s.cfg.maxRetries, option: optMaxRetries,
		budget: w.s.cfg.retryTimeout, addr: w.s.cfg.addr, errorf: w.s.errorf, warn: w.s.warn,
		watch: w.watch}.run(what, fn)
}

// Write buffers the rows of b. Without a primary key only inserted rows
// are accepted. Once the buffer holds 'sink.buffer-flush.max-rows' rows or
// 'sink.buffer-flush.max-bytes' of memory it is written: to the database
// in direct mode (no checkpointing), to the period's spill file in
// two-phase mode. Either way Write returns only once the buffer is below
// its bounds again: a slow database or disk slows the job down
// (backpressure) instead of growing memory.
func (w *writer) Write(b *types.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	if b.Width != len(w.s.cols) {
		return w.s.errorf(nil, "got rows of %d values for %d columns", b.Width, len(w.s.cols))
	}
	if w.mode == modeUnknown {
		// Write before any PreCommit or Recover: the job does not checkpoint
		w.mode = modeDirect
		w.startFlusher()
	}
	for i := 0; i < b.Len(); i++ {
		op := b.Ops[i]
		if w.s.key == nil && op != types.Insert {
			return w.s.errorf(nil, "the table has no PRIMARY KEY and the query produces %s rows (updates or deletes): declare a PRIMARY KEY to apply updates", op)
		}
		w.buf.add(op, b.Row(i))
		switch {
		case w.mode == modeDirect && (w.s.cfg.maxRows > 0 && w.buf.len() >= w.s.cfg.maxRows || w.buf.bytes >= w.s.cfg.spillBytes):
			if err := w.flushLocked(); err != nil {
				return err
			}
		case w.mode == modeTwoPhase && (w.s.cfg.spillRows > 0 && w.buf.len() >= w.s.cfg.spillRows || w.buf.bytes >= w.s.cfg.spillBytes):
			if err := w.spillLocked(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush writes the buffered rows in one transaction (direct mode). With
// checkpointing the runtime uses PreCommit instead; a Flush then does
// nothing.
func (w *writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mode == modeTwoPhase {
		return w.failed
	}
	return w.flushLocked()
}

func (w *writer) flushLocked() error {
	if w.failed != nil {
		return w.failed
	}
	if w.buf.len() == 0 {
		return nil
	}
	err := w.retry("writing rows", func(ctx context.Context) error {
		if err := w.prepare(ctx, w.buf); err != nil {
			return err
		}
		return w.inTx(ctx, func(tx *sql.Tx) error { return w.apply(ctx, tx, w.buf) })
	})
	if err != nil {
		w.failed = err
		return err
	}
	w.buf.reset()
	return nil
}

// startFlusher starts the goroutine that writes buffered rows every
// 'sink.buffer-flush.interval' (direct mode).
func (w *writer) startFlusher() {
	if w.flusher || w.s.cfg.interval <= 0 {
		return
	}
	w.flusher = true
	w.flushDone = make(chan struct{})
	go func() {
		defer close(w.flushDone)
		t := time.NewTicker(w.s.cfg.interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-w.ctx.Done():
				return
			case <-t.C:
				w.mu.Lock()
				if w.mode == modeDirect && !w.closed {
					w.flushLocked() // a failure is kept and returned by the next call
				}
				w.mu.Unlock()
			}
		}
	}()
}

// Close discards the rows not yet written (or pre-committed), with the
// spill file of the current period, and closes the connection. It stops
// the interval flusher first (interrupting its retries). Spill files of
// pre-committed periods stay: a checkpoint may name them.
func (w *writer) Close() error {
	w.stopOnce.Do(func() { close(w.stop) })
	if w.flushDone != nil {
		<-w.flushDone
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
	w.buf.reset()
	if w.spill != nil {
		w.spill.discard()
		w.spill = nil
	}
	return w.db.Close()
}

func (w *writer) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// prepare makes sure the full-size statements that applying b needs are
// prepared (before the transaction starts: the writer has one
// connection, which the transaction holds).
func (w *writer) prepare(ctx context.Context, b *buffer) error {
	ins, del := 0, 0
	for _, op := range b.ops {
		if op == types.Delete {
			del++
		} else {
			ins++
		}
	}
	return w.prepareStatements(ctx, ins >= w.s.rowsPerStmt, del >= w.s.keysPerStmt)
}

// prepareStatements prepares the full-size insert and (with a key)
// delete statements, as asked.
func (w *writer) prepareStatements(ctx context.Context, inserts, deletes bool) error {
	s := w.s
	var need []string
	if inserts {
		need = append(need, s.insertSQL(s.rowsPerStmt))
	}
	if deletes && s.keysPerStmt > 0 {
		need = append(need, s.deleteSQL(s.keysPerStmt))
	}
	for _, q := range need {
		if w.stmts[q] != nil {
			continue
		}
		st, err := w.db.PrepareContext(ctx, q)
		if err != nil {
			return w.statementError(err)
		}
		w.stmts[q] = st
	}
	return nil
}

// statementError marks server errors about a statement (bad data, wrong
// types) as permanent, naming the table.
func (w *writer) statementError(err error) error {
	if retryable(err) {
		return err
	}
	return permanent(w.s.errorf(err, "writing to the database table %s: %v", w.s.name, err))
}

// exec runs one statement of the transaction, with a prepared statement
// when there is one for it.
func (w *writer) exec(ctx context.Context, tx *sql.Tx, query string, args []any) error {
	var err error
	if st := w.stmts[query]; st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return w.statementError(err)
	}
	w.watch.progress()
	return nil
}

// apply writes b's rows in tx: multi-row inserts (upserts with a primary
// key) and multi-key deletes.
func (w *writer) apply(ctx context.Context, tx *sql.Tx, b *buffer) error {
	s := w.s
	var ins, del []int
	for i, op := range b.ops {
		if op == types.Delete {
			del = append(del, i)
		} else {
			ins = append(ins, i)
		}
	}
	for len(del) > 0 {
		n := chunk(b, del, s.keysPerStmt, s.key)
		args := w.args[:0]
		for _, i := range del[:n] {
			row := b.row(i)
			for _, k := range s.key {
				args = append(args, arg(row[k]))
			}
		}
		w.args = args
		if err := w.exec(ctx, tx, s.deleteSQL(n), args); err != nil {
			return err
		}
		del = del[n:]
	}
	for len(ins) > 0 {
		n := chunk(b, ins, s.rowsPerStmt, nil)
		args := w.args[:0]
		for _, i := range ins[:n] {
			for _, v := range b.row(i) {
				args = append(args, arg(v))
			}
		}
		w.args = args
		if err := w.exec(ctx, tx, s.insertSQL(n), args); err != nil {
			return err
		}
		ins = ins[n:]
	}
	clear(w.args)
	return nil
}

// chunk returns how many of the rows idx (at most maxRows) go into the
// next statement: fewer when their values would make a packet larger than
// maxStatementBytes (servers refuse packets above max_allowed_packet,
// 16 MiB by default). cols are the columns sent (nil: all).
func chunk(b *buffer, idx []int, maxRows int, cols []int) int {
	n, size := 0, 0
	for n < len(idx) && n < maxRows {
		row := b.row(idx[n])
		rs := 0
		if cols == nil {
			for _, v := range row {
				rs += 16 + len(v.Str())
			}
		} else {
			for _, c := range cols {
				rs += 16 + len(row[c].Str())
			}
		}
		if n > 0 && size+rs > maxStatementBytes {
			break
		}
		size += rs
		n++
	}
	return n
}

// arg converts a value to a driver argument: DECIMAL as its exact text,
// TIMESTAMP as a UTC time (millisecond precision), DATE as 'YYYY-MM-DD',
// INTERVAL as milliseconds, NULL as nil.
func arg(v types.Value) any {
	switch v.Kind() {
	case types.KindNull:
		return nil
	case types.KindBool:
		return v.Bool()
	case types.KindInt:
		return v.Int()
	case types.KindDouble:
		return v.Double()
	case types.KindDecimal:
		return string(types.AppendDecimal(nil, v.Unscaled(), v.Scale()))
	case types.KindString:
		return v.Str()
	case types.KindTimestamp:
		return time.UnixMilli(v.Millis()).UTC()
	case types.KindDate:
		return types.Render(v, types.Date)
	case types.KindInterval:
		return v.Int()
	}
	return nil
}

// twoPhaseWriter is the exactly-once writer (a
// connectors.TwoPhaseCommitWriter): the runtime drives it through
// PreCommit and Commit when the job checkpoints.
type twoPhaseWriter struct{ *writer }

// Recover commits the committables of the restored checkpoint (those
// already applied are skipped). It also switches the writer to
// checkpointed mode: the runtime calls it right after Open whenever the
// job checkpoints. Nothing else is pending in the database: rows that were
// not pre-committed were never written. It then deletes the spill files
// that earlier runs of this instance (and of the former instances whose
// committables it receives, i mod parallelism) left behind and no restored
// committable names: periods never pre-committed, or pre-committed for a
// checkpoint that did not complete. With an owner epoch (Env.OwnerEpoch >
// 0) it first raises the fence row to it, and fails when a later owner
// raised it higher (fence.go).
func (w *twoPhaseWriter) Recover(committables [][]byte) error {
	w.mu.Lock()
	w.mode = modeTwoPhase
	w.mu.Unlock()
	if err := w.ensureProgress(); err != nil {
		return err
	}
	if err := w.raiseFence(); err != nil {
		return err
	}
	if err := w.Commit(committables); err != nil {
		return err
	}
	w.removeOrphans()
	return nil
}

// removeOrphans deletes the spill files of other runs that map to this
// instance (see Recover).
func (w *twoPhaseWriter) removeOrphans() {
	entries, err := os.ReadDir(w.spillDir)
	if err != nil {
		return // no directory yet
	}
	for _, e := range entries {
		inst, token, ok := parseSpillName(e.Name())
		if ok && token != w.token && inst%w.parallelism == w.instance {
			os.Remove(filepath.Join(w.spillDir, e.Name()))
		}
	}
}

// spillLocked appends the buffered rows to the period's spill file
// (creating it) and empties the buffer. Exactly-once mode only.
func (w *writer) spillLocked() error {
	if w.failed != nil {
		return w.failed
	}
	if w.buf.len() == 0 {
		return nil
	}
	if w.spill == nil {
		w.seq++
		sp, err := createSpill(w.spillDir, spillName(w.instance, w.token, w.seq))
		if err != nil {
			w.failed = w.s.errorf(err, "cannot create a spill file in %s: %v", w.spillDir, err)
			return w.failed
		}
		w.spill = sp
	}
	if err := w.spill.writeSegment(w.buf); err != nil {
		w.failed = w.s.errorf(err, "writing the spill file %s: %v", filepath.Join(w.spillDir, w.spill.name), err)
		return w.failed
	}
	w.buf.reset()
	return nil
}

// PreCommit writes the rows buffered since the previous PreCommit to the
// period's spill file, makes it durable, and returns one committable that
// names it (nil when nothing was written); nothing is written to the
// database yet.
func (w *twoPhaseWriter) PreCommit(checkpointID int64) ([][]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mode = modeTwoPhase
	if w.failed != nil {
		return nil, w.failed
	}
	if w.buf.len() == 0 && w.spill == nil {
		return nil, nil
	}
	if err := w.spillLocked(); err != nil {
		return nil, err
	}
	sp := w.spill
	w.spill = nil
	if err := sp.finish(); err != nil {
		path := filepath.Join(sp.dir, sp.name)
		os.Remove(path)
		w.failed = w.s.errorf(err, "writing the spill file %s: %v", path, err)
		return nil, w.failed
	}
	return [][]byte{encodeCommittable(w.job, w.sinkID, w.token, checkpointID, len(w.s.cols), len(w.s.key), sp)}, nil
}

// CommittableBytes implements connectors.CommittableSizer: the sizes of
// the spill files the committables name (a version 1 committable, which
// carries its rows inline, counts as 0: its rows are inside _metadata).
func (w *twoPhaseWriter) CommittableBytes(committables [][]byte) int64 {
	var n int64
	for _, raw := range committables {
		if c, err := decodeCommittable(raw, len(w.s.cols), w.s.key); err == nil {
			n += c.size
		}
	}
	return n
}

// Commit applies each committable in one transaction together with its
// progress row (job, sink, checkpoint id). A committable whose progress
// row exists (with its token) was applied before and is skipped. With an
// owner epoch, each transaction first checks the fence row (fence.go), and
// a writer that never recovered raises it first.
func (w *twoPhaseWriter) Commit(committables [][]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mode = modeTwoPhase
	if w.failed != nil {
		return w.failed
	}
	if len(committables) == 0 {
		return nil
	}
	if err := w.ensureProgressLocked(); err != nil {
		return err
	}
	if err := w.raiseFenceLocked(); err != nil {
		return err
	}
	cs := make([]*committable, 0, len(committables))
	for _, raw := range committables {
		c, err := decodeCommittable(raw, len(w.s.cols), w.s.key)
		if err != nil {
			return w.s.errorf(err, "cannot read a committable of the checkpoint: %v", err)
		}
		cs = append(cs, c)
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	for _, c := range cs {
		if err := w.commitOne(c); err != nil {
			return err
		}
	}
	return nil
}

var errApplied = errors.New("applied before")

// commitOne applies one committable: it claims the progress row, then
// streams the rows from the spill file (segment by segment, so memory
// stays bounded) into the same transaction. The file is deleted once the
// rows are committed (or found applied before); a file that is missing or
// damaged while the rows were not applied fails the commit, naming it.
func (w *twoPhaseWriter) commitOne(c *committable) error {
	s := w.s
	// The progress row is claimed first: inserting it takes no gap lock,
	// so instances committing the same checkpoint do not deadlock on the
	// progress table (a SELECT ... FOR UPDATE of a missing row would).
	ins := "INSERT INTO " + s.progressName + " (job, sink, checkpoint_id, token, row_count) VALUES (?, ?, ?, ?, ?)"
	sel := "SELECT token FROM " + s.progressName + " WHERE job = ? AND sink = ? AND checkpoint_id = ? FOR UPDATE"
	upd := "UPDATE " + s.progressName + " SET token = ?, row_count = ?, committed_at = CURRENT_TIMESTAMP(3) WHERE job = ? AND sink = ? AND checkpoint_id = ?"
	n := c.rowCount
	path := ""
	if c.file != "" {
		path = filepath.Join(w.spillDir, c.file)
	}
	err := w.retry(fmt.Sprintf("committing checkpoint %d", c.id), func(ctx context.Context) error {
		var err error
		if c.rows != nil {
			err = w.prepare(ctx, c.rows)
		} else {
			err = w.prepareStatements(ctx, true, true)
		}
		if err != nil {
			return err
		}
		return w.inTx(ctx, func(tx *sql.Tx) error {
			if err := w.checkFence(ctx, tx, c.id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, ins, c.job, c.sink, c.id, c.token, n)
			if isMySQLError(err, 1062) {
				// the row exists (committed: a concurrent insert would
				// have made this one wait for its outcome)
				var token string
				if err := tx.QueryRowContext(ctx, sel, c.job, c.sink, c.id).Scan(&token); err != nil {
					return w.progressError(err)
				}
				if token == c.token {
					return permanent(errApplied)
				}
				// the progress row of another run of the job that used the
				// same checkpoint id (started over without restoring)
				_, err = tx.ExecContext(ctx, upd, c.token, n, c.job, c.sink, c.id)
			}
			if err != nil {
				return w.progressError(err)
			}
			w.watch.progress()
			if c.rows != nil {
				return w.apply(ctx, tx, c.rows)
			}
			return w.applyFile(ctx, tx, c, path)
		})
	})
	if errors.Is(err, errApplied) {
		err = nil
	}
	if err != nil {
		w.failed = err
		return err
	}
	if path != "" {
		os.Remove(path) // committed: no checkpoint needs its rows any more
	}
	if c.sink == w.sinkID && c.job == w.job {
		w.commits++
		if w.commits%pruneEvery == 0 && c.id > progressRetained {
			// best effort: progress rows far behind the latest commit
			// cannot be recovered any more. The fence row is never
			// deleted: its sink is 'db.table', never w.sinkID
			// ('db.table/<instance>').
			w.db.ExecContext(w.ctx, "DELETE FROM "+s.progressName+" WHERE job = ? AND sink = ? AND checkpoint_id < ?",
				w.job, w.sinkID, c.id-progressRetained)
		}
	}
	return nil
}

// applyFile writes the rows of c's spill file in tx, one segment at a
// time, checking the file's size, checksums and row count.
func (w *twoPhaseWriter) applyFile(ctx context.Context, tx *sql.Tx, c *committable, path string) error {
	bad := func(err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return permanent(w.s.errorf(err, "checkpoint %d: its spill file %s is missing: the checkpoint's rows cannot be committed", c.id, path))
		}
		return permanent(w.s.errorf(err, "checkpoint %d: its spill file %s is damaged: %v", c.id, path, err))
	}
	r, err := openSpill(path, c.size, c.sum)
	if err != nil {
		return bad(err)
	}
	defer r.close()
	seg := newBuffer(len(w.s.cols), w.s.key)
	var rows int64
	for {
		more, err := r.next(seg)
		if err != nil {
			return bad(err)
		}
		if !more {
			break
		}
		rows += int64(seg.len())
		if err := w.apply(ctx, tx, seg); err != nil {
			return err
		}
	}
	if rows != c.rowCount {
		return bad(fmt.Errorf("%w: %d rows, the checkpoint recorded %d", errDamaged, rows, c.rowCount))
	}
	return nil
}

func (w *twoPhaseWriter) progressError(err error) error {
	if retryable(err) {
		return err
	}
	return permanent(w.s.errorf(err, "progress table %s: %v", w.s.progressName, err))
}

func (w *twoPhaseWriter) ensureProgress() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ensureProgressLocked()
}

// ensureProgressLocked creates the progress table if it is missing.
func (w *twoPhaseWriter) ensureProgressLocked() error {
	if w.progress {
		return nil
	}
	err := w.retry("creating the progress table", func(ctx context.Context) error {
		_, err := w.db.ExecContext(ctx, w.s.progressSQL())
		if err != nil && !retryable(err) {
			return permanent(w.s.errorf(err, "cannot create the progress table %s: %v", w.s.progressName, err))
		}
		return err
	})
	if err != nil {
		return err
	}
	w.progress = true
	return nil
}
