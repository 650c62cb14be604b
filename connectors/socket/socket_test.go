package socket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

// server accepts one connection and hands it to the test.
func server(t *testing.T) (port string, conns chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			conns <- c
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, conns
}

func table(cols types.Schema, opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "lines", Columns: cols, ProctimeColumn: -1,
		Options: []catalog.Option{{Key: "connector", Value: "socket"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

var textCols = types.Schema{{Name: "line", Type: types.String}}

func open(t *testing.T, tb *catalog.Table, env *connectors.Env) (connectors.SplitReader, connectors.Source) {
	t.Helper()
	src, err := connectors.Lookup("socket").NewSource(tb, env)
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := src.Splits(4)
	if len(splits) != 1 {
		t.Fatalf("%d splits", len(splits))
	}
	r, err := src.OpenSplit(ctx, splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, src
}

// collect calls Next until n rows arrived or the deadline passes.
func collect(t *testing.T, r connectors.SplitReader, width, n int) []types.Value {
	t.Helper()
	var out []types.Value
	deadline := time.Now().Add(5 * time.Second)
	for len(out) < n*width && time.Now().Before(deadline) {
		b := types.NewBatch(width, 16)
		if err := r.Next(ctx, b); err != nil {
			t.Fatalf("after %d values: %v", len(out), err)
		}
		out = append(out, b.Vals...)
	}
	if len(out) != n*width {
		t.Fatalf("got %d values, want %d", len(out), n*width)
	}
	return out
}

func TestTextLines(t *testing.T) {
	port, conns := server(t)
	r, src := open(t, table(textCols, "hostname", "127.0.0.1", "port", port), nil)
	if src.Bounded() {
		t.Fatal("socket source must be unbounded by default")
	}
	c := <-conns
	defer c.Close()
	c.Write([]byte("hello world\r\nsecond"))
	// no complete second line yet: only the first row, and Next returns in time
	vals := collect(t, r, 1, 1)
	if vals[0].Str() != "hello world" {
		t.Fatalf("%q", vals[0].Str())
	}
	start := time.Now()
	b := types.NewBatch(1, 16)
	if err := r.Next(ctx, b); err != nil || b.Len() != 0 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 400*time.Millisecond {
		t.Fatalf("an idle Next took %v", d)
	}
	c.Write([]byte(" line\nthird\n"))
	vals = collect(t, r, 1, 2)
	if vals[0].Str() != "second line" || vals[1].Str() != "third" {
		t.Fatalf("%v", vals)
	}
	if pos := r.Position(); len(pos) != 16 || pos[7] != byte(len("hello world\r\nsecond line\nthird\n")) || pos[15] != 3 {
		t.Fatalf("position %v", pos)
	}
	// cancellation: Next returns promptly
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	start = time.Now()
	if err := r.Next(cctx, types.NewBatch(1, 16)); err != nil && err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("cancelled Next took %v", d)
	}
	// the peer goes away: an error naming the table and the address
	c.Write([]byte("last\n"))
	c.Close()
	var err error
	var got []string
	for i := 0; i < 50 && err == nil; i++ {
		b := types.NewBatch(1, 16)
		err = r.Next(ctx, b)
		for j := 0; j < b.Len(); j++ {
			got = append(got, b.Row(j)[0].Str())
		}
	}
	if strings.Join(got, ",") != "last" {
		t.Fatalf("rows before the drop: %v", got)
	}
	if err == nil || !strings.Contains(err.Error(), "table lines") || !strings.Contains(err.Error(), "127.0.0.1:"+port) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("drop: %v", err)
	}
}

func TestCSVBoundedAndBadRows(t *testing.T) {
	port, conns := server(t)
	cols := types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String}}
	var stderr bytes.Buffer
	tb := table(cols, "host", "127.0.0.1", "port", port, "format", "csv", "byte-delimiter", "59", "scan.bounded", "true", "csv.ignore-parse-errors", "true")
	r, src := open(t, tb, &connectors.Env{Stderr: &stderr})
	if !src.Bounded() {
		t.Fatal("scan.bounded")
	}
	c := <-conns
	c.Write([]byte(`1,a;x,bad;2,"semi;colon";3,end`))
	c.Close()
	var ids []int64
	var names []string
	for {
		b := types.NewBatch(2, 16)
		err := r.Next(ctx, b)
		for i := 0; i < b.Len(); i++ {
			ids = append(ids, b.Row(i)[0].Int())
			names = append(names, b.Row(i)[1].Str())
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(ids) != 3 || ids[2] != 3 || names[1] != "semi;colon" {
		t.Fatalf("%v %v", ids, names)
	}
	if r.(connectors.SkippedRowCounter).SkippedRows() != 1 || !strings.Contains(stderr.String(), "socket 127.0.0.1:"+port+", line 2 (byte offset 4)") {
		t.Fatalf("skipped %d, log %q", r.(connectors.SkippedRowCounter).SkippedRows(), stderr.String())
	}
}

func TestJSONBadRowFails(t *testing.T) {
	port, conns := server(t)
	cols := types.Schema{{Name: "id", Type: types.BigInt}}
	r, _ := open(t, table(cols, "hostname", "127.0.0.1", "port", port, "format", "json"), nil)
	c := <-conns
	defer c.Close()
	c.Write([]byte("{\"id\": 1}\n{\"id\": oops}\n"))
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = r.Next(ctx, types.NewBatch(1, 16))
	}
	var bad *connectors.BadRowError
	if !errors.As(err, &bad) || bad.Offset != 10 || bad.Row != `{"id": oops}` || !strings.Contains(bad.Source, port) {
		t.Fatalf("%v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	f := connectors.Lookup("socket")
	two := types.Schema{{Name: "a", Type: types.String}, {Name: "b", Type: types.String}}
	for _, c := range []struct {
		cols types.Schema
		opts []string
		err  string
	}{
		{textCols, []string{"port", "1"}, "table lines: connector 'socket' needs option 'hostname'"},
		{textCols, []string{"hostname", "x", "port", "http"}, "table lines: option 'port': expected a port number, got 'http'"},
		{two, []string{"hostname", "x", "port", "1"}, "table lines: format 'text' needs exactly one column, the table has 2"},
		{textCols, []string{"hostname", "x", "port", "1", "byte-delimiter", "300"}, "table lines: option 'byte-delimiter': expected a byte value 0..255, got 300"},
		{textCols, []string{"hostname", "x", "port", "1", "topic", "t"}, "table lines: connector 'socket' has no option 'topic'"},
	} {
		_, err := f.NewSource(table(c.cols, c.opts...), nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%v: got %v, want %s", c.opts, err, c.err)
		}
	}
	// nothing listens: OpenSplit fails
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	src, _ := f.NewSource(table(textCols, "hostname", "127.0.0.1", "port", port), nil)
	if _, err := src.OpenSplit(ctx, nil, nil); err == nil || !strings.Contains(err.Error(), "cannot connect to 127.0.0.1:"+port) {
		t.Fatalf("no server: %v", err)
	}
}
