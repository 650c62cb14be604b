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
//   - 'sink.buffer-flush.max-rows' (default 100) and
//     'sink.buffer-flush.interval' (default '1s'; '500ms', '2 min', or
//     milliseconds): when the writer is not driven by checkpoints, buffered
//     rows are written once this many rows (keys, with a primary key) are
//     buffered, and by a background timer at this interval; '0' disables
//     either. They do not apply to exactly-once writes.
//   - 'sink.max-retries' (default 3): how often a database operation that
//     failed on a lost or refused connection (or a deadlock, lock wait
//     timeout, server shutdown) is retried, after 100 ms, 200 ms, 400 ms
//     ... (at most 10 s). Then the task fails with the error, and the
//     job's restart strategy takes over.
//   - 'sink.create-table': 'true' creates the database table when it is
//     missing (CREATE TABLE IF NOT EXISTS) from the declared physical
//     columns and primary key (types below). Default 'false': a missing
//     table fails the job at start with an error naming it.
//   - 'sink.progress-table' (default 'streamsql_sink_progress', in the
//     target's database unless qualified): the table of committed
//     checkpoints, created when missing.
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
// barriers are buffered in memory (compacted per key with a primary key).
// PreCommit(n) turns them into one committable, a compact binary encoding
// (see committable) that the checkpoint stores in its metadata, carrying
// the job (Env.JobName), the sink ('db.table/<instance>'), the checkpoint
// id n, a token random per writer, and the rows. Nothing is written to the
// database before the checkpoint completes. Commit applies each committable
// (in checkpoint order) in one database transaction that first claims the
// progress row (job, sink, checkpoint_id) (the progress table's primary
// key), then applies the rows: when the row exists with the committable's
// token the committable was applied before and the transaction is rolled
// back (skipped); when it exists with another token it belongs to an
// earlier run of the same job that used the same checkpoint id without
// restoring (e.g. started over with an empty checkpoint directory), and is
// taken over. The rows and the progress row commit together or not at all.
// Recover(committables of the restored checkpoint) commits them the same
// way (and creates the progress table when missing); nothing else is ever
// pending in the database, so there is nothing to abort. Progress rows
// more than 1000 checkpoint ids behind the writer's latest commit are
// deleted (every 32 commits).
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
// (compacted) are held in memory and in the checkpoint's metadata.
// Restoring a savepoint more than 1000 checkpoint ids old may apply its
// last period again (its progress row was pruned). The database tables
// must be transactional (InnoDB).
//
// The writer learns that the job checkpoints from the runtime's call of
// Recover right after Open (or a PreCommit): a Write before either means
// the job does not checkpoint.
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
// connects, retrying as above, and checks the table. A failed flush or
// commit fails the writer: later calls return the same error. Errors name
// the SQL table and the database table. Credentials never appear in
// errors, warnings or the driver's log lines (which go, cleaned, to the
// engine's warning stream instead of the process's standard error): the
// password (plain and percent-encoded), the url as written, and anything
// of the form scheme://user:password@ or password=... are masked.
package jdbc
