package shell

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// WriteScriptError writes an error of a script read from file (the text
// of the whole script is script) the way a compiler does: a compile error
// as "ERROR: file:line:column: message (hint)" followed by its source line
// and a caret under the column, as the shell shows it; a statement that
// failed when it ran as "ERROR: file:line:column: message" at the
// statement's start. It reports false, writing nothing, for any other
// error (a job's failure), which the caller prints as it is.
func WriteScriptError(w io.Writer, file, script string, err error) bool {
	var se *sql.Error
	if errors.As(err, &se) && se.Line >= 1 {
		msg := se.Msg
		if se.Hint != "" {
			msg += " (" + se.Hint + ")"
		}
		fmt.Fprintf(w, "ERROR: %s:%d:%d: %s\n", file, se.Line, se.Col, msg)
		if lines := strings.Split(script, "\n"); se.Line <= len(lines) {
			src := strings.TrimSuffix(lines[se.Line-1], "\r")
			fmt.Fprintf(w, "  %s\n  %s^\n", src, caretPad(src, se.Col))
		}
		return true
	}
	var st *engine.StatementError
	if errors.As(err, &st) && st.Line >= 1 {
		fmt.Fprintf(w, "ERROR: %s:%d:%d: %v\n", file, st.Line, st.Col, st.Err)
		return true
	}
	return false
}
