package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// dyingStorage is a storage whose process dies after a number of
// changes: the first `left` changes happen, every later one fails (as if
// the process had been killed there). DeletePrefix deletes object by
// object, so that a death can fall in the middle of it.
type dyingStorage struct {
	storage.Storage
	mu   sync.Mutex
	left int // changes still allowed; < 0: unlimited
}

var errKilled = errors.New("killed")

func (d *dyingStorage) change() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.left == 0 {
		return errKilled
	}
	if d.left > 0 {
		d.left--
	}
	return nil
}

func (d *dyingStorage) Put(p string, data []byte) error {
	if err := d.change(); err != nil {
		return err
	}
	return d.Storage.Put(p, data)
}

func (d *dyingStorage) PutFile(p, local string) error {
	if err := d.change(); err != nil {
		return err
	}
	return d.Storage.PutFile(p, local)
}

func (d *dyingStorage) Delete(p string) error {
	if err := d.change(); err != nil {
		return err
	}
	return d.Storage.Delete(p)
}

func (d *dyingStorage) DeletePrefix(prefix string) error {
	objs, err := d.Storage.List(prefix + "/")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := d.Delete(o); err != nil {
			return err
		}
	}
	if err := d.change(); err != nil {
		return err
	}
	return d.Storage.DeletePrefix(prefix)
}

// TestRetentionCutShortNeverLeavesADamagedCheckpoint kills retention after
// every possible number of changes: the listing never shows a damaged
// checkpoint (what is half deleted is incomplete), the latest checkpoint
// restores without a warning, and the next process's first checkpoint
// deletes what is left, shared files included.
func TestRetentionCutShortNeverLeavesADamagedCheckpoint(t *testing.T) {
	for k := 0; k <= 8; k++ {
		t.Run(fmt.Sprintf("killed after %d deletions", k), func(t *testing.T) {
			f := newFixture(t, StoreOptions{NumRetained: 1})
			dying := &dyingStorage{Storage: f.st, left: -1}
			var err error
			f.store, err = NewStore(dying, "job", f.store.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.commit(1, "a.sst", "b.sst")
			t2 := f.taskFiles(2, "agg", "b.sst", "c.sst")
			dying.left = 1 + k // _metadata of checkpoint 2, then k changes of retention
			if _, err := f.store.Commit(metadataOf(2, false, t2)); err != nil {
				t.Fatal(err)
			}

			infos, err := List(f.st, ListOptions{Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range infos {
				if in.Status == Damaged {
					t.Fatalf("after a kill in retention, checkpoint %d is listed damaged: %s", in.ID, in.Detail)
				}
				if in.Status == Incomplete && in.ID == 1 && f.exists("job/chk-1/"+DiscardFile) && !strings.Contains(in.Detail, "being deleted") {
					t.Errorf("checkpoint 1, half deleted, is listed as %s: %s", in.Status, in.Detail)
				}
			}
			restart, err := NewStore(f.st, "job", StoreOptions{NumRetained: 1, Warn: f.store.opts.Warn})
			if err != nil {
				t.Fatal(err)
			}
			md, warns, err := restart.Latest()
			if err != nil || md.CheckpointID != 2 || len(warns) != 0 {
				t.Fatalf("Latest = %+v, %q, %v", md, warns, err)
			}

			// The next process's first checkpoint finishes the deletion.
			f.store = restart
			f.commit(3, "c.sst")
			// (An empty directory may stay: it holds no object, so the
			// storage, and the listing, do not see it.)
			objs, err := f.st.List("")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(objs, " "), "job/chk-3/_metadata job/chk-3/agg-0.manifest job/shared/c.sst"; got != want {
				t.Fatalf("left in storage: %s\nwant %s", got, want)
			}
			for _, w := range f.warns {
				if !strings.Contains(w, errKilled.Error()) {
					t.Errorf("unexpected warning: %s", w)
				}
			}
		})
	}
}
