package jdbc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// openLookup builds the lookup side of tbl the way the planner does and
// opens a reader by keyCols.
func openLookup(t *testing.T, tbl *catalog.Table, keyCols ...int) connectors.LookupReader {
	t.Helper()
	env, _ := testEnv("lookup-test")
	ls, err := connectors.NewLookupSource(tbl, env)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ls.Open(context.Background(), keyCols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// look looks key up and renders the rows (sorted), values MySQL-style.
func look(t *testing.T, r connectors.LookupReader, schema types.Schema, key ...types.Value) string {
	t.Helper()
	rows, err := r.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range rows {
		var parts []string
		for i, v := range row {
			parts = append(parts, types.Render(v, schema[i].Type))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return strings.Join(out, "; ")
}

// TestLookupByKey reads rows of every type by a key that is not unique,
// by a composite key, and a key without rows; no cache: a change in the
// database shows at the next lookup.
func TestLookupByKey(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, `CREATE TABLE dim (id BIGINT, name VARCHAR(20), price DECIMAL(10,2), ratio DOUBLE,
		seen DATETIME(3), day DATE, ok BOOLEAN, n INT)`)
	mustExec(t, db, `INSERT INTO dim VALUES
		(1, 'ann', 12.50, 0.25, '2020-10-10 00:00:05.123', '2020-10-10', TRUE, 7),
		(2, 'bob', NULL, NULL, NULL, NULL, NULL, NULL),
		(2, 'bobby', -1.05, 1e10, '1999-12-31 23:59:59.999', '1969-07-20', FALSE, -3)`)
	tbl := compileTable(t, ddl(dbName, "id BIGINT, name VARCHAR(20), price DECIMAL(10,2), ratio DOUBLE, seen TIMESTAMP(3), day DATE, ok BOOLEAN, n INT",
		"'table-name' = 'dim'"))
	schema := tbl.PhysicalColumns()
	r := openLookup(t, tbl, 0)
	if got, want := look(t, r, schema, i64(1)), "1|ann|12.50|0.25|2020-10-10 00:00:05.123|2020-10-10|TRUE|7"; got != want {
		t.Fatalf("key 1: %s, want %s", got, want)
	}
	if got, want := look(t, r, schema, i64(2)), "2|bobby|-1.05|1e+10|1999-12-31 23:59:59.999|1969-07-20|FALSE|-3; 2|bob|NULL|NULL|NULL|NULL|NULL|NULL"; got != want {
		t.Fatalf("key 2: %s, want %s", got, want)
	}
	if got := look(t, r, schema, i64(3)); got != "" {
		t.Fatalf("key 3: %q, want no rows", got)
	}
	mustExec(t, db, "UPDATE dim SET name = 'anne' WHERE id = 1")
	if got := look(t, r, schema, i64(1)); !strings.Contains(got, "|anne|") {
		t.Fatalf("without a cache a lookup sees the database as it is: %s", got)
	}
	// A composite key (name, id), in that order.
	r2 := openLookup(t, tbl, 1, 0)
	if got := look(t, r2, schema, str("bobby"), i64(2)); !strings.HasPrefix(got, "2|bobby|") || strings.Contains(got, ";") {
		t.Fatalf("key (bobby, 2): %s", got)
	}
	if got := look(t, r2, schema, str("bob"), i64(1)); got != "" {
		t.Fatalf("key (bob, 1): %q, want no rows", got)
	}
}

// TestLookupCache: with 'lookup.cache.max-rows' and 'lookup.cache.ttl' a
// key's rows are reused until the ttl passes or the key is evicted (least
// recently used first); keys without rows are cached unless
// 'lookup.cache.caching-missing-key' is false.
func TestLookupCache(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	old := lookupClock
	lookupClock = func() time.Time { return now }
	t.Cleanup(func() { lookupClock = old })

	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE dim (id BIGINT, name VARCHAR(20))")
	mustExec(t, db, "INSERT INTO dim VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	cols := "id BIGINT, name STRING"
	tbl := compileTable(t, ddl(dbName, cols, "'table-name' = 'dim', 'lookup.cache.max-rows' = '2', 'lookup.cache.ttl' = '1min'"))
	schema := tbl.PhysicalColumns()
	r := openLookup(t, tbl, 0)
	for _, k := range []int64{1, 2, 9} {
		look(t, r, schema, i64(k))
	}
	mustExec(t, db, "UPDATE dim SET name = CONCAT(name, '2')")
	mustExec(t, db, "INSERT INTO dim VALUES (9, 'z')")
	// 1 was evicted by 9 (two keys at most): read again; 2 and 9 are cached.
	if got := look(t, r, schema, i64(1)); got != "1|a2" {
		t.Fatalf("evicted key 1: %q", got)
	}
	if got := look(t, r, schema, i64(9)); got != "" {
		t.Fatalf("cached missing key 9: %q", got)
	}
	now = now.Add(59 * time.Second)
	if got := look(t, r, schema, i64(1)); got != "1|a2" {
		t.Fatalf("cached key 1: %q", got)
	}
	now = now.Add(2 * time.Second) // 9 was cached 61 s ago
	if got := look(t, r, schema, i64(9)); got != "9|z" {
		t.Fatalf("expired key 9: %q", got)
	}

	tbl = compileTable(t, ddl(dbName, cols, "'table-name' = 'dim', 'lookup.cache.max-rows' = '10', 'lookup.cache.ttl' = '1min', 'lookup.cache.caching-missing-key' = 'false'"))
	r = openLookup(t, tbl, 0)
	if got := look(t, r, schema, i64(8)); got != "" {
		t.Fatalf("key 8: %q", got)
	}
	mustExec(t, db, "INSERT INTO dim VALUES (8, 'y')")
	if got := look(t, r, schema, i64(8)); got != "8|y" {
		t.Fatalf("a missing key is not cached: %q", got)
	}
}

func TestLookupErrors(t *testing.T) {
	dbName, _ := testDatabase(t)
	// Options are checked when the table is created.
	tbl := compileTable(t, "CREATE TABLE t (id BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://root:s3cret@"+serverAddr+"/"+dbName+"', 'lookup.cache.ttl' = '1min')")
	err := connectors.ValidateOptions(tbl, connectors.Lookup("jdbc"))
	if err == nil || !strings.Contains(err.Error(), "set both 'lookup.cache.max-rows' and 'lookup.cache.ttl'") {
		t.Fatalf("ttl without max-rows: %v", err)
	}
	// A missing database table fails when the reader opens, naming both
	// tables, without the password.
	tbl = compileTable(t, "CREATE TABLE t (id BIGINT, name STRING) WITH ('connector' = 'jdbc', 'url' = 'mysql://root:s3cret@"+serverAddr+"/"+dbName+"', 'table-name' = 'nosuch')")
	ls, err := connectors.NewLookupSource(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := ls.Describe(); strings.Contains(d, "s3cret") || !strings.Contains(d, "nosuch") {
		t.Fatalf("Describe: %s", d)
	}
	_, err = ls.Open(context.Background(), []int{0})
	if err == nil || !strings.Contains(err.Error(), "table t:") || !strings.Contains(err.Error(), "nosuch") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open: %v", err)
	}
	// A value that does not fit the declared type fails the lookup, naming the column.
	_, db := dbName, server(t)
	mustExec(t, db, "CREATE TABLE `"+dbName+"`.`wide` (id BIGINT, v VARCHAR(20))")
	mustExec(t, db, "INSERT INTO `"+dbName+"`.`wide` VALUES (1, 'not a number')")
	tbl = compileTable(t, ddl(dbName, "id BIGINT, v BIGINT", "'table-name' = 'wide'"))
	r := openLookup(t, tbl, 0)
	if _, err := r.Lookup([]types.Value{i64(1)}); err == nil || !strings.Contains(err.Error(), "column v") || !strings.Contains(err.Error(), "table t:") {
		t.Fatalf("Lookup: %v", err)
	}
}
