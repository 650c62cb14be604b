package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// PTY is a process running on a pseudo-terminal of its own (its
// controlling terminal, in a new session), as a person's shell runs in a
// terminal window. The test types into Master and reads the screen with
// Screen or WaitFor.
type PTY struct {
	*Process
	// Master is the terminal's side the test writes keystrokes to.
	Master *os.File
	// Slave is the process's terminal (for inspecting its modes).
	Slave *os.File

	mu  sync.Mutex
	out bytes.Buffer
}

// StartPTY starts cmd with a new rows×cols pseudo-terminal as its
// standard input, output and error, and collects everything it writes.
// cmd must not have been started; its Env and arguments are the
// caller's. At the end of tb the process is killed if it still runs and
// the terminal is closed. It fails tb when the terminal or the process
// cannot be started.
func StartPTY(tb testing.TB, cmd *exec.Cmd, rows, cols uint16) *PTY {
	tb.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		tb.Fatalf("pty: %v", err)
	}
	// Registered first, so it runs after the process is gone.
	tb.Cleanup(func() {
		master.Close()
		slave.Close()
	})
	if err := pty.Setsize(master, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		tb.Fatalf("pty size: %v", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	p := &PTY{Process: &Process{Cmd: cmd}, Master: master, Slave: slave}
	p.start(tb)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				p.mu.Lock()
				p.out.Write(buf[:n])
				p.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

// ansi matches the terminal escape sequences (and carriage returns)
// that Screen removes.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r`)

// Screen returns everything the process wrote so far, escape sequences
// and carriage returns removed.
func (p *PTY) Screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ansi.ReplaceAllString(p.out.String(), "")
}

// WaitFor polls the screen every 20 ms until one of wants (tried in
// their order) appears at or after offset from, for at most d. It
// returns the offset just past the match and the screen text from from
// to there; ok is false when none appeared within d (end is then from
// and seen the whole screen from from).
func (p *PTY) WaitFor(from int, d time.Duration, wants ...string) (end int, seen string, ok bool) {
	deadline := time.Now().Add(d)
	for {
		s := p.Screen()
		if from <= len(s) {
			for _, w := range wants {
				if i := strings.Index(s[from:], w); i >= 0 {
					end = from + i + len(w)
					return end, s[from:end], true
				}
			}
		}
		if time.Now().After(deadline) {
			return from, s[min(from, len(s)):], false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Type writes s to the terminal one character at a time as a person
// types, pausing perKey after each character and 30 ms at the end (so
// that the shell has read it all before what the caller sends next).
func (p *PTY) Type(s string, perKey time.Duration) error {
	for _, r := range s {
		if _, err := p.Master.Write([]byte(string(r))); err != nil {
			return err
		}
		time.Sleep(perKey)
	}
	time.Sleep(30 * time.Millisecond)
	return nil
}
