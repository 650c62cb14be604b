package memory

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var _ connectors.TwoPhaseCommitWriter = (*writer)(nil)

type sink struct {
	t   *catalog.Table
	env *connectors.Env
}

// AcceptsChangelog is false: an in-memory table is append-only.
func (s *sink) AcceptsChangelog() bool { return false }

func (s *sink) Open(_ context.Context, instance, _ int) (connectors.SinkWriter, error) {
	var b [8]byte
	rand.Read(b[:])
	return &writer{s: s, id: hex.EncodeToString(b[:]) + "/" + fmt.Sprint(instance)}, nil
}

type writer struct {
	s       *sink
	id      string          // names this writer's transactions: random, and the instance
	seq     int64           // number of the next transaction
	pending [][]types.Value // written since the last Flush or PreCommit
	// pre-committed, not yet committed, oldest first
	uncommitted []txn
	closed      bool
}

// txn is one pre-committed transaction: rows written between two
// PreCommit calls.
type txn struct {
	writer string
	seq    int64
	rows   [][]types.Value
	enc    []byte // the committable
}

func (w *writer) Write(b *types.Batch) error {
	if w.closed {
		return errors.New("write after close")
	}
	for _, op := range b.Ops {
		if op != types.Insert {
			return fmt.Errorf("table %s: an in-memory table is append-only and cannot apply %s rows; write updating results to a sink with a primary key", w.s.t.Name, op)
		}
	}
	n := b.Len()
	if n == 0 {
		return nil
	}
	vals := make([]types.Value, len(b.Vals))
	copy(vals, b.Vals)
	for i := 0; i < n; i++ {
		w.pending = append(w.pending, vals[i*b.Width:(i+1)*b.Width:(i+1)*b.Width])
	}
	return nil
}

// Flush appends the rows written since the previous Flush (jobs without
// checkpoints).
func (w *writer) Flush() error {
	if len(w.pending) > 0 {
		w.s.env.Memory.Append(w.s.t.Name, w.pending)
		w.pending = nil
	}
	return nil
}

// PreCommit turns the rows written since the last PreCommit into a
// transaction. The committables carry the rows themselves, encoded, so
// that Recover in a new writer can append them; they repeat the
// transactions of earlier checkpoints not committed yet (a checkpoint that
// did not complete), so committing checkpoint n commits everything
// written before barrier n.
func (w *writer) PreCommit(int64) ([][]byte, error) {
	if w.closed {
		return nil, errors.New("pre-commit after close")
	}
	if len(w.pending) > 0 {
		t := txn{writer: w.id, seq: w.seq, rows: w.pending}
		w.seq++
		w.pending = nil
		t.enc = encodeTxn(w.s.t.Name, t)
		w.uncommitted = append(w.uncommitted, t)
	}
	if len(w.uncommitted) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(w.uncommitted))
	for i, t := range w.uncommitted {
		out[i] = t.enc
	}
	return out, nil
}

// Commit appends the transactions' rows to the table, each at most once
// (the store remembers which transactions it appended).
func (w *writer) Commit(committables [][]byte) error {
	for _, c := range committables {
		t, err := w.txn(c)
		if err != nil {
			return err
		}
		appendOnce(w.s.env.Memory, w.s.t.Name, t)
		for i, u := range w.uncommitted {
			if u.writer == t.writer && u.seq == t.seq {
				w.uncommitted = append(w.uncommitted[:i], w.uncommitted[i+1:]...)
				break
			}
		}
	}
	return nil
}

// txn returns the transaction of a committable: this writer's own (rows
// kept) or decoded.
func (w *writer) txn(c []byte) (txn, error) {
	for _, u := range w.uncommitted {
		if string(u.enc) == string(c) {
			return u, nil
		}
	}
	table, t, err := decodeTxn(c)
	if err != nil {
		return txn{}, fmt.Errorf("table %s: invalid in-memory sink committable: %v", w.s.t.Name, err)
	}
	if !strings.EqualFold(table, w.s.t.Name) {
		return txn{}, fmt.Errorf("table %s: the committable belongs to table %s", w.s.t.Name, table)
	}
	return t, nil
}

// Recover commits the transactions of the restored checkpoint (those
// already appended are skipped). Rows of a failed attempt that were not
// pre-committed lived in that attempt's writer only: nothing to abort.
func (w *writer) Recover(committables [][]byte) error { return w.Commit(committables) }

