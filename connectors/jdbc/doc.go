// Package jdbc is the 'jdbc' sink connector (also registered as 'mysql'):
// it writes a table's rows into a MySQL or MariaDB table with
// github.com/go-sql-driver/mysql, applying a changelog by primary key,
// and commits exactly once with checkpoints. It also serves a table as the
// lookup side of a lookup join (JOIN t FOR SYSTEM_TIME AS OF ...): a
// prepared SELECT per key with an optional cache, see lookup.go.
//
//	CREATE TABLE hot (auction BIGINT, cnt BIGINT, PRIMARY KEY (auction) NOT ENFORCED)
//	  WITH ('connector' = 'jdbc', 'url' = 'mysql://app:pw@127.0.0.1:3306/db', 'table-name' = 'hot');
//	CREATE TABLE hot2 (...) ENGINE=mysql CONNECTION='mysql://app:pw@127.0.0.1:3306/db/hot';
//
// The second form is the one of MySQL's FEDERATED engine: the SQL layer
// turns it into connector 'mysql' with option 'url'; the url's path may
// name the table after the database.
//
// # Options (Flink's JDBC connector names)
//
//   - 'url' (required): mysql://user:password@host:port/db[/table][?params]
//     (also mariadb://), or Connector/J's jdbc:mysql://host:port/db?user=..&password=..
//     (also jdbc:mariadb:). Port 3306 by default. Special characters in
//     the user or password are percent-encoded. Parameters: 'user' and
//     'password'; Connector/J's 'useSSL', 'sslMode', 'connectTimeout' and
//     'socketTimeout' (milliseconds) are translated, its other usual ones
//     (serverTimezone, characterEncoding, rewriteBatchedStatements, ...)
//     ignored; the driver's own parameters (tls, charset, collation,
//     timeout, readTimeout, writeTimeout, ...) apply; any other name is a
//     session variable set on connect, as the driver does (e.g.
//     sql_mode). 'interpolateParams' and 'multiStatements' are refused.
//   - 'table-name': the database table, 'table' or 'db.table' (backquotes
//     allowed). Default: the table named in the url's path, else the SQL
//     table's own name.
//   - 'username', 'password': override the url's.
//   - 'driver': accepted for compatibility with Flink definitions (a
//     MySQL or MariaDB driver class name) and ignored.
//   - 'sink.delivery-guarantee': 'exactly-once' (default) or
//     'at-least-once' ('none' is read as at-least-once). Exactly once needs
//     checkpointing: a job without checkpoints writes at least once
//     whatever this says (see below).
//   - 'sink.buffer-flush.max-rows' (default 100; 100000 for exactly-once
//     writes), 'sink.buffer-flush.max-bytes' (default '64mb'; '512kb',
//     '1gb', or bytes; at least 1kb) and 'sink.buffer-flush.interval'
//     (default '1s'; '500ms', '2 min', or milliseconds): buffered rows
//     leave memory once this many rows (keys, with a primary key) or about
//     this much memory are buffered: at least once they are written to the
//     database, exactly once to the checkpoint period's spill file (see
//     below). At least once, a background timer also writes them at the
//     interval (not used exactly once). '0' disables the row bound or the
//     interval; the byte bound always holds.
//   - 'sink.max-retries' (default 3): how often a database operation that
//     failed on a lost or refused connection (or a deadlock, lock wait
//     timeout, server shutdown) is retried, after 100 ms, 200 ms, 400 ms
//     ... (at most 10 s). Then the task fails with the error, and the
//     job's restart strategy takes over.
//   - 'connection.max-retry-timeout' (default '60s'): retries also stop
//     once this long has passed since the operation's first failure.
//   - 'sink.write-wait-warning' (default '5s'; '0' disables): when an
//     operation on the database (a statement of a write or commit, a
//     connect) has waited this long for an answer, a warning naming the
//     table says so on the engine's warning stream, and another one says
//     how long it waited once the answer came.
//   - 'sink.create-table': 'true' creates the database table when it is
//     missing (CREATE TABLE IF NOT EXISTS) from the declared physical
//     columns and primary key (types below). Default 'false': a missing
//     table fails the job at start with an error naming it.
//   - 'sink.progress-table' (default 'streamsql_sink_progress', in the
//     target's database unless qualified): the table of committed
//     checkpoints, created when missing: one row per (job, sink instance
//     'db.table/<instance>', checkpoint id) with the committable's token
//     and row count, and, for a job run by a cluster, one fence row per
//     (job, 'db.table') with checkpoint id -1, token 'owner-epoch' and
//     the highest owner epoch that recovered in row_count (see Fencing
//     earlier owners).
//
// Connections use UTC throughout: times are sent as UTC and the session's
// time_zone is '+00:00' (unless the url sets time_zone), so TIMESTAMP
// columns hold the instants the rows carry. Every value is sent as a
// bound parameter of a server-side prepared statement, never in the
// statement text; identifiers are backquoted (backquotes doubled).
//
// # Writes
//
// With a PRIMARY KEY (AcceptsChangelog is true): +I and +U rows upsert,
// with multi-row INSERT INTO t (...) VALUES (...), (...) ON DUPLICATE KEY
// UPDATE c = VALUES(c), ... (MySQL and MariaDB); -D rows delete by key
// (DELETE ... WHERE k = ? OR k = ? ...); -U rows are ignored (the +U that
// follows upserts). Buffered rows are compacted per key: only the last
// operation of a key is written. At start the writer checks that the
// database table has the declared columns and a PRIMARY KEY or UNIQUE
// index on exactly the declared key columns (upserts need one).
// Without a primary key: rows are appended with multi-row INSERTs, and any
// other operation than +I fails the job, naming the table ("declare a
// PRIMARY KEY to apply updates"). Statements carry at most 500 rows.
//
// Types (value → driver argument → column created by 'sink.create-table'):
//
//	BOOLEAN          bool                          BOOLEAN (TINYINT(1))
//	TINYINT..BIGINT  int64                         TINYINT, SMALLINT, INT, BIGINT
//	DOUBLE           float64                       DOUBLE
//	DECIMAL(p, s)    exact decimal text            DECIMAL(p, s)
//	VARCHAR(n)       string                        VARCHAR(n); VARCHAR(255) in a key, TEXT otherwise when unbounded
//	TIMESTAMP(p)     time.Time, UTC, ms precision  DATETIME(p)
//	DATE             'YYYY-MM-DD'                  DATE
//	INTERVAL         milliseconds                  BIGINT
//	NULL             NULL
//
// Existing TIMESTAMP(3) and DATETIME(3) columns both receive the UTC time.
//
// # Exactly once (the job checkpoints)
//
// The writer is a connectors.TwoPhaseCommitWriter. Rows written between two
// barriers are buffered in memory (compacted per key with a primary key)
// up to 'sink.buffer-flush.max-rows' rows (default 100000 in this mode) or
// 'sink.buffer-flush.max-bytes' (default 64 MiB, estimated); beyond that
// the buffer is appended, as one segment, to the period's spill file and
// emptied. Spill files live in the job's durable connector directory
// (Env.StateDir, under the checkpoint storage root:
// <root>/<job>/connectors/jdbc/<job>/<db.table>/; the system's temporary
// directory when the writer runs without one), one per checkpoint per
// instance; each segment carries a CRC-32C (format in spill.go).
// PreCommit(n) appends what is still buffered, fsyncs the file and its
// directory, and returns one committable (see committable) that the
// checkpoint stores in its metadata: the job (Env.JobName), the sink
// ('db.table/<instance>'), the checkpoint id n, a token random per writer,
// the row count, and the file's name, size and checksum: about a hundred
// bytes, whatever the number of rows. The file's size is reported to the
// runtime (connectors.CommittableSizer) and counted in the checkpoint's size
// that `streamsql checkpoints` and SHOW JOBS show. Nothing is written to the database
// before the checkpoint completes. Commit applies each committable (in
// checkpoint order) in one database transaction that first claims the
// progress row (job, sink, checkpoint_id) (the progress table's primary
// key), then streams the rows from the file, a segment at a time,
// checking sizes and checksums: when the row exists with the committable's
// token the committable was applied before and the transaction is rolled
// back (skipped); when it exists with another token it belongs to an
// earlier run of the same job that used the same checkpoint id without
// restoring (e.g. started over with an empty checkpoint directory), and is
// taken over. The rows and the progress row commit together or not at all.
// The file is deleted once its rows are committed (or found committed);
// a missing or damaged file whose rows are not committed fails the commit
// with an error naming it, and nothing of the checkpoint is applied.
// Recover(committables of the restored checkpoint) commits them the same
// way (and creates the progress table when missing); nothing else is ever
// pending in the database, so there is nothing to abort. It then deletes
// the spill files that earlier runs left for this instance (and for the
// former instances it recovers for) that the restored checkpoint does not
// name: periods never pre-committed, and periods pre-committed for
// checkpoints that never completed. A checkpoint that is aborted after
// PreCommit keeps its file: the runtime commits its committable with the
// next checkpoint that completes. Progress rows more than 1000 checkpoint
// ids behind the writer's latest commit are deleted (every 32 commits).
//
// Memory: a writer holds at most one buffer (the bounds above) while
// writing and one segment while committing, so a sink instance needs
// about twice 'sink.buffer-flush.max-bytes' (with Go's garbage collector)
// whatever the rate and the checkpoint interval; a checkpoint period's
// rows are on disk, once, in its spill file. When the disk or the database
// is slower than the input, the sink slows the job down: Write returns
// once the buffer is spilled, and Commit (which the runtime calls between
// batches) returns once the database committed. The documented bound:
// with the defaults, a sink instance holds at most about 128 MiB of rows
// (twice 'sink.buffer-flush.max-bytes'), whatever the number of rows, the
// rate and the checkpoint interval; BenchmarkJDBCExactlyOnceMemory
// (bench/) writes 10 million rows at full speed through 10 s checkpoints
// into a database slowed to about 100,000 rows/s and measured a peak
// resident set of 120 MB for the whole process (67 MB of heap); see
// BENCHMARKS.md.
//
// Guarantee: each row of a completed checkpoint is applied exactly once,
// whatever fails when: committing twice, a retry after a connection lost
// while the server committed, a crash between the database commit and the
// checkpoint's completion notice, restarts and restores (also at another
// parallelism: a committable names the instance that wrote it). Rows
// written after the last completed checkpoint of a failed attempt never
// reach the database; the restored job produces them again. The database
// sees a checkpoint's rows when that checkpoint completes, so visibility
// lags by up to a checkpoint interval, and a checkpoint period's rows
// (compacted per segment) are held in its spill file until then.
// Restoring a savepoint more than 1000 checkpoint ids old whose rows were
// committed finds its spill file gone and fails naming it (its progress
// row was pruned); restoring one whose rows were never committed after a
// newer run of the job started over without restoring finds the same.
// The database tables must be transactional (InnoDB).
//
// The writer learns that the job checkpoints from the runtime's call of
// Recover right after Open (or a PreCommit): a Write before either means
// the job does not checkpoint.
//
// # Fencing earlier owners
//
// In a cluster a job whose server died or froze is taken over by another
// server: its owner epoch (Env.OwnerEpoch) goes up by one and the new
// owner restores the newest checkpoint and replays what followed. The
// earlier owner may still be running (a zombie, e.g. a server stopped past
// its session timeout and resumed) and commit a checkpoint it
// pre-committed: without a fence its rows would be applied, and applied
// again by the new owner's replay (duplicates in tables without a primary
// key). With an owner epoch above 0, the writers fence earlier owners
// through a fence row in the progress table, one per (job, database table)
// shared by all the sink's instances (sink 'db.table', checkpoint id -1,
// the owner in row_count: its run, Env.OwnerRun, the Unix ms when the
// cluster job was submitted, times 1,000,000 plus its epoch, so that every
// owner of a later run of the same job, submitted again, is above every
// owner of an earlier run; messages name the epoch and the run):
//
//   - Recover, in a transaction of its own before it commits anything,
//     raises the fence row to its epoch, never lowering it (INSERT ... ON
//     DUPLICATE KEY UPDATE row_count = GREATEST(...)). When the row holds
//     a higher epoch, Recover fails: "the job J has been taken over by a
//     later owner: the database table T is fenced at owner epoch X, above
//     this owner's epoch Y". (A writer that commits without having been
//     recovered raises the fence the same way first.)
//   - Every commit transaction (Commit's, and Recover's commits of the
//     restored checkpoint) first reads the fence row with a shared lock
//     (SELECT ... LOCK IN SHARE MODE) held until it commits. When the row
//     holds a higher epoch, the transaction is rolled back and the writer
//     fails: "this writer was fenced: a later owner (epoch X) took the job
//     J over; this owner has epoch Y; nothing of checkpoint N was applied".
//
// The raise takes the row's exclusive lock: it waits for the commit
// transactions running (which then complete), and the commits that start
// later wait for it and see the new epoch. The instances' commits share
// the lock and run concurrently. A zombie's commit thus either completed
// before the new owner's Recover raised the fence, or applies nothing.
// The fence orders commits against Recover, not against the new owner's
// choice of checkpoint: a commit of checkpoint N that completes before the
// raise is exactly once when the new owner restored N (a checkpoint is
// committed only once complete, so it is normally the newest the new owner
// finds); had the new owner chosen an older checkpoint because the zombie
// completed N only after that choice, N's rows would be replayed again. The
// cluster's lease keeps an owner from completing checkpoints it is not
// sure a new owner would see (server/cluster.go, lease: a server that has
// not announced itself for two heartbeats holds its checkpoints back,
// and the others take its jobs over only after three). The fenced error is
// never retried (it is not a transient error); the writer stays failed.
// The fence row is never pruned. With epoch 0 (a server on its own, or a
// job never taken over) no statement touches the fence row and commits
// are as described above. A long commit delays the new owner's Recover by
// its duration; a wait longer than the server's innodb_lock_wait_timeout
// fails the raise with a lock wait timeout, which is retried like any
// other ('sink.max-retries').
//
// # At least once
//
// Without checkpointing (the runtime calls Write and Flush only), or with
// 'sink.delivery-guarantee' = 'at-least-once' (the writer then is a plain
// SinkWriter, which the runtime flushes at every checkpoint), buffered rows
// are written in one transaction per flush: on Flush, at
// 'sink.buffer-flush.max-rows', and at 'sink.buffer-flush.interval'. After a
// failure rows since the last checkpoint are written again: upserts by key
// converge to the same table, appends may be duplicated. Close discards
// rows not yet flushed.
//
// # Connections and errors
//
// Each writer has one connection (sink instances write in parallel). Open
// connects, retrying as above, and checks the table. Connections time out
// (the url's driver parameters, or Connector/J's connectTimeout and
// socketTimeout in milliseconds, set them): connecting after 10 s
// ('timeout'), reading or writing a packet after 60 s ('readTimeout',
// 'writeTimeout'), so a connection that hangs (no reset, no data) fails
// the operation, which is then retried; 'sink.write-wait-warning' reports
// the wait long before. A failed flush or
// commit fails the writer: later calls return the same error. Errors name
// the SQL table and the database table. Credentials never appear in
// errors, warnings or the driver's log lines (which go, cleaned, to the
// engine's warning stream instead of the process's standard error): the
// password (plain and percent-encoded), the url as written, and anything
// of the form scheme://user:password@ or password=... are masked, also in
// a url too malformed to parse ('mysql:/user:password@host/db' is shown
// as 'mysql:****@host/db'). SHOW CREATE TABLE and the shell's history
// file show the 'url', 'password' and CONNECTION='...' values masked the
// same way (catalog.MaskOption): credentials are never printed nor
// stored in the history.
package jdbc
