package socket

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// listener accepts any number of connections and hands them to the test.
func listener(t *testing.T) (port string, conns chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, conns
}

func accept(t *testing.T, conns chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

func openAt(t *testing.T, src connectors.Source, pos []byte) connectors.CheckpointedReader {
	t.Helper()
	splits, _ := src.Splits(1)
	r, err := src.OpenSplit(ctx, splits[0], pos)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	cr, ok := r.(connectors.CheckpointedReader)
	if !ok {
		t.Fatal("the socket reader is not a CheckpointedReader")
	}
	return cr
}

// lines reads n rows of a one-column table as strings.
func lines(t *testing.T, r connectors.SplitReader, n int) []string {
	t.Helper()
	var out []string
	for _, v := range collect(t, r, 1, n) {
		out = append(out, v.Str())
	}
	return out
}

// quiet checks that no row arrives for a while.
func quiet(t *testing.T, r connectors.SplitReader) {
	t.Helper()
	for i := 0; i < 2; i++ {
		b := types.NewBatch(1, 16)
		if err := r.Next(ctx, b); err != nil || b.Len() != 0 {
			t.Fatalf("unexpected: %d rows, %v", b.Len(), err)
		}
	}
}

func snapshot(t *testing.T, r connectors.CheckpointedReader, id int64) []byte {
	t.Helper()
	pos, err := r.SnapshotPosition(id)
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(dir, "socket"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteAheadLogReplaysExactlyOnce(t *testing.T) {
	port, conns := listener(t)
	state := t.TempDir()
	env := &connectors.Env{StateDir: state}
	src, err := connectors.Lookup("socket").NewSource(table(textCols, "hostname", "127.0.0.1", "port", port), env)
	if err != nil {
		t.Fatal(err)
	}
	r1 := openAt(t, src, nil)
	c1 := accept(t, conns)
	c1.Write([]byte("a\nb\nc\n"))
	if got := strings.Join(lines(t, r1, 3), ","); got != "a,b,c" {
		t.Fatalf("first rows %s", got)
	}
	pos := snapshot(t, r1, 1)
	if binary.BigEndian.Uint64(pos) != 6 {
		t.Fatalf("position %v", pos)
	}
	c1.Write([]byte("d\ne\nf-cut-off"))
	if got := strings.Join(lines(t, r1, 2), ","); got != "d,e" {
		t.Fatalf("rows after the snapshot %s", got)
	}
	if files := walFiles(t, state); len(files) != 1 || files[0] != "lines-socket-00000000000000000000.wal" {
		t.Fatalf("log files %v", files)
	}
	// the job fails: no snapshot, the connection goes away
	r1.Close()
	c1.Close()

	r2 := openAt(t, src, pos)
	c2 := accept(t, conns)
	c2.Write([]byte("g\nh\n")) // already there when reading starts: still after the replay
	if got := strings.Join(lines(t, r2, 4), ","); got != "d,e,g,h" {
		t.Fatalf("after the restore %s", got)
	}
	quiet(t, r2)
	// a second failure, after checkpoint 2, with rows from the replay and
	// the new connection on both sides of it
	pos2 := snapshot(t, r2, 2)
	c2.Write([]byte("i\n"))
	lines(t, r2, 1)
	r2.Close()
	c2.Close()
	r3 := openAt(t, src, pos2)
	c3 := accept(t, conns)
	c3.Write([]byte("j\n"))
	if got := strings.Join(lines(t, r3, 2), ","); got != "i,j" {
		t.Fatalf("after the second restore %s", got)
	}
	// the older checkpoint still restores (the log keeps it until a
	// later checkpoint completes)
	r3.Close()
	r4 := openAt(t, src, pos)
	c4 := accept(t, conns)
	if got := strings.Join(lines(t, r4, 6), ","); got != "d,e,g,h,i,j" {
		t.Fatalf("restore of checkpoint 1 %s", got)
	}
	c4.Write([]byte("k\n"))
	if got := strings.Join(lines(t, r4, 1), ","); got != "k" {
		t.Fatalf("new data %s", got)
	}
	r4.Close()
	// a fresh start (no position) begins a new log
	r5 := openAt(t, src, nil)
	c5 := accept(t, conns)
	c5.Write([]byte("z\n"))
	if got := strings.Join(lines(t, r5, 1), ","); got != "z" {
		t.Fatalf("fresh start %s", got)
	}
	if p := r5.Position(); binary.BigEndian.Uint64(p) != 2 {
		t.Fatalf("fresh position %v", p)
	}
}

func TestWriteAheadLogTruncation(t *testing.T) {
	defer func(n int64) { segmentBytes = n }(segmentBytes)
	segmentBytes = 4
	port, conns := listener(t)
	state := t.TempDir()
	src, _ := connectors.Lookup("socket").NewSource(table(textCols, "hostname", "127.0.0.1", "port", port), &connectors.Env{StateDir: state})
	r := openAt(t, src, nil)
	c := accept(t, conns)
	var pos [][]byte
	for i := int64(1); i <= 4; i++ {
		c.Write([]byte("row" + string(rune('0'+i)) + "\n"))
		lines(t, r, 1)
		pos = append(pos, snapshot(t, r, i))
		r.CheckpointComplete(i)
	}
	// checkpoints 1..4 completed: data before checkpoint 3's position is gone
	if files := walFiles(t, state); strings.Join(files, ",") != "lines-socket-00000000000000000015.wal,lines-socket-00000000000000000020.wal" {
		t.Fatalf("segments %v", files)
	}
	r.Close()
	c.Close()
	splits, _ := src.Splits(1)
	if _, err := src.OpenSplit(ctx, splits[0], pos[0]); err == nil || !strings.Contains(err.Error(), "table lines") || !strings.Contains(err.Error(), "no longer holds") {
		t.Fatalf("restore of a pruned position: %v", err)
	}
	<-conns
	r2 := openAt(t, src, pos[2])
	accept(t, conns)
	if got := strings.Join(lines(t, r2, 1), ","); got != "row4" {
		t.Fatalf("restore of checkpoint 3: %s", got)
	}
}

func TestWriteAheadLogCSVCutRecord(t *testing.T) {
	port, conns := listener(t)
	state := t.TempDir()
	cols := types.Schema{{Name: "id", Type: types.BigInt}, {Name: "s", Type: types.String}}
	src, _ := connectors.Lookup("socket").NewSource(table(cols, "hostname", "127.0.0.1", "port", port, "format", "csv"), &connectors.Env{StateDir: state})
	r := openAt(t, src, nil)
	c := accept(t, conns)
	pos := snapshot(t, r, 1)
	c.Write([]byte("1,\"two\nlines\"\n2,\"cut\nof"))
	vals := collect(t, r, 2, 1)
	if vals[1].Str() != "two\nlines" {
		t.Fatalf("%v", vals)
	}
	r.Close()
	c.Close()
	r2 := openAt(t, src, pos)
	c2 := accept(t, conns)
	c2.Write([]byte("3,x\n"))
	vals = collect(t, r2, 2, 2)
	if vals[0].Int() != 1 || vals[1].Str() != "two\nlines" || vals[2].Int() != 3 || vals[3].Str() != "x" {
		t.Fatalf("%v", vals)
	}
}

func TestWriteAheadLogOff(t *testing.T) {
	port, conns := listener(t)
	state := t.TempDir()
	for _, tb := range []*catalog.Table{
		table(textCols, "hostname", "127.0.0.1", "port", port, "scan.wal", "false"),
	} {
		src, err := connectors.Lookup("socket").NewSource(tb, &connectors.Env{StateDir: state})
		if err != nil {
			t.Fatal(err)
		}
		r := openAt(t, src, nil)
		c := accept(t, conns)
		c.Write([]byte("a\n"))
		lines(t, r, 1)
		pos := snapshot(t, r, 1)
		c.Write([]byte("b\n"))
		lines(t, r, 1)
		r.Close()
		c.Close()
		r2 := openAt(t, src, pos)
		c2 := accept(t, conns)
		c2.Write([]byte("c\n"))
		if got := strings.Join(lines(t, r2, 1), ","); got != "c" {
			t.Fatalf("without a log nothing is replayed: %s", got)
		}
		if files := walFiles(t, state); len(files) != 0 {
			t.Fatalf("log files %v", files)
		}
	}
	if _, err := connectors.Lookup("socket").NewSource(table(textCols, "hostname", "x", "port", "1", "scan.wal", "maybe"), nil); err == nil ||
		!strings.Contains(err.Error(), "option 'scan.wal'") {
		t.Fatalf("bad scan.wal: %v", err)
	}
}
