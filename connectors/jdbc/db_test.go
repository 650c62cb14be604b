package jdbc

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// ddl returns a CREATE TABLE of the jdbc connector for database db.
func ddl(db, columns, options string) string {
	if options != "" {
		options = ", " + options
	}
	return "CREATE TABLE t (" + columns + ") WITH ('connector' = 'jdbc', 'url' = 'mysql://root@" + serverAddr + "/" + db + "'" + options + ")"
}

func TestUpsertAndDeleteByKey(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE kv (k BIGINT NOT NULL, name VARCHAR(20), n BIGINT, PRIMARY KEY (k))")
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, name STRING, n BIGINT, PRIMARY KEY (k) NOT ENFORCED",
		"'table-name' = 'kv', 'sink.delivery-guarantee' = 'at-least-once', 'sink.buffer-flush.interval' = '0'")), nil)
	w := openWriter(t, s, 0)
	if _, ok := w.(connectors.TwoPhaseCommitWriter); ok {
		t.Fatal("an at-least-once writer must not take part in two-phase commits")
	}
	write(t, w, ins(i64(1), str("a"), i64(1)), ins(i64(2), str("b"), i64(1)), ins(i64(3), str("c"), i64(1)))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM kv", "1|a|1", "2|b|1", "3|c|1")
	// -U is ignored, +U upserts, -D deletes by key (its other values do not matter)
	write(t, w, ub(i64(1), str("a"), i64(1)), ua(i64(1), str("a"), i64(2)), del(i64(2), str("zzz"), null()),
		ins(i64(4), str("d"), i64(1)), ub(i64(3), str("c"), i64(1)))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM kv", "1|a|2", "3|c|1", "4|d|1")
	// an upsert of a key that is already in the table from before the job
	write(t, w, ins(i64(3), str("C"), i64(9)))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM kv", "1|a|2", "3|C|9", "4|d|1")
}

// TestManyRows crosses the multi-row statement size in both directions
// and with a composite key.
func TestManyRows(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE m (a BIGINT NOT NULL, b VARCHAR(10) NOT NULL, v BIGINT, PRIMARY KEY (a, b))")
	s := newTestSink(t, compileTable(t, ddl(dbName, "a BIGINT, b STRING, v BIGINT, PRIMARY KEY (a, b) NOT ENFORCED",
		"'table-name' = 'm', 'sink.delivery-guarantee' = 'at-least-once', 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '0'")), nil)
	w := openWriter(t, s, 0)
	const n = 1234
	var rows []row
	for i := 0; i < n; i++ {
		rows = append(rows, ins(i64(int64(i)), str(strconv.Itoa(i%3)), i64(int64(i))))
	}
	write(t, w, rows...)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM m"); got != n {
		t.Fatalf("%d rows, want %d", got, n)
	}
	rows = rows[:0]
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			rows = append(rows, del(i64(int64(i)), str(strconv.Itoa(i%3)), null()))
		} else {
			rows = append(rows, ua(i64(int64(i)), str(strconv.Itoa(i%3)), i64(-1)))
		}
	}
	write(t, w, rows...)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM m WHERE v = -1"); got != n/2 {
		t.Fatalf("%d updated rows, want %d", got, n/2)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM m"); got != n/2 {
		t.Fatalf("%d rows after deletes, want %d", got, n/2)
	}
}

func TestAppendWithoutKey(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE log (id BIGINT, msg VARCHAR(20))")
	s := newTestSink(t, compileTable(t, ddl(dbName, "id BIGINT, msg STRING", "'table-name' = 'log', 'sink.delivery-guarantee' = 'at-least-once'")), nil)
	if s.AcceptsChangelog() {
		t.Fatal("AcceptsChangelog without a primary key")
	}
	w := openWriter(t, s, 0)
	write(t, w, ins(i64(1), str("x")), ins(i64(1), str("x")), ins(i64(2), null()))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM log", "1|x", "1|x", "2|NULL")
	err := w.Write(batch(del(i64(1), str("x"))))
	if err == nil || !strings.Contains(err.Error(), "table t") || !strings.Contains(err.Error(), "declare a PRIMARY KEY to apply updates") {
		t.Fatalf("a retraction without a key: %v", err)
	}
}

