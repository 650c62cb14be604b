package shell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHistoryFileMasksSecrets: a statement typed over several lines (one
// ending in a -- comment) reaches the file on one line with its secrets
// masked, and the file stays readable by its owner only.
func TestHistoryFileMasksSecrets(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	appendHistory("CREATE TABLE t (a INT) WITH ( -- the shop database\n'connector' = 'jdbc',\n'url' = 'mysql://app:Hunter-1@db/shop',\n'password' = 'Hunter-2')")
	appendHistory("SET 'properties.sasl.jaas.config' = 'x required password=\"Hunter-3\";'")
	appendHistory("SELECT 1")
	path := filepath.Join(home, HistoryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if strings.Contains(got, "Hunter") {
		t.Fatalf("the history file holds a secret:\n%s", got)
	}
	want := "CREATE TABLE t (a INT) WITH ( -- the shop database 'connector' = 'jdbc', 'url' = 'mysql://app:****@db/shop', 'password' = '****')\n" +
		"SET 'properties.sasl.jaas.config' = '****'\nSELECT 1\n"
	if got != want {
		t.Errorf("history file:\n%s\nwant:\n%s", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode: %v %v", fi.Mode(), err)
	}
}

// TestHistoryFileOfEarlierVersionIsMasked: secrets left in the file by an
// earlier version are masked in place when the shell loads it.
func TestHistoryFileOfEarlierVersionIsMasked(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, HistoryFile)
	old := "SHOW TABLES\nCREATE TABLE d (x INT) ENGINE=mysql CONNECTION='mysql://app:Hunter-4@db/shop/d'\n\nSELECT 2\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	hist := loadHistory()
	want := []string{"SHOW TABLES", "CREATE TABLE d (x INT) ENGINE=mysql CONNECTION='mysql://app:****@db/shop/d'", "SELECT 2"}
	if strings.Join(hist, "\n") != strings.Join(want, "\n") {
		t.Errorf("loaded %q, want %q", hist, want)
	}
	b, _ := os.ReadFile(path)
	if string(b) != strings.Join(want, "\n")+"\n" {
		t.Errorf("file after loading:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode: %v %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(home); len(ents) != 1 {
		t.Errorf("files left in home: %v", ents)
	}
}
