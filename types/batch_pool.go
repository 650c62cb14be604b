package types

import "sync"

// maxPooledWidth is the widest row that GetBatch and PutBatch recycle.
const maxPooledWidth = 64

// batchPools holds released batches by row width.
var batchPools [maxPooledWidth + 1]sync.Pool

// GetBatch returns an empty batch for rows of the given width with room for
// at least capRows rows, reusing one released by PutBatch when possible
// (NewBatch otherwise). The caller owns it, as with NewBatch.
func GetBatch(width, capRows int) *Batch {
	if width >= 0 && width <= maxPooledWidth {
		if v := batchPools[width].Get(); v != nil {
			b := v.(*Batch)
			if cap(b.Ops) >= capRows && cap(b.Vals) >= capRows*width {
				return b
			}
		}
	}
	return NewBatch(width, capRows)
}

// PutBatch releases b for reuse by GetBatch. The caller must own b and must
// not use it (nor any row slice taken from it) afterwards. The rows' values
// are not cleared: a recycled batch may keep strings of its old rows alive
// until its slots are overwritten.
func PutBatch(b *Batch) {
	if b == nil || b.Width < 0 || b.Width > maxPooledWidth {
		return
	}
	b.Ops = b.Ops[:0]
	b.Vals = b.Vals[:0]
	batchPools[b.Width].Put(b)
}