// TestTypeRoundTrip writes every type to a table of MariaDB types and
// reads it back.
func TestTypeRoundTrip(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, `CREATE TABLE ty (id BIGINT NOT NULL PRIMARY KEY, d DOUBLE, m DECIMAL(10,2), s VARCHAR(40),
		ts TIMESTAMP(3) NULL, dt DATETIME(3), b BOOLEAN, day DATE)`)
	s := newTestSink(t, compileTable(t, ddl(dbName, "id BIGINT, d DOUBLE, m DECIMAL(10, 2), s VARCHAR(40), ts TIMESTAMP(3), dt TIMESTAMP(3), b BOOLEAN, day DATE, PRIMARY KEY (id) NOT ENFORCED",
		"'table-name' = 'ty'")), nil)
	w := open2PC(t, s, 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	const ms = 1602288005123 // 2020-10-10 00:00:05.123 UTC
	write(t, w,
		ins(i64(1), f64(0.1), dec(123456789), str("héllo 'quoted' `back`"), ts(ms), ts(ms), boolean(true), types.DateValue(18545)),
		ins(i64(-9223372036854775808), f64(-1.5e300), dec(-5), str(""), ts(1000), ts(-86400000), boolean(false), types.DateValue(0)),
		ins(i64(3), null(), null(), null(), null(), null(), null(), null()),
		// a decimal of another scale is written exactly and rounded by the server's column
		ins(i64(4), f64(1), types.DecimalValue(12345, 3), str("x"), ts(ms+1), ts(ms+999), boolean(true), null()),
	)
	c, err := w.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT id, d, m, s, ts, dt, b, day FROM ty",
		"1|0.1|1234567.89|héllo 'quoted' `back`|2020-10-10 00:00:05.123|2020-10-10 00:00:05.123|1|2020-10-10",
		"-9223372036854775808|-1.5e+300|-0.05||1970-01-01 00:00:01.000|1969-12-31 00:00:00.000|0|1970-01-01",
		"3|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
		"4|1|12.35|x|2020-10-10 00:00:05.124|2020-10-10 00:00:06.122|1|NULL",
	)
	// TIMESTAMP columns hold instants: UNIX_TIMESTAMP shows the same ms
	if got := dump(t, db, "SELECT ROUND(UNIX_TIMESTAMP(ts) * 1000) FROM ty WHERE id = 1"); got[0] != strconv.Itoa(ms) {
		t.Fatalf("epoch ms of ts = %s, want %d", got[0], ms)
	}
}

// TestCreateTable: with 'sink.create-table' the table is created from the
// declared columns and key; without, a missing table is a clear error.
func TestCreateTable(t *testing.T) {
	dbName, db := testDatabase(t)
	cols := "id BIGINT, name VARCHAR(30), amount DECIMAL(10, 2), at TIMESTAMP(3), ok BOOLEAN, note STRING, PRIMARY KEY (id) NOT ENFORCED"
	s := newTestSink(t, compileTable(t, ddl(dbName, cols, "'table-name' = 'made'")), nil)
	_, err := s.Open(context.Background(), 0, 1)
	if err == nil || !strings.Contains(err.Error(), "`"+dbName+"`.`made` does not exist") || !strings.Contains(err.Error(), "'sink.create-table' = 'true'") {
		t.Fatalf("missing table: %v", err)
	}
	s = newTestSink(t, compileTable(t, ddl(dbName, cols, "'table-name' = 'made', 'sink.create-table' = 'true'")), nil)
	w := open2PC(t, s, 0)
	var name, create string
	if err := db.QueryRow("SHOW CREATE TABLE made").Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`id` bigint(20) NOT NULL", "`name` varchar(30)", "`amount` decimal(10,2)", "`at` datetime(3)", "`ok` tinyint(1)", "`note` text", "PRIMARY KEY (`id`)"} {
		if !strings.Contains(create, want) {
			t.Errorf("created table lacks %q:\n%s", want, create)
		}
	}
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, ins(i64(1), str("n"), dec(150), ts(1000), boolean(true), str("long text")))
	c, err := w.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM made", "1|n|1.50|1970-01-01 00:00:01.000|1|long text")
	// a second writer finds the table it created
	open2PC(t, s, 1)
}

