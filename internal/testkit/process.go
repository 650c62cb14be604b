package testkit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Process is a command a test started and watches: Done tells when it
// has ended, Output what it wrote.
type Process struct {
	Cmd *exec.Cmd

	output SyncBuffer
	done   chan struct{}
	err    error
}

// StartProcess starts cmd with its standard output and error going to
// one buffer (Output). cmd must not have been started. At the end of tb
// the process is killed if it still runs. It fails tb when the process
// cannot be started.
//
// With the environment variable STREAMSQL_TEST_PROCESS_LOGS set to a
// directory (made when missing), the output also goes to a file there named after the test
// (with a random suffix; the file's second line gives the process id),
// kept after the test: the whole output of every
// server a failed test started (a test's failure message shows a tail).
func StartProcess(tb testing.TB, cmd *exec.Cmd) *Process {
	tb.Helper()
	p := &Process{Cmd: cmd}
	var out io.Writer = &p.output
	var logFile *os.File
	if dir := os.Getenv("STREAMSQL_TEST_PROCESS_LOGS"); dir != "" {
		f, err := os.CreateTemp(dir, filepath.Base(tb.Name())+"-*.log")
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(dir, 0o755); err == nil {
				f, err = os.CreateTemp(dir, filepath.Base(tb.Name())+"-*.log")
			}
		}
		if err != nil {
			tb.Fatalf("process log: %v", err)
		}
		fmt.Fprintf(f, "$ %s\n", cmd.String())
		logFile, out = f, io.MultiWriter(&p.output, f)
		tb.Cleanup(func() { logFile.Close() })
	}
	cmd.Stdout, cmd.Stderr = out, out
	p.start(tb)
	if logFile != nil {
		fmt.Fprintf(logFile, "# pid %d\n", cmd.Process.Pid)
	}
	return p
}

// start starts p.Cmd (whose standard streams the caller has set), waits
// for it in the background and kills it at the end of tb if it still
// runs.
func (p *Process) start(tb testing.TB) {
	tb.Helper()
	p.done = make(chan struct{})
	if err := p.Cmd.Start(); err != nil {
		tb.Fatalf("start: %v", err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.Kill()
		}
	})
}

// Done is closed when the process has ended; Err then returns its exit
// error.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns what waiting for the process returned (nil for exit code
// 0); it is valid once Done is closed.
func (p *Process) Err() error { return p.err }

// Output returns what the process wrote to its standard output and
// error so far (empty when the caller of StartPTY owns the streams).
func (p *Process) Output() string { return p.output.String() }

// Kill ends the process with SIGKILL and waits until it has ended.
func (p *Process) Kill() {
	p.Cmd.Process.Kill()
	<-p.done
}
