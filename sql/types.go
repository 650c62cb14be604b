package sql

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// parseType reads a SQL type name (used for CREATE TABLE columns and CAST
// targets). text is the type's text, off its offset in the statement.
//
//	BIGINT, INT/INTEGER, SMALLINT, TINYINT (also SIGNED/UNSIGNED [INTEGER])
//	DOUBLE [PRECISION], FLOAT, REAL
//	DECIMAL/NUMERIC/DEC [(p[, s])]     default (10, 0); p <= 18
//	VARCHAR(n), CHAR[(n)], STRING, TEXT
//	BOOLEAN, BOOL
//	TIMESTAMP[(p)], DATETIME[(p)]      default precision 3; p <= 3 kept, more is clamped to 3
//	DATE
func parseType(text string, off int) (types.Type, *preErr) {
	toks := lex(text)
	bad := func(at int, msg, hint string) (types.Type, *preErr) {
		return types.Type{}, &preErr{off: off + at, msg: msg, hint: hint, kind: ErrType}
	}
	if len(toks) == 0 {
		return bad(0, "missing type", "")
	}
	name := strings.ToUpper(toks[0].text)
	i := 1
	var args []int64
	if i < len(toks) && toks[i].is("(") {
		j := i + 1
		for j < len(toks) && !toks[j].is(")") {
			if toks[j].kind == tNumber {
				n, err := strconv.ParseInt(toks[j].text, 10, 64)
				if err != nil {
					return bad(toks[j].start, "invalid type length '"+toks[j].text+"'", "")
				}
				args = append(args, n)
			} else if !toks[j].is(",") {
				return bad(toks[j].start, "invalid type argument '"+toks[j].text+"'", "")
			}
			j++
		}
		if j >= len(toks) {
			return bad(toks[i].start, "missing ')' in type", "")
		}
		i = j + 1
	}
	rest := toks[i:]
	restIs := func(words ...string) bool {
		if len(rest) != len(words) {
			return false
		}
		for k, w := range words {
			if !rest[k].is(w) {
				return false
			}
		}
		return true
	}
	var t types.Type
	switch name {
	case "BIGINT", "INT8":
		t = types.BigInt
	case "INT", "INTEGER", "INT4", "MEDIUMINT":
		t = types.Int32
	case "SMALLINT", "INT2":
		t = types.Type{Kind: types.KindInt, Precision: 16}
	case "TINYINT":
		t = types.Type{Kind: types.KindInt, Precision: 8}
	case "SIGNED", "UNSIGNED":
		t = types.BigInt
		if restIs("INTEGER") || restIs("INT") {
			rest = nil
		}
	case "DOUBLE":
		t = types.Double
		if restIs("PRECISION") {
			rest = nil
		}
	case "FLOAT", "REAL", "FLOAT4", "FLOAT8":
		t = types.Double
	case "DECIMAL", "NUMERIC", "DEC":
		p, s := int64(10), int64(0)
		if len(args) >= 1 {
			p = args[0]
		}
		if len(args) >= 2 {
			s = args[1]
		}
		if p < 1 || p > expr.MaxDecimalDigits {
			return bad(0, "DECIMAL precision "+strconv.FormatInt(p, 10)+" is out of range", "streamsql supports DECIMAL(p, s) with 1 <= p <= 18; use DOUBLE for wider values")
		}
		if s < 0 || s > p {
			return bad(0, "DECIMAL scale "+strconv.FormatInt(s, 10)+" is out of range", "the scale must be between 0 and the precision")
		}
		t = types.DecimalType(uint8(p), uint8(s))
		args = nil
	case "VARCHAR", "CHAR", "CHARACTER", "NVARCHAR", "NCHAR":
		t = types.String
		if restIs("VARYING") {
			rest = nil
		}
		if len(args) == 1 && args[0] > 0 && args[0] < 256 {
			t.Precision = uint8(args[0])
		}
		args = nil
	case "STRING", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT":
		t = types.String
	case "BOOLEAN", "BOOL":
		t = types.Bool
	case "TIMESTAMP", "DATETIME", "TIMESTAMP_LTZ":
		p := int64(3)
		if len(args) == 1 {
			p = args[0]
		}
		if p < 0 || p > 9 {
			return bad(0, "TIMESTAMP precision "+strconv.FormatInt(p, 10)+" is out of range", "use TIMESTAMP(0) to TIMESTAMP(3)")
		}
		if p > 3 {
			p = 3
		}
		t = types.TimestampType(uint8(p))
		args = nil
		if restIs("WITHOUT", "TIME", "ZONE") || restIs("WITH", "LOCAL", "TIME", "ZONE") {
			rest = nil
		}
	case "DATE":
		t = types.Date
	default:
		return bad(0, "unknown type '"+toks[0].text+"'", "supported types: BIGINT, INT, SMALLINT, TINYINT, DOUBLE, DECIMAL(p, s), VARCHAR(n), STRING, BOOLEAN, TIMESTAMP(p), DATE")
	}
	if t.Kind == types.KindInt {
		args = nil // display widths like INT(11) are ignored
		if len(rest) > 0 && (rest[0].is("UNSIGNED") || rest[0].is("SIGNED")) {
			rest = rest[1:]
		}
	}
	if len(args) > 0 {
		return bad(0, "type "+name+" takes no arguments", "")
	}
	if len(rest) > 0 {
		hint := ""
		if rest[0].isName() {
			hint = "is a ',' missing before '" + rest[0].text + "'?"
		}
		return bad(rest[0].start, "unexpected '"+rest[0].text+"' in type", hint)
	}
	return t, nil
}
