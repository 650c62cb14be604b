package operators

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// LookupJoinSpec configures a lookup join (FOR SYSTEM_TIME AS OF a
// processing-time attribute).
type LookupJoinSpec struct {
	Table  string                  // the lookup table's name, for messages
	Lookup connectors.LookupSource // opened by every instance in Open
	// ProbeKeys are bound against the probe row; value i is looked up in
	// the table's physical column KeyCols[i] (the planner gives values of
	// the kinds of those columns' types).
	ProbeKeys []expr.Expr
	KeyCols   []int
	// ProbeWidth and TableWidth are the widths of the probe row and of the
	// looked-up rows (the table's physical columns).
	ProbeWidth, TableWidth int
	// Residual, if not nil, is bound against probe row ++ looked-up row
	// and decides which looked-up rows match.
	Residual expr.Expr
	// Left: a probe row without a match is emitted once with NULLs for
	// the table's columns.
	Left bool
	// Output, when not nil, lists the columns of probe row ++ table row
	// that are emitted, in order (a fused projection); nil emits them all.
	Output []int
}

// NewLookupJoin returns a lookup join: it has one input, the probe side,
// and opens the lookup table itself (Lookup.Open, in Open: a bounded table
// is loaded then, before the first probe row). Each probe row is joined,
// when it is processed, with the rows the table returns for its key
// values: the output row is probe row ++ table row, with the probe row's
// op (append-only when the probe side is). A probe row with a NULL key
// value matches nothing; so does one for which Residual is not TRUE for
// any returned row. With Left such a row is emitted with NULLs.
//
// The operator keeps no state: SnapshotState stores nothing and a restored
// instance opens the table again. Results already emitted are never
// retracted when the table changes. Watermarks pass through unchanged
// (rows are emitted during ProcessBatch).
func NewLookupJoin(spec LookupJoinSpec) exec.Operator { return &lookupJoin{spec: spec} }

type lookupJoin struct {
	exec.Base
	spec    LookupJoinSpec
	ctx     *exec.Context
	reader  connectors.LookupReader
	keyCols []int // probe column of each key, -1 when the key is an expression
	key     []types.Value
	out     []types.Value // probe row ++ table row
	proj    []types.Value // the Output columns of out
	// direct (an Output and no Residual): proj is filled from the probe
	// row and each table row at once, without building out.
	direct               bool
	fromProbe, fromTable []outCol
}

// outCol is an output column of a direct lookup join: proj[dst] is
// column src of the probe row (fromProbe) or of the table row (fromTable).
type outCol struct{ dst, src int }

func (o *lookupJoin) Open(ctx *exec.Context) error {
	o.ctx = ctx
	s := &o.spec
	if s.Lookup == nil {
		return errorf("lookup join: no lookup source for table %s", s.Table)
	}
	if len(s.ProbeKeys) == 0 || len(s.ProbeKeys) != len(s.KeyCols) {
		return errorf("lookup join on table %s: %d probe keys for %d key columns", s.Table, len(s.ProbeKeys), len(s.KeyCols))
	}
	o.keyCols = make([]int, len(s.ProbeKeys))
	for i, k := range s.ProbeKeys {
		o.keyCols[i] = -1
		if c, ok := expr.AsCol(k); ok {
			o.keyCols[i] = c.Index
		}
	}
	o.key = make([]types.Value, len(s.ProbeKeys))
	o.out = make([]types.Value, s.ProbeWidth+s.TableWidth)
	for _, c := range s.Output {
		if c < 0 || c >= len(o.out) {
			return errorf("lookup join on table %s: output column %d of %d", s.Table, c, len(o.out))
		}
	}
	if s.Output != nil {
		o.proj = make([]types.Value, len(s.Output))
		o.direct = s.Residual == nil
		for i, c := range s.Output {
			if c < s.ProbeWidth {
				o.fromProbe = append(o.fromProbe, outCol{i, c})
			} else {
				o.fromTable = append(o.fromTable, outCol{i, c - s.ProbeWidth})
			}
		}
	}
	c := ctx.Ctx
	if c == nil {
		c = context.Background()
	}
	r, err := s.Lookup.Open(c, s.KeyCols)
	if err != nil {
		return o.wrap(err)
	}
	o.reader = r
	return nil
}

