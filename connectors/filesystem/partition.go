package filesystem

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

// DefaultPartitionName is the directory value of a partition column whose
// value is NULL, empty or only white space (Flink's
// 'partition.default-name' default). Reading it back gives NULL.
const DefaultPartitionName = "__DEFAULT_PARTITION__"

// layout maps the rows of a table declared PARTITIONED BY to Hive-style
// directories '<col1>=<value1>/<col2>=<value2>' and back.
type layout struct {
	names       []string     // partition column names, in PARTITIONED BY order
	prefixes    []string     // escaped name + "=": the start of each level's directory names
	keys        []int        // the partition columns' indexes in the physical row
	types       []types.Type // and their types
	data        []int        // indexes of the other physical columns, in order
	dataSchema  types.Schema // the columns of the data files
	defaultName string
}

// newLayout returns the layout of t, or nil when t is not partitioned.
func newLayout(t *catalog.Table) (*layout, error) {
	if !t.Partitioned() {
		return nil, nil
	}
	phys := t.PhysicalColumns()
	l := &layout{defaultName: DefaultPartitionName}
	if t.HasOption(optDefaultName) {
		l.defaultName = t.Option(optDefaultName)
		if l.defaultName == "" || strings.TrimSpace(l.defaultName) != l.defaultName || escapePathName(l.defaultName) != l.defaultName {
			return nil, fmt.Errorf("table %s: option '%s' must be a non-empty name without spaces at its ends and without any of %s, got '%s'",
				t.Name, optDefaultName, escapedChars, l.defaultName)
		}
	}
	isKey := make([]bool, len(phys))
	for _, k := range t.PhysicalPartitionKeys() {
		if k < 0 || k >= len(phys) || isKey[k] {
			return nil, fmt.Errorf("table %s: invalid partition column index %d", t.Name, k)
		}
		isKey[k] = true
		c := phys[k]
		l.names = append(l.names, c.Name)
		l.prefixes = append(l.prefixes, escapePathName(c.Name)+"=")
		l.keys = append(l.keys, k)
		l.types = append(l.types, c.Type)
	}
	for i, c := range phys {
		if !isKey[i] {
			l.data = append(l.data, i)
			l.dataSchema = append(l.dataSchema, c)
		}
	}
	if len(l.data) == 0 {
		return nil, fmt.Errorf("table %s: every column is a partition column (%s): the data files would hold no column", t.Name, strings.Join(l.names, ", "))
	}
	return l, nil
}

// depth is the number of directory levels below the table's path.
func (l *layout) depth() int { return len(l.keys) }

// appendRel appends the partition directory of row, relative to the
// table's path, with '/' between levels ("dt=2020-10-10/hm=10%3A00").
// scratch is reused for rendering and returned.
func (l *layout) appendRel(buf, scratch []byte, row []types.Value) ([]byte, []byte) {
	for i, k := range l.keys {
		if i > 0 {
			buf = append(buf, '/')
		}
		buf = append(buf, l.prefixes[i]...)
		v := row[k]
		if v.IsNull() {
			buf = append(buf, l.defaultName...)
			continue
		}
		scratch = types.AppendRender(scratch[:0], v, l.types[i])
		if len(bytes.TrimSpace(scratch)) == 0 {
			buf = append(buf, l.defaultName...)
			continue
		}
		buf = appendEscaped(buf, scratch)
	}
	return buf, scratch
}

// project copies the data columns of row into dst (len(l.data) values).
func (l *layout) project(row, dst []types.Value) []types.Value {
	for j, c := range l.data {
		dst[j] = row[c]
	}
	return dst
}

// sameKeys reports whether row has the partition values in key.
func (l *layout) sameKeys(key, row []types.Value) bool {
	if len(key) != len(l.keys) {
		return false
	}
	for i, k := range l.keys {
		if key[i] != row[k] {
			return false
		}
	}
	return true
}

