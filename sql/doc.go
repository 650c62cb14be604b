// Package sql is the SQL front end: it cuts a script into statements
// (Split), parses each one and binds it against the catalog into a closed
// set of statement values (Compile) whose queries are bound logical plans
// (package plan) over bound expressions (package expr).
//
// # Contract
//
// The engine calls Split once per script and Compile once per statement,
// in order, applying each statement's effect to the catalog before compiling
// the next one. Compile never modifies the catalog and never panics: every
// failure is an *Error carrying an ErrorKind, the statement number, and the
// line and column in the original script, plus a hint saying what to do.
//
// # Parsing
//
// Queries and INSERT are parsed by the TiDB parser (MySQL grammar, with
// PIPES_AS_CONCAT so that || concatenates as in Flink). A thin pre-parse
// layer (preparse.go) rewrites the Flink forms TiDB lacks without moving
// any byte: INTERVAL literals in function arguments, CAST(x AS <any type>),
// SESSION(...), FLOOR/CEIL(ts TO unit), FOR SYSTEM_TIME AS OF
// (preparse_temporal.go: it becomes TiDB's AS OF TIMESTAMP <ordinal>, and
// the binder reads the clause again from the original text). CREATE TABLE
// is pre-parsed the same way (WATERMARK, `pt AS PROCTIME()`, NOT ENFORCED, PARTITIONED BY (...),
// WITH (...) and Flink type names are read and blanked; TiDB checks the rest, including
// ENGINE=x CONNECTION='...', which become 'connector' and 'url' (jdbc/mysql)
// or 'connection' options). Session and job statements (SET, RESET, SHOW,
// DESCRIBE, DROP, STOP JOB, TRIGGER SAVEPOINT, HELP, QUIT/EXIT, CREATE VIEW's
// header, EXPLAIN's prefix) are read by a small hand-written recognizer.
//
// # Supported SQL
//
//   - CREATE TABLE [IF NOT EXISTS] t (col TYPE [NOT NULL] [PRIMARY KEY [NOT ENFORCED]], ...,
//     pt AS PROCTIME(), WATERMARK FOR ts AS ts [- INTERVAL 'n' UNIT],
//     PRIMARY KEY (cols) [NOT ENFORCED]) [PARTITIONED BY (col, ...)] [WITH ('k' = 'v', ...)]
//     [ENGINE=x CONNECTION='url'].
//     PARTITIONED BY (Flink's; catalog.Table.PartitionKeys) names regular,
//     distinct, non-PROCTIME columns, not all of them; the table's
//     connector must be 'filesystem' and its 'path' a directory (ending
//     with '/', or an existing directory). Each mistake is an *Error at the
//     offending column, keyword or path (MySQL's PARTITION BY is
//     ErrUnsupported).
//     Types: BIGINT, INT/INTEGER, SMALLINT, TINYINT, DOUBLE/FLOAT/REAL, DECIMAL(p, s)
//     (default (10, 0), p <= 18), VARCHAR(n)/CHAR/STRING/TEXT, BOOLEAN/BOOL,
//     TIMESTAMP(p)/DATETIME(p) (default precision 3), DATE.
//   - CREATE VIEW [IF NOT EXISTS] v [(cols)] AS query; DROP TABLE/VIEW [IF EXISTS].
//   - INSERT INTO t [(cols)] VALUES (...), ... | INSERT INTO t [(cols)] query.
//     Values are cast implicitly to the column types; unlisted columns are NULL.
//   - SELECT [DISTINCT] exprs | * | t.* FROM tables, views, WITH queries,
//     (subquery) alias, inner joins (JOIN ... ON with at least one equality
//     between the two sides, or comma joins with equalities in WHERE)
//     WHERE ... GROUP BY ... HAVING ...; UNION ALL (and UNION).
//   - Lookup joins (plan.LookupJoin): probe [INNER | LEFT] JOIN t FOR SYSTEM_TIME AS
//     OF probe.pt [[AS] alias] ON ... (the clause may also follow the alias),
//     where pt is a processing-time attribute of the probe side and t a
//     catalog table whose connector can be looked up (connectors.CanLookup:
//     a bounded table, or jdbc/mysql). ON needs an equality between a plain
//     column of t and an expression over the probe side only (the lookup
//     key; the probe side is cast to the column's type when the kinds
//     differ and a cast fits); other ON terms filter the looked-up rows.
//     Errors: an event-time attribute (event-time temporal joins are not
//     supported), a column that is no time attribute, an expression, a
//     table that cannot be looked up, a view or WITH query, no key
//     equality, RIGHT JOIN, comma joins, the clause anywhere but on the
//     right of a JOIN, TiDB's own AS OF TIMESTAMP.
//   - PROCTIME() in an expression is the wall-clock time the row is
//     processed (TIMESTAMP(3) NOT NULL); a select item that is PROCTIME()
//     is a processing-time attribute (SELECT *, PROCTIME() AS pt FROM t).
//   - ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ... [DESC]) as a select
//     item (plan.Rank), one per SELECT; the planner requires an outer
//     filter on the number (rn <= N, rn < N, rn = 1: Top-N).
//   - OVER aggregates (bind_over.go, plan.Over): COUNT(*), COUNT(x), SUM,
//     MIN, MAX, AVG OVER (PARTITION BY ... ORDER BY t [frame]) anywhere in
//     the select list of a SELECT without GROUP BY, inline or OVER w with
//     WINDOW w AS (...) (OVER (w frame) adds a frame to w). t is one
//     ascending TIMESTAMP column: a time attribute (the planner checks that
//     an unbounded input's column follows the watermark, or is PROCTIME()).
//     Frames end at CURRENT ROW: ROWS BETWEEN n PRECEDING, RANGE BETWEEN
//     INTERVAL '...' PRECEDING (the pre-parse layer writes the interval
//     as its ms with three decimals, which frameInterval recognises),
//     ROWS|RANGE BETWEEN UNBOUNDED PRECEDING, the short forms (ROWS n
//     PRECEDING); no frame is RANGE UNBOUNDED PRECEDING. Calls over
//     several windows must share PARTITION BY and ORDER BY (frames may
//     differ), otherwise Flink's "All aggregates must be computed on the
//     same window". Errors use Flink's messages (ordering on a time
//     attribute, ASCENDING mode, FOLLOWING).
//   - ORDER BY (output columns by name, alias or position) and LIMIT n are
//     accepted only on a top-level SELECT; they are returned in Query.OrderBy
//     and Query.Limit for whoever prints the result (the plan has no order).
//   - Group windows in GROUP BY: TUMBLE(t, size), HOP(t, slide, size),
//     SESSION(t, gap), CUMULATE(t, step, size) with INTERVAL sizes; at most
//     one per GROUP BY; HOP size and CUMULATE size must be multiples of the
//     slide / step, at most plan.MaxWindowsPerRow times it. TUMBLE_START/_END/_ROWTIME and the HOP_, SESSION_ and
//     CUMULATE_ forms, and the plain names window_start / window_end, refer
//     to the window bounds (TIMESTAMP(3)); *_ROWTIME is window_end - 1 ms.
//   - Window table-valued functions in FROM (preparse_tvf.go, bind_tvf.go):
//     TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])),
//     TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])),
//     TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset])),
//     TABLE(SESSION(TABLE t [PARTITION BY k | (k1, ...)], DESCRIPTOR(ts), gap)),
//     positional or named (DATA =>, TIMECOL =>, SIZE =>, SLIDE =>, STEP =>,
//     OFFSET =>, GAP =>, in any order); the data is a table, a view, a WITH
//     query or TABLE (subquery). They append window_start, window_end and
//     window_time (window_end - 1 ms, the output's time attribute; the
//     DESCRIPTOR column becomes a plain TIMESTAMP) to every row, once per
//     window holding it (plan.WindowTVF). GROUP BY window_start,
//     window_end [, window_time], keys over a TVF (through WHERE, SELECT *,
//     a view's projection) binds as the group-window form's Aggregate over
//     the TVF's input, so both forms plan alike. When that cannot be done
//     (an offset, a filter on a window column, the window columns computed
//     into others) the window columns are ordinary keys of a changelog
//     aggregate over the TVF's rows: the same final rows. A SESSION TVF
//     only binds under such a window aggregate, grouped by exactly its
//     PARTITION BY columns. HOP size must be a multiple of the slide,
//     CUMULATE size of the step (Flink's messages).
//   - Intervals: INTERVAL 'n' UNIT with SECOND(S), MINUTE(S), HOUR(S),
//     DAY(S), ... and day-time ranges INTERVAL '1:30' HOUR TO MINUTE,
//     '1 02:03:04.5' DAY TO SECOND (DAY TO HOUR|MINUTE|SECOND, HOUR TO
//     MINUTE|SECOND, MINUTE TO SECOND).
//   - Aggregates COUNT(*), COUNT([DISTINCT] x), SUM, MIN, MAX, AVG (DISTINCT
//     allowed on all). GROUP BY accepts select aliases and positions; HAVING
//     accepts select aliases.
//   - Session and job statements: SET ['k' = 'v'], RESET ['k'], SHOW TABLES
//     (and SHOW VIEWS), SHOW CREATE TABLE|VIEW t, DESCRIBE|DESC t, SHOW JOBS,
//     STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN], TRIGGER SAVEPOINT 'id',
//     EXPLAIN [PLAN FOR] stmt, HELP, QUIT, EXIT.
//
// Not supported (each gives ErrUnsupported with a hint): outer joins (LEFT
// lookup joins are), NATURAL and USING joins, joins without an equality,
// subqueries in expressions,
// RANK() and other OVER functions, OVER aggregates with DISTINCT, with GROUP
// BY or FOLLOWING frames, ORDER BY / LIMIT below the top level, LIMIT offsets,
// EXCEPT / INTERSECT, computed columns other than PROCTIME(), column
// defaults, INSERT ... SET / ON DUPLICATE KEY, REPLACE, CREATE OR REPLACE.
//
// # Types of results
//
// Expressions follow package expr (MySQL-flavoured: integer / gives DECIMAL
// with scale + 4, comparisons coerce strings to TIMESTAMP/DATE/DOUBLE).
// Aggregates:
//
//	COUNT(*), COUNT(x)     BIGINT NOT NULL
//	SUM(integer)           BIGINT
//	SUM(DECIMAL(p, s))     DECIMAL(18, s)   (18 digits: decimals are int64)
//	SUM(DOUBLE)            DOUBLE
//	MIN(x), MAX(x)         the type of x
//	AVG(integer)           DECIMAL(18, 4)
//	AVG(DECIMAL(p, s))     DECIMAL(18, s + 4)
//	AVG(DOUBLE)            DOUBLE
//
// SUM and AVG of a VARCHAR cast it to DOUBLE.
//
// # Time attributes
//
// A table's WATERMARK column is its event-time attribute, its PROCTIME()
// column (or a select item PROCTIME()) its processing-time attribute; both
// survive plain column projections, subqueries and lookup joins. A group
// window may use any TIMESTAMP column;
// plan.Window.Proctime is set when it is a PROCTIME() attribute. Whether a
// window over a column without watermark can run is the planner's decision.
//
// # Names
//
// Output columns are named by their alias, their column name, or the
// expression's text as written (MySQL). A group key that is not a plain
// column is named by its select alias or EXPR$n inside the Aggregate.
package sql
