package types

import "fmt"

// Kind is the physical kind of a value or a column.
type Kind uint8

const (
	// KindNull is the type of an untyped NULL literal only; a NULL value of any
	// other column keeps that column's Type but reports IsNull.
	KindNull Kind = iota
	KindBool
	// KindInt is every integer type (TINYINT .. BIGINT), held as int64.
	KindInt
	// KindDouble is DOUBLE / FLOAT, held as float64.
	KindDouble
	// KindDecimal is DECIMAL(p,s), held as an unscaled int64 and a scale.
	KindDecimal
	// KindString is VARCHAR / CHAR / STRING / TEXT.
	KindString
	// KindTimestamp is TIMESTAMP(p), held as milliseconds since the Unix epoch (UTC).
	KindTimestamp
	// KindDate is DATE, held as days since the Unix epoch.
	KindDate
	// KindInterval is a day-time INTERVAL, held as milliseconds.
	KindInterval
)

var kindNames = [...]string{"NULL", "BOOLEAN", "BIGINT", "DOUBLE", "DECIMAL", "VARCHAR", "TIMESTAMP", "DATE", "INTERVAL"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Type is a column or expression type. It is a small comparable value.
//
// Precision means: for KindInt the width in bits (8, 16, 32, 64; 0 is read as
// 64); for KindDecimal the total digits; for KindTimestamp the fractional
// second digits (0..3); for KindString the declared length (0 = unbounded).
// Scale is used by KindDecimal only.
type Type struct {
	Kind      Kind
	Precision uint8
	Scale     uint8
	NotNull   bool
}

// Common types.
var (
	Null      = Type{Kind: KindNull}
	Bool      = Type{Kind: KindBool}
	BigInt    = Type{Kind: KindInt, Precision: 64}
	Int32     = Type{Kind: KindInt, Precision: 32}
	Double    = Type{Kind: KindDouble}
	String    = Type{Kind: KindString}
	Timestamp = Type{Kind: KindTimestamp, Precision: 3}
	Date      = Type{Kind: KindDate}
	Interval  = Type{Kind: KindInterval}
)

// DecimalType returns DECIMAL(p,s).
func DecimalType(p, s uint8) Type { return Type{Kind: KindDecimal, Precision: p, Scale: s} }

// TimestampType returns TIMESTAMP(p).
func TimestampType(p uint8) Type { return Type{Kind: KindTimestamp, Precision: p} }

// Nullable returns t without the NOT NULL flag.
func (t Type) Nullable() Type { t.NotNull = false; return t }

// IsNumeric reports whether arithmetic applies to t.
func (t Type) IsNumeric() bool {
	return t.Kind == KindInt || t.Kind == KindDouble || t.Kind == KindDecimal
}

// String renders the SQL name of the type, e.g. BIGINT, DECIMAL(10, 2), TIMESTAMP(3).
func (t Type) String() string {
	s := t.baseName()
	if t.NotNull {
		s += " NOT NULL"
	}
	return s
}

func (t Type) baseName() string {
	switch t.Kind {
	case KindInt:
		switch t.Precision {
		case 8:
			return "TINYINT"
		case 16:
			return "SMALLINT"
		case 32:
			return "INT"
		}
		return "BIGINT"
	case KindDecimal:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	case KindTimestamp:
		return fmt.Sprintf("TIMESTAMP(%d)", t.Precision)
	case KindString:
		if t.Precision > 0 {
			return fmt.Sprintf("VARCHAR(%d)", t.Precision)
		}
		return "VARCHAR"
	}
	return t.Kind.String()
}

// Column is a named, typed field of a schema.
type Column struct {
	Name string
	Type Type
}

// Schema is an ordered list of columns. Rows of a schema have exactly
// len(Schema) values, in this order.
type Schema []Column

// Index returns the position of the column with the given name (case-insensitive), or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if equalFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Names returns the column names.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
