// Package shell is the interactive front end: a terminal-free Session that
// accumulates typed lines into statements, executes them on an engine and
// offers context-aware completions (Suggest/Complete), and RunPrompt, the
// go-prompt adapter (prompt.go) that adds line editing, Tab completion,
// history in ~/.streamsql_history, live SELECT results and Ctrl-C to stop
// a query. RunPlain drives a Session from any reader, which is what
// non-terminal standard input uses.
//
// README section (the transcript is a real session):
//
//	## The interactive shell
//
//	Run `streamsql` on a terminal. Statements end with `;` and may span
//	lines (the prompt turns into `->` until the `;`). Tab completes
//	statement starts, table and column names, functions, connector names
//	and their WITH options, SET keys and job ids. Up/Down recall earlier
//	statements, also from earlier runs (~/.streamsql_history, which stores
//	them with passwords and other secrets masked as SHOW CREATE TABLE
//	shows them; Up within one run recalls a statement as typed). Ctrl-C
//	stops a running SELECT; QUIT;, EXIT; or Ctrl-D leaves. A SELECT over
//	an unbounded source shows its result live as a table redrawn in place
//	(windowed counts grow by one row per closed window); with
//	SET 'sql-client.execution.result-mode' = 'changelog' every change is
//	printed with its op (+I, -U, +U, -D) instead.
//
//	    $ streamsql
//	    streamsql> CREATE TABLE bids (auction BIGINT, price BIGINT, ts AS PROCTIME())
//	            ->   WITH ('connector'='datagen', 'rows-per-second'='100',
//	            ->         'fields.auction.min'='1', 'fields.auction.max'='3');
//	    Table created.
//	    streamsql> SELECT auction, COUNT(*) AS n, TUMBLE_END(ts, INTERVAL '2' SECOND) AS w
//	            ->   FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '2' SECOND);
//	    +---------+----+-------------------------+
//	    | auction | n  | w                       |
//	    +---------+----+-------------------------+
//	    |       1 | 64 | 2026-11-21 16:00:22.000 |
//	    |       3 | 59 | 2026-11-21 16:00:22.000 |
//	    |       2 | 77 | 2026-11-21 16:00:22.000 |
//	    |       1 | 62 | 2026-11-21 16:00:24.000 |
//	    |       3 | 72 | 2026-11-21 16:00:24.000 |
//	    |       2 | 66 | 2026-11-21 16:00:24.000 |
//	    +---------+----+-------------------------+
//	    6 rows in set
//	    6 rows, 6 changes (2/s), 4.9s
//	    Query stopped.
//	    streamsql> SET 'state.checkpoints.dir' = '/tmp/demo/chk';
//	    Configuration set.
//	    streamsql> SET 'execution.checkpointing.interval' = '1s';
//	    Configuration set.
//	    streamsql> SET 'state.savepoints.dir' = '/tmp/demo/sp';
//	    Configuration set.
//	    streamsql> CREATE TABLE out_file (auction BIGINT, n BIGINT, w TIMESTAMP(3))
//	            ->   WITH ('connector'='filesystem', 'path'='/tmp/demo/out', 'format'='csv');
//	    Table created.
//	    streamsql> INSERT INTO out_file SELECT auction, COUNT(*), TUMBLE_END(ts, INTERVAL '2' SECOND)
//	            ->   FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '2' SECOND);
//	    Job submitted: f95e321600000001
//	    streamsql> SHOW JOBS;
//	    +------------------+------------------------------+---------+--------+---------+----------+-------+
//	    | job id           | name                         | status  | uptime | rows in | rows out | error |
//	    +------------------+------------------------------+---------+--------+---------+----------+-------+
//	    | f95e321600000001 | INSERT INTO out_file SELE... | RUNNING | 3s     |     304 |        3 | NULL  |
//	    +------------------+------------------------------+---------+--------+---------+----------+-------+
//	    1 row in set
//	    streamsql> STOP JOB 'f95e321600000001' WITH SAVEPOINT;
//	    +--------------------------------------------------------+
//	    | savepoint path                                         |
//	    +--------------------------------------------------------+
//	    | /tmp/demo/sp/savepoint-job-e047dc21bf6e-4-103bfb5b5e2d |
//	    +--------------------------------------------------------+
//	    1 row in set
//	    streamsql> SET 'execution.savepoint.path' = '/tmp/demo/sp/savepoint-job-e047dc21bf6e-4-103bfb5b5e2d';
//	    Configuration set.
//	    streamsql> INSERT INTO out_file SELECT auction, COUNT(*), TUMBLE_END(ts, INTERVAL '2' SECOND)
//	            ->   FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '2' SECOND);
//	    Job submitted: c119ec9f00000002
//	    streamsql> SHOW FULL JOBS;
//	    ... f95e321600000001 ... STOPPED ... savepoint 4, 7s ago, 1.9 KiB ...
//	    ... c119ec9f00000002 ... RUNNING ... chk 6, 900ms ago, 1.9 KiB ...
//	    streamsql> QUIT;
//	    $
//
//	(While the SELECT runs, its table is redrawn as windows close, with a
//	status line ending in "press Ctrl-C to stop"; Ctrl-C leaves the last
//	state on screen. After `STOP JOB '` a Tab offers the job ids.)
//
// SHOW CLUSTER: this shell runs its jobs in its own process and is never
// part of a cluster, so SHOW CLUSTER answers "Not part of a cluster: the
// jobs run in this process only. ..." (a message, not an error: a script
// goes on). In a shell connected to a server of a cluster (`streamsql
// --server URL`, cmd/streamsql) the server answers it with one row per
// server, and SHOW JOBS / SHOW FULL JOBS there have an `owner` column:
//
//	streamsql> SHOW CLUSTER;
//	+-----------+--------+-----------------+------------+------+------------------+
//	| server id | status | address         | last heard | jobs | job ids          |
//	+-----------+--------+-----------------+------------+------+------------------+
//	| A         | up     | 127.0.0.1:39267 | 0s ago     | 1    | 33c7213200000001 |
//	| B         | up     | 127.0.0.1:33861 | 0s ago     | 1    | 42b3d83500000001 |
//	+-----------+--------+-----------------+------------+------+------------------+
//	2 rows in set
//
// Partitions, lag and snapshots per partition are not shown: a job runs
// whole on the server that owns it, not as stages across servers.
// Completion offers SHOW CLUSTER among the statement starts and after SHOW.
package shell
