package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// DELETE, UPDATE and REPLACE of in-memory tables. Each is a bounded
// operation on the rows the table holds when the statement runs: it
// replaces the table's log at once (memory.Store.Rewrite), keeping the
// order of the remaining rows (UPDATE keeps every row in place; REPLACE
// removes the rows it replaces and appends the new ones). Jobs already
// reading the table are unaffected: they read the snapshot they opened.
// Queries started afterwards read the new rows.

// deleteRows runs DELETE FROM t [WHERE cond]: the rows for which cond is
// TRUE go.
func (e *Engine) deleteRows(s *sql.Delete) (*Result, error) {
	n := 0
	err := e.mem.Rewrite(s.Table.Name, func(rows [][]types.Value) ([][]types.Value, error) {
		out := make([][]types.Value, 0, len(rows))
		for _, row := range rows {
			hit, err := isTrue(s.Where, row)
			if err != nil {
				return nil, dmlError(s.P, "DELETE FROM "+s.Table.Name, err)
			}
			if hit {
				n++
				continue
			}
			out = append(out, row)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("%d %s deleted.", n, plural(n, "row"))}, nil
}

// updateRows runs UPDATE t SET ... [WHERE cond]. The new values are
// computed from the row as it was before the statement.
func (e *Engine) updateRows(s *sql.Update) (*Result, error) {
	n := 0
	err := e.mem.Rewrite(s.Table.Name, func(rows [][]types.Value) ([][]types.Value, error) {
		out := make([][]types.Value, len(rows))
		for i, row := range rows {
			hit, err := isTrue(s.Where, row)
			if err != nil {
				return nil, dmlError(s.P, "UPDATE "+s.Table.Name, err)
			}
			if !hit {
				out[i] = row
				continue
			}
			nr := append([]types.Value(nil), row...)
			for _, a := range s.Set {
				v, err := a.Expr.Eval(row)
				if err != nil {
					return nil, dmlError(s.P, "UPDATE "+s.Table.Name, err)
				}
				nr[a.Col] = v
			}
			out[i] = nr
			n++
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("%d %s updated.", n, plural(n, "row"))}, nil
}

// replaceRows runs REPLACE INTO t ... (and INSERT OR REPLACE): it computes
// the new rows, then, as MySQL's REPLACE does, each new row removes the
// rows with the same primary key before it is appended. Without a
// primary key the rows are appended.
func (e *Engine) replaceRows(ctx context.Context, s *sql.Insert) (*Result, error) {
	_, rows, err := e.RunQuery(ctx, &sql.Query{At: s.At, Plan: s.Query, Limit: -1}, nil)
	if err != nil {
		return nil, err
	}
	key := physicalKey(s.Table)
	err = e.mem.Rewrite(s.Table.Name, func(old [][]types.Value) ([][]types.Value, error) {
		out := make([][]types.Value, 0, len(old)+len(rows))
		out = append(out, old...)
		for _, r := range rows {
			if len(key) > 0 {
				kept := out[:0:0]
				for _, o := range out {
					if !sameKey(o, r, key) {
						kept = append(kept, o)
					}
				}
				out = kept
			}
			out = append(out, r)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Message: "Replace done."}, nil
}

// physicalKey maps the table's primary key columns to physical column
// indexes (the positions in the in-memory rows).
func physicalKey(t *catalog.Table) []int {
	var out []int
	for _, k := range t.PrimaryKey {
		if t.ProctimeColumn >= 0 && k > t.ProctimeColumn {
			k--
		}
		out = append(out, k)
	}
	return out
}

func sameKey(a, b []types.Value, key []int) bool {
	for _, k := range key {
		if a[k].IsNull() || b[k].IsNull() || !types.Equal(a[k], b[k]) {
			return false
		}
	}
	return true
}

// isTrue evaluates an optional condition (nil: every row).
func isTrue(cond expr.Expr, row []types.Value) (bool, error) {
	if cond == nil {
		return true, nil
	}
	v, err := cond.Eval(row)
	if err != nil {
		return false, err
	}
	return !v.IsNull() && v.Kind() == types.KindBool && v.Bool(), nil
}

// dmlError locates an error met while evaluating a row at the statement
// (its number and first line and column), as compile errors are located.
func dmlError(p sql.Piece, what string, err error) error {
	return fmt.Errorf("statement %d, line %d, column %d: %s: %w", p.Index, p.Line, p.Col, what, err)
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// indexKey is the key of an index name in Engine.indexes.
func indexKey(name string) string { return strings.ToLower(name) }
