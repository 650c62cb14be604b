package exec

// firstBatchRows is the room for rows of a task's first output batch.
const firstBatchRows = 8

// batchRows sizes the batches a task allocates: the first has room for
// firstBatchRows rows, and each batch that reaches its room makes the
// next one larger (twice the room, or as many rows as the batch held),
// up to the job's batch size. A task that emits a few rows per query
// (bounded queries over small tables, joins of wide rows) so allocates
// batches that fit them instead of batch-size rows of its width, and one
// that emits full batches gets batch-size room from its first few
// batches on.
type batchRows struct {
	next, max int
}

func newBatchRows(max int) batchRows {
	return batchRows{next: min(firstBatchRows, max), max: max}
}

// filled records that a batch held n rows.
func (r *batchRows) filled(n int) {
	if n >= r.next {
		r.next = min(max(2*r.next, n), r.max)
	}
}
