package checkpoint

import (
	"errors"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// metadataSeeds returns _metadata files as Commit writes them: a
// checkpoint with keyed state (own and shared files), source splits, sink
// committables and recorded channels, and a savepoint.
func metadataSeeds(t testing.TB) [][]byte {
	st := storage.NewMemory()
	store, err := NewStore(st, "job", StoreOptions{Savepoints: st})
	if err != nil {
		t.Fatal(err)
	}
	put := func(p string, n int) state.FileRef {
		data := storage.Seal(storage.KindState, 1, make([]byte, n))
		if err := st.Put(p, data); err != nil {
			t.Fatal(err)
		}
		return state.FileRef{Path: p, Size: int64(len(data))}
	}
	own := put("job/chk-1/agg-0.state", 40)
	shared := put("job/shared/agg-0-1.changelog", 10)
	shared.Shared = true
	channel := storage.Seal(storage.KindChannel, 1, []byte("rows"))
	if err := st.Put("job/chk-1/agg-0-ch0.channel", channel); err != nil {
		t.Fatal(err)
	}
	ck := metadataOf(1, false,
		TaskState{OperatorID: "agg", Keyed: &state.Handle{OperatorID: "agg", KeyGroups: state.KeyGroupRange{Start: 0, End: 128},
			Backend: "hashmap", Format: state.FormatFull, Files: []state.FileRef{own}, Changelog: []state.FileRef{shared},
			Size: own.Size + shared.Size, IncrementalSize: own.Size + shared.Size},
			Channels: []ChannelState{{Input: 0, Path: "job/chk-1/agg-0-ch0.channel", Rows: 1, Size: int64(len(channel)), KeyCols: []int{0}}}},
		TaskState{OperatorID: "src", Splits: []SplitState{{SplitID: "part-0.csv", Position: []byte("1234"), Watermark: 99}}},
		TaskState{OperatorID: "sink", Committables: [][]byte{[]byte(`{"txn":"x"}`)}})
	if _, err := store.Commit(ck); err != nil {
		t.Fatal(err)
	}
	tgt, err := store.SnapshotTarget(2, true)
	if err != nil {
		t.Fatal(err)
	}
	sp := metadataOf(2, true, TaskState{OperatorID: "agg", Keyed: &state.Handle{Format: state.FormatFull,
		Files: []state.FileRef{put(tgt.Dir+"/agg-0.state", 5)}}})
	if _, err := store.Commit(sp); err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	for _, p := range []string{"job/chk-1/" + MetadataFile, tgt.Dir + "/" + MetadataFile} {
		data, err := st.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

// FuzzCheckpointMetadata feeds damaged bytes to the reader of _metadata
// and to what a restore does with it (Load: read, check every referenced
// file's size, then its contents): as the whole stored file, and as the
// payload of an intact envelope (what a writer bug or a crafted file
// would produce). Seeds are files Commit wrote. No input may panic; a
// file whose envelope is damaged must be refused with a *DamagedError
// naming _metadata.
func FuzzCheckpointMetadata(f *testing.F) {
	for _, s := range metadataSeeds(f) {
		f.Add(s, false)
		payload, _, err := storage.Open("seed", s, storage.KindMetadata, MetadataVersion)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload, true)
		f.Add(s[:len(s)/2], false)
	}
	f.Fuzz(func(t *testing.T, data []byte, sealPayload bool) {
		if sealPayload {
			data = storage.Seal(storage.KindMetadata, MetadataVersion, data)
		}
		st := storage.NewMemory()
		const dir = "job/chk-1"
		if err := st.Put(dir+"/"+MetadataFile, data); err != nil {
			t.Fatal(err)
		}
		// The files the seeds reference, intact, so that a restore gets
		// as far as checking them.
		for _, p := range []string{dir + "/agg-0.state", "job/shared/agg-0-1.changelog"} {
			st.Put(p, storage.Seal(storage.KindState, 1, make([]byte, 40)))
		}
		_, _, openErr := storage.Open(MetadataFile, data, storage.KindMetadata, MetadataVersion)
		md, err := Load(st, dir)
		var de *DamagedError
		if openErr != nil && (!errors.As(err, &de) || de.Dir != dir || len(de.Reason) < len(MetadataFile) || de.Reason[:len(MetadataFile)] != MetadataFile) {
			t.Fatalf("Load of a damaged _metadata (%v) gave %v, want a *DamagedError naming %s", openErr, err, MetadataFile)
		}
		if err == nil && (md == nil || md.Storage != st || md.Dir != dir) {
			t.Fatalf("Load succeeded with %+v", md)
		}
		infos, err := List(st, ListOptions{Verify: true})
		if err != nil || len(infos) != 1 {
			t.Fatalf("List = %+v, %v", infos, err)
		}
		if openErr != nil && infos[0].Status != Damaged {
			t.Fatalf("List shows a damaged _metadata (%v) as %s", openErr, infos[0].Status)
		}
		_ = FormatList(infos)
	})
}
