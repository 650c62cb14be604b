package print

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

func table(opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "out", ProctimeColumn: -1,
		Columns: types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String},
			{Name: "price", Type: types.DecimalType(10, 2)}, {Name: "ts", Type: types.Timestamp}},
		Options: []catalog.Option{{Key: "connector", Value: "print"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

func batch() *types.Batch {
	b := types.NewBatch(4, 4)
	b.Append(types.Insert, []types.Value{types.IntValue(1), types.StringValue("Alice"), types.DecimalValue(150, 2), types.TimestampValue(1602288005000)})
	b.Append(types.UpdateBefore, []types.Value{types.IntValue(2), types.Value{}, types.DecimalValue(2, 0), types.Value{}})
	b.Append(types.UpdateAfter, []types.Value{types.IntValue(2), types.StringValue("x"), types.Value{}, types.TimestampValue(0)})
	b.Append(types.Delete, []types.Value{types.IntValue(3), types.StringValue(""), types.Value{}, types.Value{}})
	return b
}

const rows = `+I[1, Alice, 1.50, 2020-10-10 00:00:05.000]
-U[2, NULL, 2.00, NULL]
+U[2, x, NULL, 1970-01-01 00:00:00.000]
-D[3, , NULL, NULL]
`

func prefixed(prefix string) string {
	var out []string
	for _, l := range strings.SplitAfter(rows, "\n") {
		if l != "" {
			out = append(out, prefix+l)
		}
	}
	return strings.Join(out, "")
}

func run(t *testing.T, tb *catalog.Table, instance, parallelism int) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	sk, err := connectors.Lookup("print").NewSink(tb, &connectors.Env{Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if !sk.(connectors.ChangelogSink).AcceptsChangelog() {
		t.Fatal("print accepts a changelog")
	}
	w, err := sk.Open(ctx, instance, parallelism)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch()); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	w.Close()
	return stdout.String(), stderr.String()
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		opts                  []string
		instance, parallelism int
		want                  string
		toStderr              bool
	}{
		{nil, 0, 1, rows, false},
		{nil, 1, 2, prefixed("2> "), false},
		{nil, 0, 2, prefixed("1> "), false},
		{[]string{"print-identifier", "sink"}, 0, 1, prefixed("sink> "), false},
		{[]string{"print-identifier", "sink"}, 2, 4, prefixed("sink:3> "), false},
		{[]string{"standard-error", "true"}, 0, 1, rows, true},
	} {
		out, errOut := run(t, table(c.opts...), c.instance, c.parallelism)
		if c.toStderr {
			out, errOut = errOut, out
		}
		if out != c.want || errOut != "" {
			t.Errorf("%v %d/%d:\n got %q\nwant %q (other stream %q)", c.opts, c.instance, c.parallelism, out, c.want, errOut)
		}
	}
}

func TestParallelLinesDoNotInterleave(t *testing.T) {
	var stdout bytes.Buffer
	sk, _ := connectors.Lookup("print").NewSink(table(), &connectors.Env{Stdout: &stdout})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		w, _ := sk.Open(ctx, i, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				w.Write(batch())
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 4*200*4 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, "]") || strings.Count(l, "[") != 1 {
			t.Fatalf("mangled line %q", l)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	_, err := connectors.Lookup("print").NewSink(table("standard-error", "yes"), nil)
	if err == nil || err.Error() != "table out: option 'standard-error': expected 'true' or 'false', got 'yes'" {
		t.Fatal(err)
	}
	_, err = connectors.Lookup("print").NewSink(table("path", "x"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "table out: connector 'print' has no option 'path'") {
		t.Fatal(err)
	}
}
