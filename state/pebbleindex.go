package state

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// A FormatPebbleSST handle's first file is its index, <Dir>/<operatorID>-
// <instance>.pebble/_index: a storage envelope (KindState, version 1) whose
// payload is (integers are unsigned varints):
//
//	tag      string "pebble-sst-v1" (length-prefixed)
//	kgStart, kgEnd
//	nStates, then per state: nameLen, name, id, count
//	nFiles,  then per file:  localLen, local name (in the database
//	         directory), pathLen, storage path, size, CRC-32C, shared (0|1)
//
// The other files are the Pebble checkpoint's files: SST (and blob) files
// under <SharedDir>/ (Shared), the MANIFEST, OPTIONS and marker files
// next to the index. A restore downloads every file listed, checks its size
// and CRC-32C, and opens the directory as a Pebble database.
const tagPebbleSST = "pebble-sst-v1"

const pebbleIndexName = "_index"

type pebbleIndex struct {
	kgs    KeyGroupRange
	states []indexState
	files  []indexFile
}

type indexState struct {
	name  string
	id    uint16
	count int64
}

type indexFile struct {
	local string
	ref   FileRef
	crc   uint32
}

func (x *pebbleIndex) encode() []byte {
	var b []byte
	b = appendString(b, tagPebbleSST)
	b = binary.AppendUvarint(b, uint64(x.kgs.Start))
	b = binary.AppendUvarint(b, uint64(x.kgs.End))
	b = binary.AppendUvarint(b, uint64(len(x.states)))
	for _, s := range x.states {
		b = appendString(b, s.name)
		b = binary.AppendUvarint(b, uint64(s.id))
		b = binary.AppendUvarint(b, uint64(s.count))
	}
	b = binary.AppendUvarint(b, uint64(len(x.files)))
	for _, f := range x.files {
		b = appendString(b, f.local)
		b = appendString(b, f.ref.Path)
		b = binary.AppendUvarint(b, uint64(f.ref.Size))
		b = binary.AppendUvarint(b, uint64(f.crc))
		sh := byte(0)
		if f.ref.Shared {
			sh = 1
		}
		b = append(b, sh)
	}
	return b
}

func decodePebbleIndex(path string, payload []byte) (*pebbleIndex, error) {
	bad := func(format string, args ...any) error {
		return &storage.CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	r := reader{b: payload}
	if tag := r.str(); r.err != nil || tag != tagPebbleSST {
		return nil, bad("not a Pebble checkpoint index (tag %q)", tag)
	}
	x := &pebbleIndex{}
	x.kgs.Start, x.kgs.End = r.int(), r.int()
	if r.err != nil || x.kgs.Start > x.kgs.End || x.kgs.End > maxKeyGroups {
		return nil, bad("bad key-group range")
	}
	n := r.int()
	seen := map[uint16]bool{}
	for i := 0; i < n && r.err == nil; i++ {
		s := indexState{name: r.str()}
		id := r.u64()
		s.count = int64(r.u64())
		if r.err != nil {
			break
		}
		if id == 0 || id > maxStateID || seen[uint16(id)] || s.count < 0 {
			return nil, bad("state %q: bad id %d or count %d", s.name, id, s.count)
		}
		s.id = uint16(id)
		seen[s.id] = true
		x.states = append(x.states, s)
	}
	n = r.int()
	for i := 0; i < n && r.err == nil; i++ {
		f := indexFile{local: r.str()}
		f.ref.Path = r.str()
		f.ref.Size = int64(r.u64())
		crc := r.u64()
		sh := r.take(1)
		if r.err != nil {
			break
		}
		if f.local == "" || f.local == "." || f.local == ".." || strings.ContainsAny(f.local, `/\`) || f.ref.Size < 0 || crc > 0xffffffff || sh[0] > 1 {
			return nil, bad("file entry %d (%q) is malformed", i, f.local)
		}
		f.crc = uint32(crc)
		f.ref.Shared = sh[0] == 1
		x.files = append(x.files, f)
	}
	if r.err != nil || r.off != len(r.b) {
		return nil, bad("damaged index")
	}
	return x, nil
}

// readPebbleIndex reads the index of a FormatPebbleSST handle.
func readPebbleIndex(st storage.Storage, h *Handle) (*pebbleIndex, error) {
	if len(h.Files) == 0 {
		return nil, fmt.Errorf("state of %s-%d: a %s handle lists no files", h.OperatorID, h.Instance, FormatPebbleSST)
	}
	ref := h.Files[0]
	data, err := st.Get(ref.Path)
	if err != nil {
		return nil, fmt.Errorf("reading state index %s: %w", ref.Path, err)
	}
	payload, _, err := storage.Open(ref.Path, data, storage.KindState, stateFileVersion)
	if err != nil {
		return nil, err
	}
	x, err := decodePebbleIndex(ref.Path, payload)
	if err != nil {
		return nil, err
	}
	if x.kgs != h.KeyGroups {
		return nil, &storage.CorruptError{Path: ref.Path, Reason: fmt.Sprintf("holds key groups [%d,%d), the checkpoint recorded [%d,%d)", x.kgs.Start, x.kgs.End, h.KeyGroups.Start, h.KeyGroups.End)}
	}
	return x, nil
}
