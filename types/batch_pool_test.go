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

// TestBatchPoolClasses pins the room classes: a batch comes back from the
// pool only to a caller it has room for, and a small batch put back does
// not stand in the way of a large request.
func TestBatchPoolClasses(t *testing.T) {
	for _, c := range []struct{ room, ask, put int }{
		{1, 0, 0}, {2, 1, 1}, {3, 2, 1}, {8, 3, 3}, {9, 4, 3}, {1024, 10, 10}, {1025, 11, 10},
	} {
		if got := askClass(c.room); got != c.ask {
			t.Errorf("askClass(%d) = %d, want %d", c.room, got, c.ask)
		}
		if got := roomClass(c.room); got != c.put {
			t.Errorf("roomClass(%d) = %d, want %d", c.room, got, c.put)
		}
	}
	for i := 0; i < 100; i++ {
		PutBatch(NewBatch(5, 8))
		if b := GetBatch(5, 1024); cap(b.Ops) < 1024 || cap(b.Vals) < 1024*5 {
			t.Fatalf("GetBatch(5, 1024) after a batch of 8 rows was put back: room for %d rows", cap(b.Ops))
		}
	}
	// A batch whose values were grown past its ops (or the reverse) is
	// classed by the smaller room.
	odd := NewBatch(4, 64)
	odd.Vals = make([]Value, 0, 8*4)
	PutBatch(odd)
	for i := 0; i < 10; i++ {
		if b := GetBatch(4, 64); cap(b.Vals) < 64*4 {
			t.Fatalf("GetBatch(4, 64): room for %d values", cap(b.Vals))
		}
	}
}
