package state

import (
	"fmt"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// VerifyHandle reads every file of h from st and checks that it is intact,
// without restoring anything. The checkpoint store calls it before it
// chooses a checkpoint to restore (and `streamsql checkpoints --verify`),
// so that a damaged file makes the store fall back to an older checkpoint
// instead of failing the restore.
//
//   - FormatFull files and changelog segments: their envelope (recorded
//     size, length, CRC-32C, kind, version: 1 for full files, up to 2
//     for segments), streamed.
//   - FormatPebbleSST: the index (an envelope, read whole, as a restore
//     reads it), then every file it lists against the size and CRC-32C
//     recorded in it.
//
// Damage is a *storage.CorruptError naming the file; a missing file an
// error wrapping fs.ErrNotExist. A handle of an unknown format is an
// error too (a restore would refuse it).
//
// done, when not nil, holds the paths already found intact (shared files
// referenced by several checkpoints): they are not read again, and the
// files found intact here are added to it.
func VerifyHandle(st storage.Storage, h *Handle, done map[string]bool) error {
	if h == nil {
		return nil
	}
	switch h.Format {
	case FormatFull:
		for _, ref := range h.Files {
			if err := checkOnce(done, ref.Path, func() error {
				return storage.Check(st, ref.Path, recordedSize(ref), storage.KindState, stateFileVersion)
			}); err != nil {
				return err
			}
		}
	case FormatPebbleSST:
		x, err := readPebbleIndex(st, h)
		if err != nil {
			return err
		}
		for _, f := range x.files {
			if err := checkOnce(done, f.ref.Path, func() error {
				return storage.CheckRaw(st, f.ref.Path, f.ref.Size, f.crc)
			}); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("state of %s-%d has unknown format %q", h.OperatorID, h.Instance, h.Format)
	}
	for _, ref := range h.Changelog {
		if err := checkOnce(done, ref.Path, func() error {
			return storage.Check(st, ref.Path, recordedSize(ref), storage.KindChangelog, changelogVersion)
		}); err != nil {
			return err
		}
	}
	return nil
}

// recordedSize is ref's size for storage.Check: -1 (not checked) when
// unknown, as readStateFile treats it.
func recordedSize(ref FileRef) int64 {
	if ref.Size > 0 {
		return ref.Size
	}
	return -1
}

// checkOnce runs check for path p unless done records it as intact, and
// records it when check passes.
func checkOnce(done map[string]bool, p string, check func() error) error {
	if done[p] {
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	if done != nil {
		done[p] = true
	}
	return nil
}
