package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files in testdata/")

// runCLI runs the command in-process with the given stdin.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func TestExampleBidsCSV(t *testing.T) {
	// The example's paths are relative to the repository root, as the README runs it.
	wd, _ := os.Getwd()
	t.Chdir(filepath.Join(wd, "..", ".."))
	var outputs []string
	for _, p := range []string{"1", "2", "4"} {
		code, out, errOut := runCLI(t, "", "-parallelism", p, "-f", "examples/bids_csv.sql")
		if code != 0 {
			t.Fatalf("parallelism %s: exit %d: %s", p, code, errOut)
		}
		outputs = append(outputs, sortedPrintLines(out))
	}
	for i := 1; i < len(outputs); i++ {
		if outputs[i] != outputs[0] {
			t.Errorf("output at parallelism index %d differs:\n%s\nvs\n%s", i, outputs[i], outputs[0])
		}
	}
	t.Chdir(wd)
	golden(t, "bids_csv.out", outputs[0])
}

// sortedPrintLines sorts the rows of the result table in place and the
// print sink's lines (without their instance prefix), whose order between
// keys depends on parallelism.
func sortedPrintLines(out string) string {
	var table, prints, rows []string
	header := false
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "|") && !header:
			header = true
			table = append(table, l)
		case strings.HasPrefix(l, "|"):
			rows = append(rows, l)
		case strings.Contains(l, "+I[") || strings.Contains(l, "-U[") || strings.Contains(l, "+U[") || strings.Contains(l, "-D["):
			if i := strings.Index(l, "> "); i >= 0 {
				l = l[i+2:]
			}
			prints = append(prints, l)
		default:
			if strings.HasPrefix(l, "Job submitted: ") {
				l = "Job submitted: <id>"
			}
			if len(rows) > 0 {
				sortStrings(rows)
				table = append(table, rows...)
				rows = nil
			}
			table = append(table, l)
		}
	}
	sortStrings(prints)
	return strings.Join(table, "\n") + "\n" + strings.Join(prints, "\n") + "\n"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestInlineStatementsAndTable(t *testing.T) {
	code, out, errOut := runCLI(t, "", "-e", `
CREATE TABLE t (a BIGINT, b STRING, d DECIMAL(10, 2), ts TIMESTAMP(3));
INSERT INTO t VALUES (1, 'x', 1.5, CAST('2020-10-10 00:00:05' AS TIMESTAMP(3))), (2, NULL, 2.25, CAST('2020-10-10 00:00:06.250' AS TIMESTAMP(3)));
SELECT a, b, d, ts FROM t WHERE a >= 1;`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"| 1 | x    | 1.50 | 2020-10-10 00:00:05.000 |", "| 2 | NULL | 2.25 | 2020-10-10 00:00:06.250 |", "2 rows in set"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestStdinStatements(t *testing.T) {
	code, out, errOut := runCLI(t, "CREATE TABLE t (a BIGINT);\nINSERT INTO t VALUES (3), (4);\nSELECT SUM(a) AS s FROM t;\n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "| 7 |") {
		t.Errorf("want the sum 7 in:\n%s", out)
	}
}

func TestSQLErrorNamesPlace(t *testing.T) {
	code, _, errOut := runCLI(t, "", "-e", "CREATE TABLE t (a BIGINT);\nSELECT a,\n  nope FROM t;")
	if code == 0 {
		t.Fatal("want a non-zero exit code")
	}
	line := strings.TrimSpace(errOut)
	if strings.Count(line, "\n") != 0 {
		t.Errorf("want a one-line error, got:\n%s", errOut)
	}
	for _, want := range []string{"statement 2", "line 3", "column 3", "nope"} {
		if !strings.Contains(line, want) {
			t.Errorf("error %q lacks %q", line, want)
		}
	}
	if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
		t.Errorf("stack trace in output: %s", errOut)
	}
}

func TestBadRowNamesPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(path, []byte("1,10\n2,20\n3,abc\n4,40\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ddl := "CREATE TABLE s (k BIGINT, v BIGINT) WITH ('connector'='filesystem', 'path'='" + path + "', 'format'='csv'%s);\n"
	code, _, errOut := runCLI(t, "", "-e", strings.Replace(ddl, "%s", "", 1)+"SELECT SUM(v) FROM s;")
	if code == 0 {
		t.Fatal("want a non-zero exit code for a bad row")
	}
	line := strings.TrimSpace(errOut)
	if strings.Count(line, "\n") != 0 {
		t.Errorf("want a one-line error, got:\n%s", errOut)
	}
	for _, want := range []string{path, "10", "3,abc"} { // byte offset 10 starts the third row
		if !strings.Contains(line, want) {
			t.Errorf("error %q lacks %q", line, want)
		}
	}
	// Skip mode: the bad row is skipped and the rest summed.
	code, out, errOut := runCLI(t, "", "-e", strings.Replace(ddl, "%s", ", 'format.ignore-parse-errors'='true'", 1)+"SELECT SUM(v) AS s FROM s;")
	if code != 0 {
		t.Fatalf("skip mode: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "| 70 |") {
		t.Errorf("want 70 after skipping the bad row:\n%s", out)
	}
}

// TestHelpListsFlagsAndStatements: --help (and -h) prints to standard
// output, so that it can be paged, exits 0, and lists every flag,
// subcommand and registered connector.
func TestHelpListsFlagsAndStatements(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		code, out, errOut := runCLI(t, "", flag)
		if code != 0 {
			t.Fatalf("%s: exit %d", flag, code)
		}
		if errOut != "" {
			t.Errorf("%s wrote to standard error: %q", flag, errOut)
		}
		want := []string{"-f", "-e", "-parallelism", "parallelism.default", "CREATE TABLE", "SHOW JOBS",
			"streamsql test", "streamsql checkpoints", "streamsql bench"}
		want = append(want, connectors.Names()...)
		for _, w := range []string{"kafka", "jdbc", "nexmark"} {
			if !slices.Contains(connectors.Names(), w) {
				t.Errorf("connector %s is not registered", w)
			}
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q", flag, w)
			}
		}
	}
	// A bad flag is an error on standard error, pointing to --help.
	code, out, errOut := runCLI(t, "", "-bogus")
	if code != 2 || out != "" || !strings.Contains(errOut, "-bogus") || !strings.Contains(errOut, "--help") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestSignalStopsCleanly runs the real binary on an unbounded job and
// checks that SIGINT ends it with exit code 0 and a flushed sink.
func TestSignalStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := testkit.BuildBinary(t)
	// Checkpoints on, but the interval is long: the only checkpoint is the
	// one the stop takes.
	cpDir := t.TempDir()
	cmd := exec.Command(bin, "--checkpoint-interval", "1h", "--checkpoint-dir", cpDir, "-e", `
CREATE TABLE g (k BIGINT) WITH ('connector'='datagen', 'rows-per-second'='100', 'fields.k.min'='1', 'fields.k.max'='3');
CREATE TABLE p (k BIGINT, c BIGINT) WITH ('connector'='print');
INSERT INTO p SELECT k, COUNT(*) FROM g GROUP BY k;`)
	p := testkit.StartProcess(t, cmd)
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		if err := p.Err(); err != nil {
			t.Fatalf("exit: %v\n%s", err, p.Output())
		}
	case <-time.After(10 * time.Second):
		p.Kill()
		t.Fatal("did not stop within 10s of SIGINT")
	}
	if !strings.Contains(p.Output(), "+I[") {
		t.Errorf("want changelog rows before the stop, got:\n%s", p.Output())
	}
	code, list, _ := runCLI(t, "", "checkpoints", cpDir)
	if code != 0 || !strings.Contains(list, "complete (latest)") {
		t.Errorf("want the checkpoint taken at the stop, got:\n%s", list)
	}
}

