package expr

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Expr is a bound scalar expression.
type Expr interface {
	// Type is the result type.
	Type() types.Type
	// Eval computes the value over one row of the input schema the
	// expression was bound against.
	Eval(row []types.Value) (types.Value, error)
	// String renders the expression for EXPLAIN, with column names.
	String() string
}

// Col reads the input column at Index.
type Col struct {
	Index int
	Name  string
	T     types.Type
}

func (c *Col) Type() types.Type                            { return c.T }
func (c *Col) Eval(row []types.Value) (types.Value, error) { return row[c.Index], nil }
func (c *Col) String() string                              { return c.Name }

// Literal is a constant.
type Literal struct {
	V types.Value
	T types.Type
}

func (l *Literal) Type() types.Type                        { return l.T }
func (l *Literal) Eval([]types.Value) (types.Value, error) { return l.V, nil }
func (l *Literal) String() string {
	if l.V.IsNull() {
		return "NULL"
	}
	switch l.V.Kind() {
	case types.KindString:
		return "'" + strings.ReplaceAll(l.V.Str(), "'", "''") + "'"
	case types.KindInterval:
		return intervalString(l.V.Millis())
	case types.KindTimestamp:
		return "TIMESTAMP '" + types.Render(l.V, l.T) + "'"
	case types.KindDate:
		return "DATE '" + types.Render(l.V, l.T) + "'"
	}
	return types.Render(l.V, l.T)
}

// intervalString renders ms as INTERVAL 'n' UNIT with the largest exact unit.
func intervalString(ms int64) string {
	units := []struct {
		n  string
		ms int64
	}{{"DAY", msPerDay}, {"HOUR", msPerHour}, {"MINUTE", msPerMinute}, {"SECOND", msPerSecond}}
	for _, u := range units {
		if ms != 0 && ms%u.ms == 0 {
			return "INTERVAL '" + strconv.FormatInt(ms/u.ms, 10) + "' " + u.n
		}
	}
	return "INTERVAL '" + strconv.FormatInt(ms, 10) + "' MILLISECOND"
}

// AsCol returns e as a column reference, if it is one.
func AsCol(e Expr) (*Col, bool) {
	c, ok := e.(*Col)
	return c, ok
}