func TestTableChecks(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE nokey (k BIGINT, v BIGINT)")
	mustExec(t, db, "CREATE TABLE other (k BIGINT, x BIGINT)")
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, v BIGINT, PRIMARY KEY (k) NOT ENFORCED", "'table-name' = 'nokey'")), nil)
	if _, err := s.Open(context.Background(), 0, 1); err == nil || !strings.Contains(err.Error(), "no PRIMARY KEY or UNIQUE index on (k)") {
		t.Fatalf("upsert target without a key: %v", err)
	}
	mustExec(t, db, "ALTER TABLE nokey ADD UNIQUE INDEX uk (k)")
	w, err := s.Open(context.Background(), 0, 1)
	if err != nil {
		t.Fatalf("a UNIQUE index serves as the key: %v", err)
	}
	w.Close()
	s = newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, v BIGINT", "'table-name' = 'other'")), nil)
	if _, err := s.Open(context.Background(), 0, 1); err == nil || !strings.Contains(err.Error(), "does not have the declared columns") || !strings.Contains(err.Error(), "'v'") {
		t.Fatalf("missing column: %v", err)
	}
	s = newTestSink(t, compileTable(t, "CREATE TABLE t (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://root@"+serverAddr+"/no_such_db_"+newToken()+"')"), nil)
	if _, err := s.Open(context.Background(), 0, 1); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing database: %v", err)
	}
}

// TestURLFormsConnect writes through the jdbc: url form and the
// ENGINE=mysql CONNECTION='...' form.
func TestURLFormsConnect(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE f (k BIGINT)")
	for i, text := range []string{
		"CREATE TABLE t (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://" + serverAddr + "/" + dbName + "?user=root&useSSL=false&serverTimezone=UTC&characterEncoding=utf8', 'table-name' = 'f', 'sink.delivery-guarantee' = 'at-least-once')",
		"CREATE TABLE t (k BIGINT) ENGINE=mysql CONNECTION='mysql://root@" + serverAddr + "/" + dbName + "/f'",
	} {
		tbl := compileTable(t, text)
		w := openWriter(t, newTestSink(t, tbl, nil), 0)
		write(t, w, ins(i64(int64(i))))
		if err := w.Flush(); err != nil { // without checkpointing: written at once
			t.Fatal(err)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM f WHERE k = ?", i); got != 1 {
			t.Fatalf("%s: %d rows", text, got)
		}
	}
}

// TestIntervalFlush: without checkpointing, buffered rows are written
// after 'sink.buffer-flush.interval' even when no Flush comes.
func TestIntervalFlush(t *testing.T) {
	dbName, db := testDatabase(t)
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, PRIMARY KEY (k) NOT ENFORCED",
		"'table-name' = 'iv', 'sink.create-table' = 'true', 'sink.buffer-flush.interval' = '20ms', 'sink.buffer-flush.max-rows' = '1000'")), nil)
	w := openWriter(t, s, 0) // exactly-once by default, but never driven through PreCommit
	write(t, w, ins(i64(1)), ins(i64(2)))
	deadline := time.Now().Add(5 * time.Second)
	for count(t, db, "SELECT COUNT(*) FROM iv") != 2 {
		if time.Now().After(deadline) {
			t.Fatal("rows not written by the interval flush")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// max-rows triggers a write at once
	s = newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, PRIMARY KEY (k) NOT ENFORCED",
		"'table-name' = 'iv', 'sink.buffer-flush.interval' = '0', 'sink.buffer-flush.max-rows' = '2'")), nil)
	w = openWriter(t, s, 0)
	write(t, w, ins(i64(3)), ins(i64(4)), ins(i64(5)))
	if got := count(t, db, "SELECT COUNT(*) FROM iv"); got != 4 {
		t.Fatalf("%d rows after reaching max-rows, want 4", got)
	}
	// Close without Flush discards the rest
	w.Close()
	if got := count(t, db, "SELECT COUNT(*) FROM iv"); got != 4 {
		t.Fatalf("%d rows after Close, want 4", got)
	}
}

