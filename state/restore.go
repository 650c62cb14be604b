package state

import (
	"fmt"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// checkHandles validates the handles given to a Restore into key groups
// kgs: known formats, and no key group of kgs held by two handles (the
// handles of one checkpoint never overlap; overlapping ones would be
// counted twice).
func checkHandles(handles []*Handle, kgs KeyGroupRange) error {
	for i, h := range handles {
		if h == nil {
			return fmt.Errorf("restore: handle %d is nil", i)
		}
		switch h.Format {
		case FormatFull, FormatPebbleSST:
		default:
			return fmt.Errorf("restore: state of %s-%d has unknown format %q (this version reads %s and %s; a newer version wrote it)", h.OperatorID, h.Instance, h.Format, FormatFull, FormatPebbleSST)
		}
		if h.KeyGroups.Start < 0 || h.KeyGroups.Start > h.KeyGroups.End || h.KeyGroups.End > maxKeyGroups {
			return fmt.Errorf("restore: state of %s-%d has a bad key-group range [%d,%d)", h.OperatorID, h.Instance, h.KeyGroups.Start, h.KeyGroups.End)
		}
		for _, o := range handles[:i] {
			lo, hi := max(h.KeyGroups.Start, o.KeyGroups.Start, kgs.Start), min(h.KeyGroups.End, o.KeyGroups.End, kgs.End)
			if lo < hi {
				return fmt.Errorf("restore: states of %s-%d and %s-%d both hold key group %d", o.OperatorID, o.Instance, h.OperatorID, h.Instance, lo)
			}
		}
	}
	return nil
}

// overlaps reports whether h holds any key group of kgs.
func overlaps(h *Handle, kgs KeyGroupRange) bool {
	return max(h.KeyGroups.Start, kgs.Start) < min(h.KeyGroups.End, kgs.End)
}

// readStateFile reads and parses one state file of a handle: a FormatFull
// file (kind storage.KindState, version 1) or a changelog segment
// (storage.KindChangelog, version 1 or 2).
func readStateFile(st storage.Storage, ref FileRef, kind byte) (*stateFile, error) {
	data, err := st.Get(ref.Path)
	if err != nil {
		return nil, fmt.Errorf("reading state file %s: %w", ref.Path, err)
	}
	if ref.Size > 0 && int64(len(data)) != ref.Size {
		return nil, &storage.CorruptError{Path: ref.Path, Reason: fmt.Sprintf("size %d, the checkpoint recorded %d", len(data), ref.Size)}
	}
	maxVersion, tag := uint16(stateFileVersion), tagFull
	if kind == storage.KindChangelog {
		maxVersion = changelogVersion
	}
	payload, v, err := storage.Open(ref.Path, data, kind, maxVersion)
	if err != nil {
		return nil, err
	}
	if kind == storage.KindChangelog {
		tag = changelogTag(v)
	}
	return parseStateFile(ref.Path, payload, tag)
}

// readFullHandle calls fn for every entry of a FormatFull handle in key
// groups kgs. key and val stay valid after fn returns.
func readFullHandle(st storage.Storage, h *Handle, kgs KeyGroupRange, fn func(file, state string, kg int, key, val []byte) error) error {
	for _, ref := range h.Files {
		f, err := readStateFile(st, ref, storage.KindState)
		if err != nil {
			return err
		}
		err = f.each(kgs, func(state string, kg int, key, val []byte, _ bool) error {
			return fn(ref.Path, state, kg, key, val)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readFullHandleBlocks calls fn for the block of every state and key
// group of kgs in the files of a FormatFull handle (see
// stateFile.eachBlock), with the file's path: data points into the
// file's payload, which nothing else holds.
func readFullHandleBlocks(st storage.Storage, h *Handle, kgs KeyGroupRange, fn func(file, state string, kg int, data []byte, count int)) error {
	for _, ref := range h.Files {
		f, err := readStateFile(st, ref, storage.KindState)
		if err != nil {
			return err
		}
		err = f.eachBlock(kgs, func(state string, kg int, data []byte, count int) {
			fn(ref.Path, state, kg, data, count)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// applyChangelog applies, after the materialised state has been loaded,
// each handle's changelog segments in order to b, for the key groups b
// owns.
func applyChangelog(st storage.Storage, b Backend, handles []*Handle) error {
	kgs := b.KeyGroups()
	for _, h := range handles {
		if !overlaps(h, kgs) {
			continue
		}
		for _, ref := range h.Changelog {
			f, err := readStateFile(st, ref, storage.KindChangelog)
			if err != nil {
				return err
			}
			err = f.eachChange(kgs, func(state string, kg int, key, val []byte, kind changeKind) error {
				if err := b.applyRaw(ref.Path, state, kg, key, val, kind); err != nil {
					return fmt.Errorf("applying changelog %s to state %q: %w", ref.Path, state, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// HandleHoldsEntries reports whether h holds any entry. It reads the
// files of a FormatFull handle without changelog segments; any other
// handle is reported as holding entries (not read).
func HandleHoldsEntries(st storage.Storage, h *Handle) (bool, error) {
	if h.Format != FormatFull || len(h.Changelog) > 0 {
		return true, nil
	}
	holds := false
	err := readFullHandleBlocks(st, h, KeyGroupRange{Start: 0, End: maxKeyGroups}, func(_, _ string, _ int, _ []byte, count int) {
		if count > 0 {
			holds = true
		}
	})
	return holds, err
}
