package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyFile is the copy Local.PutFile falls back to when the local
// file is on another filesystem: the destination gets the bytes, and no
// temporary file stays beside it, also when the copy fails.
func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out", "dst")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(dst, src); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("copied %d bytes (%v), want %d", len(got), err, len(data))
	}
	// a destination that is a directory: the rename fails
	bad := filepath.Join(dir, "out", "isdir")
	if err := os.MkdirAll(filepath.Join(bad, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(bad, src); err == nil {
		t.Fatal("copy onto a non-empty directory succeeded")
	}
	ents, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Fatalf("%s holds %d entries, want dst and isdir only", filepath.Join(dir, "out"), len(ents))
	}
}
