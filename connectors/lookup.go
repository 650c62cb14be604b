package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

// LookupSource serves a table as the lookup side of a lookup join, Flink's
// processing-time temporal join:
//
//	SELECT ... FROM probe AS p JOIN t FOR SYSTEM_TIME AS OF p.proc_time AS s ON p.x = s.k
//
// Each probe row is joined with the rows of t whose key columns equal the
// row's key values as t is when the row is processed. The lookup side is
// not a stream: no source task reads it, nothing of it is checkpointed,
// and later changes of t never retract results already emitted.
//
// Who calls what, in order:
//   - the planner builds one LookupSource per lookup join of a query
//     (NewLookupSource), once, when it plans the query;
//   - every parallel instance of the lookup-join operator calls Open once
//     when the operator opens: at job start, and again after every restart
//     or restore (a restored job loads or queries the table afresh).
//     Instances call Open concurrently, so a LookupSource must not share
//     mutable state between its readers without synchronising;
//   - the instance uses the returned LookupReader from its task goroutine
//     only, and closes it when the operator closes (on every path,
//     failures and cancellation included).
type LookupSource interface {
	// Open prepares lookups by the key columns keyCols: indexes into the
	// table's physical columns (catalog.Table.PhysicalColumns), at least
	// one, in the order of the values Lookup will receive (a column may
	// appear twice). A bounded table is loaded here; a database connects
	// and prepares its query. ctx is cancelled when the job stops or
	// fails; it stays valid for the reader's lifetime. Errors name the
	// table.
	Open(ctx context.Context, keyCols []int) (LookupReader, error)
	// Describe says how rows are looked up, for EXPLAIN (e.g. "bounded
	// table, loaded into memory when the operator opens"). It never
	// contains credentials.
	Describe() string
}

// LookupReader looks rows up by key for one operator instance. Its methods
// are called from one goroutine, never concurrently.
type LookupReader interface {
	// Lookup returns the rows (the table's physical columns) whose key
	// columns equal key: key[i] is compared with column keyCols[i] of
	// Open. The caller passes values of the kinds of the key columns'
	// types (the SQL layer casts the probe side to them) and never NULL:
	// a NULL key matches nothing and is not looked up; key is the
	// caller's, valid during the call only. The result and its
	// rows belong to the reader and stay valid only until the next call of
	// Lookup or Close; the caller must not modify them. No match is an
	// empty result, not an error. An error fails the job; it names the
	// table.
	Lookup(key []types.Value) ([][]types.Value, error)
	Close() error
}

// lookupConnector is the registry name of t's connector ("memory" for an
// in-memory table).
func lookupConnector(t *catalog.Table) string {
	if t.IsMemory() {
		return "memory"
	}
	return t.Connector()
}

// errNotLookup is what CanLookup and NewLookupSource say about a connector
// whose source never ends and that has no lookup by key.
func errNotLookup(connector string) error {
	return fmt.Errorf("connector '%s' reads an unbounded stream and cannot look rows up by key: the lookup side of a lookup join must be a bounded table, loaded into memory (an in-memory table, 'filesystem', 'datagen' with 'number-of-rows'), or a connector with lookups by key ('jdbc', 'mysql')", connector)
}

// CanLookup reports, without connecting to anything, whether table t can
// be the lookup side of a lookup join. It returns nil when it can, and
// also when that can only be decided when the query is planned (the
// planner then reports it through NewLookupSource); otherwise an error
// saying why not, which does not name the table.
//
// It may call the connector's NewSource with a nil Env to ask whether the
// source is bounded (as Factory.Validate functions do): a NewSource must
// not connect to anything.
func CanLookup(t *catalog.Table) (err error) {
	name := lookupConnector(t)
	f := Lookup(name)
	if f == nil || f.NewLookup != nil || t.IsMemory() {
		return nil
	}
	if f.NewSource == nil {
		return fmt.Errorf("connector '%s' cannot be read (it is a sink only), so it cannot be looked up", f.Name)
	}
	defer func() {
		if recover() != nil {
			err = nil // undecided here: the planner asks with an Env
		}
	}()
	src, e := f.NewSource(t, nil)
	if e != nil || src == nil {
		return nil
	}
	if !src.Bounded() {
		return errNotLookup(f.Name)
	}
	return nil
}

// NewLookupSource builds the lookup side of a lookup join for table t: the
// connector's own (Factory.NewLookup) when it has one, otherwise its
// source, which must be bounded: the source is then read in full into a
// hash map on the join key when each operator instance opens
// (BoundedLookup). Options are validated first. Errors name the table.
func NewLookupSource(t *catalog.Table, env *Env) (LookupSource, error) {
	name := lookupConnector(t)
	f := Lookup(name)
	if f == nil {
		return nil, UnknownConnectorError(t.Name, name)
	}
	if !t.IsMemory() {
		if err := ValidateOptions(t, f); err != nil {
			return nil, err
		}
	}
	if f.NewLookup != nil {
		ls, err := f.NewLookup(t, env)
		if err != nil {
			return nil, tableErr(t, err)
		}
		return ls, nil
	}
	if f.NewSource == nil {
		return nil, fmt.Errorf("table %s: connector '%s' cannot be read (it is a sink only), so it cannot be looked up", t.Name, f.Name)
	}
	src, err := f.NewSource(t, env)
	if err != nil {
		return nil, tableErr(t, err)
	}
	if !src.Bounded() {
		return nil, fmt.Errorf("table %s: %v", t.Name, errNotLookup(f.Name))
	}
	return BoundedLookup(t, src), nil
}

