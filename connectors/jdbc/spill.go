package jdbc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Spill files hold the pre-committed rows of the exactly-once writer (see
// doc.go, "Exactly once"). One file per checkpoint per writer, named
// i<instance>-<token>-<seq>.rows, in the sink's spill directory
// (spillDir). Format:
//
//	"SQJS" 1                 magic and version (5 bytes)
//	segments                 until the end of the file
//
// A segment is one compacted buffer: a uvarint length, that many bytes of
// payload, and the CRC-32C of the payload (4 bytes, little endian). The
// payload is a uvarint row count and the rows, deletes first: an op byte,
// then the row's values (types.AppendValue), or only its key's values for
// a Delete. Within a segment a key appears at most once, so its rows may
// be applied in any order; segments are applied in file order.
//
// The committable of the checkpoint names the file with its size, its
// CRC-32C and its row count; the file is fsynced (and its directory)
// before PreCommit returns, and deleted once its rows are committed.
const (
	spillMagic   = "SQJS\x01"
	spillSuffix  = ".rows"
	spillDirName = "jdbc"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// spillDir is the directory of a sink's spill files: under base (the
// job's durable connector directory, Env.StateDir) a directory per job and
// database table, stable across runs of the same job so that a restored
// writer finds the files its committables name.
func spillDir(base, job, table string) string {
	return filepath.Join(base, spillDirName, safeName(job), safeName(table))
}

// safeName turns s into a file name: characters other than letters,
// digits, '.', '-' and '_' become '_', with a hash of s appended when any
// was replaced or s is long.
func safeName(s string) string {
	var b strings.Builder
	changed := false
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
			changed = true
		}
	}
	out := b.String()
	if out == "" || out == "." || out == ".." {
		changed = true
	}
	if changed || len(out) > 100 {
		h := fnv.New64a()
		io.WriteString(h, s)
		out = fmt.Sprintf("%.80s~%016x", out, h.Sum64())
	}
	return out
}

func spillName(instance int, token string, seq int64) string {
	return fmt.Sprintf("i%d-%s-%d%s", instance, token, seq, spillSuffix)
}

// parseSpillName returns the instance and token of a spill file's name.
func parseSpillName(name string) (instance int, token string, ok bool) {
	rest, found := strings.CutSuffix(name, spillSuffix)
	if !found || !strings.HasPrefix(rest, "i") {
		return 0, "", false
	}
	parts := strings.Split(rest[1:], "-")
	if len(parts) != 3 {
		return 0, "", false
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, parts[1], true
}

// spillWriter writes one spill file. The exactly-once writer owns it from
// the first spill of a checkpoint period until PreCommit finishes it (or
// Close discards it).
type spillWriter struct {
	dir, name string
	f         *os.File
	bw        *bufio.Writer
	crc       hash.Hash32 // of every byte written
	size      int64
	rows      int64
	scratch   []byte
}

func createSpill(dir, name string) (*spillWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	s := &spillWriter{dir: dir, name: name, f: f, bw: bufio.NewWriterSize(f, 1<<20), crc: crc32.New(castagnoli)}
	if err := s.write([]byte(spillMagic)); err != nil {
		s.discard()
		return nil, err
	}
	return s, nil
}

func (s *spillWriter) write(p []byte) error {
	s.crc.Write(p)
	s.size += int64(len(p))
	_, err := s.bw.Write(p)
	return err
}

// writeSegment appends b's rows (compacted) as one segment.
func (s *spillWriter) writeSegment(b *buffer) error {
	if b.len() == 0 {
		return nil
	}
	payload := binary.AppendUvarint(s.scratch[:0], uint64(b.len()))
	for _, deletes := range []bool{true, false} {
		for i, op := range b.ops {
			if (op == types.Delete) == deletes {
				payload = appendRow(payload, op, b.row(i), b.key)
			}
		}
	}
	var head [binary.MaxVarintLen64]byte
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], crc32.Checksum(payload, castagnoli))
	err := errors.Join(s.write(head[:binary.PutUvarint(head[:], uint64(len(payload)))]), s.write(payload), s.write(tail[:]))
	s.rows += int64(b.len())
	if cap(payload) <= 4<<20 {
		s.scratch = payload[:0]
	}
	return err
}

