package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

func TestSourceFormats(t *testing.T) {
	_, servers := cluster(t, 1, 1, "j", "c", "r")
	p := newProducer(t, servers)
	p.send("j", 0, `{"id":1,"name":"a","ts":"2020-10-10 00:00:01.500"}`, `{"id":2,"name":null,"ts":1602288002000}`+"\n")
	p.send("c", 0, `1,a,2020-10-10 00:00:01.500`, `2,"b,c",2020-10-10 00:00:02.000`+"\r\n")
	p.send("r", 0, "line one", "", "line\nthree")
	// a tombstone: no row in json, a NULL row in raw
	p.cl.ProduceSync(context.Background(), &kgo.Record{Topic: "j", Partition: 0})
	p.cl.ProduceSync(context.Background(), &kgo.Record{Topic: "r", Partition: 0})

	cases := []struct {
		topic, format string
		schema        types.Schema
		want          string
	}{
		{"j", "json", eventSchema, "1|a|2020-10-10 00:00:01.500;2|NULL|2020-10-10 00:00:02.000"},
		{"c", "csv", eventSchema, "1|a|2020-10-10 00:00:01.500;2|b,c|2020-10-10 00:00:02.000"},
		{"r", "raw", rawSchema, "line one;;line\nthree;NULL"},
	}
	for _, tc := range cases {
		tab := table(tc.schema, "topic", tc.topic, "properties.bootstrap.servers", servers, "format", tc.format,
			"scan.startup.mode", "earliest-offset", "scan.bounded.mode", "latest-offset")
		s := newSrc(t, tab, nil)
		if !s.Bounded() {
			t.Fatal("a source with scan.bounded.mode latest-offset is bounded")
		}
		got := readAll(t, openSplit(t, s, tc.topic, 0, nil), len(tc.schema))
		if strings.Join(got, ";") != tc.want {
			t.Errorf("%s: got %q, want %q", tc.format, strings.Join(got, ";"), tc.want)
		}
	}
}

func TestSplitsArePartitions(t *testing.T) {
	_, servers := cluster(t, 3, 3, "a", "b")
	s := newSrc(t, srcTable(servers, "a;b"), nil)
	sps, err := s.Splits(2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sp := range sps {
		ids = append(ids, sp.ID())
	}
	if got := strings.Join(ids, ","); got != "a-0,a-1,a-2,b-0,b-1,b-2" {
		t.Fatalf("splits %s", got)
	}
	if s.Bounded() {
		t.Fatal("an unbounded source says it is bounded")
	}
	// each split reads its own partition (partitions led by different brokers)
	p := newProducer(t, servers)
	for part := int32(0); part < 3; part++ {
		p.send("a", part, jsonRows(int(part)*10, int(part)*10+2)...)
	}
	for part := int32(0); part < 3; part++ {
		r, err := s.OpenSplit(context.Background(), sps[part], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readN(t, r, 3, 3, 100)
		r.Close()
		want := fmt.Sprintf("%d|n%d|2020-10-10 00:00:%02d.000", part*10, part*10, part*10)
		if len(got) != 3 || got[0] != want {
			t.Fatalf("partition %d: %q", part, got)
		}
	}

	s = newSrc(t, srcTable(servers, "nope"), nil)
	if _, err := s.Splits(1); err == nil || !strings.Contains(err.Error(), "topic 'nope' does not exist on "+servers) {
		t.Fatalf("missing topic: %v", err)
	}
}

// TestResumeFromPosition reads in small batches, reopens at each position,
// and checks that every row comes exactly once, also across aborted and
// committed transactions (whose control records take offsets).
func TestResumeFromPosition(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	p := newProducer(t, servers)
	p.send("t", 0, jsonRows(1, 5)...)
	txn(t, servers, "x", "t", 0, false, jsonRows(100, 102)...) // aborted
	txn(t, servers, "y", "t", 0, true, jsonRows(6, 8)...)
	p.send("t", 0, jsonRows(9, 12)...)

	s := newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "latest-offset"), nil)
	var ids []string
	var pos []byte
	for i := 0; i < 50; i++ {
		r, err := s.OpenSplit(context.Background(), &split{topic: "t", partition: 0}, pos)
		if err != nil {
			t.Fatal(err)
		}
		b := types.NewBatch(3, 2)
		err = r.Next(context.Background(), b)
		for j := 0; j < b.Len(); j++ {
			ids = append(ids, b.Row(j)[0].String())
		}
		pos = r.Position()
		r.Close()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(ids, ","); got != "1,2,3,4,5,6,7,8,9,10,11,12" {
		t.Fatalf("rows %s", got)
	}
	// 5 + 3 aborted + abort marker + 3 + commit marker + 4 = 17 offsets
	if len(pos) != 16 || offsetOf(pos) != 17 || offsetOf(pos[8:]) != 17 {
		t.Fatalf("final position %x", pos)
	}
	// an unbounded source's position is the next offset alone
	s = newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil)
	got, _ := readN(t, r, 3, 2, 10)
	if len(got) != 2 || len(r.Position()) != 8 || offsetOf(r.Position()) != 2 {
		t.Fatalf("rows %q position %x", got, r.Position())
	}
	// reopening at a position: the next row is the one after it
	r = openSplit(t, s, "t", 0, []byte{0, 0, 0, 0, 0, 0, 0, 4})
	if got, _ := readN(t, r, 3, 1, 10); len(got) != 1 || !strings.HasPrefix(got[0], "5|") {
		t.Fatalf("resumed at offset 4: %q", got)
	}
}

