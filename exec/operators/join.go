package operators

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// JoinSpec configures an equi-join: inner by default, outer with Outer,
// filtering the left input with Semi or Anti.
type JoinSpec struct {
	LeftKeyCols, RightKeyCols []int // equi-join keys: left row cols = right row cols (input 0 = left, 1 = right)
	LeftWidth, RightWidth     int
	Residual                  expr.Expr // nil or bound against left++right
	// WindowEnd, when not nil, marks a window join: WindowEnd[0] / WindowEnd[1] are the window_end
	// columns of the left / right rows (also part of the keys). Output is append-only and
	// a window's state is dropped once the watermark reaches window_end - 1.
	WindowEnd *[2]int
	// Outer[s] keeps the rows of side s that match nothing, padded with
	// NULLs for the other side (LEFT: Outer[0], RIGHT: Outer[1], FULL:
	// both). See NewJoin for when a padded row is emitted.
	Outer [2]bool
	// Semi and Anti make the join filter its left input: its output is
	// the left rows that have a match (Semi) or none (Anti), left columns
	// only. With Expire, the left side needs bounds (an interval semi or
	// anti join).
	Semi, Anti bool
	// AppendOnly[s] is true when input s never retracts: its rows are
	// appended to their bag without looking for an equal row.
	AppendOnly [2]bool
	// Expire, when not empty for a side, makes an interval join: a row of
	// side s can match nothing once the watermark reaches the smallest of
	// its bounds (JoinExpiry), and is then dropped from state. A row whose
	// bound is NULL matches nothing (its condition term is NULL) and is
	// neither stored nor joined. Both inputs must be append-only.
	Expire [2][]JoinExpiry
	// StateTTL (table.exec.state.ttl) is how long a join key's rows on one
	// side are kept without being read or written, in processing time; 0
	// keeps them forever. A window join ignores it (its state goes when
	// its window ends).
	StateTTL time.Duration
}

// JoinExpiry is one time bound of an interval join's side: a row r of the
// side can no longer match once the watermark is >= At(r) - Minus (At is a
// TIMESTAMP expression bound against that side's row alone; Minus is in
// milliseconds).
type JoinExpiry struct {
	At    expr.Expr
	Minus int64
}

// NewJoin returns an equi-join of input 0 (left) and input 1 (right),
// each hash-partitioned on its key columns. Output row = left row ++ right
// row, kept when Residual (if any) is TRUE. A row matches a row of the
// other side when their keys are equal and the residual is TRUE.
//
// Regular join: both sides are kept in keyed state as multisets of rows
// ("left", "right": join key -> rows with counts). A row with a NULL key
// matches nothing and is not stored. An added row (+I/+U) is stored and
// joined with every match on the other side; a retraction (-U/-D) removes
// one occurrence and retracts its joined rows. Each output row carries its
// input row's op (Flink's inner join): +I/+U for additions, -U/-D for
// retractions; a retraction of a row that is not stored is ignored.
//
// With a StateTTL, each side's state of a join key (its bag of rows) that
// has been idle for the TTL in processing time expires on its own: it is
// removed, so rows of the other side no longer match it and retractions
// of its rows are ignored (and an outer, semi or anti join's match counts
// are no longer updated by them). A row reads and writes its own side's bag and
// reads the other side's bag of its key: both count as accesses and
// refresh their stamps. OnTick removes expired bags incrementally (see
// ttl.go).
//
// Regular outer join (Outer set, as Flink's streaming join): each stored
// row of a preserved side keeps its number of matches (occurrences of
// matching rows of the other side). Output rows are +I (additions) and -D
// (retractions). A preserved row with no match is emitted padded,
// +I(row, NULLs); when its first match arrives, -D(row, NULLs) then
// +I(row, match); when its last match is retracted, -D(row, match) then
// +I(row, NULLs); when it is retracted unmatched, -D(row, NULLs). A
// preserved row with a NULL key is emitted padded at once and retracted
// when it is retracted (it is not stored).
//
// Regular semi / anti join (Semi / Anti): the left rows keep their number
// of matches; a left row is emitted (+I, left columns) when the count goes
// 0 -> 1 (semi) or is 0 (anti, on arrival or when it falls back to 0), and
// retracted (-D) when that no longer holds or the row is retracted. A left
// row with a NULL key has no match: anti emits it (and retracts it) at
// once, semi never.
//
// Interval join (Expire set): output rows are +I. A row is stored with
// the time its side's bounds give it and removed once the watermark
// reaches that time (an event-time timer per bag at its earliest row's
// expiry). A row that arrives already expired is joined with what is
// stored but not stored itself. The state TTL does not apply. An outer
// interval join marks the stored rows of a preserved side that matched
// and emits the unmatched ones padded when they expire (a row that
// arrives expired, or whose key or bound is NULL, at once if unmatched):
// its output stays append-only. An interval semi or anti join marks the
// stored left rows that matched (a left row that matches on arrival is
// not kept): semi emits a left row (left columns) when its first match
// arrives, at most once; anti emits the left rows that expire unmatched
// (one that arrives expired and matches nothing, or whose key or bound is
// NULL, at once). Output stays append-only.
//
// Window join: every output row is +I; the state of window end e (rows of
// both sides) is dropped at watermark >= e - 1, and a row arriving for a
// window whose end has passed is dropped and counted in LateRowsDropped.
// An outer window join marks the stored rows that matched (a row matches
// when the residual holds for at least one row of the other side) and,
// when the window closes, emits the unmatched rows of each preserved side
// padded with NULLs, before dropping them; a preserved row with a NULL key
// matches nothing and is emitted padded at once.
func NewJoin(spec JoinSpec) exec.Operator { return &join{spec: spec} }

