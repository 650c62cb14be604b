package types

import (
	"math/bits"
	"sync"
)

// maxPooledWidth is the widest row that GetBatch and PutBatch recycle.
const maxPooledWidth = 64

// maxPooledClass is the largest room class pooled: batches with room for
// up to 1<<maxPooledClass rows (larger ones are left to the collector).
const maxPooledClass = 16

// batchPools holds released batches by row width and room class: class c
// holds batches with room for at least 1<<c rows (and fewer than 1<<(c+1)).
// Keeping the classes apart matters when tasks of one width emit batches of
// very different sizes (a changelog aggregate flushing a few rows, a join
// emitting full batches): with one pool per width the large emitter kept
// drawing small batches it could not use and allocating anew, while the
// small one took the large batches.
var batchPools [maxPooledWidth + 1][maxPooledClass + 1]sync.Pool

// roomClass is the class a batch of room rows goes back to: the largest c
// with 1<<c <= room.
func roomClass(room int) int { return bits.Len(uint(room)) - 1 }

// askClass is the class GetBatch draws from for capRows rows: the smallest
// c with 1<<c >= capRows.
func askClass(capRows int) int {
	if capRows <= 1 {
		return 0
	}
	return bits.Len(uint(capRows - 1))
}

// GetBatch returns an empty batch for rows of the given width with room for
// at least capRows rows, reusing one released by PutBatch when possible
// (a new batch, with room rounded up to a power of two, otherwise). The
// caller owns it, as with NewBatch.
func GetBatch(width, capRows int) *Batch {
	if width < 0 || width > maxPooledWidth {
		return NewBatch(width, capRows)
	}
	c := askClass(capRows)
	if c > maxPooledClass {
		return NewBatch(width, capRows)
	}
	if v := batchPools[width][c].Get(); v != nil {
		return v.(*Batch)
	}
	return NewBatch(width, 1<<c)
}

// PutBatch releases b for reuse by GetBatch. The caller must own b and must
// not use it (nor any row slice taken from it) afterwards. The rows' values
// are not cleared: a recycled batch may keep strings of its old rows alive
// until its slots are overwritten.
func PutBatch(b *Batch) {
	if b == nil || b.Width < 0 || b.Width > maxPooledWidth {
		return
	}
	room := cap(b.Ops)
	if b.Width > 0 {
		room = min(room, cap(b.Vals)/b.Width)
	}
	if room < 1 {
		return
	}
	b.Ops = b.Ops[:0]
	b.Vals = b.Vals[:0]
	batchPools[b.Width][min(roomClass(room), maxPooledClass)].Put(b)
}