// TestLostConnectionIsRetried kills the writer's connection on the server;
// the next write reconnects.
func TestLostConnectionIsRetried(t *testing.T) {
	dbName, db := testDatabase(t)
	env, out := testEnv("job")
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, PRIMARY KEY (k) NOT ENFORCED", "'table-name' = 'lc', 'sink.create-table' = 'true'")), env)
	w := open2PC(t, s, 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := w.(*twoPhaseWriter).db.QueryRow("SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "KILL CONNECTION "+strconv.FormatInt(id, 10))
	write(t, w, ins(i64(1)))
	c, err := w.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c); err != nil {
		t.Fatalf("commit after a lost connection: %v (log: %s)", err, out)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM lc"); got != 1 {
		t.Fatalf("%d rows", got)
	}
}

// TestUnreachableServer: connecting to a closed port is retried
// 'sink.max-retries' times with a growing delay, then fails without
// showing the password.
func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	old := backoffBase
	backoffBase = 20 * time.Millisecond
	defer func() { backoffBase = old }()
	const pw = "Xy-unreachable-pw"
	env, out := testEnv("job")
	s := newTestSink(t, compileTable(t, "CREATE TABLE t (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://app:"+pw+"@"+addr+"/db', 'sink.max-retries' = '2')"), env)
	start := time.Now()
	_, err = s.Open(context.Background(), 0, 1)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !strings.Contains(msg, "table t") || !strings.Contains(msg, addr) || !strings.Contains(msg, "gave up after 3 attempts") || !strings.Contains(msg, "connection refused") {
		t.Fatalf("error: %v", err)
	}
	if n := strings.Count(out.String(), "retrying in"); n != 2 {
		t.Fatalf("%d retry warnings, want 2:\n%s", n, out)
	}
	if !strings.Contains(out.String(), "retrying in 20ms") || !strings.Contains(out.String(), "retrying in 40ms") {
		t.Fatalf("backoff not exponential:\n%s", out)
	}
	if elapsed < 60*time.Millisecond {
		t.Fatalf("gave up after %v, before the backoff", elapsed)
	}
	if strings.Contains(msg+out.String(), pw) {
		t.Fatalf("the password shows:\n%s\n%s", msg, out)
	}
}

// TestWrongPassword: the server's refusal is reported (not retried)
// without the password, from either the url or the 'password' option.
func TestWrongPassword(t *testing.T) {
	server(t)
	const pw = "Wr0ng-Passw0rd-42"
	for _, opts := range []string{
		"'url' = 'mysql://root:" + pw + "@" + serverAddr + "/test'",
		"'url' = 'jdbc:mysql://" + serverAddr + "/test?user=root&password=" + pw + "'",
		"'url' = 'mysql://root@" + serverAddr + "/test', 'password' = '" + pw + "'",
	} {
		env, out := testEnv("job")
		s := newTestSink(t, compileTable(t, "CREATE TABLE t (k BIGINT) WITH ('connector' = 'jdbc', "+opts+")"), env)
		_, err := s.Open(context.Background(), 0, 1)
		if err == nil || !strings.Contains(err.Error(), "Access denied") {
			t.Fatalf("%s: %v", opts, err)
		}
		if strings.Contains(err.Error()+out.String(), pw) {
			t.Fatalf("the password shows:\n%v\n%s", err, out)
		}
		if strings.Contains(out.String(), "retrying") {
			t.Fatalf("a refused login was retried:\n%s", out)
		}
	}
}

// proxy forwards TCP connections to the test server; cut breaks the open
// ones, stop also refuses new ones.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	// cutAfter, when set, breaks the connection right after forwarding a
	// client packet that contains it (once), before the server's reply
	// can come back.
	cutAfter []byte
}

