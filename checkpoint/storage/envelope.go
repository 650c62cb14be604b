package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
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

// HeaderSize is the size of an envelope's header: SealReserved expects
// that many bytes reserved before the payload.
const HeaderSize = headerSize

// SealReserved is Seal for a payload built in buf after HeaderSize
// reserved bytes (buf = reserved ++ payload): it fills the header in place
// and appends the checksum, so that a large payload is not copied. It
// returns the sealed file, which shares buf's memory.
func SealReserved(kind byte, version uint16, buf []byte) []byte {
	n := len(buf) - headerSize
	h := append(buf[:0], magic...)
	h = append(h, kind)
	h = binary.BigEndian.AppendUint16(h, version)
	binary.BigEndian.AppendUint64(h, uint64(n))
	return binary.BigEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
}

// TrailerSize is the size of an envelope's trailer (the checksum).
const TrailerSize = trailer

// Header returns the header of an envelope of kind and version around a
// payload of n bytes, for a file written in pieces: HeaderSize bytes
// reserved, the payload, then SealWritten with this header.
func Header(kind byte, version uint16, n int64) []byte {
	h := make([]byte, 0, headerSize)
	h = append(h, magic...)
	h = append(h, kind)
	h = binary.BigEndian.AppendUint16(h, version)
	return binary.BigEndian.AppendUint64(h, uint64(n))
}

// UpdateChecksum returns crc (of the bytes before p; 0 for none) extended
// by p, in the checksum the envelope's trailer uses.
func UpdateChecksum(crc uint32, p []byte) uint32 { return crc32.Update(crc, castagnoli, p) }

// SealWritten completes an envelope written to f as HeaderSize reserved
// bytes then the payload: it writes header (Header's, for the payload's
// length) over the reserved bytes and appends the trailer, whose checksum
// it derives from the payload's, payloadCRC (UpdateChecksum over the
// payload alone), without reading f back.
func SealWritten(f *os.File, header []byte, payloadCRC uint32) error {
	if len(header) != headerSize {
		return fmt.Errorf("writing %s: a header of %d bytes, want %d", f.Name(), len(header), headerSize)
	}
	n := int64(binary.BigEndian.Uint64(header[7:15]))
	crc := combineChecksums(crc32.Checksum(header, castagnoli), payloadCRC, n)
	if _, err := f.WriteAt(header, 0); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if _, err := f.WriteAt(binary.BigEndian.AppendUint32(nil, crc), headerSize+n); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return nil
}

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
	if checksum(body) != binary.BigEndian.Uint32(data[len(data)-trailer:]) {
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

// Check streams object p of s and verifies its envelope as Open does
// (magic, length against the header and against wantSize when it is not
// negative, CRC-32C, kind, version) without holding the file in memory.
// A damaged or unreadable object gives *CorruptError naming p; a missing
// one an error wrapping fs.ErrNotExist.
func Check(s Storage, p string, wantSize int64, kind byte, maxVersion uint16) error {
	rc, err := s.Open(p)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := crc32.New(castagnoli)
	head := make([]byte, headerSize)
	if n, err := io.ReadFull(rc, head); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return &CorruptError{p, fmt.Sprintf("truncated (%d bytes)", n)}
		}
		return &CorruptError{p, "unreadable: " + err.Error()}
	}
	if string(head[:4]) != magic {
		return &CorruptError{p, "not a streamsql checkpoint file"}
	}
	n := binary.BigEndian.Uint64(head[7:15])
	if wantSize >= 0 && (n > uint64(wantSize) || uint64(wantSize) != headerSize+n+trailer) {
		return &CorruptError{p, fmt.Sprintf("the header says %d bytes, %d recorded", headerSize+n+trailer, wantSize)}
	}
	h.Write(head)
	copied, err := io.CopyN(h, rc, int64(n))
	if err != nil && err != io.EOF {
		return &CorruptError{p, "unreadable: " + err.Error()}
	}
	var tail [trailer + 1]byte
	got, err := io.ReadFull(rc, tail[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return &CorruptError{p, "unreadable: " + err.Error()}
	}
	if copied != int64(n) || got != trailer {
		return &CorruptError{p, fmt.Sprintf("length %d does not match the header (%d)", headerSize+copied+int64(got), headerSize+n+trailer)}
	}
	if h.Sum32() != binary.BigEndian.Uint32(tail[:trailer]) {
		return &CorruptError{p, "checksum mismatch"}
	}
	if head[4] != kind {
		return &CorruptError{p, fmt.Sprintf("holds kind %d, expected %d", head[4], kind)}
	}
	if v := binary.BigEndian.Uint16(head[5:7]); v == 0 || v > maxVersion {
		return &CorruptError{p, fmt.Sprintf("format version %d is not supported (this build reads up to %d)", v, maxVersion)}
	}
	return nil
}

// CheckRaw streams object p of s and verifies its size and CRC-32C
// (Castagnoli) against the recorded ones, for files without an envelope
// (a Pebble checkpoint's files). Errors as Check's.
func CheckRaw(s Storage, p string, size int64, crc uint32) error {
	rc, err := s.Open(p)
	if err != nil {
		return err
	}
	defer rc.Close()
	return CopyChecked(p, io.Discard, rc, size, crc)
}

// CopyChecked copies r (object p) to w and verifies that it had size bytes
// with CRC-32C crc. Damage is *CorruptError naming p; a failure to write
// w is returned as is.
func CopyChecked(p string, w io.Writer, r io.Reader, size int64, crc uint32) error {
	h := crc32.New(castagnoli)
	src := &readErrReader{r: r}
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if src.err != nil {
		return &CorruptError{p, "unreadable: " + src.err.Error()}
	}
	if err != nil {
		return err
	}
	if n != size {
		return &CorruptError{p, fmt.Sprintf("size %d, the checkpoint recorded %d", n, size)}
	}
	if h.Sum32() != crc {
		return &CorruptError{p, "checksum mismatch"}
	}
	return nil
}

// readErrReader remembers the error of its reader (other than io.EOF), so
// that a failure to read can be told from a failure to write.
type readErrReader struct {
	r   io.Reader
	err error
}

func (r *readErrReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
