package state

import (
	"fmt"
	"path"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// asyncSnapshotter is implemented by the backends whose full snapshot can
// run in two phases, so that changelog mode can materialise in the
// background.
type asyncSnapshotter interface {
	// snapshotAsync captures the state as of now; it runs in the
	// instance's goroutine, which must not change the state meanwhile.
	// The returned finish writes the captured state; it may run in another
	// goroutine while the instance goes on using the backend, but before
	// the backend is closed. Its handle has the same form as Snapshot's.
	snapshotAsync(t SnapshotTarget) (finish func() (*Handle, error), err error)
}

// writeFullFile writes a FormatFull file (sealed, KindState) as
// <dir>/<operatorID>-<instance>.state and returns its handle.
func writeFullFile(st storage.Storage, dir string, id instanceID, kgs KeyGroupRange, backend string, data *sealedFile) (*Handle, error) {
	p := path.Join(dir, id.fileStem()+".state")
	if err := data.store(st, p); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	size := data.size
	return &Handle{
		OperatorID: id.operatorID, Instance: id.instance, KeyGroups: kgs,
		Backend: backend, Format: FormatFull,
		Files: []FileRef{{Path: p, Size: size}},
		Size:  size, IncrementalSize: size,
	}, nil
}

// checkTarget validates a snapshot target.
func checkTarget(id instanceID, t SnapshotTarget) error {
	if t.Storage == nil || t.Dir == "" {
		return fmt.Errorf("snapshot of %s: no storage or directory", id.fileStem())
	}
	return nil
}
