package types

import "testing"

func TestGetPutBatch(t *testing.T) {
	b := GetBatch(3, 16)
	if b.Width != 3 || b.Len() != 0 || cap(b.Ops) < 16 || cap(b.Vals) < 48 {
		t.Fatalf("GetBatch(3, 16): width %d, %d rows, room for %d ops and %d values", b.Width, b.Len(), cap(b.Ops), cap(b.Vals))
	}
	b.Append(Delete, []Value{IntValue(1), StringValue("x"), NullValue()})
	PutBatch(b)
	// Whether or not the pool hands b back, a batch comes out empty, of
	// the asked width, with the asked room, and its rows start as NULLs.
	for _, c := range []struct{ width, rows int }{{3, 16}, {3, 4}, {3, 64}, {2, 16}} {
		g := GetBatch(c.width, c.rows)
		if g.Width != c.width || g.Len() != 0 || len(g.Vals) != 0 || cap(g.Ops) < c.rows || cap(g.Vals) < c.rows*c.width {
			t.Fatalf("GetBatch(%d, %d): width %d, %d rows, %d values, room for %d ops and %d values",
				c.width, c.rows, g.Width, g.Len(), len(g.Vals), cap(g.Ops), cap(g.Vals))
		}
		row := g.AppendEmpty(Insert)
		for i, v := range row {
			if !v.IsNull() {
				t.Fatalf("GetBatch(%d, %d): new row has %v at %d", c.width, c.rows, v, i)
			}
		}
		if g.Ops[0] != Insert {
			t.Fatalf("GetBatch(%d, %d): new row has op %v", c.width, c.rows, g.Ops[0])
		}
		PutBatch(g)
	}
	PutBatch(nil)
	PutBatch(NewBatch(maxPooledWidth+1, 1)) // too wide to pool: dropped
}