func TestBoundedModes(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	p := newProducer(t, servers)
	base := time.UnixMilli(1_600_000_000_000)
	for i := 0; i < 6; i++ {
		p.sendAt("t", 0, base.Add(time.Duration(i)*time.Second), jsonRows(i, i)[0])
	}
	// latest-offset: the end is captured when the split opens
	s := newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "latest-offset"), nil)
	r := openSplit(t, s, "t", 0, nil)
	p.send("t", 0, jsonRows(6, 7)...)
	if got := readAll(t, r, 3); len(got) != 6 {
		t.Fatalf("latest-offset read %d rows: %q", len(got), got)
	}
	b := types.NewBatch(3, 10)
	if err := r.Next(context.Background(), b); !errors.Is(err, io.EOF) || b.Len() != 0 {
		t.Fatalf("after the end: %v, %d rows", err, b.Len())
	}
	// a restore keeps the end it captured
	pos := r.Position()
	r = openSplit(t, s, "t", 0, []byte{0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 5})
	if got := readAll(t, r, 3); len(got) != 2 {
		t.Fatalf("restored bounded split read %q", got)
	}
	_ = pos

	// timestamp: up to the first record at or after the time
	s = newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "timestamp",
		"scan.bounded.timestamp-millis", fmt.Sprint(base.Add(3*time.Second).UnixMilli())), nil)
	if got := readAll(t, openSplit(t, s, "t", 0, nil), 3); len(got) != 3 {
		t.Fatalf("timestamp read %q", got)
	}
	// specific-offsets
	s = newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "specific-offsets",
		"scan.bounded.specific-offsets", "partition:0,offset:2"), nil)
	if got := readAll(t, openSplit(t, s, "t", 0, nil), 3); len(got) != 2 {
		t.Fatalf("specific-offsets read %q", got)
	}
	// group-offsets: the group's committed offset
	commitOffset(t, servers, "g", "t", 0, 4)
	s = newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "group-offsets", "properties.group.id", "g"), nil)
	if got := readAll(t, openSplit(t, s, "t", 0, nil), 3); len(got) != 4 {
		t.Fatalf("group-offsets read %q", got)
	}
	s = newSrc(t, srcTable(servers, "t", "scan.bounded.mode", "group-offsets", "properties.group.id", "other"), nil)
	if _, err := s.OpenSplit(context.Background(), &split{topic: "t", partition: 0}, nil); err == nil || !strings.Contains(err.Error(), "no committed offset") {
		t.Fatalf("group without offsets: %v", err)
	}

	// read_committed: an open transaction bounds the end (last stable
	// offset), and a bounded read ends although the last offsets before it
	// are control records and aborted data
	_, servers = cluster(t, 1, 1, "x")
	p = newProducer(t, servers)
	p.send("x", 0, jsonRows(1, 2)...)
	txn(t, servers, "a", "x", 0, false, jsonRows(50, 51)...)
	open := newProducer(t, servers, kgo.TransactionalID("open"))
	open.cl.BeginTransaction()
	open.send("x", 0, jsonRows(60, 61)...)
	s = newSrc(t, srcTable(servers, "x", "scan.bounded.mode", "latest-offset"), nil)
	if ids := committedIDs(t, servers, "x"); !sameIDs(ids, seq(1, 2)) {
		t.Fatalf("read_committed read %v", ids)
	}
	r = openSplit(t, s, "x", 0, nil)
	if got := readAll(t, r, 3); len(got) != 2 || offsetOf(r.Position()) != 5 {
		t.Fatalf("read %q, position %x", got, r.Position())
	}
	if err := open.cl.EndTransaction(context.Background(), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "x"); !sameIDs(ids, []int64{1, 2, 60, 61}) {
		t.Fatalf("after the commit: %v", ids)
	}
}

