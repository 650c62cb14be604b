package secrets

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// secretMark is part of every secret used here.
const secretMark = "S3CR"

var binPath string

// TestMain builds the streamsql binary the tests run (binPath) once.
func TestMain(m *testing.M) {
	testkit.MainWithBinary(m, &binPath)
}

// run runs the binary with args (and HOME in a temporary directory) and
// returns its standard output, standard error and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("streamsql %q did not end within 2 minutes", args)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("streamsql %q: %v", args, err)
	}
	return o.String(), e.String(), code
}

// ---- the shell's history file ----

// ptyShell is the shell running on a pseudo-terminal.
type ptyShell struct {
	*testkit.PTY
	t    *testing.T
	mark int
}

func startShell(t *testing.T, home string) *ptyShell {
	t.Helper()
	cmd := exec.Command(binPath)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	return &ptyShell{PTY: testkit.StartPTY(t, cmd, 50, 400), t: t}
}

// waitFor waits until one of wants appears after the mark, moves the mark
// past it and returns the screen between the old mark and the match end.
func (sh *ptyShell) waitFor(wants ...string) string {
	sh.t.Helper()
	end, seen, ok := sh.WaitFor(sh.mark, 30*time.Second, wants...)
	if !ok {
		sh.t.Fatalf("waiting for %q: screen since the mark:\n%s", wants, seen)
	}
	sh.mark = end
	return seen
}

// enter types a line as a person does and presses Enter.
func (sh *ptyShell) enter(line string) {
	sh.t.Helper()
	if err := sh.Type(line, time.Millisecond); err != nil {
		sh.t.Fatalf("typing: %v", err)
	}
	if _, err := sh.Master.Write([]byte("\r")); err != nil {
		sh.t.Fatalf("typing: %v", err)
	}
}

// historyCase is a statement typed into the shell (its lines), and the
// masked texts the history file must hold for it.
type historyCase struct {
	lines  []string
	masked []string
	// showCreate names the table whose SHOW CREATE TABLE must show the
	// first masked value (the same masking); "" when it is not created.
	showCreate string
}

var historyCases = []historyCase{
	{lines: []string{`CREATE TABLE j1 (a BIGINT) WITH ('connector'='jdbc', 'url'='mysql://app:S3CR-1@db:3306/shop');`},
		masked: []string{`'url'='mysql://app:****@db:3306/shop'`}, showCreate: "j1"},
	{lines: []string{`CREATE TABLE j2 (a BIGINT) WITH ('connector'='jdbc', 'url'='jdbc:mysql://db:3306/shop?user=app&password=S3CR-2&useSSL=false');`},
		masked: []string{`'jdbc:mysql://db:3306/shop?user=app&password=****&useSSL=false'`}, showCreate: "j2"},
	{lines: []string{`CREATE TABLE j3 (a BIGINT) WITH ('connector'='jdbc', 'url'='jdbc:mysql://db/shop?user=app;password=S3CR-3', 'username'='app', 'password'='S3CR-3b');`},
		masked: []string{`'jdbc:mysql://db/shop?user=app;password=****'`, `'password'='****'`}, showCreate: "j3"},
	{lines: []string{`CREATE TABLE j4 (a BIGINT) ENGINE=mysql CONNECTION='mysql://app:S3CR-4@db:3306/shop/j4';`},
		masked: []string{`'mysql://app:****@db:3306/shop/j4'`}, showCreate: "j4"},
	{lines: []string{`CREATE TABLE j5 (a BIGINT) WITH ( -- the shop database`, `'connector'='jdbc',`, `'url'='mysql://app:S3CR%2F5%40x@db/shop');`},
		masked: []string{`'mysql://app:****@db/shop'`, `-- the shop database 'connector'='jdbc', 'url'=`}, showCreate: "j5"},
	{lines: []string{`CREATE TABLE k1 (a BIGINT) WITH ('connector'='kafka', 'topic'='t', 'format'='json', 'scan.startup.mode'='earliest-offset', 'properties.bootstrap.servers'='127.0.0.1:9092', 'properties.sasl.jaas.config'='org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="S3CR-6";', 'properties.ssl.truststore.password'='S3CR-6b');`},
		masked: []string{`'****'`, `'properties.sasl.jaas.config'='****', 'properties.ssl.truststore.password'='****'`}, showCreate: "k1"},
	{lines: []string{`CREATE TABLE j7 (a BIGINT) WITH ('connector'='jdbc', 'url'='mysql:/app:S3CR-7@db/shop');`},
		masked: []string{`'url'='mysql:****@db/shop'`}},
	{lines: []string{`SET 'properties.sasl.jaas.config' = 'x required password="S3CR-8";';`},
		masked: []string{`SET 'properties.sasl.jaas.config' = '****'`}},
	{lines: []string{`SET s3.secret-key = S3CR-9;`},
		masked: []string{`SET s3.secret-key = '****'`}},
}