func TestSqllogicSubcommand(t *testing.T) {
	code, out, errOut := runCLI(t, "", "test", "-parallelism", "2", "../../tests/sqllogic/testdata/tumble.slt", "../../tests/sqllogic/testdata/hop.slt")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	last := strings.TrimSpace(out)
	last = last[strings.LastIndex(last, "\n")+1:]
	if !strings.HasSuffix(last, " passed, 0 failed") || strings.HasPrefix(last, "0 passed") {
		t.Errorf("summary line %q", last)
	}
	// A failing record makes the exit code non-zero and shows a diff.
	bad := filepath.Join(t.TempDir(), "bad.slt")
	os.WriteFile(bad, []byte("statement ok\nCREATE TABLE t (a BIGINT)\n\nstatement ok\nINSERT INTO t VALUES (1)\n\nquery I\nSELECT a FROM t\n----\n2\n"), 0o644)
	code, out, _ = runCLI(t, "", "test", bad)
	if code == 0 || !strings.Contains(out, "2 passed, 1 failed") || !strings.Contains(out, "bad.slt:7") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// TestWordCountExample runs examples/wordcount.sql against a real socket
// server (as `nc -lk 9100` would be) on a free port.
func TestWordCountExample(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprint(c, "hello\nworld\nHello\n\n  hello \n")
		time.Sleep(5 * time.Second) // keep the connection open while the job runs
	}()
	raw, err := os.ReadFile("../../examples/wordcount.sql")
	if err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(string(raw), "'9100'", fmt.Sprintf("'%d'", port), 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testkit.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-e", script}, strings.NewReader(""), &out, &out) }()
	want := []string{"+I[hello, 1]", "+I[world, 1]", "-U[hello, 1]", "+U[hello, 2]", "-U[hello, 2]", "+U[hello, 3]"}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !containsAll(out.String(), want) {
		time.Sleep(20 * time.Millisecond)
	}
	if !containsAll(out.String(), want) {
		t.Fatalf("want %v in output:\n%s", want, out.String())
	}
	// The job keeps running until the process is stopped (the socket is unbounded).
	select {
	case code := <-done:
		t.Fatalf("the job ended on its own with exit %d:\n%s", code, out.String())
	default:
	}
	// Stopping (as Ctrl-C does) ends it cleanly with exit code 0.
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after stop:\n%s", code, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the job did not stop")
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// TestCheckpointsSubcommand runs a checkpointed job through the CLI, lists
// its checkpoints, and restores it with --restore latest (nothing left to
// do: the output must not change).
func TestCheckpointsSubcommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cp := filepath.Join(dir, "cp")
	wd, _ := os.Getwd()
	script := strings.Join([]string{
		"CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)",
		"  WITH ('connector' = 'filesystem', 'path' = '" + filepath.Join(wd, "../../examples/data/bids.csv") + "', 'format' = 'csv');",
		"CREATE TABLE o (auction BIGINT, n BIGINT) WITH ('connector' = 'filesystem', 'path' = '" + out + "/', 'format' = 'csv');",
		"INSERT INTO o SELECT auction, COUNT(*) FROM bids GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), auction;",
	}, "\n")
	args := []string{"--checkpoint-interval", "20ms", "--checkpoint-dir", cp, "-e", script}
	if code, _, errOut := runCLI(t, "", args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	first, _ := os.ReadDir(out)
	code, list, errOut := runCLI(t, "", "checkpoints", cp)
	if code != 0 || !strings.Contains(list, "complete (latest)") || !strings.Contains(list, "chk-") {
		t.Fatalf("exit %d, listing:\n%s%s", code, list, errOut)
	}
	if code, _, errOut := runCLI(t, "", append([]string{"--restore", "latest"}, args...)...); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errOut)
	}
	second, _ := os.ReadDir(out)
	if len(first) == 0 || len(second) != len(first) {
		t.Fatalf("restoring a finished job changed its output: %d files, then %d", len(first), len(second))
	}
}

