package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flipBit flips one bit in the middle of the local file p.
func flipBit(t *testing.T, p string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x10
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// replaceByDirectory makes p unreadable as a file (even for root): a
// directory takes its place.
func replaceByDirectory(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestLatestSkipsCheckpointWhoseFileFailsItsChecksum: a state file of the
// right size whose bytes changed is found before the checkpoint is
// chosen, and the restore falls back to the newest intact checkpoint with
// a message naming the file; the listing shows it damaged with --verify.
func TestLatestSkipsCheckpointWhoseFileFailsItsChecksum(t *testing.T) {
	for _, c := range []struct {
		name, file, reason string
		damage             func(*testing.T, string)
		seenBySizes        bool // the listing without --verify sees it too
	}{
		{"own file bit-flipped", "job/chk-3/agg-0.manifest", "agg-0.manifest: checksum mismatch", flipBit, false},
		{"new shared file bit-flipped", "job/shared/c.sst", "job/shared/c.sst: checksum mismatch", flipBit, false},
		{"own file unreadable", "job/chk-3/agg-0.manifest", "agg-0.manifest", replaceByDirectory, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, StoreOptions{NumRetained: 5})
			f.commit(1, "a.sst")
			f.commit(2, "a.sst", "b.sst")
			f.commit(3, "b.sst", "c.sst")
			c.damage(t, filepath.Join(f.dir, filepath.FromSlash(c.file)))
			md, warns, err := f.store.Latest()
			if err != nil {
				t.Fatal(err)
			}
			loc3 := filepath.Join(f.dir, "job", "chk-3")
			want := fmt.Sprintf("checkpoint 3 (%s) is damaged: %s", loc3, c.reason)
			if md.CheckpointID != 2 || len(warns) != 1 || !strings.HasPrefix(warns[0], want) || !strings.HasSuffix(warns[0], "; using checkpoint 2 instead") {
				t.Fatalf("Latest = checkpoint %d, warnings %q; want checkpoint 2 and %q", md.CheckpointID, warns, want)
			}

			plain, err := List(f.st, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			verified, err := List(f.st, ListOptions{Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(verified) != 3 || verified[2].Status != Damaged || !strings.HasPrefix(verified[2].Detail, c.reason) ||
				!verified[1].Latest || !verified[1].Verified || verified[0].Status != Complete {
				t.Fatalf("List --verify = %+v", verified)
			}
			// Without --verify, a bit flip (same size) is not seen; a file
			// that is not a file is.
			if got := plain[2].Status; (got == Damaged) != c.seenBySizes {
				t.Fatalf("List = %+v", plain)
			}
			if out := FormatList(verified); !strings.Contains(out, "checkpoint 3 ("+loc3+"): damaged: "+c.reason) {
				t.Fatalf("FormatList:\n%s", out)
			}
		})
	}
}

// TestListSizeCountsMetadataAndEveryFile: a checkpoint whose _metadata is
// large (sink committables) is reported with that size, and the files it
// references count once each; the incremental size counts its own files
// and the shared files uploaded for it, not those it reuses.
func TestListSizeCountsMetadataAndEveryFile(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 5})
	f.commit(1, "a.sst")
	md := metadataOf(2, false, f.taskFiles(2, "agg", "a.sst", "b.sst"),
		TaskState{OperatorID: "sink", Committables: [][]byte{make([]byte, 200_000)}})
	if _, err := f.store.Commit(md); err != nil {
		t.Fatal(err)
	}
	meta, err := f.st.Size("job/chk-2/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	if meta < 200_000 {
		t.Fatalf("_metadata has %d bytes", meta)
	}
	infos, err := List(f.st, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := infos[1]
	// own file 30 B, shared a.sst (reused) and b.sst (new) 100 B each
	if in.ID != 2 || in.Size != meta+30+200 || in.IncrementalSize != meta+30+100 {
		t.Fatalf("checkpoint 2: size %d, incremental %d; want %d and %d", in.Size, in.IncrementalSize, meta+230, meta+130)
	}
}

// TestSizeCountsSinkFiles: files a sink's committables reference outside
// the checkpoint (CommittableBytes, e.g. JDBC spill files) count in the
// listed size and incremental size.
func TestSizeCountsSinkFiles(t *testing.T) {
	f := newFixture(t, StoreOptions{NumRetained: 5})
	md := metadataOf(1, false, f.taskFiles(1, "agg", "a.sst"),
		TaskState{OperatorID: "sink", Committables: [][]byte{[]byte("ref")}, CommittableBytes: 5_000_000})
	if _, err := f.store.Commit(md); err != nil {
		t.Fatal(err)
	}
	meta, err := f.st.Size("job/chk-1/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := List(f.st, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// own file 30 B, new shared a.sst 100 B, the sink's files 5 MB
	if in := infos[0]; in.Size != meta+130+5_000_000 || in.IncrementalSize != meta+130+5_000_000 {
		t.Fatalf("checkpoint 1: size %d, incremental %d; want %d for both", in.Size, in.IncrementalSize, meta+130+5_000_000)
	}
}
