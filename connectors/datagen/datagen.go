package datagen

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/pace"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

var options = []connectors.OptionSpec{
	{Key: "rows-per-second", Default: "10000", Help: "rows per second of the whole source; 0 = unlimited"},
	{Key: "number-of-rows", Help: "total number of rows (the source is bounded when set)"},
	{Key: "seed", Default: "0", Help: "seed of the random values"},
	{Key: "splits", Default: strconv.Itoa(DefaultSplits), Help: "number of splits (fixed, so that positions restore at any parallelism; at most this many source tasks run)"},
	{Key: "fields.#.kind", Default: "random", Help: "random or sequence"},
	{Key: "fields.#.min", Help: "minimum of random values"},
	{Key: "fields.#.max", Help: "maximum of random values"},
	{Key: "fields.#.start", Help: "first value of a sequence"},
	{Key: "fields.#.end", Help: "last value of a sequence"},
	{Key: "fields.#.step", Default: "1", Help: "step of a sequence (ms for TIMESTAMP, days for DATE)"},
	{Key: "fields.#.length", Default: "100", Help: "length of random strings"},
	{Key: "fields.#.max-past", Default: "0", Help: "random TIMESTAMP: how far before the wall clock"},
	{Key: "fields.#.null-rate", Default: "0", Help: "probability of NULL"},
}

func init() {
	connectors.Register(&connectors.Factory{
		Name:      "datagen",
		Options:   options,
		NewSource: newSource,
		Validate: func(t *catalog.Table) error {
			_, err := newSource(t, nil)
			return err
		},
	})
}

const (
	kindRandom = iota
	kindSequence
)

type field struct {
	idx      int
	t        types.Type
	kind     int
	min, max int64 // random ints, decimal unscaled, date days, interval ms
	fmin     float64
	fmax     float64
	haveMin  bool
	length   int
	start    int64 // sequences (unscaled for decimals)
	step     int64
	fstart   float64
	fstep    float64
	count    uint64 // sequence length
	nullRate float64
	maxPast  int64
	base     uint64 // per-field random stream base
}

// DefaultSplits is the number of splits when 'splits' is not set. It is
// fixed, not derived from the parallelism, so that a checkpoint taken at
// one parallelism restores at another; 8 spreads evenly over 1, 2, 4 or 8
// source tasks.
const DefaultSplits = 8

// maxSplits bounds the 'splits' option.
const maxSplits = 1 << 16

type source struct {
	t      *catalog.Table
	env    *connectors.Env
	fields []field
	width  int
	rps    float64
	total  uint64 // rows of the whole source; MaxUint64 when unbounded
	bound  bool
	splits int
}

func newSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "datagen", Options: options}); err != nil {
		return nil, err
	}
	cols := t.PhysicalColumns()
	s := &source{t: t, env: env, width: len(cols), rps: 10000, total: math.MaxUint64, splits: DefaultSplits}
	errf := func(key, format string, a ...any) error {
		return fmt.Errorf("table %s: option '%s': %s", t.Name, key, fmt.Sprintf(format, a...))
	}
	m := t.OptionMap()
	if v, ok := m["rows-per-second"]; ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, errf("rows-per-second", "expected a number >= 0, got '%s'", v)
		}
		s.rps = n
	}
	if v, ok := m["number-of-rows"]; ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, errf("number-of-rows", "expected a number >= 0, got '%s'", v)
		}
		s.total, s.bound = n, true
	}
	if v, ok := m["splits"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxSplits {
			return nil, errf("splits", "expected a number of splits from 1 to %d, got '%s'", maxSplits, v)
		}
		s.splits = n
	}
	var seed uint64
	if v, ok := m["seed"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, errf("seed", "expected an integer, got '%s'", v)
		}
		seed = uint64(n)
	}
	// group the per-field options by column
	per := make([]map[string]string, len(cols))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "fields.")
		if !ok {
			continue
		}
		dot := strings.LastIndexByte(rest, '.')
		col, attr := rest[:dot], rest[dot+1:]
		i := cols.Index(col)
		if i < 0 {
			if pc := t.ProctimeColumn; pc >= 0 && strings.EqualFold(t.Columns[pc].Name, col) {
				return nil, errf(k, "column '%s' is computed (PROCTIME) and is not generated", col)
			}
			return nil, errf(k, "the table has no column '%s'", col)
		}
		if per[i] == nil {
			per[i] = map[string]string{}
		}
		per[i][attr] = m[k]
	}
	for i, c := range cols {
		f, err := newField(i, c, per[i], seed)
		if err != nil {
			return nil, fmt.Errorf("table %s: column %s: %v", t.Name, c.Name, err)
		}
		if f.kind == kindSequence {
			s.bound = true
			s.total = min(s.total, f.count)
		}
		s.fields = append(s.fields, f)
	}
	return s, nil
}

