package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/tests/conformance"
	"github.com/streamsql/streamsql/tests/sqllogic"
	"github.com/streamsql/streamsql/types"
)

// select5File is the corpus file BenchmarkSelect5VsMariaDB runs: 64
// tables of 10 rows, then 732 queries, 12 for each number of joined
// tables from 4 to 64.
const select5File = "select5.test"

// BenchmarkSelect5VsMariaDB runs the SQLite corpus's select5.test through
// streamsql (as `streamsql test` does: a fresh engine, parallelism 1) and
// the same records through MariaDB on 127.0.0.1:3306 (a fresh database,
// one session), one after the other in each iteration. Both sides do the
// same work through the same runner (sqllogic.Run): create the tables,
// insert the rows one statement at a time, run every query, fetch and
// render all of its rows and compare them with the expected ones.
//
// MariaDB refuses the file's 36 queries that join more than 61 tables
// ("Too many tables"): a first, untimed MariaDB run finds them and both
// sides then run the file without them (the common records). It reports
// the wall-clock seconds of each side per run and their ratio
// (x-mariadb), the ratio of CPU seconds (x-mariadb-cpu: this process for
// streamsql; the MariaDB server process plus this process for MariaDB,
// when the server runs on this machine), the seconds streamsql spends on
// the whole file (streamsql-all-s/op, the refused queries included), and
// logs both times per kind of record: statements, joins of at most 8
// tables, larger joins. It fails if either side does not pass every
// common record (a side that skipped work would flatter it). The
// server's CPU time also counts whatever else it serves meanwhile. Run
// it alone, e.g.
//
//	GOMAXPROCS=1 go test -run '^$' -bench Select5VsMariaDB -benchtime 1x ./bench
//
// or scripts/bench_select5.sh. It needs the corpus (see
// conformance.FindSQLiteCorpus) and MariaDB (see testkit.RequireMariaDB).
func BenchmarkSelect5VsMariaDB(b *testing.B) {
	root, err := conformance.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	dir, tried := conformance.FindSQLiteCorpus(root)
	if dir == "" {
		b.Skipf("the SQLite corpus is in none of %v", tried)
	}
	whole, err := sqllogic.ParseFile(filepath.Join(dir, select5File))
	if err != nil {
		b.Fatal(err)
	}
	testkit.RequireMariaDB(b)
	server, err := testkit.OpenMariaDB(testkit.MariaDBConfig(""))
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	serverPID, _ := localServerPID()
	probe, err := runOnMariaDB(server, whole, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	common, refused := withoutRefused(whole, probe)
	b.Logf("%s: %d records; MariaDB refuses %d (more than 61 tables), both sides run the other %d",
		select5File, len(whole.Records), refused, len(common.Records))

	var ours, theirs bucketTimes
	oursAll := time.Duration(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, d := runOnStreamsql(common, &ours)
		checkAllPassed(b, "streamsql", r)
		r, d = runOnStreamsql(whole, nil)
		oursAll += d
		checkAllPassed(b, "streamsql (whole file)", r)
		r, err = runOnMariaDB(server, common, &theirs, serverPID)
		if err != nil {
			b.Fatal(err)
		}
		checkAllPassed(b, "MariaDB", r)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(sum(ours.wall).Seconds()/n, "streamsql-s/op")
	b.ReportMetric(sum(theirs.wall).Seconds()/n, "mariadb-s/op")
	b.ReportMetric(sum(ours.wall).Seconds()/sum(theirs.wall).Seconds(), "x-mariadb")
	b.ReportMetric(oursAll.Seconds()/n, "streamsql-all-s/op")
	if serverPID > 0 {
		b.ReportMetric(sum(ours.cpu).Seconds()/sum(theirs.cpu).Seconds(), "x-mariadb-cpu")
	}
	for k, name := range bucketNames {
		line := fmt.Sprintf("%-10s wall: streamsql %7.3f s  MariaDB %7.3f s  ratio %6.2f", name,
			ours.wall[k].Seconds()/n, theirs.wall[k].Seconds()/n, ours.wall[k].Seconds()/theirs.wall[k].Seconds())
		if serverPID > 0 {
			line += fmt.Sprintf(" | CPU: streamsql %7.3f s  MariaDB (server and client) %7.3f s  ratio %6.2f",
				ours.cpu[k].Seconds()/n, theirs.cpu[k].Seconds()/n, ours.cpu[k].Seconds()/theirs.cpu[k].Seconds())
		}
		b.Log(line)
	}
	if serverPID == 0 {
		b.Log("no MariaDB server process on this machine: CPU times not measured")
	}
}

// runOnStreamsql runs script as `streamsql test` does (a fresh engine,
// parallelism 1) and returns its result and how long it took; into, if
// not nil, gets the time of each statement and query added by bucket.
func runOnStreamsql(script *sqllogic.Script, into *bucketTimes) (sqllogic.Result, time.Duration) {
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	defer eng.StopAll()
	var db sqllogic.DB = eng
	if into != nil {
		db = timedDB{db, into, 0}
	}
	start := time.Now()
	r := sqllogic.Run(db, script, sqllogic.Options{})
	return r, time.Since(start)
}

// withoutRefused returns s without the records that failed in r because
// MariaDB cannot join so many tables, and how many those were.
func withoutRefused(s *sqllogic.Script, r sqllogic.Result) (*sqllogic.Script, int) {
	refused := map[sqllogic.Pos]bool{}
	for _, f := range r.Failures {
		if strings.Contains(f.Message, "Too many tables") {
			refused[f.Pos] = true
		}
	}
	out := &sqllogic.Script{Name: s.Name}
	for _, rec := range s.Records {
		if !refused[rec.Pos] {
			out.Records = append(out.Records, rec)
		}
	}
	return out, len(refused)
}

func checkAllPassed(b *testing.B, side string, r sqllogic.Result) {
	if r.Failed > 0 || r.Passed == 0 {
		b.Fatalf("%s: %s\n%s", side, r.Summary(), r.Report())
	}
}

// runOnMariaDB runs script in a database of its own (created before and
// dropped after the run) through one session, adds the time of each
// statement and query to into by bucket, and returns the result.
func runOnMariaDB(server *sql.DB, script *sqllogic.Script, into *bucketTimes, serverPID int) (sqllogic.Result, error) {
	ctx := context.Background()
	var tok [6]byte
	_, _ = rand.Read(tok[:])
	name := "streamsql_bench_select5_" + hex.EncodeToString(tok[:])
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return sqllogic.Result{}, err
	}
	defer server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name)
	db, err := testkit.OpenMariaDB(testkit.MariaDBConfig(name))
	if err != nil {
		return sqllogic.Result{}, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return sqllogic.Result{}, err
	}
	defer conn.Close()
	var sdb sqllogic.DB = mariaDB{conn}
	if into != nil {
		sdb = timedDB{sdb, into, serverPID}
	}
	return sqllogic.Run(sdb, script, sqllogic.Options{}), nil
}