// commitOffset commits an offset for a group as a consumer outside the
// group's generations.
func commitOffset(t *testing.T, servers, group, topic string, partition int32, off int64) {
	t.Helper()
	tab := srcTable(servers, topic, "properties.group.id", group)
	s := newSrc(t, tab, nil)
	r := openSplit(t, s, topic, partition, nil).(*reader)
	if err := r.commitGroup(off); err != nil {
		t.Fatal(err)
	}
}

func fetchGroupOffset(t *testing.T, servers, group, topic string, partition int32) int64 {
	t.Helper()
	s := newSrc(t, srcTable(servers, topic, "properties.group.id", group), nil)
	r := openSplit(t, s, topic, partition, nil).(*reader)
	off, ok, err := r.groupOffset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return -1
	}
	return off
}

func TestStartupModes(t *testing.T) {
	_, servers := cluster(t, 1, 2, "t")
	p := newProducer(t, servers)
	base := time.UnixMilli(1_600_000_000_000)
	for i := 0; i < 5; i++ {
		p.sendAt("t", 0, base.Add(time.Duration(i)*time.Second), jsonRows(i, i)[0])
	}
	first := func(tab ...string) string {
		t.Helper()
		s := newSrc(t, srcTable(servers, "t", tab...), nil)
		r := openSplit(t, s, "t", 0, nil)
		got, _ := readN(t, r, 3, 1, 10)
		if len(got) == 0 {
			return ""
		}
		return strings.Split(got[0], "|")[0]
	}
	if got := first(); got != "0" {
		t.Errorf("earliest-offset starts at %q", got)
	}
	if got := first("scan.startup.mode", "timestamp", "scan.startup.timestamp-millis", fmt.Sprint(base.Add(2*time.Second).UnixMilli())); got != "2" {
		t.Errorf("timestamp starts at %q", got)
	}
	if got := first("scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "partition:0,offset:3;partition:1,offset:0"); got != "3" {
		t.Errorf("specific-offsets starts at %q", got)
	}
	commitOffset(t, servers, "g", "t", 0, 4)
	if got := first("scan.startup.mode", "group-offsets", "properties.group.id", "g"); got != "4" {
		t.Errorf("group-offsets starts at %q", got)
	}
	if got := first("scan.startup.mode", "group-offsets", "properties.group.id", "new", "properties.auto.offset.reset", "earliest"); got != "0" {
		t.Errorf("group-offsets with reset earliest starts at %q", got)
	}
	s := newSrc(t, srcTable(servers, "t", "scan.startup.mode", "group-offsets", "properties.group.id", "new"), nil)
	if _, err := s.OpenSplit(context.Background(), &split{topic: "t", partition: 0}, nil); err == nil ||
		!strings.Contains(err.Error(), "group 'new' has no committed offset for topic 't' partition 0") {
		t.Errorf("group-offsets without an offset: %v", err)
	}
	// latest-offset: only rows produced after the split opened
	s = newSrc(t, srcTable(servers, "t", "scan.startup.mode", "latest-offset"), nil)
	r := openSplit(t, s, "t", 0, nil)
	p.send("t", 0, jsonRows(42, 42)...)
	if got, _ := readN(t, r, 3, 1, 10); len(got) != 1 || !strings.HasPrefix(got[0], "42|") {
		t.Errorf("latest-offset read %q", got)
	}
}

