package crash

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// expectedAnswers loads the input files into a table of db (MariaDB
// parses the CSV itself; the table lives in memory and goes with db's database) and returns what the two jobs of script must
// commit, computed by MariaDB, each as sorted CSV lines in the sinks'
// rendering: the filter/projection's rows, and the count and sum per key
// and 10 s tumbling window, the window's end being the next multiple of
// 10 s since the epoch after the row's time. DATETIME values carry no time
// zone, so the window arithmetic is plain second counting.
func expectedAnswers(t *testing.T, db *sql.DB, files []string) (rows, counts []string) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("MariaDB: %s: %v", q, err)
		}
	}
	// A MEMORY table loads several times faster than InnoDB; its size
	// limit is the session's max_heap_table_size when it is created.
	exec("SET SESSION max_heap_table_size = 1024 * 1024 * 1024")
	exec("CREATE TABLE src (k BIGINT NOT NULL, v BIGINT NOT NULL, ts DATETIME(3) NOT NULL) ENGINE=MEMORY")
	for _, f := range files {
		mysql.RegisterLocalFile(f)
		t.Cleanup(func() { mysql.DeregisterLocalFile(f) })
		exec("LOAD DATA LOCAL INFILE '" + f + "' INTO TABLE src FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n' (k, v, ts)")
	}
	// DATE_FORMAT's %f has six digits; the sinks write three.
	const ms = "'%Y-%m-%d %H:%i:%s.%f'), 23)"
	rows = queryLines(t, db, "SELECT CONCAT_WS(',', k, v * 2, LEFT(DATE_FORMAT(ts, "+ms+") FROM src WHERE v % 3 <> 0")
	counts = queryLines(t, db, `SELECT CONCAT_WS(',', k,
  LEFT(DATE_FORMAT(TIMESTAMPADD(SECOND, (TIMESTAMPDIFF(SECOND, '1970-01-01', ts) DIV 10 + 1) * 10, '1970-01-01'), `+ms+`,
  COUNT(*), SUM(v))
FROM src GROUP BY k, TIMESTAMPDIFF(SECOND, '1970-01-01', ts) DIV 10`)
	return rows, counts
}

// queryLines runs q, whose rows have one string column, and returns the
// strings sorted byte-wise (as testkit.CommittedLines sorts).
func queryLines(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	r, err := db.Query(q)
	if err != nil {
		t.Fatalf("MariaDB: %s: %v", q, err)
	}
	defer r.Close()
	var lines []string
	for r.Next() {
		var l string
		if err := r.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("MariaDB: %s: %v", q, err)
	}
	slices.Sort(lines)
	return lines
}
