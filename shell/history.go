package shell

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamsql/streamsql/sql"
)

// HistoryFile is the name of the history file in the home directory.
//
// It holds one statement per line, oldest first, written with secrets
// masked by sql.MaskSecrets (the masking SHOW CREATE TABLE shows: a
// 'password' option, the password of a url, CONNECTION='...', a JAAS
// config, SET of a secret key). The line editor's in-memory history of
// the running session keeps statements as typed, so that Up recalls one
// that can be run again; it is never written anywhere. A history file
// written by an earlier version is masked in place when the shell starts.
const HistoryFile = ".streamsql_history"

// maxHistory is the number of statements Up/Down can recall.
const maxHistory = 1000

// historyPath is ~/.streamsql_history ("" when there is no home).
func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, HistoryFile)
}

// historyLine is the line the file holds for a statement: masked, then
// on one line (masking first, so that a -- comment cannot hide the lines
// after it from the masking).
func historyLine(stmt string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(sql.MaskSecrets(stmt)))
}

// loadHistory reads the saved statements, oldest first (at most
// maxHistory). If the file holds a line with an unmasked secret (written
// by an earlier version), the whole file is rewritten masked first.
func loadHistory() []string {
	path := historyPath()
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	var all []string
	changed := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" {
			continue
		}
		m := historyLine(l)
		changed = changed || m != l
		all = append(all, m)
	}
	f.Close()
	if changed {
		rewriteHistory(path, all)
	}
	if len(all) > maxHistory {
		all = all[len(all)-maxHistory:]
	}
	return all
}

// rewriteHistory replaces the file with lines (through a temporary file
// renamed over it, so that a crash leaves the old or the new file).
// Failures are ignored: the history is a convenience.
func rewriteHistory(path string, lines []string) {
	tmp, err := os.CreateTemp(filepath.Dir(path), HistoryFile+".*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if w.Flush() != nil || tmp.Chmod(0o600) != nil || tmp.Close() != nil {
		tmp.Close()
		return
	}
	os.Rename(tmp.Name(), path)
}

// appendHistory adds one statement (masked, on one line) to the history file.
func appendHistory(stmt string) {
	path := historyPath()
	if path == "" {
		return
	}
	line := historyLine(stmt)
	if line == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
