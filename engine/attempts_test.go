package engine

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
)

// Each attempt records what it restored; a restart says so on standard
// error (from the beginning, or which checkpoint and where).
func TestRecordAttempt(t *testing.T) {
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j := &Job{ID: "j1"}
	var lines []string
	info := func(s string) { lines = append(lines, s) }
	j.recordAttempt(false, nil, info)
	j.recordAttempt(true, nil, info)
	first := &Job{ID: "j0"}
	first.recordAttempt(false, &checkpoint.Metadata{CheckpointID: 3, Dir: "/ck/chk-3"}, info)
	j.recordAttempt(true, &checkpoint.Metadata{CheckpointID: 7, Storage: st, Dir: "job/chk-7"}, info)
	j.recordAttempt(true, &checkpoint.Metadata{CheckpointID: 9, Savepoint: true, Dir: "/sp/savepoint-9"}, info)
	got := j.Attempts()
	want := []Attempt{
		{},
		{Restart: true},
		{Restart: true, RestoredID: 7, RestoredPath: st.Root() + "/job/chk-7"},
		{Restart: true, RestoredID: 9, RestoredSavepoint: true, RestoredPath: "/sp/savepoint-9"},
	}
	if len(got) != len(want) {
		t.Fatalf("attempts %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
	wantLines := []string{
		"job j1: attempt 2 starts from the beginning",
		"job j0: attempt 1 restores checkpoint 3 (/ck/chk-3)",
		"job j1: attempt 3 restores checkpoint 7 (" + st.Root() + "/job/chk-7)",
		"job j1: attempt 4 restores savepoint 9 (/sp/savepoint-9)",
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("lines %q", lines)
	}
	for i, w := range wantLines {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
}
