package engine

import "github.com/streamsql/streamsql/types"

// materializer applies a changelog to a multiset of rows, keeping the
// order in which rows first appeared.
type materializer struct {
	order [][]types.Value
	alive []bool
	index map[string][]int // row key -> positions in order still alive
	buf   []byte
}

func newMaterializer() *materializer { return &materializer{index: map[string][]int{}} }

func (m *materializer) key(row []types.Value) string {
	m.buf = m.buf[:0]
	for _, v := range row {
		m.buf = types.AppendKey(m.buf, v)
	}
	return string(m.buf)
}

func (m *materializer) apply(op types.Op, row []types.Value) {
	k := m.key(row)
	if op.IsRetraction() {
		pos := m.index[k]
		if len(pos) == 0 {
			return // retraction of an unknown row: nothing to remove
		}
		last := pos[len(pos)-1]
		m.alive[last] = false
		m.index[k] = pos[:len(pos)-1]
		return
	}
	m.order = append(m.order, append([]types.Value(nil), row...))
	m.alive = append(m.alive, true)
	m.index[k] = append(m.index[k], len(m.order)-1)
}

func (m *materializer) rows() [][]types.Value {
	out := make([][]types.Value, 0, len(m.order))
	for i, r := range m.order {
		if m.alive[i] {
			out = append(out, r)
		}
	}
	return out
}
