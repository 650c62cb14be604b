package e2e

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// lineServer plays `nc -lk`: it accepts connections one after another
// and lets the test write lines to the newest one.
type lineServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conn  net.Conn
	conns int
}

func newLineServer(t *testing.T) *lineServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lineServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = c
			s.conns++
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *lineServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// waitConn waits until at least n connections were accepted.
func (s *lineServer) waitConn(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		ok := s.conns >= n
		s.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no connection number %d from the job", n)
}

func (s *lineServer) send(t *testing.T, lines ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := bufio.NewWriter(s.conn)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// requireRestore fails t unless output shows the job's attempt number
// attempt restoring a checkpoint ("INFO: job <id>: attempt <n> restores
// checkpoint <id> (<dir>)") and no attempt starting from the beginning.
func requireRestore(t *testing.T, output string, attempt int) {
	t.Helper()
	restores, startedOver := testkit.Restores(output)
	if startedOver != "" {
		t.Fatalf("an attempt started over instead of restoring: %q\n%s", startedOver, output)
	}
	for _, r := range restores {
		if r.Attempt == attempt {
			t.Logf("attempt %d restored checkpoint %d (%s)", attempt, r.ID, r.Dir)
			return
		}
	}
	t.Fatalf("attempt %d of the job did not restore a checkpoint:\n%s", attempt, output)
}

// waitCounts polls the MySQL table until it holds exactly want.
func waitCounts(t *testing.T, db *sql.DB, table string, want map[string]int64, log func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got map[string]int64
	for time.Now().Before(deadline) {
		got = map[string]int64{}
		rows, err := db.Query("SELECT word, cnt FROM " + table)
		if err == nil {
			for rows.Next() {
				var w string
				var c int64
				rows.Scan(&w, &c)
				got[w] = c
			}
			rows.Close()
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("word counts %v, want %v\n%s", got, want, log())
}

// TestWordCountSeedScenario is the README walkthrough as a test: lines
// typed into a socket (nc -lk), a word count upserted into MySQL at every
// checkpoint, a line ERROR failing the job (RAISE_ERROR) which restarts
// from its last checkpoint per fixed-delay, then the process killed with
// SIGKILL and restarted with --restore latest: the counts continue.
//
// Both the restart and the new process must restore a checkpoint
// (requireRestore): the counts alone could also come from input replayed
// from the beginning.
func TestWordCountSeedScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process")
	}
	db := openMySQL(t)
	defer db.Close()
	schema := fmt.Sprintf("wc_%d", time.Now().UnixNano()%1e9)
	if _, err := db.Exec("CREATE DATABASE " + schema); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("DROP DATABASE " + schema)
	srv := newLineServer(t)
	defer srv.ln.Close()
	cp := t.TempDir()
	// The README's example, pointed at this test's server, database and
	// directory, with a shorter restart delay.
	raw, err := os.ReadFile("../../examples/wordcount_mysql.sql")
	if err != nil {
		t.Fatal(err)
	}
	script := strings.NewReplacer(
		"'9100'", fmt.Sprintf("'%d'", srv.port()),
		"/tmp/streamsql-wordcount", cp,
		"127.0.0.1:3306/test'", "127.0.0.1:3306/"+schema+"'",
		"'restart-strategy.fixed-delay.delay' = '10s'", "'restart-strategy.fixed-delay.delay' = '300ms'",
		"'execution.checkpointing.interval' = '2s'", "'execution.checkpointing.interval' = '200ms'",
	).Replace(string(raw))
	for _, want := range []string{schema, cp, "300ms", "200ms"} {
		if !strings.Contains(script, want) {
			t.Fatalf("the example changed: %q not substituted", want)
		}
	}
	bin := testkit.BuildBinary(t)
	start := func(restore bool) *testkit.Process {
		args := []string{"-e", script}
		if restore {
			args = append([]string{"--restore", "latest"}, args...)
		}
		return testkit.StartProcess(t, exec.Command(bin, args...))
	}
	table := schema + ".word_counts"

	p := start(false)
	defer func() { p.Kill() }()
	srv.waitConn(t, 1)
	srv.send(t, "hello", "world", "hello")
	waitCounts(t, db, table, map[string]int64{"hello": 2, "world": 1}, p.Output)

	// ERROR fails the job; it restarts from its last checkpoint and reconnects.
	srv.send(t, "ERROR")
	srv.waitConn(t, 2)
	srv.send(t, "hello")
	waitCounts(t, db, table, map[string]int64{"hello": 3, "world": 1}, p.Output)
	if !strings.Contains(p.Output(), "the input said ERROR") || !strings.Contains(p.Output(), "restarting") {
		t.Errorf("the restart was not reported:\n%s", p.Output())
	}
	requireRestore(t, p.Output(), 2)

	// Killed and restarted: the counts continue from where they were.
	p.Kill()
	p = start(true)
	srv.waitConn(t, 3)
	srv.send(t, "hello", "world")
	waitCounts(t, db, table, map[string]int64{"hello": 4, "world": 2}, p.Output)
	requireRestore(t, p.Output(), 1)

	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done():
		if err := p.Err(); err != nil {
			t.Fatalf("stop: %v\n%s", err, p.Output())
		}
	case <-time.After(15 * time.Second):
		p.Kill()
		t.Fatalf("did not stop on SIGTERM:\n%s", p.Output())
	}
}