type join struct {
	exec.Base
	spec    JoinSpec
	ctx     *exec.Context
	metrics *exec.Metrics
	keys    [2]keying
	sides   [2]*store[*bag]
	clock   clock
	timers  *timers
	ttl     stateTTL
	keyBuf  []byte
	tagBuf  []byte
	out     []types.Value
	pad     []types.Value // padded rows (out holds the joined row meanwhile)
	scratch []types.Value // a stored row decoded (see rowOf)
	encBuf  []byte        // a row being encoded (see keepRow)
	late    int64
	// counts[s]: a regular join keeps the match counts of side s's rows
	// (a preserved side, or the left side of a semi or anti join).
	counts [2]bool
	// rowBytes is where a window join keeps the encodings of its rows
	// (see keepRow).
	rowBytes strings.Builder
	// rowsFree holds emptied row lists of closed window-join bags, for new
	// bags to start with room (a window's bag grows as its rows arrive).
	rowsFree [][]bagRow
}

// maxFreeRowLists bounds join.rowsFree.
const maxFreeRowLists = 8

// newBagRows returns an empty row list for a new bag: a recycled one in a
// window join.
func (o *join) newBagRows() []bagRow {
	if n := len(o.rowsFree); n > 0 {
		r := o.rowsFree[n-1]
		o.rowsFree[n-1] = nil
		o.rowsFree = o.rowsFree[:n-1]
		return r
	}
	return nil
}

// closeWindowBag removes the bag of a window that closed from side s and
// keeps its row list for a new bag (nothing reads a removed bag's rows).
func (o *join) closeWindowBag(s, kg int, key []byte, bg *bag) {
	o.sides[s].remove(kg, key, bg)
	if len(o.rowsFree) < maxFreeRowLists && cap(bg.rows) > 1 {
		clear(bg.rows)
		o.rowsFree = append(o.rowsFree, bg.rows[:0])
	}
	bg.rows = nil
}

// rowChunkBytes is the size of one chunk of join.rowBytes.
const rowChunkBytes = 16 << 10

// keepRow returns the encoding of row for a bag to keep (bagRow.enc). A
// window join's rows all go when their window closes, so it appends them
// to shared chunks (one allocation per chunk, not per row; a chunk is
// freed once every row in it, and every string value decoded from them,
// is gone); other joins keep rows for unrelated lengths of time and
// allocate each on its own. Either way the bytes of a kept row are never
// written again (a strings.Builder only appends), as the strings decoded
// from it require.
func (o *join) keepRow(row []types.Value) string {
	o.encBuf = types.AppendValues(o.encBuf[:0], row)
	n := len(o.encBuf)
	if o.spec.WindowEnd == nil || n > rowChunkBytes/8 {
		return string(o.encBuf)
	}
	if o.rowBytes.Cap()-o.rowBytes.Len() < n {
		o.rowBytes = strings.Builder{}
		o.rowBytes.Grow(rowChunkBytes)
	}
	at := o.rowBytes.Len()
	o.rowBytes.Write(o.encBuf)
	return o.rowBytes.String()[at:]
}

// rowOf decodes enc, a stored row of side s, into o.scratch, which it
// returns (valid until the next call; its strings point into enc).
func (o *join) rowOf(s int, enc string) ([]types.Value, error) {
	row := o.scratch[:o.width(s)]
	if _, err := types.DecodeValuesInto(row, enc); err != nil {
		return nil, badRow(s, err)
	}
	return row, nil
}

// decodeInto decodes enc, a stored row of side s, into dst (a part of
// o.out or o.pad).
func decodeInto(s int, dst []types.Value, enc string) error {
	if _, err := types.DecodeValuesInto(dst, enc); err != nil {
		return badRow(s, err)
	}
	return nil
}

func badRow(s int, err error) error {
	return errorf("join state %q holds a row that does not fit the join: %v", sideStates[s], err)
}

// width is the number of columns of side s's rows.
func (o *join) width(s int) int {
	if s == 0 {
		return o.spec.LeftWidth
	}
	return o.spec.RightWidth
}

// bagRowMemSize estimates the memory a bag row whose encoding is enc
// takes (a store's byte bound counts it).
func bagRowMemSize(enc string) int { return int(unsafe.Sizeof(bagRow{})) + len(enc) }

// bag is a multiset of rows.
type bag struct {
	marks
	// held is 1 + the number of rows (the first ones) that the memory
	// backend's incremental checkpoints hold as they are now, or 0 when
	// the next checkpoint must write the bag whole (see
	// bagCodec.AppendTail). Every change to a row other than appending
	// one goes through rewrite, which clears it when the row is held.
	held int32
	ttlStamp
	rows []bagRow
	idx  map[string]int // row encoding -> index, built once the bag is large
	// timer is the earliest expiry an interval join's timer is pending
	// for (0: unknown, e.g. after decoding; never serialised).
	timer int64
}

type bagRow struct {
	// enc is the row as types.AppendValues encodes it, as the state holds
	// it: one immutable string per row (or a part of a shared chunk, see
	// join.keepRow), decoded when the row is needed (rowOf, pair, ...).
	// Compared with a []types.Value (32 bytes a column, plus the strings
	// on their own) it takes a fraction of the memory: most values take a
	// few bytes.
	enc string
	// n is the row's number of occurrences (count), negated once the row
	// is marked matched (matched, mark), as bagCodec writes it: the rows
	// of a side an outer window or interval join preserves (or the left
	// rows of an interval or window semi or anti join) are marked once a
	// row of the other side joined them.
	n int64
	// aux is, in a regular outer, semi or anti join, on the sides that
	// keep counts (join.counts), the number of rows of the other side
	// (with their counts) this row matches (bagCodec writes it then); in
	// an interval join, the row's expiry (0: not computed yet; never
	// serialised). No join needs both.
	aux int64
}

