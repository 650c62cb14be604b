package shell

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	prompt "github.com/c-bata/go-prompt"
	"github.com/pkg/term/termios"
	"golang.org/x/sys/unix"
)

// Prompts of the interactive shell; both have the same width so that
// error carets line up under either.
const (
	Prompt             = "streamsql> "
	ContinuationPrompt = "        -> "
)

// RunPrompt runs the interactive shell on the controlling terminal with
// line editing, completion and history, until QUIT;/EXIT;, Ctrl-D on an
// empty line, Ctrl-C twice on an empty line, or ctx is done. Ctrl-C while
// a statement runs cancels it (a SELECT stops) and returns to the prompt.
//
// The terminal's settings are saved at the start and restored on every
// way out, panics included (a panic is reported as an error, never
// re-raised with the terminal left raw). It never exits the process.
func RunPrompt(ctx context.Context, s *Session) (err error) {
	tty, err := openTTY()
	if err != nil {
		return err
	}
	defer tty.close()
	defer func() {
		if r := recover(); r != nil {
			tty.restore()
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	s.Terminal = true
	s.PromptWidth = len(Prompt)

	hist := loadHistory()
	var lines []string // lines of the statement being typed
	lastText := ""     // editor text after the previous key
	ctrlC := 0         // consecutive Ctrl-C on an empty line
	quit := false
	completer := func(d prompt.Document) []prompt.Suggest {
		lastText = d.Text
		if ctrlC > 0 && d.Text != "" {
			ctrlC = 0
		}
		if t := strings.TrimSpace(s.Buffered() + d.TextBeforeCursor()); t == "" || strings.HasSuffix(t, ";") {
			return nil // no menu on an empty line or after a statement
		}
		var out []prompt.Suggest
		for _, sg := range s.Suggest(s.Buffered() + d.TextBeforeCursor()) {
			out = append(out, prompt.Suggest{Text: sg.Text, Description: sg.Desc})
		}
		return out
	}
	onCtrlC := func(*prompt.Buffer) {
		if lastText == "" && !s.Pending() {
			ctrlC++
			if ctrlC >= 2 {
				quit = true
				return
			}
			fmt.Fprintln(os.Stdout, "(Ctrl-C again, Ctrl-D or QUIT; leaves the shell)")
			return
		}
		ctrlC = 0
		s.Discard()
		lines = nil
	}
	for !quit && ctx.Err() == nil {
		tty.watchCtx(ctx)
		p := prompt.New(func(string) {}, completer,
			prompt.OptionParser(tty),
			prompt.OptionPrefix(Prompt),
			prompt.OptionLivePrefix(func() (string, bool) {
				if s.Pending() {
					return ContinuationPrompt, true
				}
				return "", false
			}),
			prompt.OptionHistory(hist),
			prompt.OptionCompletionWordSeparator(WordSeparators),
			prompt.OptionMaxSuggestion(8),
			prompt.OptionAddKeyBind(prompt.KeyBind{Key: prompt.ControlC, Fn: onCtrlC}),
			prompt.OptionSetExitCheckerOnInput(func(string, bool) bool { return quit || tty.ctxDone.Load() }),
		)
		lastText = ""
		line := p.Input()
		if quit || tty.ctxDone.Load() || ctx.Err() != nil {
			break
		}
		if tty.eof() {
			fmt.Fprintln(os.Stdout)
			break
		}
		ctrlC = 0
		lines = append(lines, line)
		// Run what is complete; Ctrl-C cancels it.
		qctx, cancel := context.WithCancel(ctx)
		stop := tty.watchInterrupt(cancel)
		q := s.Feed(qctx, line)
		stop()
		cancel()
		if !s.Pending() {
			// Up/Down in this session recall the statement as typed
			// (secrets included, so that it can be run again); the file
			// gets it masked (see history.go).
			if entry := strings.TrimSpace(strings.Join(lines, " ")); entry != "" {
				hist = append(hist, entry)
				appendHistory(strings.Join(lines, "\n"))
			}
			lines = nil
		}
		if q {
			break
		}
	}
	tty.restore()
	return nil
}

// tty is the line editor's input: the controlling terminal, opened on its
// own file description (so that non-blocking reads never affect standard
// output). It saves the terminal's settings once and restores exactly
// those (go-prompt's own restore returns to its raw settings).
type tty struct {
	fd      int
	saved   unix.Termios
	mu      sync.Mutex
	lastEOF atomic.Bool // the last key read was Ctrl-D
	ctxDone atomic.Bool // the session's context ended while editing
	ctx     context.Context
	// queue holds keys read but not yet handed to the editor, one key (or
	// one run of plain text) per element; hold stops handing them out
	// after an Enter until the editor starts the next line.
	qmu   sync.Mutex
	queue [][]byte
	hold  bool
}

var _ prompt.ConsoleParser = (*tty)(nil)

func openTTY() (*tty, error) {
	fd, err := syscall.Open("/dev/tty", syscall.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no terminal: %w", err)
	}
	t := &tty{fd: fd}
	st, err := termios.Tcgetattr(uintptr(fd))
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("no terminal: %w", err)
	}
	t.saved = *st
	return t, nil
}

// watchCtx makes the editor give up when ctx ends (SIGTERM).
func (t *tty) watchCtx(ctx context.Context) { t.ctx = ctx }

// Setup puts the terminal in raw, non-blocking mode (go-prompt calls it
// before reading a line).
func (t *tty) Setup() error {
	t.qmu.Lock()
	t.hold = false
	t.qmu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := syscall.SetNonblock(t.fd, true); err != nil {
		return err
	}
	raw := t.saved
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ICANON | unix.IEXTEN | unix.ISIG | unix.ECHONL
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	return termios.Tcsetattr(uintptr(t.fd), termios.TCSANOW, &raw)
}

// TearDown restores the saved settings (go-prompt calls it after a line).
func (t *tty) TearDown() error {
	t.restore()
	return nil
}

// restore puts back the settings saved at the start and blocking reads.
func (t *tty) restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd < 0 {
		return
	}
	syscall.SetNonblock(t.fd, false)
	saved := t.saved
	termios.Tcsetattr(uintptr(t.fd), termios.TCSANOW, &saved)
}