// finish makes the file durable: flushed, fsynced, closed, and its
// directory entry fsynced.
func (s *spillWriter) finish() error {
	err := s.bw.Flush()
	if err == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	return err
}

// discard closes and removes an unfinished file.
func (s *spillWriter) discard() {
	s.f.Close()
	os.Remove(filepath.Join(s.dir, s.name))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// appendRow encodes one buffered row: its op, then its values, or only
// the key's values of a Delete (with a key).
func appendRow(out []byte, op types.Op, row []types.Value, key []int) []byte {
	out = append(out, byte(op))
	if op == types.Delete && key != nil {
		for _, c := range key {
			out = types.AppendValue(out, row[c])
		}
		return out
	}
	for _, v := range row {
		out = types.AppendValue(out, v)
	}
	return out
}

// readRows decodes n rows encoded by appendRow into b (appending).
func readRows(r *reader, n uint64, b *buffer) {
	row := make([]types.Value, b.width)
	for i := uint64(0); i < n && r.err == nil; i++ {
		op := types.Op(r.byte())
		clear(row)
		switch {
		case op == types.Delete && b.key != nil:
			for _, k := range b.key {
				row[k] = r.value()
			}
		case op == types.Insert:
			for j := range row {
				row[j] = r.value()
			}
		default:
			r.err = errDamaged
		}
		b.ops = append(b.ops, op)
		b.vals = append(b.vals, row...)
	}
}

// spillReader reads the segments of a spill file whose size and checksum
// the committable recorded; a mismatch anywhere is reported as damage
// before the last segment is returned.
type spillReader struct {
	path      string
	f         *os.File
	br        *bufio.Reader
	crc       hash.Hash32
	want      int64 // size recorded in the committable
	wantCRC   uint32
	remaining int64
	payload   []byte
}

func openSpill(path string, size int64, sum uint32) (*spillReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := &spillReader{path: path, f: f, br: bufio.NewReaderSize(f, 1<<20), crc: crc32.New(castagnoli), want: size, wantCRC: sum, remaining: size}
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w: the file has %d bytes, the checkpoint recorded %d", errDamaged, fi.Size(), size)
		}
		return nil, err
	}
	magic := make([]byte, len(spillMagic))
	if err := r.read(magic); err != nil || string(magic) != spillMagic {
		f.Close()
		return nil, fmt.Errorf("%w: not a spill file of this version", errDamaged)
	}
	return r, nil
}

func (r *spillReader) read(p []byte) error {
	if int64(len(p)) > r.remaining {
		return fmt.Errorf("%w: truncated", errDamaged)
	}
	if _, err := io.ReadFull(r.br, p); err != nil {
		return fmt.Errorf("%w: %v", errDamaged, err)
	}
	r.crc.Write(p)
	r.remaining -= int64(len(p))
	return nil
}

// next reads the next segment into b (reset first); false at the end of
// the file, once the file's checksum matched.
func (r *spillReader) next(b *buffer) (bool, error) {
	if r.remaining == 0 {
		if r.crc.Sum32() != r.wantCRC {
			return false, fmt.Errorf("%w: checksum mismatch", errDamaged)
		}
		return false, nil
	}
	var head [binary.MaxVarintLen64]byte
	n := 0
	for ; n < len(head); n++ {
		if err := r.read(head[n : n+1]); err != nil {
			return false, err
		}
		if head[n] < 0x80 {
			break
		}
	}
	length, k := binary.Uvarint(head[:n+1])
	if k <= 0 || length+4 > uint64(r.remaining) {
		return false, fmt.Errorf("%w: bad segment length", errDamaged)
	}
	if uint64(cap(r.payload)) < length+4 {
		r.payload = make([]byte, length+4)
	}
	p := r.payload[:length+4]
	if err := r.read(p); err != nil {
		return false, err
	}
	payload := p[:length]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(p[length:]) {
		return false, fmt.Errorf("%w: segment checksum mismatch", errDamaged)
	}
	b.reset()
	rd := &reader{b: payload}
	rows := rd.uvarint()
	if rd.err == nil && rows > uint64(len(payload)) {
		rd.err = errDamaged
	}
	readRows(rd, rows, b)
	if rd.err != nil || len(rd.b) != 0 {
		return false, fmt.Errorf("%w: bad rows in a segment", errDamaged)
	}
	return true, nil
}

func (r *spillReader) close() { r.f.Close() }