func TestBadRows(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	p := newProducer(t, servers)
	p.send("t", 0, jsonRows(1, 1)[0], `{"id":"x"}`, jsonRows(3, 3)[0])

	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil)
	b := types.NewBatch(3, 10)
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = r.Next(context.Background(), b)
	}
	var bad *connectors.BadRowError
	if !errors.As(err, &bad) || bad.Offset != 1 || b.Len() != 1 ||
		!strings.Contains(err.Error(), "table events: bad row in kafka topic 't' partition 0 at offset 1") || !strings.Contains(err.Error(), `{\"id\":\"x\"}`) {
		t.Fatalf("bad row: %v (%d rows before)", err, b.Len())
	}
	if err2 := r.Next(context.Background(), b); err2 != err {
		t.Fatalf("the error does not stay: %v", err2)
	}

	var stderr testkit.SyncBuffer
	s = newSrc(t, srcTable(servers, "t", "json.ignore-parse-errors", "true"), &connectors.Env{Stderr: &stderr})
	r = openSplit(t, s, "t", 0, nil)
	got, _ := readN(t, r, 3, 2, 10)
	if len(got) != 2 || !strings.HasPrefix(got[1], "3|") {
		t.Fatalf("rows %q", got)
	}
	if n := r.(connectors.SkippedRowCounter).SkippedRows(); n != 1 {
		t.Fatalf("skipped %d", n)
	}
	if !strings.Contains(stderr.String(), "kafka topic 't' partition 0 at offset 1") {
		t.Fatalf("stderr %q", stderr.String())
	}
}

func TestGroupOffsetsCommittedOnCheckpointComplete(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	newProducer(t, servers).send("t", 0, jsonRows(1, 5)...)
	s := newSrc(t, srcTable(servers, "t", "properties.group.id", "mon"), nil)
	r := openSplit(t, s, "t", 0, nil).(*reader)
	readN(t, r, 3, 2, 2)
	if _, err := r.SnapshotPosition(1); err != nil {
		t.Fatal(err)
	}
	readN(t, r, 3, 2, 2)
	if _, err := r.SnapshotPosition(2); err != nil {
		t.Fatal(err)
	}
	r.CheckpointComplete(1)
	r.gc.wg.Wait()
	if off := fetchGroupOffset(t, servers, "mon", "t", 0); off != 2 {
		t.Fatalf("after checkpoint 1 the group holds %d", off)
	}
	r.CheckpointComplete(2)
	r.Close() // waits for the commit
	if off := fetchGroupOffset(t, servers, "mon", "t", 0); off != 4 {
		t.Fatalf("after checkpoint 2 the group holds %d", off)
	}
	// a new job starting from the group's offsets continues there
	s = newSrc(t, srcTable(servers, "t", "properties.group.id", "mon", "scan.startup.mode", "group-offsets"), nil)
	if got, _ := readN(t, openSplit(t, s, "t", 0, nil), 3, 1, 10); len(got) != 1 || !strings.HasPrefix(got[0], "5|") {
		t.Fatalf("resumed from the group at %q", got)
	}
}