func (t *tty) close() {
	t.restore()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd >= 0 {
		syscall.Close(t.fd)
		t.fd = -1
	}
}

// Read returns the bytes typed so far (none when nothing is waiting).
// When the session's context ends it hands the editor a Ctrl-C, which the
// exit checker turns into the end of the prompt.
func (t *tty) Read() ([]byte, error) {
	if t.ctx != nil && t.ctx.Err() != nil {
		t.ctxDone.Store(true)
		return []byte{0x03}, nil
	}
	t.qmu.Lock()
	defer t.qmu.Unlock()
	if t.hold {
		return []byte{}, nil
	}
	if len(t.queue) == 0 {
		buf := make([]byte, 1024)
		n, err := syscall.Read(t.fd, buf)
		if err != nil || n <= 0 {
			return []byte{}, err
		}
		t.queue = splitKeys(buf[:n])
	}
	k := t.queue[0]
	t.queue = t.queue[1:]
	t.lastEOF.Store(len(k) == 1 && k[0] == 0x04)
	if len(k) == 1 && (k[0] == '\r' || k[0] == '\n') {
		// The line ends here: keep the rest (pasted text, type-ahead)
		// for the next line, so that none of it is lost between lines.
		t.hold = true
	}
	return k, nil
}

// splitKeys cuts what the terminal delivered into keys as the line editor
// expects them: an escape sequence, a single control character, or a run
// of plain text. Without this a pasted "stmt;\nstmt;" would be taken as
// text including the newline.
func splitKeys(b []byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b:
			j := i + 1
			if j < len(b) && (b[j] == '[' || b[j] == 'O') {
				j++
				if b[j-1] == 'O' {
					if j < len(b) {
						j++
					}
				} else {
					for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
						j++
					}
					if j < len(b) {
						j++
					}
				}
			}
			out = append(out, b[i:j])
			i = j
		case c < 0x20 || c == 0x7f:
			out = append(out, b[i:i+1])
			i++
		default:
			j := i
			for j < len(b) && b[j] >= 0x20 && b[j] != 0x7f {
				j++
			}
			out = append(out, b[i:j])
			i = j
		}
	}
	return out
}

// eof reports whether the editor ended on Ctrl-D.
func (t *tty) eof() bool { return t.lastEOF.Load() }

// GetWinSize reports the terminal size (80x24 when unknown).
func (t *tty) GetWinSize() *prompt.WinSize {
	ws, err := unix.IoctlGetWinsize(t.fd, unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return &prompt.WinSize{Row: 24, Col: 80}
	}
	return &prompt.WinSize{Row: ws.Row, Col: ws.Col}
}

// watchInterrupt reads the terminal while a statement runs: Ctrl-C calls
// cancel. Other keys are dropped. The returned func stops watching and
// restores the terminal.
func (t *tty) watchInterrupt(cancel func()) (stop func()) {
	if err := t.Setup(); err != nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		buf := make([]byte, 256)
		for {
			select {
			case <-done:
				return
			default:
			}
			n, _ := syscall.Read(t.fd, buf)
			var keep []byte
			for i := 0; i < n; i++ {
				if buf[i] == 0x03 {
					cancel()
				} else {
					keep = append(keep, buf[i])
				}
			}
			if len(keep) > 0 { // type-ahead for the next prompt
				t.qmu.Lock()
				t.queue = append(t.queue, splitKeys(keep)...)
				t.qmu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() {
		close(done)
		<-finished
		t.restore()
	}
}