// TestSkippedRowsSummary checks that a -f run whose tables skip bad rows
// ends with one line per table giving the count and the first bad row as
// file:line, for an INSERT job and for a SELECT.
func TestSkippedRowsSummary(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bids.csv")
	var data strings.Builder
	data.WriteString("k,v\n")
	for i := 0; i < 100; i++ {
		if i%4 == 1 {
			fmt.Fprintf(&data, "%d,x%d\n", i, i)
		} else {
			fmt.Fprintf(&data, "%d,%d\n", i, i)
		}
	}
	if err := os.WriteFile(in, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "job.sql")
	sqlText := "CREATE TABLE s (k BIGINT, v BIGINT) WITH ('connector'='filesystem', 'path'='" + in + "', 'format'='csv', " +
		"'csv.ignore-first-line'='true', 'format.ignore-parse-errors'='true');\n" +
		"CREATE TABLE o (k BIGINT, v BIGINT) WITH ('connector'='blackhole');\n" +
		"INSERT INTO o SELECT k, v FROM s;\n" +
		"SELECT COUNT(*) AS n FROM s;\n"
	if err := os.WriteFile(script, []byte(sqlText), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "-f", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "| 75 |") {
		t.Errorf("want 75 rows counted:\n%s", out)
	}
	want := "table s: 25 bad rows skipped (first at " + in + ":3: column v: invalid BIGINT \"x1\")"
	if n := strings.Count(errOut, want); n != 2 { // the INSERT job and the SELECT
		t.Errorf("want %q twice in:\n%s", want, errOut)
	}
}

