package operators

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
)

// incrRun is one operator instance of an incremental-checkpoint test, as
// checkIncrementalRestores drives it.
type incrRun struct {
	// open opens the operator anew on a new backend (newIncrementalBackend)
	// at processing time now, restored from h (nil: empty state).
	open func(h *state.Handle, now int64)
	// backend and op are the instance's current backend and operator.
	backend func() *state.HashMapBackend
	op      func() exec.Operator
	// step processes event i (at processing time 10*i) and returns the
	// output, as want holds it.
	step func(i int) []string
	// state renders the live state.
	state func() string
}

// newIncrementalBackend is the memory backend of incremental-checkpoint
// tests (key groups of one instance of 128, a full snapshot after at most
// six deltas), restored from h when it is not nil.
func newIncrementalBackend(t *testing.T, st storage.Storage, h *state.Handle) *state.HashMapBackend {
	t.Helper()
	b := state.NewHashMapBackendWith("op", 0, state.RangeFor(128, 1, 0), state.HashMapOptions{Incremental: true, MaxDeltas: 6, MaxDeltaRatio: 100})
	if h != nil {
		if err := b.Restore(st, []*state.Handle{h}); err != nil {
			t.Fatalf("restore: %v", err)
		}
	}
	return b
}

// checkIncrementalRestores feeds n events to run (opened empty), taking
// incremental checkpoints into st at random (written while the operator
// goes on; each completes, aborts, or completes after the next one) and
// failing at random: a failure restores the latest completed checkpoint
// and replays the events from there. The output of every event, first
// run or replayed, must equal want[i]; at the end the live state, and the
// state a last checkpoint restores, must equal wantState.
func checkIncrementalRestores(t *testing.T, r *rand.Rand, name string, st storage.Storage, n int, want [][]string, wantState string, run incrRun) {
	t.Helper()
	type done struct {
		id  int64
		pos int
		h   *state.Handle
	}
	var completed *done
	var pending []done
	var writing chan struct{}
	var written *state.Handle
	var writeErr error
	id := int64(0)
	inFlight := done{}
	target := func(id int64) state.SnapshotTarget {
		return state.SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", id), SharedDir: "job/shared", CheckpointID: id}
	}
	// settle waits for the snapshot being written and decides its fate:
	// complete now, abort, or complete after the next one.
	settle := func() {
		if writing == nil {
			return
		}
		<-writing
		writing = nil
		if writeErr != nil {
			t.Fatalf("%s: checkpoint %d: %v", name, inFlight.id, writeErr)
		}
		inFlight.h = written
		for _, p := range pending {
			run.backend().CheckpointComplete(p.id)
			if completed == nil || p.id > completed.id {
				c := p
				completed = &c
			}
		}
		pending = pending[:0]
		switch x := r.Intn(10); {
		case x < 6:
			run.backend().CheckpointComplete(inFlight.id)
			c := inFlight
			completed = &c
		case x < 8: // aborted
		default:
			pending = append(pending, inFlight)
		}
	}
	run.open(nil, 0)
	for i := 0; i < n; {
		switch x := r.Intn(60); {
		case x < 3:
			settle()
			id++
			if err := run.op().SnapshotState(id); err != nil {
				t.Fatal(err)
			}
			finish, err := run.backend().SnapshotAsync(target(id))
			if err != nil {
				t.Fatalf("%s: checkpoint %d: %v", name, id, err)
			}
			inFlight = done{id: id, pos: i}
			writing = make(chan struct{})
			go func(finish func() (*state.Handle, error), ch chan struct{}) {
				written, writeErr = finish()
				close(ch)
			}(finish, writing)
		case x == 3 && completed != nil:
			settle()
			pending = pending[:0]
			run.op().Close()
			// processing time as it was at the checkpoint (a TTL's clock
			// never runs backwards)
			run.open(completed.h, int64(10*completed.pos))
			for k := completed.pos; k < i; k++ {
				if got := run.step(k); !slices.Equal(got, want[k]) {
					t.Fatalf("%s: restored from checkpoint %d (event %d), replayed event %d: output\n%s\nwant\n%s", name, completed.id, completed.pos, k, strings.Join(got, "\n"), strings.Join(want[k], "\n"))
				}
			}
		}
		if got := run.step(i); !slices.Equal(got, want[i]) {
			t.Fatalf("%s: event %d: output\n%s\nwant\n%s", name, i, strings.Join(got, "\n"), strings.Join(want[i], "\n"))
		}
		i++
	}
	settle()
	if got := run.state(); got != wantState {
		t.Fatalf("%s: state\n%s\nwant\n%s", name, got, wantState)
	}
	// the state a last checkpoint restores is the live one
	id++
	run.op().SnapshotState(id)
	h, err := run.backend().Snapshot(target(id))
	if err != nil {
		t.Fatal(err)
	}
	run.open(h, int64(10*(n-1)))
	if got := run.state(); got != wantState {
		t.Fatalf("%s: state restored from the last checkpoint\n%s\nwant\n%s", name, got, wantState)
	}
}

// changelogFilesOf counts the shared files in st that are changelog
// segments of exactly version v (deltas with appends: 2, with patches: 3).
func changelogFilesOf(t *testing.T, st storage.Storage, v uint16) int {
	t.Helper()
	files, err := st.List("job/shared")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range files {
		data, err := st.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, got, err := storage.Open(p, data, storage.KindChangelog, v); err == nil && got == v {
			n++
		}
	}
	return n
}