// TestShellHistoryHoldsNoSecrets types statements with secrets into the
// shell and checks the history file: every statement is there, masked as
// SHOW CREATE TABLE masks it, and no secret is.
func TestShellHistoryHoldsNoSecrets(t *testing.T) {
	home := t.TempDir()
	sh := startShell(t, home)
	sh.waitFor("streamsql> ")
	for _, c := range historyCases {
		for i, l := range c.lines {
			sh.enter(l)
			if i < len(c.lines)-1 {
				sh.waitFor("-> ")
			}
		}
		seen := sh.waitFor("Table created.", "Configuration set.", "ERROR")
		if c.showCreate != "" && !strings.HasSuffix(seen, "Table created.") {
			t.Fatalf("%s was not created:\n%s", c.showCreate, seen)
		}
		if strings.HasSuffix(seen, "ERROR") {
			// the error line, after the echo of what was typed, shows no secret
			line := sh.waitFor("\n")
			if strings.Contains(line, secretMark) {
				t.Errorf("the error shows a secret: ERROR%s", line)
			}
		}
		sh.waitFor("streamsql> ")
	}
	shown := map[string]string{}
	for _, c := range historyCases {
		if c.showCreate == "" {
			continue
		}
		sh.enter("SHOW CREATE TABLE " + c.showCreate + ";")
		out := sh.waitFor(");")
		out = out[strings.Index(out, "CREATE TABLE `"):]
		if strings.Contains(out, secretMark) {
			t.Errorf("SHOW CREATE TABLE %s shows a secret:\n%s", c.showCreate, out)
		}
		shown[c.showCreate] = out
		sh.waitFor("streamsql> ")
	}
	sh.enter("QUIT;")
	select {
	case <-sh.Done():
		if err := sh.Err(); err != nil {
			t.Fatalf("shell: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the shell did not quit")
	}

	path := filepath.Join(home, ".streamsql_history")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hist := string(b)
	t.Logf("history file:\n%s", hist)
	if strings.Contains(hist, secretMark) {
		t.Errorf("the history file holds a secret:\n%s", hist)
	}
	lines := strings.Split(strings.TrimSuffix(hist, "\n"), "\n")
	if len(lines) != len(historyCases)+len(shown)+1 {
		t.Errorf("history has %d lines, want %d (one per statement):\n%s", len(lines), len(historyCases)+len(shown)+1, hist)
	}
	for i, c := range historyCases {
		if i >= len(lines) {
			break
		}
		for _, m := range c.masked {
			if !strings.Contains(lines[i], m) {
				t.Errorf("history line %d does not hold %s:\n%s", i+1, m, lines[i])
			}
		}
		if c.showCreate != "" {
			// SHOW CREATE TABLE writes 'key' = 'value': the value, as
			// masked in the history, is the same text.
			v := c.masked[0][strings.Index(c.masked[0], "'"):]
			if k := strings.Index(v, "'='"); k >= 0 {
				v = v[k+2:]
			}
			if !strings.Contains(shown[c.showCreate], v) {
				t.Errorf("SHOW CREATE TABLE %s does not show %s as the history holds it:\n%s", c.showCreate, v, shown[c.showCreate])
			}
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600 (%v)", fi.Mode().Perm(), err)
	}
}

// ---- errors of bad options ----

// TestOptionErrorsHideSecrets: a table whose url is malformed (or that has
// another mistake next to a secret) fails with an error naming the option
// and what is wrong, and no secret, on standard error.
func TestOptionErrorsHideSecrets(t *testing.T) {
	for _, tc := range []struct{ opts, want string }{
		{`'connector'='jdbc', 'url'='mysql:/app:S3CR-1@db/shop'`, "'url' 'mysql:****@db/shop' is not a URL"},
		{`'connector'='jdbc', 'url'='mysql:app:S3CR-2@db/shop'`, "is not a URL"},
		{`'connector'='jdbc', 'url'='app:S3CR-3@db/shop'`, "is not a URL"},
		{`'connector'='jdbc', 'url'='mysql//app:S3CR-4@db/shop'`, "is not a URL"},
		{`'connector'='jdbc', 'url'='jdbc:mysql:/db/shop?user=app&password=S3CR-5'`, "is not a URL"},
		{`'connector'='jdbc', 'url'='postgres://app:S3CR-6@db/shop'`, "only MySQL and MariaDB"},
		{`'connector'='jdbc', 'url'='mysql://app:S3CR%2F7@db:99999/shop'`, "'url' 'mysql://app:****@db:99999/shop' has an invalid port"},
		{`'connector'='jdbc', 'url'='mysql://app:S3CR%zz8@db/shop'`, "badly escaped password"},
		{`'connector'='jdbc', 'url'='mysql://app:S3CR-9@db'`, "no database"},
		{`'connector'='jdbc', 'url'='jdbc:mysql://db/shop?password=S3CR-10'`, "no user"},
		{`'connector'='jdbc', 'url'='mysql://db/shop', 'username'='app', 'password'='S3CR-11', 'sink.max-retries'='x'`, "'sink.max-retries'"},
		{`'connector'='kafka', 'topic'='t', 'format'='json', 'properties.bootstrap.servers'='app:S3CR-12@k:9092'`, "'properties.bootstrap.servers'"},
		{`'connector'='kafka', 'topic'='t', 'format'='json', 'properties.bootstrap.servers'='k:9092', 'properties.security.protocol'='SASL_PLAINTEXT', 'properties.sasl.jaas.config'='x required username="app" password="S3CR-13";'`, "'properties.security.protocol'"},
	} {
		stdout, stderr, code := run(t, "-e", "CREATE TABLE m (a BIGINT) WITH ("+tc.opts+");")
		if code == 0 {
			t.Errorf("%s: accepted", tc.opts)
		}
		if strings.Contains(stdout+stderr, secretMark) {
			t.Errorf("%s: the output shows a secret:\n%s%s", tc.opts, stdout, stderr)
		}
		if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "table m") {
			t.Errorf("%s: standard error does not name the table and say %q:\n%s", tc.opts, tc.want, stderr)
		}
	}
}

// ---- connect-time errors and what statements show ----

// TestConnectErrorsHideSecrets: a job whose database refuses the password
// or cannot be reached fails with an error naming the table and no
// secret; EXPLAIN, SHOW JOBS, SHOW FULL JOBS (with the whole error) and
// SHOW CREATE TABLE show none either.
// (root has no password on the test server: giving one is refused.)
func TestConnectErrorsHideSecrets(t *testing.T) {
	testkit.RequireMariaDB(t)
	for _, tc := range []struct{ opts, want string }{
		{`'url'='mysql://root:S3CR-1@127.0.0.1:3306/test'`, "Access denied"},
		{`'url'='mysql://root:S3CR%2F2%40x@127.0.0.1:3306/test'`, "Access denied"},
		{`'url'='jdbc:mysql://127.0.0.1:3306/test?user=root&password=S3CR-3'`, "Access denied"},
		{`'url'='mysql://127.0.0.1:3306/test', 'username'='root', 'password'='S3CR-4'`, "Access denied"},
		{`'url'='mysql://root:S3CR-5@127.0.0.1:1/test'`, "connection refused"},
	} {
		script := "CREATE TABLE m (a BIGINT) WITH ('connector'='jdbc', " + tc.opts +
			", 'sink.max-retries'='0', 'sink.delivery-guarantee'='at-least-once');" +
			"EXPLAIN INSERT INTO m VALUES (1); INSERT INTO m VALUES (1); SHOW JOBS; SHOW FULL JOBS; SHOW CREATE TABLE m;"
		stdout, stderr, code := run(t, "-e", script)
		if code == 0 {
			t.Errorf("%s: the job did not fail", tc.opts)
		}
		if strings.Contains(stdout+stderr, secretMark) {
			t.Errorf("%s: the output shows a secret:\n%s%s", tc.opts, stdout, stderr)
		}
		if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "table m") {
			t.Errorf("%s: standard error does not name the table and say %q:\n%s", tc.opts, tc.want, stderr)
		}
		if !strings.Contains(stdout, "== Logical plan ==") || strings.Count(stdout, "| job id") != 2 || !strings.Contains(stdout, "CREATE TABLE `m`") {
			t.Errorf("%s: EXPLAIN, SHOW JOBS or SHOW CREATE TABLE printed nothing:\n%s", tc.opts, stdout)
		}
	}
}

