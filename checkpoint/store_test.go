package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// fixture is a job's checkpoint storage in a temporary directory.
type fixture struct {
	t     *testing.T
	dir   string
	st    *storage.Local
	store *Store
	warns []string
}

func newFixture(t *testing.T, opts StoreOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	var err error
	if f.st, err = storage.NewLocal(f.dir); err != nil {
		t.Fatal(err)
	}
	opts.Warn = func(m string) { f.warns = append(f.warns, m) }
	if f.store, err = NewStore(f.st, "job", opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// put writes a file of n bytes at p in st and returns its reference: an
// intact state file (a KindState envelope) when n leaves room for one,
// else n bytes of nothing in particular.
func put(t *testing.T, st storage.Storage, p string, n int, shared bool) state.FileRef {
	t.Helper()
	data := bytes.Repeat([]byte{'x'}, n)
	if empty := len(storage.Seal(storage.KindState, 1, nil)); n >= empty {
		data = storage.Seal(storage.KindState, 1, data[:n-empty])
	}
	if err := st.Put(p, data); err != nil {
		t.Fatal(err)
	}
	return state.FileRef{Path: p, Size: int64(n), Shared: shared}
}

// taskFiles writes what one task of checkpoint id writes: a private file
// in the checkpoint directory and the shared files named (reused ones
// already exist and are not rewritten).
func (f *fixture) taskFiles(id int64, op string, shared ...string) TaskState {
	tgt, err := f.store.SnapshotTarget(id, false)
	if err != nil {
		f.t.Fatal(err)
	}
	h := &state.Handle{OperatorID: op, Backend: "hashmap", Format: state.FormatFull}
	h.Files = append(h.Files, put(f.t, tgt.Storage, path.Join(tgt.Dir, op+"-0.manifest"), 30, false))
	for _, s := range shared {
		p := path.Join(tgt.SharedDir, s)
		if _, err := tgt.Storage.Size(p); err != nil {
			put(f.t, tgt.Storage, p, 100, true)
			h.IncrementalSize += 100
		}
		h.Files = append(h.Files, state.FileRef{Path: p, Size: 100, Shared: true})
		h.Size += 100
	}
	h.Size += 30
	h.IncrementalSize += 30
	return TaskState{OperatorID: op, Keyed: h, Splits: []SplitState{{SplitID: "p0", Position: []byte(fmt.Sprint(id))}}}
}

func metadataOf(id int64, savepoint bool, tasks ...TaskState) *Metadata {
	md := &Metadata{JobID: "job", CheckpointID: id, Savepoint: savepoint, MaxParallelism: 128,
		TriggeredAt: 1_700_000_000_000 + id*1000, CompletedAt: 1_700_000_000_000 + id*1000 + 250}
	for _, t := range tasks {
		md.Operators = append(md.Operators, OperatorState{ID: t.OperatorID, Parallelism: 1, Tasks: []TaskState{t}})
		if t.Keyed != nil {
			md.Size += t.Keyed.Size
		}
	}
	return md
}

// commit writes checkpoint id with one task referencing shared files.
func (f *fixture) commit(id int64, shared ...string) *Metadata {
	f.t.Helper()
	md := metadataOf(id, false, f.taskFiles(id, "agg", shared...))
	if _, err := f.store.Commit(md); err != nil {
		f.t.Fatal(err)
	}
	return md
}

func (f *fixture) exists(p string) bool {
	_, err := os.Stat(filepath.Join(f.dir, filepath.FromSlash(p)))
	return err == nil
}

func (f *fixture) checkExist(want map[string]bool) {
	f.t.Helper()
	for p, w := range want {
		if got := f.exists(p); got != w {
			f.t.Errorf("%s exists = %v, want %v", p, got, w)
		}
	}
}

// sameMetadata reports whether loaded, found in st at dir, is want.
func sameMetadata(loaded *Metadata, st storage.Storage, dir string, want *Metadata) bool {
	if loaded == nil || loaded.Storage != st || loaded.Dir != dir {
		return false
	}
	c := *loaded
	c.Storage, c.Dir = nil, ""
	return reflect.DeepEqual(&c, want)
}

func TestCommitLatestRoundTrip(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 2})
	if md, warns, err := f.store.Latest(); md != nil || warns != nil || err != nil {
		t.Fatalf("empty store: Latest = %v, %v, %v", md, warns, err)
	}
	f.commit(1, "a.sst")
	want := f.commit(2, "a.sst", "b.sst")
	got, warns, err := f.store.Latest()
	if err != nil || len(warns) != 0 {
		t.Fatalf("Latest: %v %v", warns, err)
	}
	if !sameMetadata(got, f.st, "job/chk-2", want) {
		t.Fatalf("Latest:\n got %+v\nwant %+v", got, want)
	}
	// Stored paths are relative to the checkpoint directory.
	payload, err := storage.Read(f.st, "job/chk-2/_metadata", storage.KindMetadata, MetadataVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"agg-0.manifest"`, `"../shared/b.sst"`} {
		if !strings.Contains(string(payload), s) {
			t.Errorf("stored metadata lacks %s: %s", s, payload)
		}
	}
	if strings.Contains(string(payload), "job/chk-2") {
		t.Errorf("stored metadata has root-relative paths: %s", payload)
	}
	if loaded, err := f.store.Load("job/chk-2/_metadata"); err != nil || !sameMetadata(loaded, f.st, "job/chk-2", want) {
		t.Fatalf("Load(_metadata) = %+v, %v", loaded, err)
	}
	// A filesystem path inside the checkpoint directory reads from the
	// checkpoint storage.
	if loaded, err := f.store.Load(filepath.Join(f.dir, "job", "chk-2")); err != nil || !sameMetadata(loaded, f.st, "job/chk-2", want) {
		t.Fatalf("Load(filesystem path) = %+v, %v", loaded, err)
	}
	if loaded, err := f.store.Load("job/chk-1"); err != nil || loaded.CheckpointID != 1 {
		t.Fatalf("Load(dir) = %+v, %v", loaded, err)
	}
	var ie *IncompleteError
	if _, err := f.store.Load("job/chk-9"); !errors.As(err, &ie) {
		t.Fatalf("Load(missing) = %v, want IncompleteError", err)
	}
	// A checkpoint directory of another run is found by path on disk.
	st, md, err := LoadLocal(filepath.Join(f.dir, "job", "chk-2"))
	if err != nil {
		t.Fatal(err)
	}
	if md.Operators[0].Tasks[0].Keyed.Files[2].Path != "shared/b.sst" || st.Root() != filepath.Join(f.dir, "job") {
		t.Fatalf("LoadLocal: root %s, files %+v", st.Root(), md.Operators[0].Tasks[0].Keyed.Files)
	}
	if _, err := f.store.Commit(&Metadata{JobID: "other", CheckpointID: 3}); err == nil {
		t.Fatal("Commit of another job's metadata succeeded")
	}
}

func TestCommitRefusesMissingFiles(t *testing.T) {
	f := newFixture(t, StoreOptions{})
	md := f.commit(1, "a.sst")
	md2 := metadataOf(2, false, f.taskFiles(2, "agg"))
	md2.Operators[0].Tasks[0].Keyed.Files = append(md2.Operators[0].Tasks[0].Keyed.Files,
		state.FileRef{Path: "job/shared/gone.sst", Size: 100, Shared: true})
	_, err := f.store.Commit(md2)
	var de *DamagedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "job/shared/gone.sst is missing") {
		t.Fatalf("Commit = %v, want a missing file error", err)
	}
	if f.exists("job/chk-2/_metadata") {
		t.Fatal("_metadata written for an incomplete checkpoint")
	}
	if got, _, _ := f.store.Latest(); got.CheckpointID != md.CheckpointID {
		t.Fatalf("Latest = %d", got.CheckpointID)
	}
}

func TestRetentionAndSharedFiles(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 2})
	put(t, f.st, "job/shared/orphan.sst", 5, true) // never referenced: never a candidate
	f.commit(1, "a.sst", "b.sst")
	f.commit(2, "b.sst", "c.sst")
	// A checkpoint aborted without Discard leaves a partial directory.
	f.taskFiles(3, "agg", "x.sst")
	f.store.inflight = map[int64]int64{} // as after a restart
	f.commit(4, "c.sst", "d.sst")
	f.checkExist(map[string]bool{
		"job/chk-1": false, "job/shared/a.sst": false, // only chk-1 used a
		"job/shared/b.sst":    true, // chk-2, kept, uses b
		"job/chk-2/_metadata": true, "job/shared/c.sst": true,
		"job/chk-3": false, "job/shared/x.sst": true, // partial: its directory only
		"job/chk-4/_metadata": true, "job/shared/d.sst": true,
		"job/shared/orphan.sst": true,
	})
	// A new process: retention reads what old checkpoints reference from
	// their metadata.
	f.store, _ = NewStore(f.st, "job", StoreOptions{NumRetained: 2, Warn: f.store.opts.Warn})
	f.commit(5, "d.sst", "e.sst")
	f.checkExist(map[string]bool{"job/chk-2": false, "job/shared/b.sst": false, "job/shared/c.sst": true})
	// A checkpoint in flight (its directory is partial) survives.
	f.taskFiles(7, "agg", "f.sst")
	f.commit(6, "e.sst")
	f.checkExist(map[string]bool{
		"job/chk-4": false, "job/shared/c.sst": false,
		"job/shared/d.sst":    true, // chk-5 uses d
		"job/chk-5/_metadata": true, "job/chk-6/_metadata": true, "job/shared/e.sst": true,
		"job/chk-7/agg-0.manifest": true, "job/shared/f.sst": true,
	})
	if len(f.warns) != 0 {
		t.Fatalf("warnings: %v", f.warns)
	}
	if last, err := f.store.LastID(); err != nil || last != 7 {
		t.Fatalf("LastID = %d, %v", last, err)
	}
}

func TestRetentionKeepsBaseOfCheckpointsInFlight(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 1})
	f.commit(1, "x.sst")
	// 2 and 3 are triggered while 1 is the latest: their tasks may
	// reference 1's files.
	t2 := f.taskFiles(2, "agg", "y.sst")
	t3 := f.taskFiles(3, "agg", "x.sst")
	if _, err := f.store.Commit(metadataOf(2, false, t2)); err != nil {
		t.Fatal(err)
	}
	f.checkExist(map[string]bool{"job/chk-1/_metadata": true, "job/shared/x.sst": true})
	if _, err := f.store.Commit(metadataOf(3, false, t3)); err != nil {
		t.Fatal(err)
	}
	f.checkExist(map[string]bool{
		"job/chk-1": false, "job/chk-2": false, "job/shared/y.sst": false,
		"job/chk-3/_metadata": true, "job/shared/x.sst": true,
	})
}

func TestLatestSkipsDamagedCheckpoints(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 5})
	f.commit(1, "a.sst")
	f.commit(2, "b.sst")
	f.commit(3, "c.sst")
	f.commit(4, "d.sst")
	f.taskFiles(5, "agg") // partial: no _metadata
	loc := func(id int) string { return filepath.Join(f.dir, fmt.Sprintf("job/chk-%d", id)) }

	latest := func(wantID int64, want ...string) {
		t.Helper()
		md, warns, err := f.store.Latest()
		if err != nil {
			t.Fatal(err)
		}
		if md.CheckpointID != wantID || strings.Join(warns, "\n") != strings.Join(want, "\n") {
			t.Fatalf("Latest = %d with\n%s\nwant %d with\n%s", md.CheckpointID, strings.Join(warns, "\n"), wantID, strings.Join(want, "\n"))
		}
	}
	incomplete5 := "checkpoint 5 (" + loc(5) + ") is incomplete: it has no _metadata"
	latest(4, incomplete5+"; using checkpoint 4 instead")

	// A truncated state file.
	if err := os.Truncate(filepath.Join(loc(4), "agg-0.manifest"), 3); err != nil {
		t.Fatal(err)
	}
	damaged4 := "checkpoint 4 (" + loc(4) + ") is damaged: agg-0.manifest has 3 bytes, 30 recorded"
	latest(3, incomplete5+"; using checkpoint 3 instead", damaged4+"; using checkpoint 3 instead")

	// Corrupt bytes in _metadata.
	mp := filepath.Join(loc(3), "_metadata")
	data, _ := os.ReadFile(mp)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(mp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	damaged3 := "checkpoint 3 (" + loc(3) + ") is damaged: _metadata: checksum mismatch"
	latest(2, incomplete5+"; using checkpoint 2 instead", damaged4+"; using checkpoint 2 instead", damaged3+"; using checkpoint 2 instead")

	// A deleted shared file.
	if err := os.Remove(filepath.Join(f.dir, "job/shared/b.sst")); err != nil {
		t.Fatal(err)
	}
	damaged2 := "checkpoint 2 (" + loc(2) + ") is damaged: job/shared/b.sst is missing"
	latest(1, incomplete5+"; using checkpoint 1 instead", damaged4+"; using checkpoint 1 instead",
		damaged3+"; using checkpoint 1 instead", damaged2+"; using checkpoint 1 instead")

	// Nothing intact: an error, not a silent fresh start.
	if err := os.Remove(filepath.Join(loc(1), "_metadata")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loc(1), "_metadata"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	md, warns, err := f.store.Latest()
	if md != nil || err == nil || len(warns) != 5 || !strings.Contains(err.Error(), "no intact checkpoint of job job") ||
		!strings.Contains(err.Error(), "checkpoint 1 ("+loc(1)+") is damaged: _metadata: truncated (7 bytes)") {
		t.Fatalf("Latest = %v, %q, %v", md, warns, err)
	}
	var de *DamagedError
	if _, err := f.store.Load("job/chk-4"); !errors.As(err, &de) {
		t.Fatalf("Load(damaged) = %v", err)
	}
}

func TestSavepoints(t *testing.T) {
	f := newFixture(t, StoreOptions{})
	if _, err := f.store.SnapshotTarget(1, true); err == nil || !strings.Contains(err.Error(), "state.savepoints.dir") {
		t.Fatalf("savepoint without a savepoint directory: %v", err)
	}
	spDir := t.TempDir()
	sp, _ := storage.NewLocal(spDir)
	f = newFixture(t, StoreOptions{Savepoints: sp})
	f.commit(6, "a.sst")
	tgt, err := f.store.SnapshotTarget(7, true)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.store.SnapshotTarget(7, true)
	if !tgt.Savepoint || tgt.SharedDir != "" || tgt.Storage != sp || again.Dir != tgt.Dir ||
		!savepointDirRE.MatchString(tgt.Dir) || !strings.HasPrefix(tgt.Dir, "savepoint-job-7-") {
		t.Fatalf("savepoint target %+v", tgt)
	}
	h := &state.Handle{OperatorID: "agg", Format: state.FormatFull, Size: 42}
	h.Files = []state.FileRef{put(t, sp, tgt.Dir+"/agg-0.state", 42, false)}
	md := metadataOf(7, true, TaskState{OperatorID: "agg", Keyed: h})
	// A savepoint referencing a shared file is refused.
	bad := metadataOf(7, true, TaskState{OperatorID: "agg", Keyed: &state.Handle{Files: []state.FileRef{put(t, sp, "elsewhere.sst", 1, true)}}})
	if _, err := f.store.Commit(bad); err == nil || !strings.Contains(err.Error(), "self-contained") {
		t.Fatalf("Commit of a savepoint with outside files: %v", err)
	}
	loc, err := f.store.Commit(md)
	if err != nil {
		t.Fatal(err)
	}
	if loc != filepath.Join(spDir, tgt.Dir) {
		t.Fatalf("location %s", loc)
	}
	if last, _ := f.store.LastID(); last != 7 {
		t.Fatalf("LastID = %d, want 7 (the savepoint)", last)
	}
	if got, err := Load(sp, tgt.Dir); err != nil || !sameMetadata(got, sp, tgt.Dir, md) {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if got, err := f.store.Load(loc); err != nil || !sameMetadata(got, sp, tgt.Dir, md) {
		t.Fatalf("Store.Load(savepoint path) = %+v, %v", got, err)
	}
	// Savepoints are never touched by retention or DeleteAll.
	f.commit(8)
	f.commit(9)
	if err := f.store.DeleteAll(); err != nil {
		t.Fatal(err)
	}
	if f.exists("job") {
		t.Fatal("DeleteAll left the job directory")
	}
	// The savepoint directory can be moved.
	moved := filepath.Join(t.TempDir(), "kept", "my-savepoint")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(loc, moved); err != nil {
		t.Fatal(err)
	}
	st, got, err := LoadLocal(filepath.Join(moved, "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Operators[0].Tasks[0].Keyed.Files[0].Path; p != "my-savepoint/agg-0.state" || got.Storage != st || got.Dir != "my-savepoint" {
		t.Fatalf("moved savepoint: file path %s, dir %s", p, got.Dir)
	}
	if got, err := f.store.Load(moved); err != nil || got.Storage.Root() != filepath.Dir(moved) {
		t.Fatalf("Store.Load(moved savepoint) = %+v, %v", got, err)
	}
	if data, err := st.Get(got.Operators[0].Tasks[0].Keyed.Files[0].Path); err != nil || len(data) != 42 {
		t.Fatalf("reading the moved savepoint's state: %v", err)
	}
	if _, _, err := LoadLocal(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Fatal("LoadLocal of a missing path succeeded")
	}
}

func TestDiscard(t *testing.T) {
	sp, _ := storage.NewLocal(t.TempDir())
	f := newFixture(t, StoreOptions{Savepoints: sp})
	f.commit(1, "reused.sst")
	acked := f.taskFiles(2, "agg", "reused.sst", "new.sst")
	if err := f.store.Discard(2, acked); err != nil {
		t.Fatal(err)
	}
	f.checkExist(map[string]bool{
		"job/chk-2": false, "job/shared/new.sst": false,
		"job/shared/reused.sst": true, "job/chk-1/_metadata": true,
	})
	// A committed checkpoint is never discarded.
	if err := f.store.Discard(1); err != nil || !f.exists("job/chk-1/_metadata") {
		t.Fatalf("Discard(complete) = %v", err)
	}
	tgt, _ := f.store.SnapshotTarget(3, true)
	put(t, sp, tgt.Dir+"/agg-0.state", 1, false)
	if err := f.store.Discard(3); err != nil {
		t.Fatal(err)
	}
	if objs, _ := sp.List(""); len(objs) != 0 {
		t.Fatalf("savepoint files left: %v", objs)
	}
}

func TestNewStoreRejectsBadJobIDs(t *testing.T) {
	st, _ := storage.NewLocal(t.TempDir())
	for _, job := range []string{"", ".", "..", "a/b"} {
		if _, err := NewStore(st, job, StoreOptions{}); err == nil {
			t.Errorf("NewStore(%q) succeeded", job)
		}
	}
}

// TestCoordinatorAndStore runs the protocol end to end: the metadata the
// coordinator builds is what Latest restores.
func TestCoordinatorAndStore(t *testing.T) {
	f := newFixture(t, StoreOptions{})
	tasks := []TaskID{{"src", 0}, {"agg", 0}, {"agg", 1}}
	c := NewCoordinator(Config{JobID: "job", JobName: "wc", MaxParallelism: 128, Interval: time.Second,
		OperatorNames: map[string]string{"agg": "WindowAggregate"}}, tasks, 0, epoch)
	acts := c.Tick(epoch.Add(time.Second))
	if len(acts) != 1 {
		t.Fatalf("actions %v", acts)
	}
	trig := acts[0].(Trigger)
	for _, task := range tasks {
		st := f.taskFiles(trig.ID, task.OperatorID, "s.sst")
		st.Instance = task.Instance
		acts = c.Ack(trig.ID, st, epoch.Add(1500*time.Millisecond))
	}
	md := acts[0].(Persist).Metadata
	if _, err := f.store.Commit(md); err != nil {
		t.Fatal(err)
	}
	if acts = c.Stored(trig.ID, nil, epoch.Add(1600*time.Millisecond)); acts[0] != (NotifyComplete{ID: 1}) {
		t.Fatalf("actions %v", acts)
	}
	got, _, err := f.store.Latest()
	if err != nil || !sameMetadata(got, f.st, "job/chk-1", md) {
		t.Fatalf("Latest = %+v, %v\nwant %+v", got, err, md)
	}
	if got.JobName != "wc" || got.Operators[0].Name != "WindowAggregate" || got.Operators[0].Parallelism != 2 ||
		got.Size != 3*130 || got.TriggeredAt != epoch.Add(time.Second).UnixMilli() {
		t.Fatalf("metadata %+v", got)
	}
}

// A kept checkpoint (Keep: others restore from it) survives retention,
// with the shared files it references; the others go as usual.
func TestKeptCheckpointSurvivesRetention(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 1})
	f.commit(1, "a.sst")
	f.store.Keep(1)
	f.commit(2, "b.sst")
	f.commit(3, "c.sst")
	if !f.exists("job/chk-1/_metadata") || !f.exists("job/shared/a.sst") {
		t.Error("the kept checkpoint 1 was dropped")
	}
	if f.exists("job/chk-2/_metadata") || f.exists("job/shared/b.sst") {
		t.Error("checkpoint 2 was retained beyond state.checkpoints.num-retained")
	}
	if got, _, _ := f.store.Latest(); got == nil || got.CheckpointID != 3 {
		t.Fatalf("Latest = %v", got)
	}
}

// heldUntil is a StoreOptions.Held that holds the job for its first n
// questions and then reports it lost.
func heldUntil(n *int) func() error {
	return func() error {
		if *n <= 0 {
			return errors.New("server s2 took job j over (epoch 3)")
		}
		*n--
		return nil
	}
}

// TestCommitOfAWriterThatLostTheJob: a checkpoint is written only while
// its writer holds the job, asked right before the metadata is written.
// A cluster owner frozen between that question and the write resumes
// after another server took the job over and chose the checkpoint to
// restore (here 1, where the frozen owner started). Its late checkpoint
// is written but not reported complete (ErrHeldBack: no sink commits),
// and retention deletes nothing: the new owner is reading checkpoint 1.
func TestCommitOfAWriterThatLostTheJob(t *testing.T) {
	left := 2 // checkpoint 1: before and after its write
	f := newFixture(t, StoreOptions{NumRetained: 1, Held: heldUntil(&left)})
	f.commit(1, "a.sst")
	// Lost before the write: nothing is written.
	_, err := f.store.Commit(metadataOf(2, false, f.taskFiles(2, "agg", "b.sst")))
	if !errors.Is(err, ErrHeldBack) || !strings.Contains(err.Error(), "took job j over") {
		t.Fatalf("Commit = %v, want ErrHeldBack naming the new owner", err)
	}
	if f.exists("job/chk-2/_metadata") {
		t.Fatal("checkpoint 2 was written without the lease")
	}
	// Lost between the question and the write.
	left = 1
	_, err = f.store.Commit(metadataOf(3, false, f.taskFiles(3, "agg", "c.sst")))
	if !errors.Is(err, ErrHeldBack) || !strings.Contains(err.Error(), "took job j over") {
		t.Fatalf("Commit = %v, want ErrHeldBack naming the new owner", err)
	}
	f.checkExist(map[string]bool{
		"job/chk-1/_metadata": true, "job/chk-1/agg-0.manifest": true, "job/shared/a.sst": true,
		"job/chk-3/_metadata": true, // written: the new owner may have read it
	})
	// The coordinator aborts it: a checkpoint with _metadata is left alone.
	if err := f.store.Discard(3); err != nil {
		t.Fatal(err)
	}
	if !f.exists("job/chk-3/_metadata") || !f.exists("job/shared/c.sst") {
		t.Error("Discard removed the written checkpoint 3")
	}
	// Not counted as committed: a later checkpoint of the same store, once
	// it holds the job again, builds on checkpoint 1.
	if tgt, err := f.store.SnapshotTarget(4, false); err != nil || tgt.Committed != 1 {
		t.Fatalf("SnapshotTarget(4) = %+v, %v: want Committed 1", tgt, err)
	}
}

// TestCommitOfAWriterThatLostTheJobAndItsFiles: the new owner of a job
// removes what an unfinished checkpoint left in the job's directory; the
// old owner, cut off, finds its checkpoint's files gone. That is a
// checkpoint held back (the lease is asked first), not a failed one that
// would count towards failing the job.
func TestCommitOfAWriterThatLostTheJobAndItsFiles(t *testing.T) {
	left := 2
	f := newFixture(t, StoreOptions{NumRetained: 1, Held: heldUntil(&left)})
	f.commit(1, "a.sst")
	md := metadataOf(2, false, f.taskFiles(2, "agg", "b.sst"))
	if err := os.RemoveAll(filepath.Join(f.dir, "job", "chk-2")); err != nil {
		t.Fatal(err)
	}
	_, err := f.store.Commit(md)
	if !errors.Is(err, ErrHeldBack) || !strings.Contains(err.Error(), "took job j over") {
		t.Fatalf("Commit = %v, want ErrHeldBack naming the new owner", err)
	}
}

// TestRetentionStopsWhenTheWriterLosesTheJob: the lease is asked before
// each checkpoint retention deletes; once it fails nothing more goes.
func TestRetentionStopsWhenTheWriterLosesTheJob(t *testing.T) {
	left := 4 // checkpoints 1 and 2, before and after their writes
	f := newFixture(t, StoreOptions{NumRetained: 1, Held: heldUntil(&left)})
	f.store.Keep(1)
	f.commit(1, "a.sst")
	f.store.Keep(2)
	f.commit(2, "b.sst") // 1 kept
	f.store.kept = nil
	left = 3 // checkpoint 3 before and after its write, and the first drop
	if _, err := f.store.Commit(metadataOf(3, false, f.taskFiles(3, "agg", "c.sst"))); err != nil {
		t.Fatal(err)
	}
	// Retention (newest first) dropped checkpoint 2 and was refused
	// before checkpoint 1.
	f.checkExist(map[string]bool{"job/chk-2/_metadata": false, "job/shared/b.sst": false,
		"job/chk-1/_metadata": true, "job/chk-3/_metadata": true, "job/shared/a.sst": true})
	if len(f.warns) != 1 || !strings.Contains(f.warns[0], "retention stopped: server s2 took job j over") {
		t.Fatalf("warnings = %q", f.warns)
	}
}