func startProxy(t *testing.T) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", serverAddr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			var cmu sync.Mutex
			dead := false // the client side is cut: drop the server's replies
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := u.Read(buf)
					if n > 0 {
						cmu.Lock()
						if !dead {
							c.Write(buf[:n])
						}
						cmu.Unlock()
					}
					if err != nil {
						return
					}
				}
			}()
			go func() {
				defer u.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						p.mu.Lock()
						hit := p.cutAfter != nil && bytes.Contains(buf[:n], p.cutAfter)
						if hit {
							p.cutAfter = nil
						}
						p.mu.Unlock()
						if hit {
							cmu.Lock()
							dead = true
							cmu.Unlock()
						}
						if _, werr := u.Write(buf[:n]); werr != nil {
							return
						}
						if hit {
							c.Close()
							time.Sleep(100 * time.Millisecond) // the server acts on it
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) stop() {
	p.l.Close()
	p.cut()
}

// TestConnectionLossDuringCommit: a commit whose connection breaks is
// retried on a new connection and applied once; when the server stays
// unreachable the commit fails after the retries, and a later writer
// recovers the committable once.
func TestConnectionLossDuringCommit(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE log (id BIGINT, tag VARCHAR(8))")
	old := backoffBase
	backoffBase = 10 * time.Millisecond
	defer func() { backoffBase = old }()
	p := startProxy(t)
	env, out := testEnv("job-l")
	viaProxy := "CREATE TABLE t (id BIGINT, tag STRING) WITH ('connector' = 'jdbc', 'url' = 'mysql://root@" + p.addr() + "/" + dbName + "', 'table-name' = 'log')"
	w := open2PC(t, newTestSink(t, compileTable(t, viaProxy), env), 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, ins(i64(1), str("a")), ins(i64(2), str("a")))
	c1, _ := w.PreCommit(1)
	p.cut()
	if err := w.Commit(c1); err != nil {
		t.Fatalf("commit after a cut connection: %v\n%s", err, out)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 2 {
		t.Fatalf("%d rows, want 2", got)
	}

	// the connection breaks after the server received COMMIT, before the
	// client learns the outcome: the retry finds the progress row
	write(t, w, ins(i64(3), str("b")))
	c2, _ := w.PreCommit(2)
	p.mu.Lock()
	p.cutAfter = []byte("\x03COMMIT")
	p.mu.Unlock()
	if err := w.Commit(c2); err != nil {
		t.Fatalf("commit whose acknowledgement was lost: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "committing checkpoint 2: attempt 1 of 4 failed") {
		t.Fatalf("the lost acknowledgement was not retried:\n%s", out)
	}
	wantRows(t, db, "SELECT id, tag FROM log", "1|a", "2|a", "3|b")

	write(t, w, ins(i64(4), str("c")))
	c3, _ := w.PreCommit(3)
	p.stop()
	err := w.Commit(c3)
	if err == nil || !strings.Contains(err.Error(), "committing checkpoint 3") || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("commit with the server gone: %v", err)
	}
	if err2 := w.Commit(c3); err2 == nil {
		t.Fatal("a failed writer must keep failing")
	}
	// the job restarts from the checkpoint that holds c1, c2 and c3
	r := open2PC(t, newTestSink(t, compileTable(t, ddl(dbName, "id BIGINT, tag STRING", "'table-name' = 'log'")), env), 0)
	if err := r.Recover(append(append(append([][]byte{}, c1...), c2...), c3...)); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT id, tag FROM log", "1|a", "2|a", "3|b", "4|c")
}

// TestDirectWriteFailsWhenServerGone: without checkpointing a write that
// cannot reach the server fails the task after the retries.
func TestDirectWriteFailsWhenServerGone(t *testing.T) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE log (id BIGINT, tag VARCHAR(8))")
	old := backoffBase
	backoffBase = 5 * time.Millisecond
	defer func() { backoffBase = old }()
	p := startProxy(t)
	w := openWriter(t, newTestSink(t, compileTable(t, "CREATE TABLE t (id BIGINT, tag STRING) WITH ('connector' = 'jdbc', 'url' = 'mysql://root@"+p.addr()+"/"+dbName+"', 'table-name' = 'log', 'sink.max-retries' = '1', 'sink.buffer-flush.interval' = '0')"), nil), 0)
	write(t, w, ins(i64(1), str("a")))
	p.stop()
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("flush with the server gone: %v", err)
	}
	if err := w.Write(batch(ins(i64(2), str("b")))); err == nil {
		t.Fatal("a failed writer must keep failing")
	}
}