// TestStateLocalDirFlag checks that --state-local-dir places the pebble
// backend's working files, and that nothing is left there after the run.
func TestStateLocalDirFlag(t *testing.T) {
	base := filepath.Join(t.TempDir(), "pebble-work")
	script := "CREATE TABLE g (k BIGINT) WITH ('connector'='datagen', 'number-of-rows'='200', 'fields.k.min'='1', 'fields.k.max'='9');\n" +
		"CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector'='blackhole');\n" +
		"INSERT INTO b SELECT k, COUNT(*) FROM g GROUP BY k;\n"
	code, _, errOut := runCLI(t, "", "--state-backend", "pebble", "--state-local-dir", base, "-e", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ents, err := os.ReadDir(base)
	if err != nil {
		t.Fatalf("the working files did not go to %s: %v", base, err)
	}
	if len(ents) != 0 {
		t.Fatalf("left behind in %s: %v", base, ents)
	}
	if code, out, _ := runCLI(t, "", "--help"); code != 0 || !strings.Contains(out, "-state-local-dir") || !strings.Contains(out, "state.backend.pebble.localdir") {
		t.Errorf("--help lacks the flag or the key:\n%s", out)
	}
}

// TestFileErrorsNameFileLineColumn: with -f, a compile error is printed as
// file:line:column with the source line and a caret under the column (tabs
// kept so that the caret lines up), and a statement that fails when it
// runs names file:line:column of the statement.
func TestFileErrorsNameFileLineColumn(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		script string
		want   []string
	}{
		{"CREATE TABLE t (a INT);\nSELECT a FROM t WHERE;\n", []string{
			"ERROR: %s:2:22: syntax error: unexpected end of statement",
			"\n  SELECT a FROM t WHERE;\n                       ^\n"}},
		{"CREATE TABLE t (a INT);\n\tSELECT a,\n\t  nosuch(a) FROM t;\n", []string{
			"ERROR: %s:3:4: unknown function 'nosuch'",
			"\n  \t  nosuch(a) FROM t;\n  \t  ^\n"}},
		{"CREATE TABLE t (a INT);\n\n  CREATE TABLE k (a INT) WITH ('connector'='kafak');\n", []string{
			"ERROR: %s:3:3: table k: unknown connector 'kafak'"}},
	} {
		file := filepath.Join(dir, "script.sql")
		if err := os.WriteFile(file, []byte(c.script), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCLI(t, "", "-f", file)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		for _, w := range c.want {
			if strings.Contains(w, "%s") {
				w = fmt.Sprintf(w, file)
			}
			if !strings.Contains(errOut, w) {
				t.Errorf("%q: standard error lacks %q:\n%s", c.script, w, errOut)
			}
		}
	}
}

// -D taskmanager.memory.process.size sets the Go runtime's memory limit;
// a bad size is refused before anything runs.
func TestProcessMemoryFlag(t *testing.T) {
	defer debug.SetMemoryLimit(math.MaxInt64)
	code, _, errOut := runCLI(t, "", "-D", "taskmanager.memory.process.size=1.5g", "-e", "SELECT 1;")
	if code != 2 || !strings.Contains(errOut, "invalid memory size '1.5g'") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "", "-D", "taskmanager.memory.process.size=300m", "-e", "SELECT 1;")
	if code != 0 || !strings.Contains(out, "| 1 |") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	// the process size less the quarter of its managed memory (0.4 of
	// it) that Pebble keeps off the Go heap: 300m - 30m
	if got := debug.SetMemoryLimit(-1); got != 270<<20 {
		t.Fatalf("memory limit %d, want %d", got, 270<<20)
	}
}
