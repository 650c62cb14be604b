package jdbc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func TestRegistered(t *testing.T) {
	for _, name := range []string{"jdbc", "mysql", "JDBC"} {
		f := connectors.Lookup(name)
		if f == nil || f.NewSink == nil || f.NewSource != nil {
			t.Fatalf("connector %q: %+v", name, f)
		}
	}
}

func TestURLForms(t *testing.T) {
	for _, tc := range []struct {
		ddl                            string
		user, pw, addr, db, table, pdb string
		params                         map[string]string
	}{
		{ddl: `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://app:pw%40x@db.example:3307/shop', 'table-name' = 'orders')`,
			user: "app", pw: "pw@x", addr: "db.example:3307", db: "shop", table: "orders", pdb: "shop"},
		{ddl: `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://h/shop?user=u&password=p%26q&useSSL=false&serverTimezone=UTC&connectTimeout=1500', 'table-name' = 'other.orders')`,
			user: "u", pw: "p&q", addr: "h:3306", db: "other", table: "orders", pdb: "other", params: map[string]string{"tls": "false"}},
		{ddl: `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://u:p@h:1/d', 'username' = 'v', 'password' = 'w', 'sink.progress-table' = 'meta.progress')`,
			user: "v", pw: "w", addr: "h:1", db: "d", table: "t", pdb: "meta"},
		// MySQL's FEDERATED form, as ENGINE=mysql CONNECTION='...' gives it
		{ddl: `CREATE TABLE t (a BIGINT) ENGINE=mysql CONNECTION='mysql://fed:secret@127.0.0.1:3306/db1/remote_t'`,
			user: "fed", pw: "secret", addr: "127.0.0.1:3306", db: "db1", table: "remote_t", pdb: "db1"},
		{ddl: `CREATE TABLE t (a BIGINT) ENGINE=mysql CONNECTION='mariadb://fed@[::1]/db1'`,
			user: "fed", addr: "[::1]:3306", db: "db1", table: "t", pdb: "db1"},
	} {
		tbl := compileTable(t, tc.ddl)
		s := newTestSink(t, tbl, nil)
		c := s.cfg
		if c.driver.User != tc.user || c.driver.Passwd != tc.pw || c.driver.Addr != tc.addr || c.db != tc.db || c.table != tc.table || c.progressDB != tc.pdb {
			t.Errorf("%s:\n got user=%q pw=%q addr=%q db=%q table=%q progress db=%q", tc.ddl, c.driver.User, c.driver.Passwd, c.driver.Addr, c.db, c.table, c.progressDB)
		}
		for k, v := range tc.params {
			if c.driver.Params[k] != v && !(k == "tls" && c.driver.TLSConfig == v) {
				t.Errorf("%s: param %s = %q (params %v, tls %q), want %q", tc.ddl, k, c.driver.Params[k], c.driver.Params, c.driver.TLSConfig, v)
			}
		}
		if c.driver.InterpolateParams || !c.driver.ParseTime || c.driver.Loc != time.UTC || c.driver.Params["time_zone"] != "'+00:00'" {
			t.Errorf("%s: driver settings %+v", tc.ddl, c.driver)
		}
		if strings.Contains(tc.ddl, "serverTimezone") && (c.driver.Params["serverTimezone"] != "" || c.driver.Timeout != 1500*time.Millisecond) {
			t.Errorf("Connector/J parameters not translated: %v timeout %v", c.driver.Params, c.driver.Timeout)
		}
	}
	// the SQL layer maps ENGINE=mysql to the 'mysql' connector with a 'url'
	tbl := compileTable(t, `CREATE TABLE t (a BIGINT) ENGINE=mysql CONNECTION='mysql://u:p@h/d'`)
	if tbl.Connector() != "mysql" || tbl.Option("url") != "mysql://u:p@h/d" {
		t.Fatalf("ENGINE/CONNECTION gave options %v", tbl.Options)
	}
}

