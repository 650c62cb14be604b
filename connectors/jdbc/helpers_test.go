package jdbc

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
	ssql "github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// The tests use the MariaDB (or MySQL) server of the test setup
// (testkit.MariaDBAddr).
const serverAddr = testkit.MariaDBAddr

// server returns a connection to the test server as root, or stops the
// test: it fails in CI (CI set) and skips elsewhere.
func server(t testing.TB) *sql.DB {
	t.Helper()
	testkit.RequireMariaDB(t)
	db, err := openRoot("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openRoot opens a pool to database dbName as root whose session time
// zone is UTC.
func openRoot(dbName string) (*sql.DB, error) {
	cfg := testkit.MariaDBConfig(dbName)
	cfg.Loc = time.UTC // times are read as text: what the server stores
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	return testkit.OpenMariaDB(cfg)
}

// testDatabase creates a database of its own for the test (dropped at the
// end) and returns its name and a connection to it.
func testDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	return testkit.OwnDatabase(t, "streamsql_jdbc_", openRoot)
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// compileTable compiles a CREATE TABLE statement.
func compileTable(t testing.TB, ddl string) *catalog.Table {
	t.Helper()
	st, err := ssql.Compile(ssql.Split(ddl)[0], catalog.New())
	if err != nil {
		t.Fatalf("%s: %v", ddl, err)
	}
	ct, ok := st.(*ssql.CreateTable)
	if !ok {
		t.Fatalf("%s: not a CREATE TABLE", ddl)
	}
	return ct.Table
}

// newTestSink validates and builds the sink of a table the way the planner
// does.
func newTestSink(t testing.TB, tbl *catalog.Table, env *connectors.Env) *sink {
	t.Helper()
	f := connectors.Lookup(tbl.Connector())
	if f == nil {
		t.Fatalf("connector %q is not registered", tbl.Connector())
	}
	if err := connectors.ValidateOptions(tbl, f); err != nil {
		t.Fatal(err)
	}
	s, err := f.NewSink(tbl, env)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*sink)
}

// testEnv returns an environment whose warnings go to a buffer.
func testEnv(job string) (*connectors.Env, *testkit.SyncBuffer) {
	var b testkit.SyncBuffer
	return &connectors.Env{Stdout: &b, Stderr: &b, JobName: job, Now: func() int64 { return time.Now().UnixMilli() }}, &b
}

func openWriter(t testing.TB, s *sink, instance int) connectors.SinkWriter {
	t.Helper()
	w, err := s.Open(context.Background(), instance, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func open2PC(t testing.TB, s *sink, instance int) connectors.TwoPhaseCommitWriter {
	t.Helper()
	w := openWriter(t, s, instance)
	tp, ok := w.(connectors.TwoPhaseCommitWriter)
	if !ok {
		t.Fatalf("writer %T is not a TwoPhaseCommitWriter", w)
	}
	return tp
}

type row struct {
	op   types.Op
	vals []types.Value
}

func ins(vals ...types.Value) row { return row{types.Insert, vals} }
func ub(vals ...types.Value) row  { return row{types.UpdateBefore, vals} }
func ua(vals ...types.Value) row  { return row{types.UpdateAfter, vals} }
func del(vals ...types.Value) row { return row{types.Delete, vals} }

func write(t testing.TB, w connectors.SinkWriter, rows ...row) {
	t.Helper()
	if err := w.Write(batch(rows...)); err != nil {
		t.Fatal(err)
	}
}

func batch(rows ...row) *types.Batch {
	b := types.NewBatch(len(rows[0].vals), len(rows))
	for _, r := range rows {
		b.Append(r.op, r.vals)
	}
	return b
}

func i64(v int64) types.Value   { return types.IntValue(v) }
func str(s string) types.Value  { return types.StringValue(s) }
func null() types.Value         { return types.NullValue() }
func dec(u int64) types.Value   { return types.DecimalValue(u, 2) }
func f64(f float64) types.Value { return types.DoubleValue(f) }
func ts(ms int64) types.Value   { return types.TimestampValue(ms) }
func boolean(b bool) types.Value {
	return types.BoolValue(b)
}

// dump returns the table's rows, one line each, values joined by '|',
// sorted; NULL as NULL.
func dump(t testing.TB, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func wantRows(t testing.TB, db *sql.DB, query string, want ...string) {
	t.Helper()
	got := dump(t, db, query)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot\n  %s\nwant\n  %s", query, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func count(t testing.TB, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