// Close discards rows not flushed or pre-committed; pre-committed rows
// stay in their committables.
func (w *writer) Close() error {
	w.pending, w.uncommitted, w.closed = nil, nil, true
	return nil
}

// OnceAppender is implemented by a connectors.MemoryStore that records the
// transactions of the in-memory sink it appended (Store does). Each
// writer numbers its transactions 0, 1, 2, ... and commits them in that
// order, so the store keeps only the highest number per writer.
type OnceAppender interface {
	// AppendOnce appends rows to table unless transaction seq of writer
	// (or a later one) was appended before; it reports whether it did.
	AppendOnce(table, writer string, seq int64, rows [][]types.Value) bool
}

// AppendOnce implements OnceAppender.
func (s *Store) AppendOnce(table, writer string, seq int64, rows [][]types.Value) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(table)
	if s.commits == nil {
		s.commits = map[string]map[string]int64{}
	}
	done := s.commits[k]
	if done == nil {
		done = map[string]int64{}
		s.commits[k] = done
	}
	if last, ok := done[writer]; ok && seq <= last {
		return false
	}
	done[writer] = seq
	s.tables[k] = append(s.tables[k], rows...)
	return true
}

// markerPrefix names the hidden log in which the in-memory sink records
// its transactions in a store that is not an OnceAppender.
const markerPrefix = "\x00memory-sink-commits/"

var markerMu sync.Mutex

func appendOnce(store connectors.MemoryStore, table string, t txn) {
	if oa, ok := store.(OnceAppender); ok {
		oa.AppendOnce(table, t.writer, t.seq, t.rows)
		return
	}
	markerMu.Lock()
	defer markerMu.Unlock()
	marker := markerPrefix + strings.ToLower(table)
	log := store.Snapshot(marker)
	for i := len(log) - 1; i >= 0; i-- {
		if len(log[i]) == 2 && log[i][0].Str() == t.writer {
			if t.seq <= log[i][1].Int() {
				return
			}
			break
		}
	}
	store.Append(table, t.rows)
	store.Append(marker, [][]types.Value{{types.StringValue(t.writer), types.IntValue(t.seq)}})
}

// Committable encoding: "SQMEM1", then the table name, writer and sequence
// number, the row count and width, and each value (kind byte, payload).
const magic = "SQMEM1"

func encodeTxn(table string, t txn) []byte {
	buf := []byte(magic)
	buf = appendString(buf, table)
	buf = appendString(buf, t.writer)
	buf = binary.AppendVarint(buf, t.seq)
	width := 0
	if len(t.rows) > 0 {
		width = len(t.rows[0])
	}
	buf = binary.AppendUvarint(buf, uint64(len(t.rows)))
	buf = binary.AppendUvarint(buf, uint64(width))
	for _, row := range t.rows {
		for _, v := range row {
			buf = types.AppendValue(buf, v)
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

var errCorrupt = errors.New("corrupt encoding")

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	u, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return u
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	i, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return i
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = errCorrupt
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) string() string { return string(d.bytes(d.uvarint())) }

func (d *decoder) value() types.Value {
	if d.err != nil {
		return types.Value{}
	}
	v, rest, err := types.DecodeValue(d.buf)
	if err != nil {
		d.err = fmt.Errorf("%w: %v", errCorrupt, err)
		return types.Value{}
	}
	d.buf = rest
	return v
}

func decodeTxn(c []byte) (string, txn, error) {
	rest, ok := strings.CutPrefix(string(c), magic)
	if !ok {
		return "", txn{}, errCorrupt
	}
	d := &decoder{buf: []byte(rest)}
	table := d.string()
	t := txn{writer: d.string(), seq: d.varint(), enc: c}
	n, width := d.uvarint(), d.uvarint()
	if d.err == nil && (n > uint64(len(d.buf)) || width > 0 && n > uint64(len(d.buf))/width) {
		d.err = errCorrupt
	}
	if d.err != nil {
		return "", txn{}, d.err
	}
	vals := make([]types.Value, int(n)*int(width))
	for i := range vals {
		vals[i] = d.value()
	}
	if d.err == nil && len(d.buf) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return "", txn{}, d.err
	}
	t.rows = make([][]types.Value, n)
	for i := range t.rows {
		t.rows[i] = vals[i*int(width) : (i+1)*int(width) : (i+1)*int(width)]
	}
	return table, t, nil
}
