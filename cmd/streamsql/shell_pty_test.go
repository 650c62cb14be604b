package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/term/termios"
	"golang.org/x/sys/unix"

	"github.com/streamsql/streamsql/internal/testkit"
)

// The interactive shell is tested through a pseudo-terminal: the built
// binary runs with the pty as its controlling terminal, keystrokes go in
// and the screen output is read back (escape sequences removed).

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func shellBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "streamsql-shell-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath, buildErr = testkit.BuildStreamsql(dir)
	})
	if buildErr != nil {
		t.Fatalf("building streamsql: %v", buildErr)
	}
	return binPath
}

// ptyShell is one running shell on a pseudo-terminal.
type ptyShell struct {
	*testkit.PTY
	t    *testing.T
	mark int // screen offset from which waitFor searches
}

func startShell(t *testing.T, home string) *ptyShell {
	t.Helper()
	cmd := exec.Command(shellBinary(t))
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	return &ptyShell{PTY: testkit.StartPTY(t, cmd, 50, 220), t: t}
}

// waitFor waits until want appears in the output after the mark, then
// moves the mark past it.
func (sh *ptyShell) waitFor(want string, d time.Duration) {
	sh.t.Helper()
	end, seen, ok := sh.WaitFor(sh.mark, d, want)
	if !ok {
		sh.t.Fatalf("waiting for %q: not on screen after %v; screen since mark:\n%s", want, d, tail(seen, 0))
	}
	sh.mark = end
}

func tail(s string, from int) string {
	if from > len(s) {
		from = len(s)
	}
	s = s[from:]
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// typeText sends keystrokes one small chunk at a time, as a person does.
func (sh *ptyShell) typeText(s string) {
	sh.t.Helper()
	if err := sh.Type(s, 2*time.Millisecond); err != nil {
		sh.t.Fatalf("typing: %v", err)
	}
}

// key sends one key press (a control character or escape sequence).
func (sh *ptyShell) key(b string) {
	sh.t.Helper()
	time.Sleep(50 * time.Millisecond)
	if _, err := sh.Master.Write([]byte(b)); err != nil {
		sh.t.Fatalf("key: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
}

func (sh *ptyShell) enter(line string) {
	sh.typeText(line)
	sh.key("\r")
}

func (sh *ptyShell) waitExit(d time.Duration) {
	sh.t.Helper()
	select {
	case <-sh.Done():
		if err := sh.Err(); err != nil {
			sh.t.Fatalf("shell exited with %v; screen:\n%s", err, tail(sh.Screen(), 0))
		}
	case <-time.After(d):
		sh.t.Fatalf("shell did not exit within %v; screen:\n%s", d, tail(sh.Screen(), sh.mark))
	}
}

// checkRestored asserts the terminal is back in cooked mode with echo.
func (sh *ptyShell) checkRestored() {
	sh.t.Helper()
	tio, err := termios.Tcgetattr(sh.Slave.Fd())
	if err != nil {
		sh.t.Fatalf("termios: %v", err)
	}
	if tio.Lflag&unix.ECHO == 0 || tio.Lflag&unix.ICANON == 0 || tio.Lflag&unix.ISIG == 0 || tio.Iflag&unix.ICRNL == 0 {
		sh.t.Fatalf("terminal not restored: lflag=%#x iflag=%#x (want ECHO, ICANON, ISIG, ICRNL)", tio.Lflag, tio.Iflag)
	}
	if fl, err := unix.FcntlInt(sh.Slave.Fd(), unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
		sh.t.Fatalf("terminal left non-blocking")
	}
}

const waitLong = 30 * time.Second

func TestShellPTYSessionCompletionCtrlCQuit(t *testing.T) {
	home := t.TempDir()
	sh := startShell(t, home)
	sh.waitFor("streamsql> ", waitLong)

	// A bounded datagen table and a SELECT show rows.
	sh.enter("CREATE TABLE t (a BIGINT, ts TIMESTAMP(3)) WITH ('connector'='datagen', 'number-of-rows'='5');")
	sh.waitFor("Table created.", waitLong)
	sh.enter("SELECT * FROM t;")
	sh.waitFor("5 rows in set", waitLong)

	// A windowed count over a multi-line statement (continuation prompt).
	sh.enter("CREATE TABLE seq (id BIGINT, ts TIMESTAMP(3)) WITH ('connector'='datagen', 'number-of-rows'='10',")
	sh.waitFor("-> ", waitLong)
	sh.enter("  'fields.ts.kind'='sequence', 'fields.ts.start'='0', 'fields.ts.end'='9000', 'fields.ts.step'='1000');")
	sh.waitFor("Table created.", waitLong)
	sh.enter("SELECT TUMBLE_END(ts, INTERVAL '5' SECOND) AS w, COUNT(*) AS n FROM seq GROUP BY TUMBLE(ts, INTERVAL '5' SECOND);")
	sh.waitFor("2 rows in set", waitLong)

	// Tab completes a table name after FROM.
	sh.enter("CREATE TABLE widetable (x BIGINT) WITH ('connector'='datagen', 'number-of-rows'='3');")
	sh.waitFor("Table created.", waitLong)
	sh.typeText("SELECT * FROM wid")
	sh.key("\t")
	sh.waitFor("widetable", waitLong)
	sh.typeText(";")
	sh.key("\r")
	sh.waitFor("3 rows in set", waitLong)

	// An error has a caret under its position.
	sh.enter("SELECT nope FROM t;")
	sh.waitFor("^", waitLong)
	sh.waitFor("ERROR at line 1, column 8", waitLong)

	// Ctrl-C stops a query over an unbounded source and the prompt returns.
	sh.enter("CREATE TABLE u (a BIGINT) WITH ('connector'='datagen', 'rows-per-second'='20');")
	sh.waitFor("Table created.", waitLong)
	sh.enter("SELECT * FROM u;")
	sh.waitFor("press Ctrl-C to stop", waitLong)
	sh.key("\x03")
	sh.waitFor("Query stopped.", waitLong)
	sh.waitFor("streamsql> ", waitLong)
	sh.enter("SHOW TABLES;")
	sh.waitFor("widetable", waitLong)

	sh.enter("QUIT;")
	sh.waitExit(waitLong)
	sh.checkRestored()

	// History was saved, one statement per line.
	b, err := os.ReadFile(filepath.Join(home, ".streamsql_history"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	for _, want := range []string{"SELECT * FROM t;", "SELECT * FROM widetable;", "QUIT;",
		"'number-of-rows'='10',   'fields.ts.kind'"} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q:\n%s", want, h)
		}
	}
}

func TestShellPTYHistoryAndCtrlD(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".streamsql_history"), []byte("HELP;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sh := startShell(t, home)
	sh.waitFor("streamsql> ", waitLong)
	// Up recalls the last statement of an earlier run.
	sh.key("\x1b[A")
	sh.key("\r")
	sh.waitFor("Statements (end each with ';')", waitLong)
	sh.waitFor("streamsql> ", waitLong)
	sh.key("\x04") // Ctrl-D on an empty line leaves
	sh.waitExit(waitLong)
	sh.checkRestored()
}

func TestShellPTYCtrlCTwiceLeaves(t *testing.T) {
	sh := startShell(t, t.TempDir())
	sh.waitFor("streamsql> ", waitLong)
	sh.typeText("SELECT * FR")
	sh.key("\x03") // clears the line
	sh.waitFor("streamsql> ", waitLong)
	sh.key("\x03")
	sh.waitFor("Ctrl-C again", waitLong)
	sh.key("\x03")
	sh.waitExit(waitLong)
	sh.checkRestored()
}