// count is the row's number of occurrences.
func (r *bagRow) count() int64 {
	if r.n < 0 {
		return -r.n
	}
	return r.n
}

// addCount adds d to the row's number of occurrences.
func (r *bagRow) addCount(d int64) {
	if r.n < 0 {
		r.n -= d
	} else {
		r.n += d
	}
}

// matched reports whether the row is marked matched.
func (r *bagRow) matched() bool { return r.n < 0 }

// mark marks the row matched.
func (r *bagRow) mark() {
	if r.n > 0 {
		r.n = -r.n
	}
}

const bagIndexAt = 16

// sameRow reports whether two rows are equal: value by value, the same
// kind and types.Equal.
func sameRow(a, b []types.Value) bool {
	for i := range a {
		if a[i].Kind() != b[i].Kind() || !types.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameStoredRow is sameRow of the stored row enc and row. It decodes one
// value at a time, without allocating, and stops at the first that
// differs.
func sameStoredRow(enc string, row []types.Value) bool {
	n, enc, err := types.ValuesLen(enc)
	if err != nil || n != len(row) {
		return false
	}
	for i := range row {
		var v types.Value
		if v, enc, err = types.DecodeValueString(enc); err != nil {
			return false
		}
		if v.Kind() != row[i].Kind() || !types.Equal(v, row[i]) {
			return false
		}
	}
	return true
}

func rowKey(buf []byte, row []types.Value) []byte {
	for _, v := range row {
		buf = types.AppendKey(buf, v)
	}
	return buf
}

// encKey is rowKey of the stored row enc (valid: made by keepRow or
// checked by bagCodec.Decode).
func encKey(buf []byte, enc string) []byte {
	n, enc, err := types.ValuesLen(enc)
	for ; err == nil && n > 0; n-- {
		var v types.Value
		if v, enc, err = types.DecodeValueString(enc); err == nil {
			buf = types.AppendKey(buf, v)
		}
	}
	return buf
}

// find returns the index of a row of b equal to row, or -1. Once the bag
// is large it looks row up in b.idx, by its key encoding, which it then
// leaves in *buf.
func (b *bag) find(row []types.Value, buf *[]byte) int {
	if b.idx == nil && len(b.rows) >= bagIndexAt {
		b.idx = make(map[string]int, len(b.rows))
		for i, r := range b.rows {
			*buf = encKey((*buf)[:0], r.enc)
			b.idx[string(*buf)] = i
		}
	}
	if b.idx != nil {
		*buf = rowKey((*buf)[:0], row)
		if i, ok := b.idx[string(*buf)]; ok {
			return i
		}
		return -1
	}
	for i := range b.rows {
		if sameStoredRow(b.rows[i].enc, row) {
			return i
		}
	}
	return -1
}

// rewrite notes that row i of b is about to change other than by being
// appended (its count, its mark, its match count, or its removal): if
// incremental checkpoints hold the row, the bag's next one writes the bag
// whole instead of the rows appended since (see bagCodec.AppendTail).
func (b *bag) rewrite(i int) {
	if i < int(b.held)-1 {
		b.held = 0
	}
}

// addRow adds one occurrence of row to bg and returns its index in
// bg.rows.
func (o *join) addRow(bg *bag, row []types.Value) int {
	if i := bg.find(row, &o.tagBuf); i >= 0 {
		bg.rewrite(i)
		bg.rows[i].addCount(1)
		return i
	}
	bg.rows = append(bg.rows, bagRow{enc: o.keepRow(row), n: 1})
	if bg.idx != nil {
		bg.idx[string(o.tagBuf)] = len(bg.rows) - 1 // find left row's key in o.tagBuf
	}
	return len(bg.rows) - 1
}

// remove removes one occurrence of row and reports whether it was there.
func (b *bag) remove(row []types.Value, buf *[]byte) bool {
	i := b.find(row, buf)
	if i < 0 {
		return false
	}
	b.removeAt(i, buf)
	return true
}

// removeAt removes one occurrence of the row at index i (the last one
// moves to i when it goes).
func (b *bag) removeAt(i int, buf *[]byte) {
	b.rewrite(i)
	if b.rows[i].addCount(-1); b.rows[i].count() > 0 {
		return
	}
	last := len(b.rows) - 1
	if b.idx != nil {
		*buf = encKey((*buf)[:0], b.rows[i].enc)
		delete(b.idx, string(*buf))
		if i != last {
			*buf = encKey((*buf)[:0], b.rows[last].enc)
			b.idx[string(*buf)] = i
		}
	}
	b.rows[i] = b.rows[last]
	b.rows[last] = bagRow{}
	b.rows = b.rows[:last]
}

// bagCodec encodes the bags of one side of a join. counts: the rows'
// aux fields are match counts (join.counts), which it writes; otherwise
// they are not serialised (an interval join's expiries), and a trailer of
// counts, which no such join writes, is checked and ignored.
type bagCodec struct{ counts bool }

// Append writes the TTL stamp, then the rows with their counts (a row
// as types.AppendValues writes it: bagRow.enc as it is). A
// stored count is always positive; the count of a row marked matched
// (outer window and interval joins) is written negated, so bags written
// before the mark existed decode with no row matched. When rows have
// match counts (regular outer, semi and anti joins), a trailer follows:
// the number of such rows, then for each its index and its count; a bag
// without one (every bag written before counts existed) decodes with
// every count 0. (A bag cut right before its trailer therefore decodes,
// without counts; a trailer cut short does not.) Tails (AppendTail) may
// follow: the memory backend's incremental checkpoints write the rows
// appended to a bag since it was last written, and a restore appends
// them to its encoding.
func (c bagCodec) Append(buf []byte, b *bag) []byte {
	buf = appendStamp(buf, &b.ttlStamp)
	buf = binary.AppendUvarint(buf, uint64(len(b.rows)))
	for _, r := range b.rows {
		buf = binary.AppendVarint(buf, r.n) // negated when matched
		buf = append(buf, r.enc...)
	}
	if !c.counts {
		return buf
	}
	counted := 0
	for _, r := range b.rows {
		if r.aux != 0 {
			counted++
		}
	}
	if counted == 0 {
		return buf
	}
	buf = binary.AppendUvarint(buf, uint64(counted))
	for i, r := range b.rows {
		if r.aux != 0 {
			buf = binary.AppendUvarint(buf, uint64(i))
			buf = binary.AppendUvarint(buf, uint64(r.aux))
		}
	}
	return buf
}

// AppendTail implements state.TailCodec: the rows appended since the
// bag was last marked written (bag.held), as a tail that Decode reads
// after a bag's encoding (and after earlier tails):
//
//	0x00, then the TTL stamp (it replaces the stamp before it), the
//	number of rows, and per row its count (varint, negated when
//	matched), its match count (uvarint; 0 when the codec writes none)
//	and its encoding.
//
// A bag's encoding never has a 0x00 byte where a tail may begin (its
// trailer of match counts starts with a count of at least 1). Without a
// mark, or when held rows changed (bag.rewrite), it reports false.
func (c bagCodec) AppendTail(buf []byte, b *bag) ([]byte, bool) {
	if b.held == 0 || int(b.held)-1 > len(b.rows) {
		return buf, false
	}
	rows := b.rows[b.held-1:]
	buf = append(buf, 0)
	buf = appendStamp(buf, &b.ttlStamp)
	buf = binary.AppendUvarint(buf, uint64(len(rows)))
	for _, r := range rows {
		buf = binary.AppendVarint(buf, r.n)
		var aux uint64
		if c.counts {
			aux = uint64(r.aux)
		}
		buf = binary.AppendUvarint(buf, aux)
		buf = append(buf, r.enc...)
	}
	return buf, true
}

// MarkWritten implements state.TailCodec: the checkpoints hold b's rows
// as they are.
func (bagCodec) MarkWritten(b *bag) {
	b.held = 0
	if len(b.rows) < math.MaxInt32 {
		b.held = int32(len(b.rows)) + 1
	}
}

// Decode reads a bag as Append writes it, followed by any number of
// tails (AppendTail).
func (c bagCodec) Decode(buf []byte) (*bag, error) {
	st, buf, err := decodeStamp(buf)
	if err != nil {
		return nil, err
	}
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	b := &bag{ttlStamp: st, rows: make([]bagRow, n)}
	// Decode must not keep buf: the rows are copied once for the whole
	// bag (tails included), and each row's enc is a substring of the copy
	// (checked as types.DecodeValues would decode it).
	rest := string(buf)
	for i := range b.rows {
		// n < 0: marked matched
		if b.rows[i].n, k = binary.Varint(buf[len(buf)-len(rest):]); k <= 0 || b.rows[i].n == 0 || b.rows[i].n == math.MinInt64 {
			return nil, errCorrupt
		}
		rest = rest[k:]
		after, err := types.SkipValues(rest)
		if err != nil {
			return nil, err
		}
		b.rows[i].enc = rest[:len(rest)-len(after)]
		rest = after
	}
	buf = buf[len(buf)-len(rest):]
	if len(buf) > 0 && buf[0] != 0 {
		if buf, err = c.decodeTrailer(buf, b, n); err != nil {
			return nil, err
		}
	}
	for len(buf) > 0 {
		if buf[0] != 0 {
			return nil, errCorrupt
		}
		if buf, err = c.decodeTail(buf[1:], rest[len(rest)-len(buf)+1:], b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// decodeTrailer reads the match counts after a bag's n rows into b and
// returns what follows them.
func (c bagCodec) decodeTrailer(buf []byte, b *bag, n uint64) ([]byte, error) {
	counted, k := binary.Uvarint(buf)
	if k <= 0 || counted == 0 || counted > n {
		return nil, errCorrupt
	}
	buf = buf[k:]
	for ; counted > 0; counted-- {
		i, k := binary.Uvarint(buf)
		if k <= 0 || i >= n {
			return nil, errCorrupt
		}
		buf = buf[k:]
		m, k := binary.Uvarint(buf)
		if k <= 0 || m == 0 || m > math.MaxInt64 {
			return nil, errCorrupt
		}
		buf = buf[k:]
		if c.counts {
			b.rows[i].aux = int64(m)
		}
	}
	return buf, nil
}

// decodeTail reads one tail (AppendTail, after its 0x00) from buf into
// b; str holds the same bytes as buf, in the copy b's rows point into. It
// returns what follows the tail.
func (c bagCodec) decodeTail(buf []byte, str string, b *bag) ([]byte, error) {
	st, buf, err := decodeStamp(buf)
	if err != nil {
		return nil, err
	}
	b.ttlStamp = st
	m, k := binary.Uvarint(buf)
	if k <= 0 || m > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	str = str[len(str)-len(buf):]
	b.rows = slices.Grow(b.rows, int(m))
	for ; m > 0; m-- {
		n, k := binary.Varint(buf)
		if k <= 0 || n == 0 || n == math.MinInt64 {
			return nil, errCorrupt
		}
		buf = buf[k:]
		aux, k := binary.Uvarint(buf)
		if k <= 0 || aux > math.MaxInt64 {
			return nil, errCorrupt
		}
		buf = buf[k:]
		str = str[len(str)-len(buf):]
		after, err := types.SkipValues(str)
		if err != nil {
			return nil, err
		}
		r := bagRow{enc: str[:len(str)-len(after)], n: n}
		if c.counts {
			r.aux = int64(aux)
		}
		b.rows = append(b.rows, r)
		buf = buf[len(buf)-len(after):]
		str = after
	}
	return buf, nil
}

var sideStates = [2]string{"left", "right"}

var _ state.TailCodec[*bag] = bagCodec{}

func (o *join) Open(ctx *exec.Context) error {
	o.ctx = ctx
	o.metrics = metricsOf(ctx)
	if len(o.spec.LeftKeyCols) != len(o.spec.RightKeyCols) {
		return errorf("join has %d left and %d right key columns", len(o.spec.LeftKeyCols), len(o.spec.RightKeyCols))
	}
	o.keys[0] = newKeying(ctx, o.spec.LeftKeyCols)
	o.keys[1] = newKeying(ctx, o.spec.RightKeyCols)
	if !o.timed() {
		o.counts = [2]bool{o.spec.Outer[0] || o.spec.Semi || o.spec.Anti, o.spec.Outer[1]}
	}
	for s := range o.sides {
		st, err := newStore(ctx.State, sideStates[s], state.Codec[*bag](bagCodec{counts: o.counts[s]}))
		if err != nil {
			return err
		}
		o.sides[s] = st
	}
	o.out = make([]types.Value, o.spec.LeftWidth+o.spec.RightWidth)
	o.pad = make([]types.Value, o.spec.LeftWidth+o.spec.RightWidth)
	o.scratch = make([]types.Value, max(o.spec.LeftWidth, o.spec.RightWidth))
	o.timers = newTimers()
	if (o.spec.Semi || o.spec.Anti) && o.spec.WindowEnd == nil && len(o.spec.Expire[1]) > 0 && len(o.spec.Expire[0]) == 0 {
		return errorf("an interval semi or anti join needs bounds on its left side")
	}
	if !o.timed() {
		o.ttl.open(o.spec.StateTTL, ctx.Now)
		if o.ttl.on() {
			o.rebuildTTL()
		}
		return nil
	}
	if err := o.clock.open(ctx); err != nil {
		return err
	}
	var bad error
	for s := range o.sides {
		o.sides[s].rangeAll(func(kg int, key string, b *bag) bool {
			if len(b.rows) == 0 {
				return true
			}
			if o.spec.WindowEnd != nil {
				row, err := o.rowOf(s, b.rows[0].enc)
				if err != nil {
					bad = err
					return false
				}
				o.timers.add(row[o.spec.WindowEnd[s]].Millis(), kg, o.sideTag(s, []byte(key)))
			} else if len(o.spec.Expire[s]) > 0 {
				// Stored rows have a non-NULL expiry (see ProcessBatch).
				first := int64(math.MaxInt64)
				for i := range b.rows {
					row, err := o.rowOf(s, b.rows[i].enc)
					if err != nil {
						bad = err
						return false
					}
					e, _, _ := o.expiry(s, row)
					first = min(first, e)
				}
				o.timers.add(first+1, kg, o.sideTag(s, []byte(key)))
			}
			return true
		})
		if bad != nil {
			return bad
		}
	}
	o.timers.sortAll()
	return nil
}

// ReleasesInput implements exec.InputReleaser: the rows a join stores
// are encoded copies (keepRow), and what it emits goes out through Emit,
// which copies it.
func (o *join) ReleasesInput() bool { return true }

// timed reports whether state is cleaned up by event time (window and
// interval joins) rather than kept (regular joins, with an optional TTL).
func (o *join) timed() bool {
	return o.spec.WindowEnd != nil || len(o.spec.Expire[0])+len(o.spec.Expire[1]) > 0
}

// expiry is the watermark at which a row of side s stops matching; null
// when a bound is NULL (the row matches nothing). Sides without bounds
// never expire (ok false).
func (o *join) expiry(s int, row []types.Value) (at int64, null, ok bool) {
	bounds := o.spec.Expire[s]
	if len(bounds) == 0 {
		return 0, false, false
	}
	at = math.MaxInt64
	for _, b := range bounds {
		v, err := b.At.Eval(row)
		if err != nil || v.IsNull() {
			return 0, true, true
		}
		at = min(at, v.Millis()-b.Minus)
	}
	return at, false, true
}

// sideTag is the key of side s's entry key in the join's indexes: the
// side, then the key.
func (o *join) sideTag(s int, key []byte) []byte {
	o.tagBuf = append(append(o.tagBuf[:0], byte(s)), key...)
	return o.tagBuf
}

// rebuildTTL registers every stored bag in the expiry index.
func (o *join) rebuildTTL() {
	for s, st := range o.sides {
		var unstamped []keyRef
		st.rangeAll(func(kg int, key string, b *bag) bool {
			if !o.ttl.restore(kg, o.sideTag(s, []byte(key)), &b.ttlStamp) {
				unstamped = append(unstamped, keyRef{kg, key})
			}
			return true
		})
		for _, u := range unstamped {
			key := []byte(u.key)
			if b, ok := st.get(u.kg, key); ok {
				o.ttl.create(u.kg, o.sideTag(s, key), &b.ttlStamp)
			}
		}
	}
}

// OnTick removes bags whose TTL expired (a bounded number per tick).
func (o *join) OnTick(int64) error {
	if !o.ttl.on() {
		return nil
	}
	o.ttl.startSweep()
	for {
		kg, tag, due, ok := o.ttl.next()
		if !ok {
			break
		}
		sweepEntry(&o.ttl, o.sides[tag[0]], kg, tag[1:], tag, due)
	}
	o.sides[0].maybeFlush()
	o.sides[1].maybeFlush()
	return nil
}

func (o *join) ProcessBatch(input int, b *types.Batch) error {
	if input != 0 && input != 1 {
		return errorf("join has two inputs, got a batch on input %d", input)
	}
	s := input
	w := o.spec.LeftWidth
	if s == 1 {
		w = o.spec.RightWidth
	}
	if w != b.Width {
		return errorf("join %s input has rows of width %d, expected %d", sideStates[s], b.Width, w)
	}
	defer o.countLate()
	k := &o.keys[s]
	mine, other := o.sides[s], o.sides[1-s]
	ttl := o.ttl.on()
	if ttl {
		o.ttl.sync()
	}
	timed := o.timed()
	filter := timed && (o.spec.Semi || o.spec.Anti)
	intervalFilter := filter && o.spec.WindowEnd == nil
	// outer: the stored rows of this side get marked when they match.
	outer := timed && (o.spec.Outer[s] || filter && s == 0)
	// markOther: the other side's rows get marked when this row matches them.
	markOther := timed && (o.spec.Outer[1-s] || filter && s == 1)
	counted := o.counts[0] || o.counts[1]
rows:
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		op := b.Ops[i]
		for _, c := range k.cols {
			if row[c].IsNull() {
				o.unmatchable(s, row, op)
				continue rows
			}
		}
		kg, err := k.group(row)
		if err != nil {
			return err
		}
		if counted {
			o.keyBuf = k.appendKey(o.keyBuf[:0], row)
			if err := o.countedRow(s, kg, row, op); err != nil {
				return err
			}
			continue
		}
		windowed := o.spec.WindowEnd != nil
		var end int64
		if windowed {
			end = row[o.spec.WindowEnd[s]].Millis()
			if window.Fired(end, o.clock.at(kg)) {
				o.late++
				continue
			}
		}
		exp, null, bounded := o.expiry(s, row)
		if null {
			o.unmatchable(s, row, op)
			continue
		}
		// In an interval join a row that has already expired is joined with
		// what is stored but not kept.
		store := !bounded || exp > o.clock.at(kg)
		o.keyBuf = k.appendKey(o.keyBuf[:0], row)
		var bg *bag
		var ok bool
		var stored *bag                 // the bag the row went into (outer window joins mark it)
		if store || op.IsRetraction() { // an expired addition leaves its side as it is
			bg, ok = mine.get(kg, o.keyBuf)
			if ttl {
				bg, ok = refresh(&o.ttl, mine, kg, o.keyBuf, bg, ok)
			}
		}
		switch {
		case op.IsRetraction():
			if !ok || !bg.remove(row, &o.tagBuf) {
				continue
			}
			if len(bg.rows) == 0 {
				mine.remove(kg, o.keyBuf, bg)
			}
		case !store:
		case ok:
			if o.spec.AppendOnly[s] {
				bg.rows = append(bg.rows, bagRow{enc: o.keepRow(row), n: 1, aux: exp})
			} else {
				o.addRow(bg, row)
			}
			if mine.budgeted() {
				mine.grew(bagRowMemSize(bg.rows[len(bg.rows)-1].enc)) // the row added (or about its size)
			}
			stored = bg
			if bounded && (bg.timer == 0 || exp < bg.timer) {
				bg.timer = exp
				o.timers.add(exp+1, kg, o.sideTag(s, o.keyBuf))
			}
		default:
			nb := &bag{rows: append(o.newBagRows(), bagRow{enc: o.keepRow(row), n: 1, aux: exp})}
			if ttl {
				o.ttl.create(kg, o.sideTag(s, o.keyBuf), &nb.ttlStamp)
			}
			mine.insert(kg, o.keyBuf, nb)
			stored = nb
			if windowed {
				o.timers.add(end, kg, o.sideTag(s, o.keyBuf))
			}
			if bounded {
				nb.timer = exp
				o.timers.add(exp+1, kg, o.sideTag(s, o.keyBuf))
			}
		}
		var ob *bag
		switch {
		case ttl:
			ob, ok = other.get(kg, o.keyBuf)
			ob, ok = refresh(&o.ttl, other, kg, o.keyBuf, ob, ok)
		case markOther:
			ob, ok = other.get(kg, o.keyBuf) // its rows get marked matched
		default:
			ob, ok = other.peek(kg, o.keyBuf)
		}
		matched := false
		if ok {
			if windowed || bounded {
				op = types.Insert
			}
			if matched, err = o.emitMatches(s, row, op, ob); err != nil {
				return err
			}
		}
		if outer && matched && stored != nil && o.spec.AppendOnly[s] {
			stored.rewrite(len(stored.rows) - 1)
			stored.rows[len(stored.rows)-1].mark()
			mine.touch(kg, o.keyBuf, stored)
		}
		if bounded && !store && !matched && o.spec.Outer[s] {
			o.emitPadded(s, row, 1, types.Insert) // expired on arrival, unmatched
		}
		if intervalFilter && s == 0 && (matched && o.spec.Semi || !store && !matched && o.spec.Anti) {
			o.ctx.Out.Emit(types.Insert, row[:o.spec.LeftWidth]) // semi: first match; anti: expired on arrival, unmatched
		}
		if intervalFilter && s == 0 && matched && stored != nil {
			// A left row that matched is done (semi: emitted; anti: never
			// emitted): it need not wait for its expiry.
			o.dropLast(mine, kg, stored)
		}
	}
	o.sides[0].maybeFlush()
	o.sides[1].maybeFlush()
	return nil
}

// dropLast removes the row ProcessBatch just appended to bag bg of side
// st (the bag goes when it is left empty; a pending expiry timer finds it
// gone or re-reads its rows).
func (o *join) dropLast(st *store[*bag], kg int, bg *bag) {
	n := len(bg.rows) - 1
	bg.rewrite(n)
	bg.rows[n] = bagRow{}
	bg.rows = bg.rows[:n]
	if n == 0 {
		st.remove(kg, o.keyBuf, bg)
		return
	}
	st.touch(kg, o.keyBuf, bg)
}

// pair decodes enc, a stored row of the side opposite s, into o.out
// beside the row of side s already there, and reports whether the pair
// passes the residual (true without one).
func (o *join) pair(s int, enc string) (bool, error) {
	lw := o.spec.LeftWidth
	dst := o.out[:lw]
	if s == 0 {
		dst = o.out[lw:]
	}
	if err := decodeInto(1-s, dst, enc); err != nil {
		return false, err
	}
	if o.spec.Residual == nil {
		return true, nil
	}
	v, err := o.spec.Residual.Eval(o.out)
	if err != nil {
		return false, err
	}
	return isTrue(v), nil
}

// emitMatches joins row (of side s) with the rows of the other side's bag
// ob and reports whether any joined row passed the residual. In an outer
// window join preserving the other side, the rows of ob that joined are
// marked matched (ob must then come from get).
func (o *join) emitMatches(s int, row []types.Value, op types.Op, ob *bag) (bool, error) {
	mark := o.timed() && (o.spec.Outer[1-s] || (o.spec.Semi || o.spec.Anti) && s == 1)
	silent := o.spec.Semi || o.spec.Anti // a filtering join emits at window close or expiry, or below
	// firstMatch: an interval semi join emits a stored left row when its
	// first match arrives.
	firstMatch := mark && o.spec.Semi && s == 1 && o.spec.WindowEnd == nil
	any := false
	lw := o.spec.LeftWidth
	if s == 0 {
		copy(o.out[:lw], row)
	} else {
		copy(o.out[lw:], row)
	}
	for ri := range ob.rows {
		// A key with many rows on the other side makes one input row
		// emit that many: give up when the job is stopping.
		if o.ctx.Stopped() {
			return any, exec.ErrStopped
		}
		r := &ob.rows[ri]
		if ok, err := o.pair(s, r.enc); err != nil {
			return any, err
		} else if !ok {
			continue
		}
		any = true
		if mark {
			if firstMatch && !r.matched() {
				// s is the right side: pair decoded the left row r into
				// o.out[:lw].
				for j := int64(0); j < r.count(); j++ {
					o.ctx.Out.Emit(types.Insert, o.out[:lw])
				}
			}
			if !r.matched() {
				ob.rewrite(ri)
			}
			r.mark()
		}
		if silent {
			if !mark {
				return true, nil // the left row matched: nothing more to learn
			}
			continue
		}
		for j := int64(0); j < r.count(); j++ {
			o.ctx.Out.Emit(op, o.out)
		}
	}
	return any, nil
}

// emitPadded emits row (of side s) n times joined with NULLs for the
// other side, with op.
func (o *join) emitPadded(s int, row []types.Value, n int64, op types.Op) {
	lw := o.spec.LeftWidth
	clear(o.pad)
	if s == 0 {
		copy(o.pad[:lw], row)
	} else {
		copy(o.pad[lw:], row)
	}
	for j := int64(0); j < n; j++ {
		o.ctx.Out.Emit(op, o.pad)
	}
}

// emitPaddedRow is emitPadded for enc, a stored row of side s.
func (o *join) emitPaddedRow(s int, enc string, n int64, op types.Op) error {
	lw := o.spec.LeftWidth
	clear(o.pad)
	dst := o.pad[lw:]
	if s == 0 {
		dst = o.pad[:lw]
	}
	if err := decodeInto(s, dst, enc); err != nil {
		return err
	}
	for j := int64(0); j < n; j++ {
		o.ctx.Out.Emit(op, o.pad)
	}
	return nil
}

// emitStored emits enc, a stored row of side s, n times with op.
func (o *join) emitStored(s int, enc string, n int64, op types.Op) error {
	row, err := o.rowOf(s, enc)
	if err != nil {
		return err
	}
	for j := int64(0); j < n; j++ {
		o.ctx.Out.Emit(op, row)
	}
	return nil
}

// unmatchable handles a row that can match nothing (a NULL key, or a NULL
// interval bound): a row of a preserved side is emitted padded at once,
// and a left row of an anti join as it is; their retractions retract
// them. Window joins emit them unless their window has closed.
func (o *join) unmatchable(s int, row []types.Value, op types.Op) {
	if o.spec.WindowEnd != nil {
		switch {
		case s == 0 && o.spec.Anti:
			o.emitLeftNow(row) // NOT EXISTS: nothing matches it
		case o.spec.Outer[s]:
			o.emitPaddedNow(s, row)
		}
		return
	}
	out := types.Insert
	if op.IsRetraction() {
		out = types.Delete
	}
	switch {
	case s == 0 && o.spec.Anti:
		o.ctx.Out.Emit(out, row[:o.spec.LeftWidth])
	case o.spec.Outer[s]:
		o.emitPadded(s, row, 1, out)
	}
}

// emitLeftNow emits a left row of an anti window join whose key is NULL
// (it matches nothing) unless its window has closed (then it is late).
func (o *join) emitLeftNow(row []types.Value) {
	if window.Fired(row[o.spec.WindowEnd[0]].Millis(), o.clock.wm) {
		o.late++
		return
	}
	o.ctx.Out.Emit(types.Insert, row[:o.spec.LeftWidth])
}

// emitPaddedNow emits a preserved row with a NULL key (it can match
// nothing) unless its window has closed (then it is late).
func (o *join) emitPaddedNow(s int, row []types.Value) {
	if window.Fired(row[o.spec.WindowEnd[s]].Millis(), o.clock.wm) {
		o.late++
		return
	}
	o.emitPadded(s, row, 1, types.Insert)
}

func (o *join) countLate() {
	if o.late > 0 {
		o.metrics.LateRowsDropped.Add(o.late)
		o.late = 0
	}
}

func (o *join) ProcessWatermark(wm int64) error {
	if !o.timed() || !o.clock.advance(wm) {
		return nil
	}
	for {
		_, b, ok := o.timers.pop(wm, o.spec.WindowEnd == nil)
		if !ok {
			break
		}
		for i := 0; i < b.len(); i++ {
			tk := b.key(i)
			s, key := int(tk[0]), tk[1:]
			if o.spec.WindowEnd != nil {
				if bg, ok := o.sides[s].peek(b.kg(i), key); ok {
					switch {
					case s == 0 && (o.spec.Semi || o.spec.Anti):
						for _, r := range bg.rows {
							if r.matched() == o.spec.Semi {
								if err := o.emitStored(0, r.enc, r.count(), types.Insert); err != nil {
									return err
								}
							}
						}
					case o.spec.Outer[s]:
						for _, r := range bg.rows {
							if !r.matched() {
								if err := o.emitPaddedRow(s, r.enc, r.count(), types.Insert); err != nil {
									return err
								}
							}
						}
					}
					o.closeWindowBag(s, b.kg(i), key, bg)
				}
				continue
			}
			if err := o.expireRows(s, b.kg(i), key, tk, wm); err != nil {
				return err
			}
		}
		o.timers.release(b)
	}
	o.sides[0].maybeFlush()
	o.sides[1].maybeFlush()
	return nil
}

// expireRows drops the rows of one interval-join bag whose expiry the
// watermark has reached, and registers a timer for the earliest of the
// others. tag is the bag's side and key (the timers' key).
func (o *join) expireRows(s, kg int, key, tag []byte, wm int64) error {
	st := o.sides[s]
	bg, ok := st.peek(kg, key)
	if !ok {
		return nil
	}
	expired, next := 0, int64(math.MaxInt64)
	for i := range bg.rows {
		r := &bg.rows[i]
		if r.aux == 0 {
			row, err := o.rowOf(s, r.enc)
			if err != nil {
				return err
			}
			r.aux, _, _ = o.expiry(s, row)
		}
		if r.aux <= wm {
			expired++
		} else {
			next = min(next, r.aux)
		}
	}
	if expired > 0 && o.spec.Outer[s] {
		// An outer interval join's unmatched rows are padded as they go.
		for i := range bg.rows {
			if r := &bg.rows[i]; r.aux <= wm && !r.matched() {
				if err := o.emitPaddedRow(s, r.enc, r.count(), types.Insert); err != nil {
					return err
				}
			}
		}
	}
	if expired > 0 && s == 0 && o.spec.Anti {
		// An interval anti join's unmatched left rows are emitted as they go.
		for i := range bg.rows {
			if r := &bg.rows[i]; r.aux <= wm && !r.matched() {
				if err := o.emitStored(0, r.enc, r.count(), types.Insert); err != nil {
					return err
				}
			}
		}
	}
	switch {
	case expired == len(bg.rows):
		st.remove(kg, key, bg)
		return nil
	case expired > 0:
		bg, _ = st.get(kg, key) // for mutation: schedules the write-back
		kept := 0
		for i := range bg.rows {
			r := bg.rows[i]
			if r.aux == 0 {
				row, err := o.rowOf(s, r.enc)
				if err != nil {
					return err
				}
				r.aux, _, _ = o.expiry(s, row)
			}
			if r.aux > wm {
				bg.rows[kept] = r
				kept++
			}
		}
		clear(bg.rows[kept:])
		bg.rows = bg.rows[:kept]
		bg.idx = nil
		bg.held = 0 // rows went from anywhere: write it whole
	case bg.timer > wm:
		return nil // a timer is pending
	}
	bg.timer = next
	o.timers.add(next+1, kg, tag)
	return nil
}

func (o *join) SnapshotState(int64) error {
	o.sides[0].flush()
	o.sides[1].flush()
	if o.timed() {
		o.clock.snapshot()
	}
	return nil
}

func (o *join) Finish() error { return finishWith(o.SnapshotState, o.sides[0], o.sides[1]) }
