package types

// Op is a row's changelog operation.
type Op uint8

const (
	// Insert (+I) adds a row. Append-only streams carry only inserts.
	Insert Op = iota
	// UpdateBefore (-U) retracts the previous version of an updated row.
	UpdateBefore
	// UpdateAfter (+U) is the new version of an updated row.
	UpdateAfter
	// Delete (-D) removes a row.
	Delete
)

var opNames = [...]string{"+I", "-U", "+U", "-D"}

func (o Op) String() string { return opNames[o&3] }

// IsRetraction reports whether o removes a row (-U or -D).
func (o Op) IsRetraction() bool { return o == UpdateBefore || o == Delete }

// Batch is a group of rows of one schema, stored contiguously: row i is
// Vals[i*Width : (i+1)*Width] with operation Ops[i].
//
// Ownership: whoever holds a *Batch owns it. Sending a batch on an edge
// transfers ownership to the receiver; the sender must not read or write it
// afterwards. Slices returned by Row alias the batch and are valid only while
// the batch is owned and not Reset.
type Batch struct {
	Width int
	Ops   []Op
	Vals  []Value
}

// NewBatch returns an empty batch for rows of the given width with room for capRows rows.
func NewBatch(width, capRows int) *Batch {
	return &Batch{Width: width, Ops: make([]Op, 0, capRows), Vals: make([]Value, 0, capRows*width)}
}

// Len returns the number of rows.
func (b *Batch) Len() int { return len(b.Ops) }

// Row returns row i (aliasing the batch).
func (b *Batch) Row(i int) []Value { return b.Vals[i*b.Width : (i+1)*b.Width : (i+1)*b.Width] }

// Append adds a row; len(row) must equal Width.
func (b *Batch) Append(op Op, row []Value) {
	b.Ops = append(b.Ops, op)
	b.Vals = append(b.Vals, row...)
}

// AppendEmpty adds a row of NULLs and returns it for the caller to fill.
func (b *Batch) AppendEmpty(op Op) []Value {
	b.Ops = append(b.Ops, op)
	n := len(b.Vals)
	if cap(b.Vals)-n >= b.Width {
		b.Vals = b.Vals[:n+b.Width]
		row := b.Vals[n:]
		clear(row)
		return row
	}
	b.Vals = append(b.Vals, make([]Value, b.Width)...)
	return b.Vals[n:]
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.Ops = b.Ops[:0]
	clear(b.Vals)
	b.Vals = b.Vals[:0]
}

// Clone returns a deep copy (strings are immutable and shared).
func (b *Batch) Clone() *Batch {
	c := &Batch{Width: b.Width, Ops: make([]Op, len(b.Ops)), Vals: make([]Value, len(b.Vals))}
	copy(c.Ops, b.Ops)
	copy(c.Vals, b.Vals)
	return c
}