func splitmix(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

const gamma = 0x9E3779B97F4A7C15

func newField(i int, c types.Column, o map[string]string, seed uint64) (field, error) {
	f := field{idx: i, t: c.Type, length: 100, step: 1, fstep: 1}
	f.base = splitmix(splitmix(seed+gamma) ^ uint64(i+1)*0xD1B54A32D192ED03)
	has := func(k string) bool { _, ok := o[k]; return ok }
	switch kind := strings.ToLower(strings.TrimSpace(o["kind"])); kind {
	case "", "random":
	case "sequence":
		f.kind = kindSequence
	default:
		return f, fmt.Errorf("option 'fields.%s.kind': expected 'random' or 'sequence', got '%s'", c.Name, o["kind"])
	}
	bad := func(attr, why string) error {
		return fmt.Errorf("option 'fields.%s.%s' %s", c.Name, attr, why)
	}
	for attr := range o {
		switch attr {
		case "kind", "null-rate":
		case "min", "max":
			if f.kind == kindSequence {
				return f, bad(attr, "applies to random fields only (a sequence has start and end)")
			}
			switch c.Type.Kind {
			case types.KindString, types.KindBool, types.KindTimestamp:
				return f, bad(attr, "does not apply to a "+c.Type.Nullable().String()+" column")
			}
		case "start", "end", "step":
			if f.kind != kindSequence {
				return f, bad(attr, "applies to sequences only (set 'fields."+c.Name+".kind'='sequence')")
			}
		case "length":
			if c.Type.Kind != types.KindString {
				return f, bad(attr, "applies to STRING columns only")
			}
			if f.kind == kindSequence {
				return f, bad(attr, "applies to random fields only")
			}
		case "max-past":
			if c.Type.Kind != types.KindTimestamp || f.kind == kindSequence {
				return f, bad(attr, "applies to random TIMESTAMP columns only")
			}
		default:
			return f, fmt.Errorf("unknown option 'fields.%s.%s' (known: kind, min, max, start, end, step, length, max-past, null-rate)", c.Name, attr)
		}
	}
	if v, ok := o["null-rate"]; ok {
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || r < 0 || r > 1 {
			return f, bad("null-rate", "expects a number between 0 and 1, got '"+v+"'")
		}
		f.nullRate = r
	}
	if v, ok := o["length"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return f, bad("length", "expects a length >= 0, got '"+v+"'")
		}
		f.length = n
	}
	if v, ok := o["max-past"]; ok {
		n, err := parseMillis(v)
		if err != nil || n < 0 {
			return f, bad("max-past", "expects milliseconds or a duration >= 0, got '"+v+"'")
		}
		f.maxPast = n
	}
	// parse a bound or sequence value for the column type, in the field's integer unit
	parse := func(attr string) (int64, error) {
		v := strings.TrimSpace(o[attr])
		var n int64
		var err error
		switch c.Type.Kind {
		case types.KindInt, types.KindString, types.KindInterval:
			n, err = strconv.ParseInt(v, 10, 64)
			if err == nil && c.Type.Kind == types.KindInt {
				lo, hi := intRange(c.Type)
				if n < lo || n > hi {
					err = fmt.Errorf("out of range")
				}
			}
		case types.KindDecimal:
			n, err = format.ParseDecimal([]byte(v), c.Type.Precision, c.Type.Scale)
		case types.KindTimestamp:
			n, err = format.ParseTimestamp([]byte(v))
		case types.KindDate:
			n, err = format.ParseDate([]byte(v))
		default:
			err = fmt.Errorf("unsupported")
		}
		if err != nil {
			return 0, bad(attr, fmt.Sprintf("expects a %s value, got '%s'", c.Type.Nullable(), v))
		}
		return n, nil
	}
	if f.kind == kindSequence {
		if !has("start") || !has("end") {
			return f, fmt.Errorf("a sequence needs options 'fields.%s.start' and 'fields.%s.end'", c.Name, c.Name)
		}
		switch c.Type.Kind {
		case types.KindBool:
			return f, fmt.Errorf("a BOOLEAN column cannot be a sequence")
		case types.KindDouble:
			var err error
			var end float64
			if f.fstart, err = strconv.ParseFloat(strings.TrimSpace(o["start"]), 64); err != nil {
				return f, bad("start", "expects a number, got '"+o["start"]+"'")
			}
			if end, err = strconv.ParseFloat(strings.TrimSpace(o["end"]), 64); err != nil {
				return f, bad("end", "expects a number, got '"+o["end"]+"'")
			}
			if has("step") {
				if f.fstep, err = strconv.ParseFloat(strings.TrimSpace(o["step"]), 64); err != nil || !(f.fstep > 0) {
					return f, bad("step", "expects a number > 0, got '"+o["step"]+"'")
				}
			}
			if end < f.fstart {
				return f, fmt.Errorf("sequence end %v is before its start %v", end, f.fstart)
			}
			n := math.Floor((end-f.fstart)/f.fstep) + 1
			if n >= math.MaxUint64 {
				n = math.MaxUint64 - 1
			}
			f.count = uint64(n)
			return f, nil
		}
		var err error
		if f.start, err = parse("start"); err != nil {
			return f, err
		}
		end, err := parse("end")
		if err != nil {
			return f, err
		}
		if v, ok := o["step"]; ok {
			switch c.Type.Kind {
			case types.KindTimestamp, types.KindInterval:
				f.step, err = parseMillis(v)
			case types.KindDecimal:
				f.step, err = format.ParseDecimal([]byte(strings.TrimSpace(v)), 18, c.Type.Scale)
			default:
				f.step, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
			if err != nil || f.step <= 0 {
				return f, bad("step", "expects a step > 0, got '"+v+"'")
			}
		} else if c.Type.Kind == types.KindDecimal {
			f.step = types.Pow10(c.Type.Scale)
		}
		if end < f.start {
			return f, fmt.Errorf("sequence end %s is before its start %s", o["end"], o["start"])
		}
		f.count = (uint64(end)-uint64(f.start))/uint64(f.step) + 1
		if f.count == 0 { // the whole int64 range with step 1
			f.count = math.MaxUint64
		}
		return f, nil
	}
	// random
	switch c.Type.Kind {
	case types.KindInt:
		f.min, f.max = intRange(c.Type)
	case types.KindDecimal:
		p := c.Type.Precision
		if p == 0 || p > 18 {
			p = 18
		}
		f.max = types.Pow10(p) - 1
		f.min = -f.max
	case types.KindInterval:
		f.min, f.max = 0, 86400000
	case types.KindDouble:
		f.fmin, f.fmax = 0, 1
		var err error
		if v, ok := o["min"]; ok {
			if f.fmin, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				return f, bad("min", "expects a number, got '"+v+"'")
			}
		}
		if v, ok := o["max"]; ok {
			if f.fmax, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				return f, bad("max", "expects a number, got '"+v+"'")
			}
		}
		if f.fmax < f.fmin {
			return f, fmt.Errorf("min %v is greater than max %v", f.fmin, f.fmax)
		}
		return f, nil
	}
	var err error
	if has("min") {
		if f.min, err = parse("min"); err != nil {
			return f, err
		}
		f.haveMin = true
	}
	if has("max") {
		if f.max, err = parse("max"); err != nil {
			return f, err
		}
		f.haveMin = true
	}
	if c.Type.Kind == types.KindDate && f.haveMin && (!has("min") || !has("max")) {
		return f, fmt.Errorf("a random DATE needs both 'fields.%s.min' and 'fields.%s.max' (or neither: today)", c.Name, c.Name)
	}
	if f.max < f.min {
		return f, fmt.Errorf("min %s is greater than max %s", o["min"], o["max"])
	}
	return f, nil
}

