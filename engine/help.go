package engine

import (
	"strings"

	"github.com/streamsql/streamsql/connectors"
)

// Help lists the statements the engine understands (the HELP statement's
// text and the end of `streamsql --help`), with the registered connectors.
func Help() string {
	return strings.Replace(helpText, "%CONNECTORS%", strings.Join(connectors.Names(), ", "), 1)
}

const helpText = `Statements (end each with ';'):
  CREATE TABLE t (col TYPE, ..., [pt AS PROCTIME(),] [WATERMARK FOR ts AS ts - INTERVAL '2' SECOND,]
                  [PRIMARY KEY (col, ...) NOT ENFORCED]) [PARTITIONED BY (col, ...)]
                  [WITH ('connector' = '...', ...)]
                                      define a table; without WITH it is an in-memory table
  CREATE TABLE t [(col TYPE, ...)] [WITH (...)] LIKE src [(INCLUDING ALL | EXCLUDING OPTIONS | ...)]
                                      define a table from another one's definition
  ALTER TABLE t SET ('k' = 'v', ...)  change a table's WITH options
  CREATE VIEW v AS SELECT ...         name a query
  DROP TABLE [IF EXISTS] t            forget a table
  DROP VIEW [IF EXISTS] v             forget a view
  INSERT INTO t VALUES (...), ...     append rows to an in-memory table
  INSERT INTO t SELECT ...            start a job writing the query's result into t
  DELETE FROM t [WHERE cond]          remove rows of an in-memory table
  UPDATE t SET c = expr, ... [WHERE cond]
                                      change rows of an in-memory table
  REPLACE INTO t VALUES (...), ...    insert into an in-memory table, replacing rows with the
                                      same primary key (also INSERT OR REPLACE INTO)
  CREATE INDEX i ON t (col, ...)      accepted, no effect (DROP INDEX [IF EXISTS] i [ON t])
  EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END
                                      run several INSERTs as one job (sources read once,
                                      one checkpoint for all); also BEGIN STATEMENT SET; ... END;
  SELECT ...                          run a query and show its rows
  EXPLAIN SELECT ... | INSERT ...     show the logical plan, the optimized plan and the
                                      operator graph (also EXPLAIN PLAN FOR ...)
  EXPLAIN RULES SELECT ... | INSERT ...
                                      show the plan after each optimizer rule that changed
                                      it (also EXPLAIN PLAN WITH RULES FOR ...)
  SHOW TABLES                         list tables and views
  SHOW CREATE TABLE t                 show a table's definition
  DESCRIBE t                          list a table's columns
  SHOW FUNCTIONS                      list every function and aggregate with its signature
  SHOW JOBS                           list jobs in 120 columns: id, name, status, uptime,
                                      rows in/out, error (shortened)
  SHOW FULL JOBS                      also the watermark, late rows, bad rows skipped, last
                                      checkpoint, restarts, the whole name and error
  SHOW CLUSTER                        in a shell connected to a clustered server (--server URL):
                                      its servers (up / unreachable / stopped) and their jobs
  STOP JOB 'id'                       stop a running job (within about a second, even mid-computation)
  STOP JOB 'id' WITH SAVEPOINT [WITH DRAIN]
                                      take a savepoint, then stop (WITH DRAIN fires every window first)
  TRIGGER SAVEPOINT 'id'              take a savepoint of a running job; it keeps running
  SET 'key' = 'value'                 change a setting (e.g. 'parallelism.default')
  SET / SHOW CONFIGURATION            list every configuration key with its value
  RESET ['key']                       restore one or all settings
  HELP                                this list
  QUIT / EXIT                         leave the shell
Windows, as table functions in FROM (then GROUP BY window_start, window_end, ...):
  TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' MINUTES [, offset]))
  TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset]))
  TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset]))
  TABLE(SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap))
  (named: DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), SIZE => ...); they add window_start,
  window_end and window_time (a time attribute, for a second window).
Windows in GROUP BY (group-window form): TUMBLE(ts, size), HOP(ts, slide, size),
  SESSION(ts, gap), CUMULATE(ts, step, size); bounds: TUMBLE_START/_END(...), window_start,
  window_end. A row is in size/slide HOP (size/step CUMULATE) windows: at most 100000.
Emit strategies of TUMBLE/HOP/CUMULATE aggregates (the result becomes a changelog):
  SET 'table.exec.emit.allow-lateness' = '1 min' (late rows update fired windows: -U/+U),
  'table.exec.emit.early-fire.enabled' = 'true' + 'table.exec.emit.early-fire.delay' = '5 s'
  (results before the window closes), 'table.exec.emit.late-fire.enabled' + '...late-fire.delay'.
Aggregates: COUNT, SUM, MIN, MAX, AVG, LISTAGG(x [, sep]), GROUP_CONCAT(x [ORDER BY ...] [SEPARATOR s]),
  FIRST_VALUE, LAST_VALUE, STDDEV_POP/SAMP, VAR_POP/SAMP, BOOL_AND, BOOL_OR, COUNT(DISTINCT a, b);
  any of them with FILTER (WHERE cond), in GROUP BY, windows and over changelogs.
Grouping sets: GROUP BY GROUPING SETS ((a, b), (a), ()), ROLLUP (a, b), CUBE (a, b),
  a, b WITH ROLLUP, also beside windows (GROUP BY window_start, window_end, ROLLUP (a));
  GROUPING(a, ...) / GROUPING_ID(...) tell which columns a row's grouping set left out,
  GROUP_ID() which repetition of a set listed twice a row belongs to.
OVER aggregates: any aggregate above, also DISTINCT and with FILTER (WHERE ...), e.g.
  LISTAGG(x) FILTER (WHERE c) OVER (PARTITION BY k ORDER BY time_attr
  [ROWS BETWEEN n PRECEDING | RANGE BETWEEN INTERVAL '1' HOUR PRECEDING | ... UNBOUNDED PRECEDING]
  AND CURRENT ROW), or OVER w with WINDOW w AS (...); each row once, with its aggregates.
Set operations: q1 UNION [ALL] q2, INTERSECT [ALL], EXCEPT [ALL] (INTERSECT binds tighter).
ORDER BY on a stream: ORDER BY ... LIMIT n (a Top-N changelog), or ORDER BY time_attr [, ...]
  (rows released in time order by the watermark); a bounded result is sorted at the end.
Connectors ('connector' = '...' in WITH; a table without WITH is a memory table):
  %CONNECTORS%.
Checkpoints: SET 'execution.checkpointing.interval' = '1s' and 'state.checkpoints.dir'; a killed
  process continues with --restore latest; streamsql checkpoints DIR lists what is stored.
State: SET 'state.backend' = 'pebble' keeps state on disk, in 'state.backend.pebble.localdir'
  (default $TMPDIR/streamsql-state), removed when the job ends; killed processes' leftovers are
  removed by the next process.
`
