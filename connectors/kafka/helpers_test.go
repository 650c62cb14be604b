package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// cluster starts an in-process Kafka cluster on 127.0.0.1 with the topics
// (each with partitions partitions) and returns its bootstrap servers.
func cluster(t testing.TB, brokers int, partitions int32, topics ...string) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(brokers), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, strings.Join(c.ListenAddrs(), ",")
}

var (
	eventSchema = types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String}, {Name: "ts", Type: types.Timestamp}}
	rawSchema   = types.Schema{{Name: "line", Type: types.String}}
)

func table(schema types.Schema, opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "events", Columns: schema, ProctimeColumn: -1,
		Options: []catalog.Option{{Key: "connector", Value: "kafka"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

// srcTable is a json source table reading topic from the earliest offset
// (more options may follow and override).
func srcTable(servers, topic string, opts ...string) *catalog.Table {
	base := []string{"topic", topic, "properties.bootstrap.servers", servers, "format", "json", "scan.startup.mode", "earliest-offset"}
	return table(eventSchema, override(base, opts)...)
}

func override(base, opts []string) []string {
	out := append([]string(nil), base...)
	for i := 0; i < len(opts); i += 2 {
		found := false
		for j := 0; j < len(out); j += 2 {
			if out[j] == opts[i] {
				out[j+1], found = opts[i+1], true
			}
		}
		if !found {
			out = append(out, opts[i], opts[i+1])
		}
	}
	return out
}

// producer writes records synchronously.
type producer struct {
	t  testing.TB
	cl *kgo.Client
}

func newProducer(t testing.TB, servers string, opts ...kgo.Opt) *producer {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(servers, ",")...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DisableClientMetrics()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &producer{t: t, cl: cl}
}

func (p *producer) send(topic string, partition int32, values ...string) {
	p.t.Helper()
	for _, v := range values {
		r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(v)}
		if err := p.cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			p.t.Fatal(err)
		}
	}
}

func (p *producer) sendAt(topic string, partition int32, ts time.Time, value string) {
	p.t.Helper()
	r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(value), Timestamp: ts}
	if err := p.cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
		p.t.Fatal(err)
	}
}

// txn writes values in one transaction of a transactional producer and
// commits or aborts it.
func txn(t *testing.T, servers, id, topic string, partition int32, commit bool, values ...string) {
	t.Helper()
	p := newProducer(t, servers, kgo.TransactionalID(id))
	if err := p.cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	p.send(topic, partition, values...)
	if err := p.cl.EndTransaction(context.Background(), kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
	p.cl.Close()
}

func jsonRows(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(`{"id":%d,"name":"n%d","ts":"2020-10-10 00:00:%02d.000"}`, i, i, i%60))
	}
	return out
}

func newSrc(t testing.TB, tab *catalog.Table, env *connectors.Env) connectors.Source {
	t.Helper()
	s, err := factory.NewSource(tab, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openSplit(t *testing.T, s connectors.Source, topic string, partition int32, pos []byte) connectors.SplitReader {
	t.Helper()
	r, err := s.OpenSplit(context.Background(), &split{topic: topic, partition: partition}, pos)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readN reads until n rows arrived (batches of at most batch rows), the
// split ended, or 10 s passed; it returns the rows rendered as strings and
// whether the split ended.
func readN(t *testing.T, r connectors.SplitReader, width, n, batch int) ([]string, bool) {
	t.Helper()
	var out []string
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		b := types.NewBatch(width, min(batch, n-len(out)))
		err := r.Next(context.Background(), b)
		for i := 0; i < b.Len(); i++ {
			out = append(out, renderRow(b.Row(i)))
		}
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out, false
}

// readAll reads a bounded split to its end.
func readAll(t *testing.T, r connectors.SplitReader, width int) []string {
	t.Helper()
	out, ended := readN(t, r, width, 1<<30, 1000)
	if !ended {
		t.Fatalf("the split did not end; read %d rows", len(out))
	}
	return out
}

func renderRow(row []types.Value) string {
	var parts []string
	for _, v := range row {
		switch v.Kind() {
		case types.KindTimestamp:
			parts = append(parts, string(types.AppendTimestamp(nil, v.Millis(), 3)))
		default:
			parts = append(parts, v.String())
		}
	}
	return strings.Join(parts, "|")
}

// committed reads every committed row of a topic (all partitions) with a
// bounded json source (up to the last stable offset) and returns the ids,
// sorted.
func committedIDs(t *testing.T, servers, topic string) []int64 {
	t.Helper()
	s := newSrc(t, srcTable(servers, topic, "scan.bounded.mode", "latest-offset"), nil)
	sps, err := s.Splits(1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, sp := range sps {
		r, err := s.OpenSplit(context.Background(), sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b := types.NewBatch(3, 100)
			err := r.Next(context.Background(), b)
			for i := 0; i < b.Len(); i++ {
				ids = append(ids, b.Row(i)[0].Int())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func offsetOf(pos []byte) int64 { return int64(binary.BigEndian.Uint64(pos)) }

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func sameIDs(a, b []int64) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}
