package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Envelope layout (all integers big-endian):
//
//	magic   "SSQL" (4 bytes)
//	kind    1 byte  (what the payload is, see Kind*)
//	version 2 bytes (format version of that kind)
//	length  8 bytes (payload length)
//	payload
//	crc     4 bytes CRC-32C (Castagnoli) of everything before it
const (
	magic      = "SSQL"
	headerSize = 4 + 1 + 2 + 8
	trailer    = 4
)

// Kinds of stored files.
const (
	KindMetadata   byte = 1 // a checkpoint's _metadata
	KindState      byte = 2 // an operator instance's full keyed state
	KindChannel    byte = 3 // recorded in-flight data (unaligned checkpoints)
	KindSource     byte = 4 // a source instance's split positions
	KindChangelog  byte = 5 // a state changelog segment
	KindSinkCommit byte = 6 // a sink's pre-committed transaction handles
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Seal wraps payload in an envelope.
func Seal(kind byte, version uint16, payload []byte) []byte {
	out := make([]byte, 0, headerSize+len(payload)+trailer)
	out = append(out, magic...)
	out = append(out, kind)
	out = binary.BigEndian.AppendUint16(out, version)
	out = binary.BigEndian.AppendUint64(out, uint64(len(payload)))
	out = append(out, payload...)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// CorruptError reports a damaged or unreadable stored file.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string { return fmt.Sprintf("%s is damaged: %s", e.Path, e.Reason) }

// Open checks an envelope read from p and returns its payload. It fails
// with *CorruptError when the file is truncated, has a bad checksum, is of
// another kind, or has a version newer than maxVersion.
func Open(p string, data []byte, kind byte, maxVersion uint16) (payload []byte, version uint16, err error) {
	if len(data) < headerSize+trailer {
		return nil, 0, &CorruptError{p, fmt.Sprintf("truncated (%d bytes)", len(data))}
	}
	if string(data[:4]) != magic {
		return nil, 0, &CorruptError{p, "not a streamsql checkpoint file"}
	}
	n := binary.BigEndian.Uint64(data[7:15])
	if uint64(len(data)) != headerSize+n+trailer {
		return nil, 0, &CorruptError{p, fmt.Sprintf("length %d does not match the header (%d)", len(data), headerSize+n+trailer)}
	}
	body := data[:len(data)-trailer]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(data[len(data)-trailer:]) {
		return nil, 0, &CorruptError{p, "checksum mismatch"}
	}
	if data[4] != kind {
		return nil, 0, &CorruptError{p, fmt.Sprintf("holds kind %d, expected %d", data[4], kind)}
	}
	version = binary.BigEndian.Uint16(data[5:7])
	if version == 0 || version > maxVersion {
		return nil, 0, &CorruptError{p, fmt.Sprintf("format version %d is not supported (this build reads up to %d)", version, maxVersion)}
	}
	return data[headerSize : headerSize+n], version, nil
}

// Read gets p from s and opens its envelope.
func Read(s Storage, p string, kind byte, maxVersion uint16) ([]byte, error) {
	data, err := s.Get(p)
	if err != nil {
		return nil, err
	}
	payload, _, err := Open(p, data, kind, maxVersion)
	return payload, err
}
