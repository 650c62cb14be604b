package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// cluster starts an in-process Kafka cluster on 127.0.0.1 and returns a
// Config for it.
func cluster(t testing.TB) (*kfake.Cluster, Config) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, Config{Brokers: c.ListenAddrs(), TransactionalIDPrefix: "test-job", RequestTimeout: 10 * time.Second}
}

var kvSchema = types.Schema{{Name: "k", Type: types.BigInt}, {Name: "v", Type: types.String}, {Name: "ts", Type: types.Timestamp}}

// newTopic creates a topic of kvSchema keyed by k.
func newTopic(t testing.TB, cfg Config, name string, partitions, producers int, bounded bool) Topic {
	t.Helper()
	tp := Topic{Name: name, Schema: kvSchema, KeyCols: []int{0}, Partitions: partitions, Producers: producers, Bounded: bounded}
	if err := CreateTopic(context.Background(), cfg, tp); err != nil {
		t.Fatal(err)
	}
	return tp
}

func kvRow(k int64, v string, ts int64) []types.Value {
	return []types.Value{types.IntValue(k), types.StringValue(v), types.TimestampValue(ts)}
}

// batchOf makes a batch of Insert rows.
func batchOf(rows ...[]types.Value) *types.Batch {
	b := types.NewBatch(len(rows[0]), len(rows))
	for _, r := range rows {
		b.Append(types.Insert, r)
	}
	return b
}

// openWriter opens the writer of instance of a sink.
func openWriter(t testing.TB, s connectors.Sink, instance int) *writer {
	t.Helper()
	w, err := s.Open(context.Background(), instance, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w.(*writer)
}

func openReader(t testing.TB, cfg Config, tp Topic, partition int, pos []byte) *reader {
	t.Helper()
	src := NewSource(cfg, tp, []int{partition})
	sps, err := src.Splits(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.OpenSplit(context.Background(), sps[0], pos)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.(*reader)
}

func render(op types.Op, row []types.Value) string {
	parts := []string{op.String()}
	for _, v := range row {
		parts = append(parts, v.String())
	}
	return strings.Join(parts, " ")
}

// next calls Next once with a batch of room rows and renders what came.
func next(t testing.TB, r *reader, room int) ([]string, error) {
	t.Helper()
	b := types.NewBatch(len(r.row), room)
	err := r.Next(context.Background(), b)
	var out []string
	for i := 0; i < b.Len(); i++ {
		out = append(out, render(b.Ops[i], b.Row(i)))
	}
	return out, err
}

// readUntil reads until n rows came, the split ended, or 10 s passed.
func readUntil(t testing.TB, r *reader, n int) (rows []string, ended bool) {
	t.Helper()
	return readFor(t, r, n, 10*time.Second)
}

// readFor reads until n rows came, the split ended, or d passed.
func readFor(t testing.TB, r *reader, n int, d time.Duration) (rows []string, ended bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(rows) < n && time.Now().Before(deadline) {
		got, err := next(t, r, 100)
		rows = append(rows, got...)
		if errors.Is(err, io.EOF) {
			return rows, true
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows, false
}

// readAll reads a bounded split to its end.
func readAll(t testing.TB, r *reader) []string {
	t.Helper()
	rows, ended := readUntil(t, r, math.MaxInt)
	if !ended {
		t.Fatalf("%s did not end; read %d rows", r.where, len(rows))
	}
	return rows
}

// waitWatermark reads (expecting no rows) until r's watermark is want.
func waitWatermark(t testing.TB, r *reader, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Watermark() != want && time.Now().Before(deadline) {
		rows, err := next(t, r, 100)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			t.Fatalf("unexpected rows %v while waiting for watermark %d", rows, want)
		}
	}
	if got := r.Watermark(); got != want {
		t.Fatalf("%s: watermark %d, want %d", r.where, got, want)
	}
}

func wmString(w int64) string {
	switch w {
	case math.MinInt64:
		return "min"
	case math.MaxInt64:
		return "max"
	}
	return fmt.Sprint(w)
}