func TestOptionDefaultsAndErrors(t *testing.T) {
	s := newTestSink(t, compileTable(t, `CREATE TABLE t (a BIGINT, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'jdbc', 'url' = 'mysql://u@h/d')`), nil)
	c := s.cfg
	if !c.exactlyOnce || c.maxRows != 100 || c.interval != time.Second || c.maxRetries != 3 || c.createTable || c.progress != "streamsql_sink_progress" {
		t.Fatalf("defaults: %+v", c)
	}
	if !s.AcceptsChangelog() {
		t.Fatal("a table with a primary key accepts a changelog")
	}
	s = newTestSink(t, compileTable(t, `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://u@h/d',
		'sink.delivery-guarantee' = 'at-least-once', 'sink.buffer-flush.max-rows' = '7', 'sink.buffer-flush.interval' = '250 ms',
		'sink.max-retries' = '0', 'sink.create-table' = 'true', 'driver' = 'com.mysql.cj.jdbc.Driver')`), nil)
	c = s.cfg
	if c.exactlyOnce || c.maxRows != 7 || c.interval != 250*time.Millisecond || c.maxRetries != 0 || !c.createTable {
		t.Fatalf("options: %+v", c)
	}
	if s.AcceptsChangelog() {
		t.Fatal("a table without a primary key accepts inserts only")
	}

	const secret = "Sup3r-S3cret"
	for _, tc := range []struct{ opts, want string }{
		{`'url' = 'postgres://u:` + secret + `@h/d'`, "only MySQL and MariaDB"},
		{`'url' = 'mysql://u:` + secret + `@h:99999/d'`, "invalid port"},
		{`'url' = 'mysql://u:` + secret + `@h1,h2/d'`, "several hosts"},
		{`'url' = 'mysql://u:` + secret + `@h'`, "no database"},
		{`'url' = 'mysql://:` + secret + `@h/d'`, "no user"},
		{`'url' = 'jdbc:mysql://h/d?user=u&password=` + secret + `&interpolateParams=true'`, "bound parameters"},
		{`'url' = 'mysql://u@h/d', 'password' = '` + secret + `', 'sink.delivery-guarantee' = 'twice'`, "exactly-once"},
		{`'url' = 'mysql://u@h/d', 'sink.buffer-flush.interval' = 'soon'`, "not a duration"},
		{`'url' = 'mysql://u@h/d', 'sink.max-retries' = '-1'`, "sink.max-retries"},
		{`'url' = 'mysql://u@h/d', 'sink.create-table' = 'maybe'`, "sink.create-table"},
		{`'url' = 'mysql://u@h/d', 'driver' = 'org.postgresql.Driver'`, "only MySQL"},
		{`'url' = 'mysql://u@h/d', 'lookup.cache' = 'x'`, "has no option 'lookup.cache'"},
	} {
		tbl := compileTable(t, `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', `+tc.opts+`)`)
		err := connectors.ValidateOptions(tbl, connectors.Lookup("jdbc"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "table t") {
			t.Errorf("%s: got %v, want an error naming the table and containing %q", tc.opts, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the password: %v", tc.opts, err)
		}
	}
}

// TestErrorsHideCredentials: whatever a driver error says (it may echo a
// DSN or the URL), the sink's errors and warnings do not show the password.
func TestErrorsHideCredentials(t *testing.T) {
	const pw = "pa:ss/w@rd&1"
	tbl := compileTable(t, `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', 'url' = 'mysql://app:pa%3Ass%2Fw%40rd%261@h/d', 'sink.max-retries' = '0')`)
	env, out := testEnv("j")
	s := newTestSink(t, tbl, env)
	if s.cfg.driver.Passwd != pw {
		t.Fatalf("password = %q", s.cfg.driver.Passwd)
	}
	for _, leak := range []error{
		errors.New("invalid DSN: app:" + pw + "@tcp(h:3306)/d?timeout=1s"),
		fmt.Errorf("cannot use mysql://app:pa%%3Ass%%2Fw%%40rd%%261@h/d: refused"),
		fmt.Errorf("password=%s", "pa%3Ass%2Fw%40rd%261"),
		fmt.Errorf("secret is %s", pw),
	} {
		err := s.errorf(leak, "connecting: %v", leak)
		s.warn("retrying: %v", leak)
		driverLogger{s.warn}.Print("packets.go: ", leak)
		for _, text := range []string{err.Error(), out.String()} {
			for _, secret := range []string{pw, "pa%3Ass%2Fw%40rd%261", "pa:ss"} {
				if strings.Contains(text, secret) {
					t.Fatalf("%q shows the password (%q)", text, secret)
				}
			}
		}
		if !strings.HasPrefix(err.Error(), "table t: connecting: ") {
			t.Fatalf("error %q", err)
		}
	}
}

func TestBufferCompaction(t *testing.T) {
	b := newBuffer(2, []int{0})
	b.add(types.Insert, []types.Value{i64(1), str("a")})
	b.add(types.UpdateBefore, []types.Value{i64(1), str("a")})
	b.add(types.UpdateAfter, []types.Value{i64(1), str("b")})
	b.add(types.Insert, []types.Value{i64(2), str("x")})
	b.add(types.Delete, []types.Value{i64(2), str("x")})
	b.add(types.Insert, []types.Value{types.DecimalValue(30, 1), str("c")})
	b.add(types.UpdateAfter, []types.Value{types.DecimalValue(300, 2), str("d")}) // 3.0 and 3.00 are the same key
	var got []string
	for i := 0; i < b.len(); i++ {
		got = append(got, b.ops[i].String()+" "+b.row(i)[0].String()+" "+b.row(i)[1].String())
	}
	if want := "+I 1 b|-D 2 x|+I 3.00 d"; strings.Join(got, "|") != want {
		t.Fatalf("compacted: %s, want %s", strings.Join(got, "|"), want)
	}
	b.reset()
	if b.len() != 0 || len(b.index) != 0 {
		t.Fatal("reset")
	}
}

func TestStatements(t *testing.T) {
	s := newTestSink(t, compileTable(t, "CREATE TABLE t (`we``ird` BIGINT, b STRING, c DECIMAL(10, 2), PRIMARY KEY (`we``ird`, b) NOT ENFORCED) WITH ('connector' = 'jdbc', 'url' = 'mysql://u@h/d', 'table-name' = 'my`tbl')"), nil)
	if got, want := s.insertSQL(2), "INSERT INTO `d`.`my``tbl` (`we``ird`, `b`, `c`) VALUES (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE `c` = VALUES(`c`)"; got != want {
		t.Errorf("insert:\n got %s\nwant %s", got, want)
	}
	if got, want := s.deleteSQL(2), "DELETE FROM `d`.`my``tbl` WHERE (`we``ird` = ? AND `b` = ?) OR (`we``ird` = ? AND `b` = ?)"; got != want {
		t.Errorf("delete:\n got %s\nwant %s", got, want)
	}
	ddl, err := s.createSQL()
	if err != nil {
		t.Fatal(err)
	}
	if want := "CREATE TABLE IF NOT EXISTS `d`.`my``tbl` (\n  `we``ird` BIGINT NOT NULL,\n  `b` VARCHAR(255) NOT NULL,\n  `c` DECIMAL(10, 2) NULL,\n  PRIMARY KEY (`we``ird`, `b`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"; ddl != want {
		t.Errorf("create:\n got %s\nwant %s", ddl, want)
	}
	// the key's indexes skip the PROCTIME column, which is not written
	p := newTestSink(t, compileTable(t, "CREATE TABLE t (a BIGINT, pt AS PROCTIME(), b STRING, PRIMARY KEY (b) NOT ENFORCED) WITH ('connector' = 'jdbc', 'url' = 'mysql://u@h/d')"), nil)
	if len(p.cols) != 2 || len(p.key) != 1 || p.key[0] != 1 || p.deleteSQL(1) != "DELETE FROM `d`.`t` WHERE `b` = ?" {
		t.Errorf("with a PROCTIME column: cols %v key %v delete %s", p.cols, p.key, p.deleteSQL(1))
	}
	a := newTestSink(t, compileTable(t, "CREATE TABLE t (a BIGINT, b STRING) WITH ('connector' = 'jdbc', 'url' = 'mysql://u@h/d')"), nil)
	if got, want := a.insertSQL(1), "INSERT INTO `d`.`t` (`a`, `b`) VALUES (?, ?)"; got != want {
		t.Errorf("append insert:\n got %s\nwant %s", got, want)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1s": time.Second, "500ms": 500 * time.Millisecond, "2 min": 2 * time.Minute, "0": 0, "250": 250 * time.Millisecond, "1.5 s": 1500 * time.Millisecond} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