func tableErr(t *catalog.Table, err error) error {
	if strings.HasPrefix(err.Error(), "table "+t.Name+":") {
		return err
	}
	return fmt.Errorf("table %s: %w", t.Name, err)
}

// BoundedLookup serves a bounded source as a lookup table: Open reads
// every split of src to its end (from the start; positions are never
// restored) and indexes the rows by the key columns in a hash map, which
// the reader then serves from memory. Rows with a NULL key column are
// dropped (they match nothing). Each Open loads the table again: every
// operator instance holds its own copy, and a restored job sees the
// table as it is then. A source that paces its rows (e.g. datagen's
// 'rows-per-second') loads at that pace.
func BoundedLookup(t *catalog.Table, src Source) LookupSource {
	return &boundedLookup{t: t, src: src, width: len(t.PhysicalColumns())}
}

type boundedLookup struct {
	t     *catalog.Table
	src   Source
	width int
}

func (b *boundedLookup) Describe() string {
	return "bounded table, loaded into memory when the operator opens"
}

func (b *boundedLookup) Open(ctx context.Context, keyCols []int) (LookupReader, error) {
	if len(keyCols) == 0 {
		return nil, fmt.Errorf("table %s: a lookup needs at least one key column", b.t.Name)
	}
	for _, c := range keyCols {
		if c < 0 || c >= b.width {
			return nil, fmt.Errorf("table %s: lookup key column %d is not one of its %d physical columns", b.t.Name, c, b.width)
		}
	}
	r := &boundedReader{keyCols: slices.Clone(keyCols), rows: map[string][][]types.Value{}}
	if len(keyCols) == 1 {
		r.ints = map[int64][][]types.Value{}
	}
	splits, err := b.src.Splits(1)
	if err != nil {
		return nil, tableErr(b.t, err)
	}
	batch := types.NewBatch(b.width, 1024)
	for _, sp := range splits {
		sr, err := b.src.OpenSplit(ctx, sp, nil)
		if err != nil {
			return nil, tableErr(b.t, err)
		}
		err = r.load(ctx, sr, batch)
		if cerr := sr.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return nil, tableErr(b.t, fmt.Errorf("loading the lookup table: %w", err))
		}
	}
	return r, nil
}

// boundedReader serves lookups from the rows loaded by boundedLookup.Open.
type boundedReader struct {
	keyCols []int
	rows    map[string][][]types.Value // key encoding (types.AppendKey) -> rows
	// ints holds the same rows by their key when the table is looked up
	// by one column and every loaded key is an integer (the common case:
	// ids): a lookup with an integer then skips the key's encoding. Nil
	// otherwise. A key encoding holds the value's kind, so an integer
	// finds in ints exactly the rows it finds in rows.
	ints map[int64][][]types.Value
	n    int
	buf  []byte
}

// load reads a split to its end into the map.
func (r *boundedReader) load(ctx context.Context, sr SplitReader, b *types.Batch) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.Reset()
		err := sr.Next(ctx, b)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		for i := 0; i < b.Len(); i++ {
			if b.Ops[i].IsRetraction() {
				continue
			}
			r.add(b.Row(i))
		}
		if err != nil {
			return nil // io.EOF
		}
	}
}

func (r *boundedReader) add(row []types.Value) {
	buf := r.buf[:0]
	for _, c := range r.keyCols {
		if row[c].IsNull() {
			return
		}
		buf = types.AppendKey(buf, row[c])
	}
	r.buf = buf
	row = slices.Clone(row)
	r.rows[string(buf)] = append(r.rows[string(buf)], row)
	r.n++
	if r.ints != nil {
		if k := row[r.keyCols[0]]; k.Kind() == types.KindInt {
			r.ints[k.Int()] = append(r.ints[k.Int()], row)
		} else {
			r.ints = nil // a key of another kind: every lookup encodes
		}
	}
}

func (r *boundedReader) Lookup(key []types.Value) ([][]types.Value, error) {
	if r.ints != nil && len(key) == 1 && key[0].Kind() == types.KindInt {
		return r.ints[key[0].Int()], nil
	}
	buf := r.buf[:0]
	for _, v := range key {
		buf = types.AppendKey(buf, v)
	}
	r.buf = buf
	return r.rows[string(buf)], nil
}

func (r *boundedReader) Close() error {
	r.rows = nil
	return nil
}