func TestNextIsPrompt(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil)
	b := types.NewBatch(3, 10)
	start := time.Now()
	if err := r.Next(context.Background(), b); err != nil || b.Len() != 0 {
		t.Fatal(err, b.Len())
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("Next without data took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start = time.Now()
	err := r.Next(ctx, b)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 90*time.Millisecond {
		t.Fatalf("cancelled Next: %v after %v", err, time.Since(start))
	}
	// a row produced while waiting arrives quickly
	p := newProducer(t, servers)
	done := make(chan error)
	go func() {
		time.Sleep(30 * time.Millisecond)
		done <- p.cl.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Value: []byte(jsonRows(1, 1)[0])}).FirstErr()
	}()
	start = time.Now()
	if got, _ := readN(t, r, 3, 1, 10); len(got) != 1 || time.Since(start) > time.Second {
		t.Fatalf("rows %q after %v", got, time.Since(start))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestOutOfRangePosition(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	newProducer(t, servers).send("t", 0, jsonRows(1, 2)...)
	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, []byte{0, 0, 0, 0, 0, 0, 0, 9})
	b := types.NewBatch(3, 10)
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = r.Next(context.Background(), b)
	}
	if err == nil || !strings.Contains(err.Error(), "offset 9 of kafka topic 't' partition 0 is out of range") {
		t.Fatalf("%v", err)
	}
}

func TestValidate(t *testing.T) {
	base := []string{"topic", "t", "properties.bootstrap.servers", "127.0.0.1:1", "format", "json"}
	cases := []struct {
		opts []string
		want string
	}{
		{[]string{"format", ""}, "needs option 'format'"},
		{[]string{"format", "avro"}, "unknown format 'avro'"},
		{[]string{"scan.startup.mode", "first"}, "option 'scan.startup.mode': expected earliest-offset"},
		{[]string{"scan.startup.mode", "timestamp"}, "needs option 'scan.startup.timestamp-millis'"},
		{[]string{"scan.bounded.mode", "specific-offsets", "scan.bounded.specific-offsets", "p:1"}, "expected 'partition:<n>,offset:<n>'"},
		{[]string{"scan.startup.timestamp-millis", "5"}, "needs 'scan.startup.mode' = 'timestamp'"},
		{[]string{"sink.delivery-guarantee", "twice"}, "expected none, at-least-once or exactly-once"},
		{[]string{"properties.bootstrap.servers", "localhost"}, "host:port"},
		{[]string{"properties.isolation.level", "dirty"}, "read_committed or read_uncommitted"},
		{[]string{"properties.security.protocol", "SASL_SSL"}, "only PLAINTEXT is supported"},
		{[]string{"properties.enable.idempotence", "false"}, "is set by the connector"},
		{[]string{"csv.ignore-first-line", "true", "format", "csv"}, "applies to files"},
		{[]string{"key.fields", "nope"}, "no column 'nope'"},
		{[]string{"key.format", "json"}, "needs 'key.fields'"},
		{[]string{"sink.transactional-id-pool-size", "1"}, "from 2 to 100"},
		{[]string{"format", "raw"}, "exactly one column"},
		{[]string{"scan.foo", "1"}, "has no option 'scan.foo'"},
	}
	for _, tc := range cases {
		err := connectors.ValidateOptions(table(eventSchema, override(base, tc.opts)...), factory)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.opts, err, tc.want)
		}
	}
	ok := [][]string{
		{"properties.some.unknown.key", "x", "properties.client.id", "me"},
		{"value.format", "csv", "format", "", "csv.field-delimiter", ";"},
		{"key.fields", "id;name", "key.format", "csv", "json.fail-on-missing-field", "true"},
	}
	for _, o := range ok {
		if err := connectors.ValidateOptions(table(eventSchema, override(base, o)...), factory); err != nil {
			t.Errorf("%v: %v", o, err)
		}
	}
	// the default startup mode needs a group (sources only)
	tab := table(eventSchema, base...)
	if err := connectors.ValidateOptions(tab, factory); err != nil {
		t.Fatal(err)
	}
	if _, err := factory.NewSource(tab, nil); err == nil || !strings.Contains(err.Error(), "'group-offsets' needs option 'properties.group.id'") {
		t.Errorf("default startup mode without a group: %v", err)
	}
	if _, err := factory.NewSink(tab, nil); err != nil {
		t.Errorf("a sink needs no group: %v", err)
	}
}

