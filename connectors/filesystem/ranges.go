package filesystem

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/bytesize"
)

// optSplitSize is the option giving the size of the byte ranges a file
// is cut into.
const optSplitSize = "source.split-size"

// defaultSplitSize is the default of 'source.split-size'.
const defaultSplitSize = "64mb"

// rangeSep separates a file's split ID from the start offset of one of
// its ranges after the first: 'bids.csv/@1048576'. A regular file has no
// entries, so no file of the table has such a relative path.
const rangeSep = "/@"

// splitSize reads the 'source.split-size' option of t (0: one split per
// file). Unset, it is defaultSplitSize, except for CSV with a quote
// character: a quoted field may hold a line break, and a range starting
// inside one would emit wrong rows before the range before it finds the
// break and fails the job. Such files are cut only when the table asks
// for it (saying its quoted fields hold no line breaks; that is still
// checked).
func splitSize(t *catalog.Table) (int64, error) {
	v := defaultSplitSize
	if strings.EqualFold(t.Option("format"), "csv") && !strings.EqualFold(t.Option("csv.disable-quote-character"), "true") {
		v = "0"
	}
	if t.HasOption(optSplitSize) {
		v = t.Option(optSplitSize)
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("table %s: option '%s': %v", t.Name, optSplitSize, err)
	}
	return n, nil
}

// parseSize reads a size as the engine's memory options are written
// (package bytesize): '64mb', '512 KB', '1048576'.
func parseSize(s string) (int64, error) {
	n, err := bytesize.Parse(s)
	var e *bytesize.Error
	if errors.As(err, &e) && !e.TooLarge && e.Unit == "" {
		return 0, fmt.Errorf("invalid size '%s' (write e.g. 64mb, 512kb, or a number of bytes; 0 reads each file as one split)", s)
	}
	return n, err
}

// rangeID returns the split ID of the range of file fileID starting at
// start: the file's ID for the first range, '<fileID>/@<start>' for the
// others.
func rangeID(fileID string, start int64) string {
	if start == 0 {
		return fileID
	}
	return fileID + rangeSep + strconv.FormatInt(start, 10)
}

// rangesOf returns the splits of file f (of the given size) cut at the
// start offsets starts (sorted, the first 0): one split per range, the
// last reaching to the end of the file.
func rangesOf(f *fileSplit, starts []int64) []*fileSplit {
	out := make([]*fileSplit, len(starts))
	for i, s := range starts {
		end := int64(-1)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		out[i] = &fileSplit{id: rangeID(f.id, s), fileID: f.id, path: f.path, partition: f.partition, start: s, end: end}
	}
	return out
}

// cutStarts returns the start offsets of the ranges of a file of the given
// size: about size/splitSize ranges of equal length (each at most
// splitSize bytes), or one range when splitSize is 0 or not smaller than
// the file. It depends on the sizes only, not on the parallelism.
func cutStarts(size, splitSize int64) []int64 {
	if splitSize <= 0 || size <= splitSize {
		return []int64{0}
	}
	n := (size + splitSize - 1) / splitSize
	q, r := size/n, size%n
	starts := make([]int64, n)
	for k := range n {
		starts[k] = k*q + min(k, r)
	}
	return starts
}

// cut returns the splits of the files: each file cut into byte ranges of
// about splitSize bytes.
func (s *source) cut(files []*fileSplit) ([]connectors.Split, error) {
	var out []connectors.Split
	for _, f := range files {
		st, err := os.Stat(f.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		for _, r := range rangesOf(f, cutStarts(st.Size(), s.splitSize)) {
			out = append(out, r)
		}
	}
	return out, nil
}

// RestoreSplits cuts each file that the restored checkpoint read as the
// checkpoint cut it, whatever 'source.split-size' says now: at the start
// offsets named by its range IDs, or not at all when the checkpoint holds
// only the file's own ID (a checkpoint of whole-file splits, such as one
// written before files were cut into ranges), so that every position
// restores within the range it was taken in. Files the checkpoint does
// not know are cut as Splits cuts them (connectors.SplitRestorer).
func (s *source) RestoreSplits(planned []connectors.Split, restored map[string][]byte) ([]connectors.Split, error) {
	files := map[string]bool{}
	for _, sp := range planned {
		if f, ok := sp.(*fileSplit); ok {
			files[f.fileID] = true
		}
	}
	starts := map[string][]int64{} // restored range starts by file ID
	for id := range restored {
		fileID, start := id, int64(0)
		if !files[id] {
			i := strings.LastIndex(id, rangeSep)
			if i < 0 || !files[id[:i]] {
				continue // a file that is gone
			}
			n, err := strconv.ParseInt(id[i+len(rangeSep):], 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("table %s: the checkpoint holds split '%s', which is not a byte range of file %s", s.t.Name, id, id[:i])
			}
			fileID, start = id[:i], n
		}
		starts[fileID] = append(starts[fileID], start)
	}
	var out []connectors.Split
	done := map[string]bool{}
	for _, sp := range planned {
		f, ok := sp.(*fileSplit)
		if !ok {
			return nil, fmt.Errorf("table %s: split %s is not a file split", s.t.Name, sp.ID())
		}
		st, known := starts[f.fileID]
		if !known {
			out = append(out, f)
			continue
		}
		if done[f.fileID] {
			continue
		}
		done[f.fileID] = true
		info, err := os.Stat(f.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		st = append(st, 0)
		sort.Slice(st, func(i, j int) bool { return st[i] < st[j] })
		st = compactStarts(st)
		if last := st[len(st)-1]; last >= info.Size() && last > 0 {
			return nil, fmt.Errorf("table %s: the checkpoint holds a byte range of file %s starting at %d, but the file has %d bytes", s.t.Name, f.path, last, info.Size())
		}
		whole := &fileSplit{id: f.fileID, fileID: f.fileID, path: f.path, partition: f.partition, end: -1}
		for _, r := range rangesOf(whole, st) {
			out = append(out, r)
		}
	}
	return out, nil
}

// compactStarts drops repeated offsets from sorted starts.
func compactStarts(starts []int64) []int64 {
	out := starts[:1]
	for _, s := range starts[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// nextRecordStart returns the offset just after the first line break at
// or after offset from in f: where the reader of a range starting at
// from begins (the bytes before belong to a record that starts before
// from). It returns the file's size when no line break follows.
func nextRecordStart(f *os.File, from int64) (int64, error) {
	buf := make([]byte, 64<<10)
	off := from
	for {
		n, err := f.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		off += int64(n)
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// countLines returns the number of line breaks in the bytes [from, to)
// of the file at path.
func countLines(path string, from, to int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var lines int64
	for off := from; off < to; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), to-off)], off)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		off += int64(k)
		if err != nil && off < to {
			if err == io.EOF {
				return 0, fmt.Errorf("file %s ended at byte %d, before offset %d", path, off, to)
			}
			return 0, err
		}
	}
	return lines, nil
}