func intRange(t types.Type) (int64, int64) {
	switch t.Precision {
	case 8:
		return math.MinInt8, math.MaxInt8
	case 16:
		return math.MinInt16, math.MaxInt16
	case 32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// parseMillis parses milliseconds: an integer, a Go duration ('1.5s',
// '500ms') or '<n> <unit>' with unit ms, s, sec, min, h, d (and plurals).
func parseMillis(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d.Milliseconds(), nil
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	unit := strings.ToLower(strings.TrimSpace(v[i:]))
	mult := map[string]int64{"ms": 1, "milli": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
		"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
		"min": 60000, "mins": 60000, "minute": 60000, "minutes": 60000,
		"h": 3600000, "hour": 3600000, "hours": 3600000, "d": 86400000, "day": 86400000, "days": 86400000}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit '%s'", unit)
	}
	return n * mult, nil
}

// value returns the field's value for global row index i.
func (f *field) value(i uint64, now int64, scratch *[]byte) types.Value {
	h := splitmix(f.base + (i+1)*gamma)
	if f.nullRate > 0 && float64(splitmix(h)>>11)*(1.0/(1<<53)) < f.nullRate {
		return types.Value{}
	}
	if f.kind == kindSequence {
		switch f.t.Kind {
		case types.KindDouble:
			return types.DoubleValue(f.fstart + float64(i)*f.fstep)
		case types.KindString:
			return types.StringValue(strconv.FormatInt(f.start+int64(i)*f.step, 10))
		}
		return f.make(f.start + int64(i)*f.step)
	}
	switch f.t.Kind {
	case types.KindBool:
		return types.BoolValue(h&1 == 1)
	case types.KindDouble:
		return types.DoubleValue(f.fmin + float64(h>>11)*(1.0/(1<<53))*(f.fmax-f.fmin))
	case types.KindString:
		b := (*scratch)[:0]
		const hex = "0123456789abcdef"
		x := h
		for k := 0; k < f.length; k++ {
			if k%16 == 0 && k > 0 {
				x = splitmix(x + gamma)
			}
			b = append(b, hex[x>>(uint(k%16)*4)&15])
		}
		*scratch = b
		return types.StringValue(string(b))
	case types.KindTimestamp:
		if f.maxPast > 0 {
			return types.TimestampValue(now - int64(h%uint64(f.maxPast+1)))
		}
		return types.TimestampValue(now)
	case types.KindDate:
		if !f.haveMin {
			return types.DateValue(floorDiv(now, 86400000))
		}
	}
	span := uint64(f.max-f.min) + 1
	if span == 0 {
		return f.make(int64(h))
	}
	hi, _ := bits.Mul64(h, span)
	return f.make(f.min + int64(hi))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (f *field) make(n int64) types.Value {
	switch f.t.Kind {
	case types.KindInt:
		return types.IntValue(n)
	case types.KindDecimal:
		return types.DecimalValue(n, f.t.Scale)
	case types.KindTimestamp:
		return types.TimestampValue(n)
	case types.KindDate:
		return types.DateValue(n)
	case types.KindInterval:
		return types.IntervalValue(n)
	case types.KindString:
		return types.StringValue(strconv.FormatInt(n, 10))
	}
	return types.Value{}
}

type split struct{ k, n int }

func (s split) ID() string { return fmt.Sprintf("datagen-%d-of-%d", s.k, s.n) }

func (s *source) Bounded() bool { return s.bound }

// Splits returns the 'splits' splits, whatever the parallelism.
func (s *source) Splits(int) ([]connectors.Split, error) {
	out := make([]connectors.Split, s.splits)
	for k := range out {
		out[k] = split{k, s.splits}
	}
	return out, nil
}

func (s *source) OpenSplit(_ context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	ds, ok := sp.(split)
	if !ok || ds.n < 1 || ds.k < 0 || ds.k >= ds.n {
		return nil, fmt.Errorf("table %s: split %s is not a datagen split", s.t.Name, sp.ID())
	}
	if ds.n != s.splits {
		return nil, fmt.Errorf("table %s: split %s does not belong to a source of %d splits (was option 'splits' changed?)", s.t.Name, sp.ID(), s.splits)
	}
	r := &reader{src: s, k: uint64(ds.k), n: uint64(ds.n),
		pace: pace.Pacer{Now: nowFunc(s.env), MaxWait: max(maxWait/time.Duration(ds.n), time.Millisecond)}}
	r.count = math.MaxUint64
	if s.total != math.MaxUint64 {
		r.count = 0
		if r.k < s.total {
			r.count = (s.total-r.k-1)/r.n + 1
		}
	}
	if pos != nil {
		if len(pos) != 8 {
			return nil, fmt.Errorf("table %s: invalid position of split %s", s.t.Name, sp.ID())
		}
		r.j = binary.BigEndian.Uint64(pos)
		if r.j > r.count {
			return nil, fmt.Errorf("table %s: position %d of split %s is past its %d rows", s.t.Name, r.j, sp.ID(), r.count)
		}
	}
	if s.rps > 0 {
		r.pace.Rate = s.rps / float64(r.n)
	}
	return r, nil
}

func nowFunc(env *connectors.Env) func() int64 {
	if env != nil && env.Now != nil {
		return env.Now
	}
	return func() int64 { return time.Now().UnixMilli() }
}

type reader struct {
	src     *source
	k, n    uint64
	j       uint64 // rows generated by this split
	count   uint64 // rows of this split
	pace    pace.Pacer
	scratch []byte
}

// maxWait bounds how long the splits of a source together sleep in Next
// for their next rows: one split sleeps at most maxWait / splits per call,
// so that a task reading all splits in turn gets back to barriers and
// other splits within about maxWait.
const maxWait = 100 * time.Millisecond

func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	if r.j >= r.count {
		return io.EOF
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Width != r.src.width {
		return fmt.Errorf("table %s: batch width %d does not match the %d physical columns", r.src.t.Name, b.Width, r.src.width)
	}
	limit := cap(b.Ops)
	if limit <= b.Len() {
		limit = b.Len() + 1024
	}
	n, now, err := r.pace.Take(ctx, int64(min(uint64(limit-b.Len()), r.count-r.j)))
	if err != nil {
		return err
	}
	// Generate column by column: rows j.. of the split are the global rows
	// k + j*n, k + (j+1)*n, ...
	rows := int(n)
	if rows <= 0 {
		return nil
	}
	lo := b.Len()
	w := b.Width
	b.Ops = slices.Grow(b.Ops, rows)[:lo+rows]
	clear(b.Ops[lo:]) // types.Insert
	b.Vals = slices.Grow(b.Vals, rows*w)[:(lo+rows)*w]
	vals := b.Vals[lo*w:]
	i0 := r.k + r.j*r.n
	for fi := range r.src.fields {
		r.src.fields[fi].fill(vals, w, i0, r.n, rows, now, &r.scratch)
	}
	r.j += uint64(rows)
	return nil
}

// fill writes the field's values of global rows i0, i0+step, ... (rows of
// them) into its column of vals, which holds rows of width w. Every slot
// of the column is written. The values are those of value.
func (f *field) fill(vals []types.Value, w int, i0, step uint64, rows int, now int64, scratch *[]byte) {
	col := vals[f.idx:]
	if f.nullRate == 0 {
		switch {
		case f.kind == kindSequence && (f.t.Kind == types.KindInt || f.t.Kind == types.KindTimestamp):
			v := f.start + int64(i0)*f.step
			d := int64(step) * f.step
			if f.t.Kind == types.KindInt {
				for x := 0; x < rows; x++ {
					col[x*w] = types.IntValue(v)
					v += d
				}
			} else {
				for x := 0; x < rows; x++ {
					col[x*w] = types.TimestampValue(v)
					v += d
				}
			}
			return
		case f.kind == kindRandom && f.t.Kind == types.KindInt:
			span := uint64(f.max-f.min) + 1
			a := f.base + (i0+1)*gamma
			d := step * gamma
			for x := 0; x < rows; x++ {
				h := splitmix(a)
				a += d
				u := h
				if span != 0 {
					u, _ = bits.Mul64(h, span)
					u += uint64(f.min)
				}
				col[x*w] = types.IntValue(int64(u))
			}
			return
		}
	}
	for x := 0; x < rows; x++ {
		col[x*w] = f.value(i0+uint64(x)*step, now, scratch)
	}
}

// Position returns the number of rows generated by the split.
func (r *reader) Position() []byte { return binary.BigEndian.AppendUint64(nil, r.j) }

func (r *reader) Close() error { return nil }

// WaitedNs implements connectors.WaitReporter: the time the reader slept
// to keep to 'rows-per-second'.
func (r *reader) WaitedNs() int64 { return int64(r.pace.Waited) }
