package memory

import (
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// plainStore is a MemoryStore that is not an OnceAppender (as an engine's
// own store may be).
type plainStore struct {
	mu   sync.Mutex
	logs map[string][][]types.Value
}

func (p *plainStore) Snapshot(t string) [][]types.Value {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs[strings.ToLower(t)]
}

func (p *plainStore) Append(t string, rows [][]types.Value) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logs[strings.ToLower(t)] = append(p.logs[strings.ToLower(t)], rows...)
}

func ids(store connectors.MemoryStore) []int64 {
	var out []int64
	for _, r := range store.Snapshot("t") {
		out = append(out, r[0].Int())
	}
	return out
}

func writeRows(t *testing.T, w connectors.SinkWriter, from, to int) {
	t.Helper()
	b := types.NewBatch(2, 4)
	for _, r := range rows(from, to) {
		b.Append(types.Insert, r)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func open2PC(t *testing.T, store connectors.MemoryStore, instance int) connectors.TwoPhaseCommitWriter {
	t.Helper()
	sk, err := connectors.Lookup("").NewSink(table(), &connectors.Env{Memory: store})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sk.Open(ctx, instance, 2)
	return w.(connectors.TwoPhaseCommitWriter)
}

func TestTwoPhase(t *testing.T) {
	for name, newStore := range map[string]func() connectors.MemoryStore{
		"Store": func() connectors.MemoryStore { return NewStore() },
		"plain": func() connectors.MemoryStore { return &plainStore{logs: map[string][][]types.Value{}} },
	} {
		store := newStore()
		w := open2PC(t, store, 0)
		if cs, err := w.PreCommit(1); cs != nil || err != nil {
			t.Fatalf("%s: nothing written: %q %v", name, cs, err)
		}
		writeRows(t, w, 0, 3)
		c2, _ := w.PreCommit(2)
		writeRows(t, w, 3, 4)
		c3, _ := w.PreCommit(3) // never completes: carried into 4
		writeRows(t, w, 4, 6)
		c4, _ := w.PreCommit(4)
		if len(c2) != 1 || len(c3) != 2 || len(c4) != 3 {
			t.Fatalf("%s: committables %d %d %d", name, len(c2), len(c3), len(c4))
		}
		if n := len(ids(store)); n != 0 {
			t.Fatalf("%s: %d rows visible before Commit", name, n)
		}
		w.Commit(c2)
		w.Commit(c2)
		if got := ids(store); len(got) != 3 {
			t.Fatalf("%s: after commit 2: %v", name, got)
		}
		writeRows(t, w, 6, 7) // lost with the attempt
		// the attempt fails before checkpoint 4 completes: a new writer
		// restores checkpoint 4, twice
		w.Close()
		w2 := open2PC(t, store, 0)
		if err := w2.Recover(c4); err != nil {
			t.Fatal(err)
		}
		if err := w2.Recover(c4); err != nil {
			t.Fatal(err)
		}
		writeRows(t, w2, 6, 8)
		c5, _ := w2.PreCommit(5)
		w2.Commit(c5)
		if got := ids(store); len(got) != 8 || got[3] != 3 || got[7] != 7 {
			t.Fatalf("%s: after the restore: %v", name, got)
		}
		// another process: the committables carry the rows (of checkpoints
		// 2 to 4: 2 had not completed when 4 was taken)
		fresh := newStore()
		w3 := open2PC(t, fresh, 1)
		if err := w3.Recover(c4); err != nil {
			t.Fatal(err)
		}
		if got := ids(fresh); len(got) != 6 || got[0] != 0 || got[5] != 5 {
			t.Fatalf("%s: recovered in a new store: %v", name, got)
		}
		if err := w3.Recover([][]byte{[]byte("junk")}); err == nil || !strings.Contains(err.Error(), "table t") {
			t.Fatalf("%s: junk committable: %v", name, err)
		}
	}
}

func TestCommittableRoundTrip(t *testing.T) {
	row := []types.Value{types.NullValue(), types.BoolValue(true), types.IntValue(-7), types.DoubleValue(2.5),
		types.DecimalValue(-12345, 3), types.StringValue("h\u00e9\nllo"), types.TimestampValue(1602288000123),
		types.DateValue(-3), types.IntervalValue(90061000)}
	tx := txn{writer: "w/0", seq: 3, rows: [][]types.Value{row, row}}
	enc := encodeTxn("T", tx)
	table, got, err := decodeTxn(enc)
	if err != nil || table != "T" || got.writer != "w/0" || got.seq != 3 || len(got.rows) != 2 {
		t.Fatalf("%v %s %+v", err, table, got)
	}
	for i, v := range got.rows[1] {
		if v.Kind() != row[i].Kind() || !types.Equal(v, row[i]) || v.Scale() != row[i].Scale() {
			t.Fatalf("value %d: %v, want %v", i, v, row[i])
		}
	}
	for cut := 0; cut < len(enc); cut++ {
		if _, _, err := decodeTxn(enc[:cut]); err == nil {
			t.Fatalf("a committable cut at %d decodes", cut)
		}
	}
}
