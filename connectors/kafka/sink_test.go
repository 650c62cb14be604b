package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

func sinkTable(servers, topic string, opts ...string) *catalog.Table {
	base := []string{"topic", topic, "properties.bootstrap.servers", servers, "format", "json"}
	return table(eventSchema, override(base, opts)...)
}

func openWriter(t *testing.T, tab *catalog.Table, env *connectors.Env, instance, parallelism int) connectors.SinkWriter {
	t.Helper()
	sk, err := factory.NewSink(tab, env)
	if err != nil {
		t.Fatal(err)
	}
	if sk.(connectors.ChangelogSink).AcceptsChangelog() {
		t.Fatal("the kafka sink does not accept a changelog")
	}
	w, err := sk.Open(context.Background(), instance, parallelism)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func batch(from, to int) *types.Batch {
	b := types.NewBatch(3, to-from+1)
	for i := from; i <= to; i++ {
		b.Append(types.Insert, []types.Value{types.IntValue(int64(i)), types.StringValue(fmt.Sprintf("n%d", i)), types.TimestampValue(int64(i) * 1000)})
	}
	return b
}

func write(t *testing.T, w connectors.SinkWriter, from, to int) {
	t.Helper()
	if err := w.Write(batch(from, to)); err != nil {
		t.Fatal(err)
	}
}

func preCommit(t *testing.T, w connectors.TwoPhaseCommitWriter, id int64) [][]byte {
	t.Helper()
	c, err := w.PreCommit(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// consume returns the records of a topic (all partitions) read with
// read_committed by a plain Kafka consumer, waiting until n arrived (and a
// little longer, to catch any extra).
func consume(t *testing.T, servers, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(servers, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.DisableClientMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(5 * time.Second)
	extra := time.Time{}
	for time.Now().Before(deadline) {
		if len(out) >= n {
			if extra.IsZero() {
				extra = time.Now().Add(200 * time.Millisecond)
			} else if time.Now().After(extra) {
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

func TestSinkPlain(t *testing.T) {
	_, servers := cluster(t, 1, 3, "none", "alo", "fixed")
	for _, g := range []string{"none", "at-least-once"} {
		topic := map[string]string{"none": "none", "at-least-once": "alo"}[g]
		w := openWriter(t, sinkTable(servers, topic, "sink.delivery-guarantee", g, "key.fields", "id"), nil, 0, 1)
		if _, ok := w.(connectors.TwoPhaseCommitWriter); ok {
			t.Fatalf("%s: the writer takes part in two-phase commits", g)
		}
		write(t, w, 1, 5)
		write(t, w, 6, 10)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if ids := committedIDs(t, servers, topic); !sameIDs(ids, seq(1, 10)) {
			t.Fatalf("%s: read %v", g, ids)
		}
		recs := consume(t, servers, topic, 10)
		for _, r := range recs {
			var v struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
				TS   string `json:"ts"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil || string(r.Key) != fmt.Sprintf(`{"id":%d}`, v.ID) ||
				v.Name != fmt.Sprintf("n%d", v.ID) || v.TS != fmt.Sprintf("1970-01-01 00:00:%02d.000", v.ID) {
				t.Fatalf("%s: record key %q value %q", g, r.Key, r.Value)
			}
		}
	}
	// updates are refused
	w := openWriter(t, sinkTable(servers, "alo"), nil, 0, 1)
	b := batch(1, 1)
	b.Ops[0] = types.UpdateAfter
	if err := w.Write(b); err == nil || !strings.Contains(err.Error(), "writes only inserted rows") {
		t.Fatalf("update: %v", err)
	}
	w.Close()
	// 'fixed': instance i writes partition i mod n
	w = openWriter(t, sinkTable(servers, "fixed", "sink.partitioner", "fixed", "format", "csv"), nil, 4, 5)
	write(t, w, 1, 3)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, r := range consume(t, servers, "fixed", 3) {
		if r.Partition != 1 || !strings.HasSuffix(string(r.Value), ",1970-01-01 00:00:0"+string(r.Value[0])+".000") {
			t.Fatalf("record %q in partition %d", r.Value, r.Partition)
		}
	}
	// a missing topic
	sk, _ := factory.NewSink(sinkTable(servers, "nope"), nil)
	if _, err := sk.Open(context.Background(), 0, 1); err == nil || !strings.Contains(err.Error(), "topic 'nope' does not exist") {
		t.Fatalf("missing topic: %v", err)
	}
}

func exactlyOnce(servers, topic string, opts ...string) *catalog.Table {
	return sinkTable(servers, topic, append([]string{"sink.delivery-guarantee", "exactly-once", "sink.transactional-id-prefix", "tx"}, opts...)...)
}

func open2PC(t *testing.T, tab *catalog.Table, env *connectors.Env, instance, parallelism int) connectors.TwoPhaseCommitWriter {
	t.Helper()
	w, ok := openWriter(t, tab, env, instance, parallelism).(connectors.TwoPhaseCommitWriter)
	if !ok {
		t.Fatal("an exactly-once writer is a TwoPhaseCommitWriter")
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// flushOpen makes the rows of w's open transaction reach the broker.
func flushOpen(t *testing.T, w connectors.TwoPhaseCommitWriter) {
	t.Helper()
	if err := w.(*txnWriter).pool.FlushOpen(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestExactlyOnceVisibleAfterCommit(t *testing.T) {
	_, servers := cluster(t, 3, 2, "t")
	w := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	if c := preCommit(t, w, 1); c != nil {
		t.Fatalf("nothing written: %q", c)
	}
	write(t, w, 1, 10)
	c2 := preCommit(t, w, 2)
	if len(c2) != 1 {
		t.Fatalf("committables %q", c2)
	}
	var c committable
	json.Unmarshal(c2[0], &c)
	if c.TxnID != "tx-0-0" || c.Checkpoint != 2 || c.Topic != "t" {
		t.Fatalf("committable %+v", c)
	}
	// rows after the barrier go to the next transaction
	write(t, w, 11, 12)
	if ids := committedIDs(t, servers, "t"); len(ids) != 0 {
		t.Fatalf("visible before Commit: %v", ids)
	}
	if err := w.Commit(c2); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c2); err != nil { // idempotent
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 10)) {
		t.Fatalf("after Commit: %v", ids)
	}
	// checkpoint 3 does not complete: its transaction rides with checkpoint 4
	c3 := preCommit(t, w, 3)
	write(t, w, 13, 15)
	c4 := preCommit(t, w, 4)
	if len(c3) != 1 || len(c4) != 2 {
		t.Fatalf("committables %d, %d", len(c3), len(c4))
	}
	if err := w.Commit(c4); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 15)) {
		t.Fatalf("after Commit 4: %v", ids)
	}
	// end of a bounded input: PreCommit and Commit of the last rows
	write(t, w, 16, 16)
	if err := w.Commit(preCommit(t, w, 5)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 16)) {
		t.Fatalf("at the end: %v", ids)
	}
	if recs := consume(t, servers, "t", 16); len(recs) != 16 {
		t.Fatalf("a plain read_committed consumer read %d records", len(recs))
	}
}

// TestRecoverCrashedWriter: a writer pre-commits and dies (closed, never
// committed); a new attempt recovers the committable and commits it.
func TestRecoverCrashedWriter(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	a := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	a.Recover(nil)
	write(t, a, 1, 5)
	c1 := preCommit(t, a, 1)
	write(t, a, 6, 7) // not pre-committed: lost with the attempt
	a.Close()
	if ids := committedIDs(t, servers, "t"); len(ids) != 0 {
		t.Fatalf("visible before recovery: %v", ids)
	}
	b := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	if err := b.Recover(c1); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 5)) {
		t.Fatalf("after Recover: %v", ids)
	}
	// recovering the same checkpoint again (another failure) changes nothing
	b.Close()
	c := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	if err := c.Recover(c1); err != nil {
		t.Fatal(err)
	}
	write(t, c, 6, 7)
	if err := c.Commit(preCommit(t, c, 2)); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 7)) {
		t.Fatalf("after the replay: %v", ids)
	}
}

// TestRecoverAbortsLaterTransactions: a writer pre-commits n and n+1, keeps
// writing and dies without checkpoint n+1 completing. Recovering n commits
// n's transaction; n+1's and the open one are aborted.
func TestRecoverAbortsLaterTransactions(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	a := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	a.Recover(nil)
	write(t, a, 1, 3)
	cn := preCommit(t, a, 1)
	write(t, a, 4, 6)
	cn1 := preCommit(t, a, 2)
	if len(cn1) != 2 {
		t.Fatalf("committables of n+1 %q", cn1)
	}
	write(t, a, 7, 8)
	flushOpen(t, a)
	// the attempt dies: no Close, no Commit
	b := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	if err := b.Recover(cn); err != nil {
		t.Fatal(err)
	}
	// the replay writes 4.. again, exactly once
	write(t, b, 4, 8)
	if err := b.Commit(preCommit(t, b, 2)); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 8)) {
		t.Fatalf("read %v", ids)
	}
	recs := consume(t, servers, "t", 8)
	if len(recs) != 8 {
		t.Fatalf("a plain read_committed consumer read %d records", len(recs))
	}
	// the zombie cannot commit what it pre-committed
	if err := a.Commit(cn1); err == nil {
		t.Fatal("the fenced writer committed")
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 8)) {
		t.Fatalf("after the zombie's commit: %v", ids)
	}
}

// TestRecoverAtLowerParallelism: three instances; two pre-commit, the
// third only has an open transaction when the job dies. The job restores
// at parallelism 1: instance 0 commits the pre-committed transactions and
// aborts the open one of former instance 2 (which left no committable).
func TestRecoverAtLowerParallelism(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	var ws []connectors.TwoPhaseCommitWriter
	for i := 0; i < 3; i++ {
		w := open2PC(t, exactlyOnce(servers, "t"), nil, i, 3)
		w.Recover(nil)
		ws = append(ws, w)
	}
	write(t, ws[0], 1, 2)
	write(t, ws[1], 3, 4)
	c := append(preCommit(t, ws[0], 1), preCommit(t, ws[1], 1)...)
	write(t, ws[2], 100, 101) // open when the job dies
	flushOpen(t, ws[2])
	r := open2PC(t, exactlyOnce(servers, "t"), nil, 0, 1)
	if err := r.Recover(c); err != nil {
		t.Fatal(err)
	}
	write(t, r, 5, 6)
	if err := r.Commit(preCommit(t, r, 2)); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 6)) {
		t.Fatalf("read %v", ids)
	}
}

func TestExactlyOnceDetails(t *testing.T) {
	_, servers := cluster(t, 1, 1, "t")
	// without checkpointing Flush commits
	var stderr testkit.SyncBuffer
	env := &connectors.Env{JobName: "job1", Stderr: &stderr}
	w := open2PC(t, sinkTable(servers, "t", "sink.delivery-guarantee", "exactly-once"), env, 0, 1)
	write(t, w, 1, 2)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if ids := committedIDs(t, servers, "t"); !sameIDs(ids, seq(1, 2)) {
		t.Fatalf("read %v", ids)
	}
	// the default prefix comes from the job and the table
	write(t, w, 3, 3)
	var c committable
	json.Unmarshal(preCommit(t, w, 1)[0], &c)
	if !strings.HasPrefix(c.TxnID, "streamsql-job1-events-0-") {
		t.Fatalf("transactional id %s", c.TxnID)
	}
	w.Close()
	// the pool runs out when checkpoints do not complete
	w = open2PC(t, exactlyOnce(servers, "t", "sink.transactional-id-pool-size", "2"), nil, 0, 1)
	w.Recover(nil)
	write(t, w, 1, 1)
	preCommit(t, w, 1)
	write(t, w, 2, 2)
	preCommit(t, w, 2)
	if err := w.Write(batch(3, 3)); err == nil || !strings.Contains(err.Error(), "all 2 transactional ids of sink instance 0") {
		t.Fatalf("pool exhausted: %v", err)
	}
	// a committable whose transaction was aborted meanwhile is reported
	_, servers = cluster(t, 1, 1, "u")
	a := open2PC(t, exactlyOnce(servers, "u"), nil, 0, 1)
	a.Recover(nil)
	write(t, a, 1, 1)
	cs := preCommit(t, a, 1)
	abortPrepared(t, a.(*txnWriter).admin, cs[0])
	b := open2PC(t, exactlyOnce(servers, "u"), env, 0, 1)
	if err := b.Recover(cs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "was aborted before it could be committed") {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// TestProducerBufferBounded: the producer's buffer of unacknowledged
// records is bounded in records and in bytes (franz-go bounds only the
// records by default), so that Write blocks instead of growing memory
// when the broker is slow.
func TestProducerBufferBounded(t *testing.T) {
	sk, err := factory.NewSink(sinkTable("127.0.0.1:1", "t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(sk.(*sink).producerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if got := cl.OptValue(kgo.MaxBufferedBytes); got != int64(maxBufferedBytes) && got != maxBufferedBytes {
		t.Fatalf("MaxBufferedBytes = %v (%T), want %d", got, got, maxBufferedBytes)
	}
	if got := cl.OptValue(kgo.MaxBufferedRecords); got != int64(maxBufferedRecords) && got != maxBufferedRecords {
		t.Fatalf("MaxBufferedRecords = %v, want %d", got, maxBufferedRecords)
	}
}

// abortPrepared aborts the pre-committed transaction committable c names,
// as the broker does when its timeout passes.
func abortPrepared(t *testing.T, admin *kgo.Client, c []byte) {
	t.Helper()
	var cm committable
	if err := json.Unmarshal(c, &cm); err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = cm.TxnID, cm.ProducerID, cm.Epoch, false
	resp, err := req.RequestWith(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("aborting %s: error code %d", cm.TxnID, resp.ErrorCode)
	}
}

// TestCommittableFormat: a committable's JSON is part of the checkpoint
// format; one written by an earlier release decodes, and encoding gives
// the same bytes.
func TestCommittableFormat(t *testing.T) {
	const old = `{"v":1,"transactional_id":"streamsql-j-out-0-1","producer_id":7,"epoch":3,"checkpoint":12,"topic":"out","prefix":"streamsql-j-out","instance":0,"parallelism":2,"pool_size":4}`
	var c committable
	if err := json.Unmarshal([]byte(old), &c); err != nil || !c.Valid() || c.TxnID != "streamsql-j-out-0-1" || c.ProducerID != 7 || c.Epoch != 3 || c.Checkpoint != 12 || c.Parallelism != 2 || c.PoolSize != 4 {
		t.Fatalf("decoded %+v, %v", c, err)
	}
	if got, _ := json.Marshal(c); string(got) != old {
		t.Fatalf("encoded %s\nwant    %s", got, old)
	}
}