func TestLeaderChange(t *testing.T) {
	c, servers := cluster(t, 2, 1, "t")
	p := newProducer(t, servers)
	p.send("t", 0, jsonRows(1, 3)...)
	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil)
	if got, _ := readN(t, r, 3, 3, 10); len(got) != 3 {
		t.Fatalf("rows %q", got)
	}
	to := int32(0)
	if c.LeaderFor("t", 0) == 0 {
		to = 1
	}
	if err := c.MoveTopicPartition("t", 0, to); err != nil {
		t.Fatal(err)
	}
	p.send("t", 0, jsonRows(4, 6)...)
	got, _ := readN(t, r, 3, 3, 10)
	if len(got) != 3 || !strings.HasPrefix(got[0], "4|") || c.LeaderFor("t", 0) != to {
		t.Fatalf("after the leader moved: %q", got)
	}
}

// A reader reports how many records it is behind the end of the log: the
// high watermark of its last fetch less the next offset to read.
func TestPendingRecords(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	p := newProducer(t, servers)
	p.send("t", 0, jsonRows(1, 10)...)
	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil)
	pr, ok := r.(connectors.PendingRecordsReporter)
	if !ok {
		t.Fatal("the Kafka reader does not report pending records")
	}
	if got, _ := readN(t, r, 3, 4, 10); len(got) != 4 {
		t.Fatalf("read %q", got)
	}
	if n := pr.PendingRecords(); n != 6 {
		t.Fatalf("after 4 of 10 records: %d pending, want 6", n)
	}
	// The fetcher's next fetch sees a new high watermark (the records
	// may arrive over several fetches; the fetcher holds a bounded number
	// of fetched chunks, so the count is as of its last fetch).
	p.send("t", 0, jsonRows(11, 15)...)
	deadline := time.Now().Add(10 * time.Second)
	for pr.PendingRecords() == 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := pr.PendingRecords(); n <= 6 || n > 11 {
		t.Fatalf("after 5 more records: %d pending, want 7 to 11", n)
	}
	if got, _ := readN(t, r, 3, 11, 10); len(got) != 11 {
		t.Fatalf("read %q", got)
	}
	if n := pr.PendingRecords(); n != 0 {
		t.Fatalf("after reading everything: %d pending, want 0", n)
	}
}

// A reader told not to wait (connectors.PollWaiter, as a source task
// with several splits does while another split has rows) returns at once
// when nothing is buffered: it reports no time spent waiting. Told to
// wait, it waits as before; the rows still arrive either way.
func TestSetPollWait(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	s := newSrc(t, srcTable(servers, "t"), nil)
	r := openSplit(t, s, "t", 0, nil).(*reader)
	b := types.NewBatch(3, 10)
	r.SetPollWait(0)
	if err := r.Next(context.Background(), b); err != nil || b.Len() != 0 {
		t.Fatal(err, b.Len())
	}
	if w := r.WaitedNs(); w != 0 {
		t.Fatalf("Next told not to wait waited %d ns", w)
	}
	r.SetPollWait(30 * time.Millisecond)
	if err := r.Next(context.Background(), b); err != nil || b.Len() != 0 {
		t.Fatal(err, b.Len())
	}
	if w := r.WaitedNs(); w < int64(30*time.Millisecond) {
		t.Fatalf("Next told to wait 30 ms waited %d ns", w)
	}
	newProducer(t, servers).send("t", 0, jsonRows(1, 3)...)
	r.SetPollWait(0)
	if got, _ := readN(t, r, 3, 3, 10); len(got) != 3 {
		t.Fatalf("rows %q", got)
	}
}