// ---- every failed job is printed ----

// TestEveryFailedJobIsPrinted: a script whose three jobs fail prints one
// ERROR line per job, each naming its job, and exits non-zero.
func TestEveryFailedJobIsPrinted(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(csv, []byte("a,1\nb,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "CREATE TABLE src (s STRING, n BIGINT) WITH ('connector'='filesystem', 'path'='" + csv + "', 'format'='csv');\n"
	for i := 1; i <= 3; i++ {
		script += fmt.Sprintf("CREATE TABLE o%d (s STRING, n BIGINT) WITH ('connector'='blackhole');\nINSERT INTO o%d SELECT * FROM src;\n", i, i)
	}
	file := filepath.Join(dir, "jobs.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "-f", file)
	if code == 0 {
		t.Errorf("exit code 0 although every job failed")
	}
	ids := regexp.MustCompile(`Job submitted: (\S+)`).FindAllStringSubmatch(stdout, -1)
	if len(ids) != 3 {
		t.Fatalf("want 3 jobs submitted:\n%s", stdout)
	}
	errLines := regexp.MustCompile(`(?m)^ERROR: .*$`).FindAllString(stderr, -1)
	if len(errLines) != 3 {
		t.Fatalf("want 3 ERROR lines, one per failed job:\n%s", stderr)
	}
	for i, id := range ids {
		want := fmt.Sprintf("ERROR: job %s (INSERT INTO o%d SELECT * FROM src) failed: ", id[1], i+1)
		if !strings.HasPrefix(errLines[i], want) || !strings.Contains(errLines[i], "invalid BIGINT") {
			t.Errorf("ERROR line %d = %q, want it to start with %q and give the cause", i+1, errLines[i], want)
		}
	}
}
