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
// SESSION(...), FLOOR/CEIL(ts TO unit), GROUPING SETS/ROLLUP/CUBE in GROUP
// BY (preparse_grouping.go), FOR SYSTEM_TIME AS OF
// (preparse_temporal.go: it becomes TiDB's AS OF TIMESTAMP <ordinal>, and
// the binder reads the clause again from the original text). CREATE TABLE
// is pre-parsed the same way (WATERMARK, `pt AS PROCTIME()`, NOT ENFORCED, PARTITIONED BY (...),
// WITH (...) and Flink type names are read and blanked; TiDB checks the rest, including
// ENGINE=x CONNECTION='...', which become 'connector' and 'url' (jdbc/mysql)
// or 'connection' options). Session and job statements (SET, RESET, SHOW,
// DESCRIBE, DROP, DELETE, UPDATE, CREATE/DROP INDEX, STOP JOB, TRIGGER SAVEPOINT, HELP, QUIT/EXIT, CREATE VIEW's
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
//
//   - CREATE TABLE t [(cols ...)] [WITH (...)] LIKE src [(like options)]
//     (ddl_like.go; Flink's form, and MySQL's CREATE TABLE t LIKE src): src's
//     columns first, then the new ones; like options { INCLUDING | EXCLUDING }
//     { ALL | CONSTRAINTS | PARTITIONS } and { INCLUDING | EXCLUDING |
//     OVERWRITING } { GENERATED | OPTIONS | WATERMARKS }, default INCLUDING ALL
//     OVERWRITING OPTIONS. The rows of an in-memory src are not copied.
//     OVERWRITING GENERATED does not replace src's PROCTIME column (a second
//     one is an error).
//
//   - ALTER TABLE t SET ('k' = 'v', ...) (alter.go, Flink): changes the
//     table's WITH options (a key given replaces the option of that key);
//     the result is checked as CREATE TABLE checks it. Other ALTER TABLE
//     forms are not supported. Running jobs keep the definition they were
//     planned with.
//
//   - CREATE TEMPORARY TABLE / CREATE TEMPORARY VIEW are CREATE TABLE / VIEW
//     (every table lives as long as the session). SHOW CONFIGURATION lists
//     every setting with its value, as SET alone does.
//
//   - CREATE VIEW [IF NOT EXISTS] v [(cols)] AS query; DROP TABLE/VIEW [IF EXISTS].
//
//   - INSERT INTO t [(cols)] VALUES (...), ... | INSERT INTO t [(cols)] query.
//     Values are cast implicitly to the column types; unlisted columns are NULL.
//
//   - In-memory tables only (dml.go; tables created without a connector):
//     DELETE FROM t [WHERE cond], UPDATE t SET col = expr, ... [WHERE cond],
//     REPLACE INTO t ... and SQLite's INSERT OR REPLACE INTO t ... (the forms
//     of INSERT). They are bounded operations on the rows the table holds
//     when the statement runs (the engine rewrites the table's log at once);
//     jobs already reading the table are unaffected, later queries see the
//     new rows. WHERE and SET expressions are row expressions over the
//     table's columns: no aggregates, no subqueries. UPDATE computes every
//     assignment from the row as it was before the statement (a column
//     assigned twice takes the last value); values are cast to the column
//     types as INSERT casts them. REPLACE removes, for each new row, the
//     rows with the same primary key before appending it (MySQL's REPLACE;
//     without a primary key it appends). Tables with a connector give
//     ErrUnsupported.
//
//   - CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON t (col [ASC|DESC], ...)
//     and DROP INDEX [IF EXISTS] name [ON t] (ddl_index.go) are accepted for
//     scripts written for other databases and change nothing: the engine
//     keeps the index names only, so that a duplicate CREATE INDEX or a DROP
//     INDEX of an unknown index is an error (DROP TABLE forgets the table's
//     indexes); UNIQUE is not enforced. CREATE TRIGGER and DROP TRIGGER give
//     ErrUnsupported: streamsql has no triggers.
//
//   - SELECT [DISTINCT] exprs | * | t.* FROM tables, views, WITH queries,
//     (subquery) alias, inner joins (comma joins, CROSS JOIN, [INNER] JOIN
//     ... ON, JOIN ... USING, NATURAL JOIN), LEFT / RIGHT / FULL [OUTER]
//     JOIN ... ON, USING or NATURAL, WHERE ... GROUP BY ... HAVING ...
//
//   - ORDER BY ... LIMIT n in a subquery or derived table (nestedSort) is
//     a Top-N: plan.Sort with Nested, run whatever the input (a changelog
//     over a changelog or unbounded input); its keys may name columns the
//     select list does not (they are selected too, then projected away).
//     ORDER BY without LIMIT below the top orders nothing a query above
//     sees and is ignored, as in MySQL; LIMIT without ORDER BY below the
//     top is refused.
//
//   - Set operations (bind_setop.go): q1 UNION [ALL] q2, INTERSECT [ALL],
//     EXCEPT [ALL], in any mix and with parentheses. INTERSECT binds
//     tighter than UNION and EXCEPT (SQL standard, MariaDB 10.4+); the rest
//     is evaluated left to right, so `a UNION b UNION ALL c` removes the
//     duplicates of a and b and keeps every row of c. Rows compare as whole
//     rows with NULL equal to NULL; columns take the inputs' common type
//     and the first input's names. Multiplicities as in MySQL/MariaDB: a
//     row l times in the left input and r times in the right one is in
//     INTERSECT ALL min(l, r) times, in EXCEPT ALL max(l - r, 0) times, in
//     the distinct forms at most once. UNION ALL is plan.Union (append-only
//     when its inputs are); UNION is plan.Union under an Aggregate keyed by
//     every column; INTERSECT/EXCEPT [ALL] are plan.SetOp, a keyed operator
//     (key: the whole row) whose state holds each row's count per input and
//     whose output is a changelog (+I/-D as a row's result multiplicity
//     changes). MINUS is EXCEPT (Oracle's word: preparse_minus.go).
//
//   - Inner joins (join_order.go): the equalities between the two sides of
//     a join, in its ON or (for the joins of a chain) in WHERE, are its
//     keys; its other ON conditions are its residual. A chain of inner
//     joins (comma joins, CROSS JOIN, [INNER] JOIN ... ON; an outer,
//     USING / NATURAL or lookup join inside it is one relation, nothing is
//     moved across it) is joined in a greedy order: the first relation,
//     then repeatedly the first relation in written order that an
//     equality connects to those joined so far, and when none is
//     connected the next one in written order. So every join has keys
//     whenever the equalities connect all the relations (FROM a, b, c
//     WHERE a.x = c.x AND b.y = c.y joins a with c, then b). The columns
//     stay in written order (a projection restores it); the order depends
//     only on the query text. An ON conjunct may name any relation of the
//     chain (MySQL only allows those joined before it). A join without
//     keys (CROSS JOIN, comma joins with no equality, ON with comparisons
//     only, an equality of expressions reading both sides) is a nested-
//     loop join: the planner sends all rows of both inputs to one subtask
//     (no key columns: GLOBAL exchanges, parallelism 1), which keeps them
//     all in state and matches every pair; EXPLAIN names it NestedLoopJoin
//     and says so. Fine for bounded and small changelog inputs; its state
//     grows with both inputs. An outer join without an equality (ON with
//     comparisons only, ON TRUE, a NATURAL outer join of sides with no
//     name in common) is a nested-loop join the same way, with the outer
//     join's padding and retraction.
//
//   - JOIN ... USING (c, ...) and NATURAL [LEFT | RIGHT | FULL] JOIN
//     (bind_using.go; NATURAL uses every column name both sides show, and
//     is a join without condition when there is none) follow MySQL's
//     column rules: SELECT * gives the USING columns once, first, in the
//     order of the first side's columns (the left side's value; the right
//     side's for RIGHT JOIN, which takes the right side as the first;
//     COALESCE(left, right) for FULL JOIN, as standard SQL and Flink),
//     then the other columns of the first and of the second side. An
//     unqualified c reads the USING column; a qualified t.c reads t's own
//     value (NULL where an outer join pads t), and t.* lists t's columns
//     in table order. A USING column must be a column of each side
//     exactly once. Which joins were written FULL is read back from the
//     original text (using_words.go: the parser keeps no positions for
//     joins, so the USING / NATURAL joins are matched to their keywords
//     by order); a statement where that match fails and some USING or
//     NATURAL join is written FULL gets ErrUnsupported.
//
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
//
//   - PROCTIME() in an expression is the wall-clock time the row is
//     processed (TIMESTAMP(3) NOT NULL); a select item that is PROCTIME()
//     is a processing-time attribute (SELECT *, PROCTIME() AS pt FROM t).
//
//   - ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ... [DESC]) as a select
//     item (plan.Rank), one per SELECT; the planner requires an outer
//     filter on the number (rn <= N, rn < N, rn = 1: Top-N).
//
//   - OVER aggregates (bind_over.go, plan.Over): every aggregate (COUNT,
//     SUM, MIN, MAX, AVG, LISTAGG, GROUP_CONCAT, FIRST_VALUE, LAST_VALUE,
//     the STDDEV/VAR family, BOOL_AND, BOOL_OR), DISTINCT and FILTER (WHERE
//     ...) included, bound by the aggregate binder as in GROUP BY (the
//     calls the grammar cannot take with OVER reach it as COUNT(*) OVER,
//     their text recorded by preparse_over.go) OVER (PARTITION BY ...
//     ORDER BY t [frame]) anywhere in the select list of a SELECT without
//     GROUP BY, inline or OVER w with
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
//
//   - ORDER BY (output columns by name, alias or position, or, as in
//     MySQL, any expression over the FROM columns of a SELECT without
//     DISTINCT, subqueries included; over grouped columns and aggregates
//     for an aggregate query) and LIMIT n are accepted only on a top-level
//     SELECT; they are returned in Query.OrderBy and Query.Limit, and ORDER
//     BY also wraps the plan in a plan.Sort. An expression the select list
//     does not have is selected too, after it (sortByHidden), and
//     Query.Hidden says how many such columns whoever prints the result
//     drops (Query.Schema, Query.Width).
//     Over a bounded input the result is sorted (NULLs first ascending, as
//     MySQL) and cut to LIMIT rows when it is complete. Over an unbounded
//     input, as in Flink: ORDER BY ... LIMIT n is a streaming Top-N (a
//     changelog of the first n rows in that order, updated as rows
//     arrive); ORDER BY whose first key is an ascending time attribute (a
//     column that follows a WATERMARK) is a temporal sort: rows are held
//     until the watermark passes their time and then emitted in time
//     order, rows of one time ordered by the other keys (ties in arrival
//     order); the output is append-only and rows that arrive late (at or
//     below the watermark) are dropped and counted. Any other ORDER BY on
//     an unbounded input is a planning error ("Sort on a non-time-attribute
//     field is not supported", with what to write instead), as is a
//     temporal sort over an updating input. LIMIT n without ORDER BY on an
//     unbounded input prints the first n rows to arrive.
//
//   - An aggregate without GROUP BY (a global aggregate) has one result
//     row also over zero rows, as in SQL: COUNT is 0, SUM, MIN, MAX, AVG
//     and the other aggregates NULL. On a stream (as in RisingWave) that
//     row is emitted when the job starts, before any input, and updated
//     (-U/+U) as rows arrive; retracting every row returns it to the
//     zero-row result (never -D). It is emitted once per job: the global
//     aggregate's state holds the group from the start, so a restore from
//     a checkpoint finds it and emits nothing; only the instance owning
//     the empty key's key group emits it. HAVING may still filter it away;
//     with GROUP BY, zero rows make zero groups.
//
//   - Group windows in GROUP BY: TUMBLE(t, size), HOP(t, slide, size),
//     SESSION(t, gap), CUMULATE(t, step, size) with INTERVAL sizes; at most
//     one per GROUP BY; HOP takes any slide and size (a row is in up to
//     ceil(size / slide) windows, windows start at multiples of the slide),
//     CUMULATE size must be a multiple of the step; at most
//     plan.MaxWindowsPerRow windows per row. TUMBLE_START/_END/_ROWTIME and the HOP_, SESSION_ and
//     CUMULATE_ forms, and the plain names window_start / window_end, refer
//     to the window bounds (TIMESTAMP(3)); *_ROWTIME is window_end - 1 ms.
//
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
//     the TVF's input, so both forms plan alike (an offset shifts the
//     window operator's alignment, plan.Window.Offset). When that cannot be
//     done (a filter on a window column, the window columns computed into
//     others) the window columns are ordinary keys of a changelog aggregate
//     over the TVF's rows: the same final rows. A SESSION TVF only binds
//     under such a window aggregate, grouped by exactly its PARTITION BY
//     columns. HOP size must be a multiple of the slide, CUMULATE size of
//     the step (Flink's messages).
//
//   - Window properties propagate: a window aggregate's window_start and
//     window_end (selected as plain columns) keep their role, and a GROUP
//     BY on both further up is a window aggregate over the window the rows
//     carry (plan.Aggregate.WindowKeys), emitted once when it closes. The
//     binder binds such a GROUP BY as an ordinary aggregate; the
//     optimizer's window-propagation rule makes it a window aggregate.
//
//   - Emit strategies of window aggregates (Flink's experimental
//     table.exec.emit.* keys, SET before the query; both the group-window
//     and the TVF form, TUMBLE, HOP and CUMULATE):
//     table.exec.emit.allow-lateness = d keeps an event-time window's state
//     until the watermark reaches window_end - 1 ms + d; a late row in that
//     time updates the window (-U old row, +U new row) and rows later than
//     that are dropped and counted as late as before.
//     table.exec.emit.early-fire.enabled = 'true' with
//     table.exec.emit.early-fire.delay = d: before the window closes, a
//     window whose result changed emits it d after the change (processing
//     time; 0: on every row): +I first, then -U/+U; at the watermark the
//     final result is sent only if it changed. table.exec.emit.late-fire.enabled
//     with table.exec.emit.late-fire.delay = d sends late rows' updates d
//     after the change instead of at once (a window whose lateness passes
//     sends its waiting update first). With any of these the aggregate's
//     output is a changelog: an append-only sink refuses it, and a window
//     aggregate cannot be applied to it. The planner applies Flink's checks
//     (WindowEmitStrategy) with Flink's messages: early and late firing
//     need a delay, late firing needs allow-lateness > 0 of at least its
//     delay, SESSION windows refuse early and late firing and ignore the
//     lateness. Processing-time windows take early firing only. Two
//     differences from Flink: allow-lateness applies alone (Flink uses it
//     only with late firing; alone it acts as late firing with delay 0),
//     and the window TVF form takes the keys too (Flink refuses early and
//     late firing there). Under an emit strategy every row is folded into
//     each window holding it (no shared slices; a keyed state lookup per
//     row and window, several times the default path's per-row cost), and
//     a window keeps the result it last sent.
//
//   - Grouping sets (preparse_grouping.go, bind_grouping.go): GROUP BY
//     GROUPING SETS ((a, b), (a), ()), ROLLUP (a, b), CUBE (a, b), composite
//     columns ROLLUP ((a, b), c), ROLLUP and CUBE nested in GROUPING SETS,
//     plain keys beside them (GROUP BY a, ROLLUP (b): a is in every set;
//     several elements multiply), GROUP BY () (one group of all rows) and
//     MySQL's GROUP BY a, b WITH ROLLUP.
//     They work for changelog aggregates and for window aggregates in both
//     forms: GROUP BY TUMBLE(ts, ...), GROUPING SETS (...) and, over a
//     window TVF, GROUP BY window_start, window_end, GROUPING SETS (...)
//     (the window columns must be GROUP BY items of their own, not inside a
//     set). A column outside a row's grouping set is NULL; a set listed
//     twice gives its rows twice. The plan is Aggregate(keys + grouping set
//     index) over plan.Expand, which emits each input row once per set, so
//     a NULL of the data stays apart from a NULL of a set. GROUPING(a [, b
//     ...]) and GROUPING_ID(...) (BIGINT NOT NULL, select list and HAVING)
//     have one bit per argument, the first argument in the highest bit, set
//     when the argument is not in the row's grouping set (Flink's
//     semantics); in a plain GROUP BY they are 0. Their arguments must be
//     grouped expressions. GROUP_ID() numbers the repetitions of a grouping
//     set listed more than once (0 for the first). At most 4096 grouping
//     sets per GROUP BY.
//
//   - Intervals: INTERVAL 'n' UNIT with SECOND(S), MINUTE(S), HOUR(S),
//     DAY(S), ... and day-time ranges INTERVAL '1:30' HOUR TO MINUTE,
//     '1 02:03:04.5' DAY TO SECOND (DAY TO HOUR|MINUTE|SECOND, HOUR TO
//     MINUTE|SECOND, MINUTE TO SECOND).
//
//   - Aggregates COUNT(*), COUNT([DISTINCT] x), SUM, MIN, MAX, AVG (DISTINCT
//     allowed on all). GROUP BY accepts select aliases and positions; HAVING
//     accepts select aliases. Also (bind_agg_more.go), in GROUP BY, in
//     group windows and window TVFs, and over changelog inputs:
//     LISTAGG(x [, sep]) (Flink; default separator ','), GROUP_CONCAT(
//     [DISTINCT] x [, ...] [ORDER BY k [ASC|DESC], ...] [SEPARATOR s])
//     (MySQL; several arguments are concatenated, a row with a NULL one is
//     skipped; ORDER BY sorts NULLs first ascending, ties keep arrival
//     order), FIRST_VALUE(x) / LAST_VALUE(x) (the first / last non-NULL x
//     in arrival order), STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP (and
//     MySQL's STDDEV, STD, VARIANCE for the _POP forms), BOOL_AND,
//     BOOL_OR, and COUNT(DISTINCT a, b, ...) (rows whose arguments are all
//     non-NULL, once per distinct tuple). NULL arguments are skipped by
//     every function; over no value each is NULL (COUNT 0). A LISTAGG or
//     GROUP_CONCAT argument that is not a string is cast to STRING; the
//     separator must be a string literal. GROUP_CONCAT has no length limit
//     (MySQL's group_concat_max_len does not apply).
//
//   - agg(...) FILTER (WHERE cond) on any aggregate: the pre-parse
//     (preparse_filter.go) removes the clause and records cond; it binds
//     to plan.AggCall.Filter, so the call folds a row in (and, over a
//     changelog, out) only when cond is TRUE. The row still belongs to
//     its group (a group exists when any row reached it).
//
//   - Retraction (changelog inputs): every aggregate retracts. LISTAGG,
//     GROUP_CONCAT, FIRST_VALUE and LAST_VALUE keep the list of their
//     values in arrival order; a retraction removes the earliest equal
//     entry, so FIRST_VALUE / LAST_VALUE become the first / last value
//     still present. Within a window, values are ordered by arrival within
//     a pane (HOP), step (CUMULATE) or session, and those by time.
//
//   - Session and job statements: SET ['k' = 'v'], RESET ['k'], SHOW TABLES
//     (and SHOW VIEWS), SHOW CREATE TABLE|VIEW t, DESCRIBE|DESC t, SHOW [FULL] JOBS,
//     SHOW FUNCTIONS (every function with its signature, expr.Signatures),
//     STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN], TRIGGER SAVEPOINT 'id',
//     EXPLAIN [PLAN FOR] stmt, EXPLAIN RULES stmt (or EXPLAIN PLAN WITH
//     RULES FOR stmt: the plan after each optimizer rule), HELP, QUIT, EXIT.
//
//   - Outer joins: LEFT, RIGHT and FULL [OUTER] JOIN ... ON (FULL is
//     rewritten to LEFT by the pre-parse layer and read back from the
//     original text, writtenFull) bind to plan.Join with a Kind; the
//     padded side's columns are nullable; WHERE is not merged into an
//     outer join's ON. The planner runs them as Flink does: a window join
//     when both inputs are windowed and joined on window_start and
//     window_end (append-only, unmatched rows padded when the window
//     closes); an interval join when both inputs are append-only and ON
//     bounds the event times of the preserved side(s) (append-only,
//     unmatched rows padded when the watermark passes their bound);
//     otherwise a regular join over inputs that may be changelogs: an
//     unmatched row is emitted padded (+I), that row is retracted (-D)
//     when its first match arrives and emitted again when its last match
//     is retracted, so the result is a changelog. Without an equality
//     between the sides any of these is a nested-loop join (one subtask).
//
//   - Subqueries in WHERE (bind_subquery.go): a conjunct x [NOT] IN (SELECT
//     y FROM ... [WHERE ...]) or [NOT] EXISTS (SELECT ...) whose subquery
//     is correlated by equalities (or is an IN) binds to a plan.Apply: the
//     subquery as written, filtered by its own conditions and then by its
//     correlated conditions, which read the outer row as expr.OuterCol
//     (NOT IN only over NOT NULL columns); a row (a, b) [NOT] IN (SELECT
//     x, y ...) compares every element (bind_row.go). A correlated one
//     whose GROUP BY, HAVING or DISTINCT can change the answer, whose JOIN
//     ... ON reads the outer row, or whose own subqueries name a column
//     of the outer query (two levels out) is bound as written, every
//     outer reference an expr.OuterCol (bind_semi_apply.go). The
//     optimizer's decorrelate rule turns it into a semi (anti) join on x =
//     y and the correlated equalities (pulled up through aggregates, which
//     then also group by their inner sides), the other correlated
//     conditions of its top filter its residual, or on the distinct outer
//     values it reads, joined into it (any other correlation). The
//     planner runs them as window joins (both inputs windowed and joined
//     on the window), as interval joins (both inputs append-only and the
//     residual bounds the left side's event time by the right side's, as
//     an interval join's: s.ts BETWEEN r.ts - INTERVAL ... AND r.ts +
//     INTERVAL ...; rows expire with the watermark, a semi join emits a
//     left row on its first match and an anti join when it expires
//     unmatched, so the output is append-only) or as regular semi / anti
//     joins over inputs that may be changelogs: a left row is emitted when
//     it gets its first match (semi) or while it has none (anti) and
//     retracted when that ends; an anti join's result is a changelog, a
//     semi join's too unless both inputs are append-only.
//
//   - Subqueries in expressions (bind_expr_subquery.go, bind_apply.go), in
//     WHERE, in the select list and HAVING (of an aggregate query too:
//     bind_agg_subquery.go), inside CASE and other expressions, and any
//     IN / EXISTS the semi-join form cannot take: scalar subqueries
//     (SELECT ...), [NOT] EXISTS, x [NOT] IN (SELECT y ...) and x op
//     ANY | SOME | ALL (SELECT y ...) (through COUNT, MIN and MAX of y,
//     three-valued as SQL defines them), uncorrelated or correlated (by
//     equalities, or by any other condition on outer columns), over GROUP
//     BY, DISTINCT, UNION or ORDER BY ... LIMIT subqueries when
//     uncorrelated. The binder reads each as
//     an aggregate without GROUP BY and binds it as a plan.Apply of the
//     LeftJoin kind, its correlated conditions over expr.OuterCol; the
//     optimizer's decorrelate rule makes it a LEFT join of the query's
//     input with that aggregate: without keys (uncorrelated), grouped by
//     its correlation keys (equalities), or by the distinct values of the
//     outer columns it reads, joined into its FROM (other correlations).
//     Outer columns the subquery's select list reads bind to
//     expr.OuterCol as well; so do the outer columns of a correlated
//     condition that has a subquery of its own, and a column two query
//     levels out is carried into the middle query's rows
//     (bind_outer_carry.go). A subquery over a window table function is
//     still decorrelated by the binder into the same joins (joinGrouped;
//     optimizer/doc.go says why). MySQL's value rules: COUNT over no rows is 0 (the
//     select list of the subquery is evaluated over no rows for an outer
//     row nothing matches), IN is three-valued (NULL when x is NULL or the
//     subquery holds a NULL and nothing equals x; NOT IN over an empty
//     subquery is TRUE), a scalar subquery with more than one row for an
//     outer row fails the query with "Subquery returns more than 1 row"
//     (the SINGLE_VALUE aggregate). Streaming: the joins and aggregates
//     are Flink's regular changelog operators, so a row's value is updated
//     as the subquery's input changes.
//
//   - Statement sets (statement_set.go): EXECUTE STATEMENT SET BEGIN
//     INSERT ...; INSERT ...; END (or BEGIN STATEMENT SET; ...; END;, the
//     SQL client's form; Split keeps either together) compile to
//     StatementSet, which the engine runs as one job: one graph with a sink
//     per INSERT, a table several INSERTs read read once, one checkpoint
//     for every sink.
//
//   - Row constructors (bind_row.go, MySQL's): (a, b) op (c, d) for every
//     comparison operator (element-wise; < and the others
//     lexicographically), (a, b) op (SELECT x, y ...) (one row; NULL over
//     none), (a, b) [NOT] IN ((1, 2), ...) and (a, b) [NOT] IN (SELECT x, y
//     ...) (= ANY, <> ALL), correlated or not, three-valued per row as
//     MySQL has it. Sides of different lengths are "Operand should contain
//     n column(s)".
//
//   - Subqueries in ON (bind_on_subquery.go): in a chain of inner joins a
//     filter over the chain; in an outer join each is bound over the side
//     whose columns it reads (an uncorrelated one over the left side) and
//     the join condition reads its value. GROUP BY may name a subquery
//     expression, or the select alias of one (bind_group_subquery.go).
//
// Not supported (each gives ErrUnsupported with a hint): a subquery in an
// outer join's ON that reads the columns of both sides, ORDER BY
// expressions not in the select list of a SELECT DISTINCT or a set
// operation, correlated subqueries with LIMIT (a correlated
// subquery's GROUP BY, HAVING and DISTINCT work: as a WHERE conjunct's IN
// / EXISTS it is a semi / anti join, bind_semi_apply.go; read as a value
// it is a derived relation with outer references, bind_derived_apply.go;
// a scalar subquery grouped by the columns its WHERE equates with the
// outer query's has at most one group per outer row, NULL when none or
// when HAVING rejects it; a subquery's JOIN ... ON may read the outer
// row); a reference three or more query levels out that is not
// qualified by its table,
// RANK() and other OVER functions, OVER aggregates with DISTINCT, with GROUP
// BY or FOLLOWING frames, LIMIT without ORDER BY below the top level, LIMIT offsets,
// computed columns other than PROCTIME(), column
// defaults, INSERT ... SET / ON DUPLICATE KEY, REPLACE into a table with a
// connector, CREATE OR REPLACE, triggers.
//
// # Types of results
//
// Expressions follow package expr (MySQL-flavoured: integer / gives DECIMAL
// with scale + 4, comparisons coerce strings to TIMESTAMP/DATE/DOUBLE, a
// string read as a number by its numeric prefix, also in join keys and IN
// subqueries; BOOLEAN is 1 / 0 where it meets a number, MySQL's rule: see
// expr/doc.go). Result types are otherwise Flink's (below).
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
//	LISTAGG, GROUP_CONCAT  STRING
//	FIRST_VALUE(x), LAST_VALUE(x)  the type of x
//	STDDEV_*, VAR_*        DOUBLE (of a number; exact sums of integers and decimals)
//	BOOL_AND, BOOL_OR      BOOLEAN (of a BOOLEAN)
//
// SUM, AVG and the variance functions of a VARCHAR cast it to DOUBLE.
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