// wrap names the table in an error that does not already.
func (o *lookupJoin) wrap(err error) error {
	if strings.Contains(err.Error(), "table "+o.spec.Table) {
		return err
	}
	return fmt.Errorf("lookup table %s: %w", o.spec.Table, err)
}

// ReleasesInput implements exec.InputReleaser: rows go out through Emit,
// which copies them.
func (o *lookupJoin) ReleasesInput() bool { return true }

func (o *lookupJoin) ProcessBatch(_ int, b *types.Batch) error {
	s := &o.spec
	pw := s.ProbeWidth
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		if len(row) != pw {
			return errorf("lookup join on table %s: probe row of %d columns, expected %d", s.Table, len(row), pw)
		}
		null := false
		for k, e := range s.ProbeKeys {
			var v types.Value
			if c := o.keyCols[k]; c >= 0 {
				v = row[c]
			} else {
				var err error
				if v, err = e.Eval(row); err != nil {
					return err
				}
			}
			if v.IsNull() {
				null = true
				break
			}
			o.key[k] = v
		}
		if o.direct {
			if err := o.joinDirect(b.Ops[i], row, null); err != nil {
				return err
			}
			continue
		}
		copy(o.out[:pw], row)
		matched := false
		if !null {
			rows, err := o.reader.Lookup(o.key)
			if err != nil {
				return o.wrap(err)
			}
			for _, r := range rows {
				if err := o.checkWidth(r); err != nil {
					return err
				}
				copy(o.out[pw:], r)
				if s.Residual != nil {
					v, err := s.Residual.Eval(o.out)
					if err != nil {
						return err
					}
					if !isTrue(v) {
						continue
					}
				}
				matched = true
				o.emit(b.Ops[i])
			}
		}
		if !matched && s.Left {
			clear(o.out[pw:])
			o.emit(b.Ops[i])
		}
	}
	return nil
}

// joinDirect joins one probe row (whose key holds a NULL when null) and
// emits the Output columns of each match, built straight from the probe
// row and the table row.
func (o *lookupJoin) joinDirect(op types.Op, row []types.Value, null bool) error {
	s := &o.spec
	for _, c := range o.fromProbe {
		o.proj[c.dst] = row[c.src]
	}
	var rows [][]types.Value
	if !null {
		var err error
		if rows, err = o.reader.Lookup(o.key); err != nil {
			return o.wrap(err)
		}
	}
	for _, r := range rows {
		if err := o.checkWidth(r); err != nil {
			return err
		}
		for _, c := range o.fromTable {
			o.proj[c.dst] = r[c.src]
		}
		o.ctx.Out.Emit(op, o.proj)
	}
	if len(rows) == 0 && s.Left {
		for _, c := range o.fromTable {
			o.proj[c.dst] = types.NullValue()
		}
		o.ctx.Out.Emit(op, o.proj)
	}
	return nil
}

// checkWidth fails for a table row r that is not TableWidth columns wide.
func (o *lookupJoin) checkWidth(r []types.Value) error {
	if len(r) != o.spec.TableWidth {
		return errorf("lookup table %s returned a row of %d columns, expected %d", o.spec.Table, len(r), o.spec.TableWidth)
	}
	return nil
}

// emit sends the joined row in o.out (projected to Output).
func (o *lookupJoin) emit(op types.Op) {
	if o.proj == nil {
		o.ctx.Out.Emit(op, o.out)
		return
	}
	for i, c := range o.spec.Output {
		o.proj[i] = o.out[c]
	}
	o.ctx.Out.Emit(op, o.proj)
}

func (o *lookupJoin) Close() error {
	if o.reader == nil {
		return nil
	}
	err := o.reader.Close()
	o.reader = nil
	if err != nil {
		return o.wrap(err)
	}
	return nil
}
