package exec

import (
	"context"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/checkpoint"
)

// A restarted attempt passes its predecessor's last triggered id as
// AfterID: its checkpoints (here the final one of a bounded job) take ids
// above it, never one an earlier attempt may still have files under.
func TestCheckpointIDsContinueAfterAfterID(t *testing.T) {
	st, store := newLocalStore(t, "job-ids")
	var log []string
	var mu sync.Mutex
	var completed []int64
	src := &fakeSource{splits: [][][2]int64{{{1, 10}, {2, 20}}}}
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("s", src, 0, 0),
		newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})}}
	cfg := &CheckpointConfig{Store: store, Storage: st, AfterID: 41,
		OnComplete: func(md *checkpoint.Metadata) { completed = append(completed, md.CheckpointID) }}
	j, err := Start(context.Background(), g, Options{Checkpoint: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(completed) == 0 || completed[0] != 42 || j.LastTriggeredID() != completed[len(completed)-1] {
		t.Fatalf("completed checkpoints %v (last triggered %d); want the first to be 42", completed, j.LastTriggeredID())
	}
}