// The buckets of bucketTimes: the statements (CREATE TABLE, INSERT), the
// queries joining at most 8 tables, and those joining more.
const (
	bucketStatements = iota
	bucketSmallJoins
	bucketLargeJoins
	bucketCount
)

var bucketNames = [bucketCount]string{"statements", "joins-le-8", "joins-gt-8"}

// bucketTimes is the time spent per bucket: wall-clock, and CPU time of
// this process plus, for MariaDB, the server's.
type bucketTimes struct {
	wall, cpu [bucketCount]time.Duration
}

func sum(d [bucketCount]time.Duration) time.Duration {
	var t time.Duration
	for _, v := range d {
		t += v
	}
	return t
}

// timedDB adds the time of each call of db to the bucket of its SQL. With
// serverPID > 0 the CPU time of that process counts too.
type timedDB struct {
	db        sqllogic.DB
	times     *bucketTimes
	serverPID int
}

func (t timedDB) cpu() time.Duration {
	d := testkit.ProcessCPU()
	if t.serverPID > 0 {
		d += processCPU(t.serverPID)
	}
	return d
}

func (t timedDB) Exec(q string) error {
	start, cpu := time.Now(), t.cpu()
	err := t.db.Exec(q)
	t.times.wall[bucketStatements] += time.Since(start)
	t.times.cpu[bucketStatements] += t.cpu() - cpu
	return err
}

func (t timedDB) Query(q string) (types.Schema, [][]types.Value, error) {
	start, cpu := time.Now(), t.cpu()
	schema, rows, err := t.db.Query(q)
	k := bucketLargeJoins
	if joinedTables(q) <= 8 {
		k = bucketSmallJoins
	}
	t.times.wall[k] += time.Since(start)
	t.times.cpu[k] += t.cpu() - cpu
	return schema, rows, err
}

// joinedTables counts the tables of a select5 query: the comma-separated
// names between its FROM and WHERE.
func joinedTables(q string) int {
	_, from, ok := strings.Cut(q, "FROM")
	if !ok {
		return 0
	}
	from, _, _ = strings.Cut(from, "WHERE")
	return strings.Count(from, ",") + 1
}

// mariaDB is sqllogic.DB over one MariaDB session. Query returns every
// value as its text (NULL as NULL), which the runner renders by the
// record's type letters as it renders streamsql's values.
type mariaDB struct{ conn *sql.Conn }

func (m mariaDB) Exec(q string) error {
	_, err := m.conn.ExecContext(context.Background(), q)
	return err
}

func (m mariaDB) Query(q string) (types.Schema, [][]types.Value, error) {
	rows, err := m.conn.QueryContext(context.Background(), q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	schema := make(types.Schema, len(cols))
	for i, c := range cols {
		schema[i] = types.Column{Name: c, Type: types.String}
	}
	var out [][]types.Value
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]types.Value, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = types.StringValue(v.String)
			}
		}
		out = append(out, row)
	}
	return schema, out, rows.Err()
}