// validRel checks a partition directory named by a committable: as many
// levels as the layout has, each '<escaped column>=<value>' of its level.
func (l *layout) validRel(rel string) bool {
	if l == nil {
		return rel == ""
	}
	parts := strings.Split(rel, "/")
	if len(parts) != len(l.keys) {
		return false
	}
	for i, p := range parts {
		v, ok := strings.CutPrefix(p, l.prefixes[i])
		if !ok || v == "" || strings.ContainsAny(v, `/\`) || v == "." || v == ".." {
			return false
		}
	}
	return true
}

// parseLevel reads the directory name of level i: whether it names the
// level's column, and its value (unescaped; NULL for the default name),
// parsed as the column's type.
func (l *layout) parseLevel(i int, name string) (matches bool, v types.Value, err error) {
	esc, ok := strings.CutPrefix(name, l.prefixes[i])
	if !ok {
		// compare names case-insensitively, as SQL does
		k, val, found := strings.Cut(name, "=")
		if !found || !strings.EqualFold(unescapePathName(k), l.names[i]) {
			return false, types.Value{}, nil
		}
		esc = val
	}
	if esc == l.defaultName {
		return true, types.Value{}, nil
	}
	text := unescapePathName(esc)
	f, err := format.New("text", types.Schema{{Name: l.names[i], Type: l.types[i]}}, nil)
	if err != nil {
		return true, types.Value{}, err
	}
	row := make([]types.Value, 1)
	if err := f.NewDecoder().Decode([]byte(text), row); err != nil {
		return true, types.Value{}, fmt.Errorf("partition value '%s' of column %s is not a valid %s", text, l.names[i], l.types[i].Nullable())
	}
	if row[0].IsNull() && l.types[i].NotNull {
		return true, types.Value{}, fmt.Errorf("partition column %s is NOT NULL, but the directory holds NULL", l.names[i])
	}
	return true, row[0], nil
}

// escapedChars lists, for messages, what escapePathName escapes.
const escapedChars = `'"', '#', '%', ''', '*', '/', ':', '=', '?', '\', '{', '[', ']', '^' and control characters`

// needsEscaping is Flink's PartitionPathUtils set (the same as Hive's):
// control characters 0x00-0x1F and 0x7F, and " # % ' * / : = ? \ { [ ] ^.
func needsEscaping(c byte) bool {
	if c < 0x20 || c == 0x7f {
		return true
	}
	switch c {
	case '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '{', '[', ']', '^':
		return true
	}
	return false
}

// appendEscaped appends s with every character of needsEscaping written
// as '%' and two upper-case hex digits (Flink's escapePathName; bytes of
// multi-byte UTF-8 characters are kept).
func appendEscaped(buf, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		if needsEscaping(c) {
			buf = append(buf, '%', hex[c>>4], hex[c&15])
			continue
		}
		buf = append(buf, c)
	}
	return buf
}

func escapePathName(s string) string { return string(appendEscaped(nil, []byte(s))) }

// unescapePathName undoes appendEscaped: '%' and two hex digits (either
// case) give that byte; any other '%' stays (Flink's unescapePathName).
func unescapePathName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hiddenName reports whether a file or directory name is hidden from
// readers (Flink's rule: it starts with '.' or '_').
func hiddenName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// partitionedSplits lists the data files of a partitioned table: the
// regular, non-hidden files of the directories at depth l.depth() whose
// names at each level are '<column of that level>=<value>', sorted by
// their relative path. Hidden entries and files above that depth are
// skipped (as Flink does); a non-hidden directory that does not name the
// level's column is an error, and so is a value that does not parse.
func (s *source) partitionedSplits() ([]*fileSplit, error) {
	l := s.layout
	var out []*fileSplit
	var walk func(rel string, level int, vals []types.Value) error
	walk = func(rel string, level int, vals []types.Value) error {
		dir := filepath.Join(s.path, filepath.FromSlash(rel))
		entries, err := os.ReadDir(dir) // sorted by name
		if err != nil {
			return fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		for _, e := range entries {
			name := e.Name()
			full := filepath.Join(dir, name)
			if level == l.depth() {
				if hiddenName(name) || strings.HasSuffix(name, ".inprogress") || !isRegular(e, full) {
					continue
				}
				id := path.Join(rel, name)
				out = append(out, &fileSplit{id: id, fileID: id, path: full, partition: vals, end: -1})
				continue
			}
			if !isDir(e, full) {
				continue // a file above the partition directories: not part of the table
			}
			matches, v, perr := l.parseLevel(level, name)
			if !matches {
				if hiddenName(name) {
					continue
				}
				return fmt.Errorf("table %s: directory '%s' does not name partition column %s: expected '%s<value>' at level %d of the PARTITIONED BY (%s) layout",
					s.t.Name, full, l.names[level], l.prefixes[level], level+1, strings.Join(l.names, ", "))
			}
			if perr != nil {
				// name the first data file that would get the bad value
				f := firstFile(full, l.depth()-level-1)
				if f == full {
					continue // no data file: nothing to read
				}
				return fmt.Errorf("table %s: file '%s': %v", s.t.Name, f, perr)
			}
			if err := walk(path.Join(rel, name), level+1, append(vals[:level:level], v)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", 0, nil); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// firstFile returns the path of the first data file below dir, depth
// levels down, or dir itself when there is none.
func firstFile(dir string, depth int) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dir
	}
	for _, e := range entries {
		full := filepath.Join(dir, e.Name())
		if hiddenName(e.Name()) {
			continue
		}
		if depth == 0 && isRegular(e, full) {
			return full
		}
		if depth > 0 && isDir(e, full) {
			if f := firstFile(full, depth-1); f != full {
				return f
			}
		}
	}
	return dir
}

func isRegular(e os.DirEntry, full string) bool {
	if e.Type().IsRegular() {
		return true
	}
	// follow symbolic links
	fi, err := os.Stat(full)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(e os.DirEntry, full string) bool {
	if e.IsDir() {
		return true
	}
	fi, err := os.Stat(full)
	return err == nil && fi.IsDir()
}

// partDecoder decodes the data columns of a record and places them, with
// the partition values of the file's directories, in a physical row.
type partDecoder struct {
	inner   format.Decoder
	l       *layout
	vals    []types.Value // partition values, in layout order
	scratch []types.Value
}

func (d *partDecoder) Decode(rec []byte, row []types.Value) error {
	if err := d.inner.Decode(rec, d.scratch); err != nil {
		return err
	}
	for j, c := range d.l.data {
		row[c] = d.scratch[j]
	}
	for j, c := range d.l.keys {
		row[c] = d.vals[j]
	}
	return nil
}
