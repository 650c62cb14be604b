package checkpoint

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// listFixture builds a checkpoints root with jobs wc and other, and a
// savepoints root, in the states List reports.
func listFixture(t *testing.T) (ckRoot, spRoot string) {
	ckRoot, spRoot = t.TempDir(), t.TempDir()
	ck, _ := storage.NewLocal(ckRoot)
	sp, _ := storage.NewLocal(spRoot)
	for _, job := range []string{"wc", "other"} {
		f := &fixture{t: t, dir: ckRoot, st: ck}
		var err error
		if f.store, err = NewStore(ck, job, StoreOptions{NumRetained: 5, Savepoints: sp}); err != nil {
			t.Fatal(err)
		}
		commit := func(id int64, shared ...string) {
			md := metadataOf(id, false, f.taskFiles(id, "agg", shared...))
			md.JobID = job
			md.IncrementalSize = 10
			if _, err := f.store.Commit(md); err != nil {
				t.Fatal(err)
			}
		}
		commit(1, "a.sst")
		if job == "other" {
			continue
		}
		commit(2, "a.sst", "b.sst")
		commit(3, "b.sst", "c.sst")
		f.taskFiles(5, "agg") // in progress
		// A savepoint, and one cut short.
		tgt, _ := f.store.SnapshotTarget(4, true)
		h := &state.Handle{Files: []state.FileRef{put(t, sp, tgt.Dir+"/agg-0.state", 3000, false)}, Size: 3000, IncrementalSize: 3000}
		md := metadataOf(4, true, TaskState{OperatorID: "agg", Keyed: h})
		md.JobID, md.Size, md.IncrementalSize = job, 3000, 3000
		if _, err := f.store.Commit(md); err != nil {
			t.Fatal(err)
		}
		tgt, _ = f.store.SnapshotTarget(6, true)
		put(t, sp, tgt.Dir+"/agg-0.state", 1, false)
	}
	// Damage: wc's checkpoint 2 loses a shared file only it uses... b is
	// also used by 3, so both are damaged.
	if err := os.Remove(filepath.Join(ckRoot, "wc/shared/b.sst")); err != nil {
		t.Fatal(err)
	}
	return ckRoot, spRoot
}

var randomSuffix = regexp.MustCompile(`(savepoint-wc-[0-9]+-)[0-9a-f]{12}`)

func TestListAndFormat(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC
	ckRoot, spRoot := listFixture(t)
	ck, _ := storage.NewLocal(ckRoot)
	sp, _ := storage.NewLocal(spRoot)
	var out strings.Builder
	for _, c := range []struct {
		title string
		st    storage.Storage
		job   string
	}{
		{"checkpoints root", ck, ""},
		{"checkpoints root, job other", ck, "other"},
		{"savepoints root", sp, ""},
	} {
		infos, err := List(c.st, ListOptions{Job: c.job})
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("# " + c.title + "\n" + FormatList(infos) + "\n")
	}
	empty, _ := storage.NewLocal(t.TempDir())
	infos, _ := List(empty, ListOptions{})
	out.WriteString("# empty\n" + FormatList(infos))
	got := strings.NewReplacer(ckRoot, "CHECKPOINTS", spRoot, "SAVEPOINTS").Replace(out.String())
	got = randomSuffix.ReplaceAllString(got, "${1}RANDOM")

	const golden = "testdata/list.txt"
	if *rewrite {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if got != string(want) {
		t.Errorf("FormatList output differs from %s (run with -rewrite to accept):\n%s", golden, got)
	}
}

func TestListInsideOneJobOrCheckpoint(t *testing.T) {
	ckRoot, _ := listFixture(t)
	// Rooted at a job directory: shared files resolve.
	job, _ := storage.NewLocal(filepath.Join(ckRoot, "wc"))
	infos, err := List(job, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range infos {
		got = append(got, in.Job+" "+in.Dir+" "+in.Status.String())
	}
	want := []string{"wc chk-1 complete", "wc chk-2 damaged", "wc chk-3 damaged", "wc chk-5 incomplete"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("List(job dir):\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !infos[0].Latest || infos[1].Detail != "shared/b.sst is missing" {
		t.Fatalf("infos %+v", infos)
	}
	// Rooted at one checkpoint: its shared files cannot be checked.
	one, _ := storage.NewLocal(filepath.Join(ckRoot, "wc", "chk-1"))
	infos, err = List(one, ListOptions{})
	if err != nil || len(infos) != 1 {
		t.Fatalf("List(chk dir) = %+v, %v", infos, err)
	}
	in := infos[0]
	if in.Job != "wc" || in.ID != 1 || in.Status != Complete || !strings.Contains(in.Detail, "not checked") {
		t.Fatalf("List(chk dir) = %+v", in)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
