package expr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// The row every test expression is evaluated against.
var schema = types.Schema{
	{Name: "a", Type: types.BigInt},
	{Name: "n", Type: types.BigInt},
	{Name: "s", Type: types.String},
	{Name: "d", Type: types.DecimalType(10, 2)},
	{Name: "f", Type: types.Double},
	{Name: "ts", Type: types.Timestamp},
	{Name: "b", Type: types.Bool},
	{Name: "nb", Type: types.Bool},
	{Name: "ns", Type: types.String},
}

func row() []types.Value {
	ts, _ := expr.ParseTimestamp("2020-10-10 00:00:05.123")
	return []types.Value{types.IntValue(5), types.NullValue(), types.StringValue("hello"),
		types.DecimalValue(325, 2), types.DoubleValue(1.5), types.TimestampValue(ts),
		types.BoolValue(true), types.NullValue(), types.NullValue()}
}

func TestEval(t *testing.T) {
	defer expr.SetClock(expr.SetClock(func() int64 { return 1602288000000 }))
	cases := []struct{ in, want string }{
		// arithmetic
		{"a + 1", "6"}, {"a - 7", "-2"}, {"a * 3", "15"}, {"a / 2", "2.5000"}, {"a DIV 2", "2"}, {"a % 3", "2"},
		{"-a", "-5"}, {"a / 0", "NULL"}, {"a % 0", "NULL"}, {"n + 1", "NULL"}, {"-n", "NULL"},
		{"d + 1", "4.25"}, {"d * d", "10.5625"}, {"d / 3", "1.083333"}, {"d - 0.255", "2.995"}, {"d % 1", "0.25"},
		{"f * 2", "3"}, {"f / 0", "NULL"}, {"a + f", "6.5"}, {"1.1 + 2.2", "3.3"}, {"10 / 4", "2.5000"},
		{"7 / 3", "2.3333"}, {"-7 / 3", "-2.3333"}, {"2 * 3 + 4 * 5", "26"}, {"0.1 * 0.2", "0.02"},
		// comparisons and logic
		{"a = 5", "TRUE"}, {"a <> 5", "FALSE"}, {"a != 4", "TRUE"}, {"a < 5.5", "TRUE"}, {"d >= 3.25", "TRUE"},
		{"f > a", "FALSE"}, {"n = 1", "NULL"}, {"n <=> NULL", "TRUE"}, {"s = 'hello'", "TRUE"}, {"s < 'help'", "TRUE"},
		{"ts > '2020-10-10 00:00:05'", "TRUE"}, {"ts = '2020-10-10 00:00:05.123'", "TRUE"},
		{"b AND nb", "NULL"}, {"NOT b AND nb", "FALSE"}, {"b OR nb", "TRUE"}, {"nb OR FALSE", "NULL"}, {"NOT nb", "NULL"},
		{"n IS NULL", "TRUE"}, {"a IS NOT NULL", "TRUE"}, {"nb IS TRUE", "FALSE"}, {"nb IS NOT FALSE", "TRUE"}, {"b IS TRUE", "TRUE"},
		{"a IN (1, 5)", "TRUE"}, {"a IN (1, 2)", "FALSE"}, {"a IN (1, NULL)", "NULL"}, {"a NOT IN (1, 2)", "TRUE"}, {"n IN (1)", "NULL"},
		{"a BETWEEN 1 AND 5", "TRUE"}, {"a NOT BETWEEN 1 AND 4", "TRUE"}, {"a BETWEEN n AND 3", "FALSE"}, {"a BETWEEN n AND 9", "NULL"},
		{"s LIKE 'h%o'", "TRUE"}, {"s LIKE 'h_llo'", "TRUE"}, {"s LIKE 'H%'", "FALSE"}, {"s NOT LIKE '%x%'", "TRUE"},
		{"'a%b' LIKE 'a!%b' ESCAPE '!'", "TRUE"}, {"'axb' LIKE 'a!%b' ESCAPE '!'", "FALSE"}, {"ns LIKE 'a'", "NULL"}, {"'' LIKE '%'", "TRUE"},
		// CASE and friends
		{"CASE WHEN a > 3 THEN 'big' ELSE 'small' END", "big"}, {"CASE a WHEN 1 THEN 'one' WHEN 5 THEN 'five' END", "five"},
		{"CASE WHEN n > 1 THEN 1 END", "NULL"}, {"CASE WHEN a > 1 THEN 1 ELSE 2.5 END", "1.0"},
		{"COALESCE(n, NULL, 7)", "7"}, {"COALESCE(n, a)", "5"}, {"IFNULL(n, 0)", "0"}, {"IF(a > 1, 'y', 'n')", "y"}, {"IF(nb, 1, 2)", "2"},
		{"NULLIF(a, 5)", "NULL"}, {"NULLIF(a, 4)", "5"},
		// casts
		{"CAST(a AS VARCHAR)", "5"}, {"CAST('12' AS BIGINT)", "12"}, {"CAST(' 7 ' AS INT)", "7"}, {"CAST(2.5 AS BIGINT)", "3"},
		{"CAST(d AS BIGINT)", "3"}, {"CAST(f AS DECIMAL(5, 1))", "1.5"}, {"CAST('3.14159' AS DECIMAL(5, 2))", "3.14"},
		{"CAST(a AS DOUBLE) / 2", "2.5"}, {"CAST('true' AS BOOLEAN)", "TRUE"}, {"CAST(0 AS BOOLEAN)", "FALSE"},
		{"CAST('2020-01-02 03:04:05.6' AS TIMESTAMP(3))", "2020-01-02 03:04:05.600"}, {"CAST('2020-01-02' AS TIMESTAMP)", "2020-01-02 00:00:00.000"},
		{"CAST(ts AS DATE)", "2020-10-10"}, {"CAST(ts AS VARCHAR)", "2020-10-10 00:00:05.123"}, {"CAST(d AS STRING)", "3.25"},
		{"CAST(n AS VARCHAR)", "NULL"}, {"CAST(NULL AS BIGINT)", "NULL"}, {"CAST(ts AS TIMESTAMP(0))", "2020-10-10 00:00:05"},
		// strings
		{"CONCAT(s, '-', a)", "hello-5"}, {"CONCAT(s, ns)", "NULL"}, {"CONCAT_WS(',', s, ns, 'x')", "hello,x"}, {"s || '!'", "hello!"},
		{"UPPER(s)", "HELLO"}, {"LOWER('AbC')", "abc"}, {"SUBSTRING(s, 2)", "ello"}, {"SUBSTRING(s, 2, 3)", "ell"}, {"SUBSTR(s, -3)", "llo"},
		{"SUBSTRING(s FROM 2 FOR 2)", "el"}, {"CHAR_LENGTH('héllo')", "5"}, {"LENGTH('héllo')", "6"}, {"TRIM('  x  ')", "x"},
		{"LTRIM('  x ')", "x "}, {"RTRIM(' x  ')", " x"}, {"TRIM(BOTH 'x' FROM 'xxaxx')", "a"}, {"TRIM(LEADING 'x' FROM 'xxa')", "a"},
		{"REPLACE(s, 'l', 'L')", "heLLo"}, {"LEFT(s, 2)", "he"}, {"RIGHT(s, 3)", "llo"}, {"POSITION('l' IN s)", "3"},
		{"LOCATE('l', s, 4)", "4"}, {"LOCATE('z', s)", "0"}, {"INSTR(s, 'lo')", "4"}, {"LPAD('7', 3, '0')", "007"}, {"RPAD(s, 7, '*')", "hello**"},
		{"LPAD(s, 2, '*')", "he"}, {"REVERSE(s)", "olleh"}, {"SPLIT_INDEX('a,b,c', ',', 1)", "b"}, {"SPLIT_INDEX('a,b,c', ',', 5)", "NULL"},
		{"REPEAT('ab', 3)", "ababab"}, {"INITCAP('hello world')", "Hello World"},
		// regular expressions
		{"REGEXP(s, 'l+o$')", "TRUE"}, {"REGEXP(s, '^l')", "FALSE"}, {"REGEXP(ns, 'x')", "NULL"}, {"REGEXP(s, ns)", "NULL"},
		{"REGEXP(s, CONCAT(s, '?'))", "TRUE"},
		{"REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 2)", "bar"}, {"REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 1)", "the"},
		{"REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)')", "foothebar"}, {"REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 0)", "foothebar"},
		{"REGEXP_EXTRACT(s, 'x(.)')", "NULL"}, {"REGEXP_EXTRACT(s, 'h(.)', 3)", "NULL"}, {"REGEXP_EXTRACT(s, 'h(.)', -1)", "NULL"},
		{"REGEXP_EXTRACT(s, 'h(x)?e', 1)", "NULL"}, {"REGEXP_EXTRACT(ns, 'h')", "NULL"}, {"REGEXP_EXTRACT(s, ns, 1)", "NULL"},
		{"REGEXP_EXTRACT(s, 'h(.)', n)", "NULL"}, {"REGEXP_EXTRACT(s, CONCAT('(l+)', 'o'), 1)", "ll"},
		{"REGEXP_EXTRACT('a=1&channel_id=42&b=2', '(&|^)channel_id=([^&]*)', 2)", "42"},
		{"REGEXP_REPLACE(s, 'l+', 'L')", "heLo"}, {"REGEXP_REPLACE(s, '(h)(e)', '$2$1')", "ehllo"}, {"REGEXP_REPLACE(s, 'l', '$1')", "NULL"},
		{"REGEXP_REPLACE(s, '(?P<x>e)', '[${x}]')", "h[e]llo"}, {"REGEXP_REPLACE(s, 'e', '\\\\$')", "h$llo"}, {"REGEXP_REPLACE(s, '(e)', '$10')", "he0llo"},
		{"REGEXP_REPLACE(ns, 'l', 'L')", "NULL"}, {"REGEXP_REPLACE(s, ns, 'L')", "NULL"}, {"REGEXP_REPLACE(s, 'l', ns)", "NULL"},
		{"REGEXP_REPLACE(s, s, CONCAT('x', '$0'))", "xhello"},
		// numbers
		{"ABS(-3)", "3"}, {"ABS(d - 10)", "6.75"}, {"MOD(10, 3)", "1"}, {"ROUND(d, 1)", "3.3"}, {"ROUND(2.5)", "3"}, {"ROUND(-2.5)", "-3"},
		{"ROUND(f)", "2"}, {"ROUND(1234, -2)", "1200"}, {"FLOOR(d)", "3"}, {"CEIL(d)", "4"}, {"CEILING(-1.5)", "-1"}, {"FLOOR(-1.5)", "-2"},
		{"POWER(2, 10)", "1024"}, {"SQRT(16)", "4"}, {"SQRT(-1)", "NULL"}, {"LN(1)", "0"}, {"LOG(0)", "NULL"}, {"EXP(0)", "1"},
		{"SIGN(-3)", "-1"}, {"GREATEST(1, a, 3)", "5"}, {"LEAST(4, a, 3.5)", "3.5"}, {"GREATEST(1, n)", "NULL"}, {"TRUNCATE(2.789, 2)", "2.78"},
		// time
		{"ts + INTERVAL '1' SECOND", "2020-10-10 00:00:06.123"}, {"ts - INTERVAL 2 MINUTE", "2020-10-09 23:58:05.123"},
		{"DATE_ADD(ts, INTERVAL 1 DAY)", "2020-10-11 00:00:05.123"}, {"DATE_SUB(ts, INTERVAL 1 MONTH)", "2020-09-10 00:00:05.123"},
		{"EXTRACT(YEAR FROM ts)", "2020"}, {"EXTRACT(SECOND FROM ts)", "5"}, {"MONTH(ts)", "10"}, {"DAYOFMONTH(ts)", "10"}, {"HOUR(ts)", "0"},
		{"MINUTE(ts)", "0"}, {"SECOND(ts)", "5"}, {"DATE_FORMAT(ts, '%Y/%m/%d %H:%i:%s.%f')", "2020/10/10 00:00:05.123000"},
		{"DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm')", "2020-10-10 00:00"}, {"UNIX_TIMESTAMP(ts)", "1602288005"},
		{"FROM_UNIXTIME(1602288005)", "2020-10-10 00:00:05.000"}, {"FROM_UNIXTIME(0, '%Y')", "1970"},
		{"TO_TIMESTAMP('2020-01-01 10:00:00')", "2020-01-01 10:00:00.000"}, {"TO_TIMESTAMP('01/02/2020', 'MM/dd/yyyy')", "2020-01-02 00:00:00.000"},
		{"TIMESTAMPDIFF(SECOND, '2020-01-01 00:00:00', ts)", "24451205"}, {"TIMESTAMPDIFF(MONTH, '2020-01-31 00:00:00', ts)", "8"},
		{"TIMESTAMPADD(HOUR, 2, ts)", "2020-10-10 02:00:05.123"}, {"FLOOR(ts TO MINUTE)", "2020-10-10 00:00:00.000"},
		{"CEIL(ts TO SECOND)", "2020-10-10 00:00:06.000"}, {"FLOOR(ts TO MONTH)", "2020-10-01 00:00:00.000"},
		{"NOW()", "2020-10-10 00:00:00.000"}, {"CURRENT_TIMESTAMP", "2020-10-10 00:00:00.000"}, {"YEAR('2021-03-04')", "2021"},
	}
	r := row()
	for _, c := range cases {
		e, err := sql.ParseExpr(c.in, schema)
		if err != nil {
			t.Errorf("%s: bind: %v", c.in, err)
			continue
		}
		v, err := e.Eval(r)
		if err != nil {
			t.Errorf("%s: eval: %v", c.in, err)
			continue
		}
		if got := types.Render(v, e.Type()); got != c.want {
			t.Errorf("%s = %s, want %s (type %s)", c.in, got, c.want, e.Type())
		}
	}
}

func TestEvalErrors(t *testing.T) {
	r := row()
	for _, c := range []struct{ in, want string }{
		{"RAISE_ERROR('boom')", "boom"},
		{"IF(a > 1, RAISE_ERROR(CONCAT('bad ', s)), 1)", "bad hello"},
		{"CAST(s AS BIGINT)", "cannot cast 'hello' to BIGINT"},
		{"a * 9223372036854775807", "numeric value out of range"},
		{"REGEXP(s, CONCAT('(', s))", "REGEXP: invalid regular expression '(hello': missing closing ): `(hello`"},
	} {
		e, err := sql.ParseExpr(c.in, schema)
		if err != nil {
			t.Errorf("%s: bind: %v", c.in, err)
			continue
		}
		_, err = e.Eval(r)
		var ee *expr.EvalError
		if !errors.As(err, &ee) || ee.Msg != c.want {
			t.Errorf("%s: err = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"REGEXP(s, 'a(')", "REGEXP: invalid regular expression 'a(': missing closing ): `a(`"},
		{"REGEXP_EXTRACT(s, '[z-a]', 1)", "REGEXP_EXTRACT: invalid regular expression '[z-a]': invalid character class range: `z-a`"},
		{"REGEXP_REPLACE(s, '*', 'x')", "REGEXP_REPLACE: invalid regular expression '*': missing argument to repetition operator: `*`"},
	} {
		_, err := sql.ParseExpr(c.in, schema)
		if err == nil || !strings.HasSuffix(err.Error(), ": "+c.want) {
			t.Errorf("%s: err = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestLikeAndNames(t *testing.T) {
	if len(expr.FunctionNames()) < 50 {
		t.Errorf("expected a full function registry, got %d names", len(expr.FunctionNames()))
	}
	for _, n := range expr.FunctionNames() {
		if n == "" || n[0] == '_' {
			t.Errorf("internal name %q listed", n)
		}
	}
}

func TestDecimalParse(t *testing.T) {
	for _, c := range []struct {
		in    string
		u     int64
		scale uint8
		ok    bool
	}{{"1.50", 150, 2, true}, {"-0.001", -1, 3, true}, {"007", 7, 0, true}, {"1e5", 0, 0, false}, {"", 0, 0, false},
		{"123456789012345678", 123456789012345678, 0, true}, {"1234567890123456789", 0, 0, false}} {
		u, s, ok := expr.ParseDecimal(c.in)
		if ok != c.ok || (ok && (u != c.u || s != c.scale)) {
			t.Errorf("ParseDecimal(%q) = %d, %d, %v", c.in, u, s, ok)
		}
	}
}

func TestLiterals(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"TIMESTAMP '2020-01-01 00:00:05'", "2020-01-01 00:00:05.000"},
		{"DATE '2020-01-02'", "2020-01-02"},
		{"CAST(5 AS DECIMAL(4,1)) / 2", "2.50000"},
	} {
		e, err := sql.ParseExpr(c.in, schema)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		v, err := e.Eval(row())
		if err != nil || types.Render(v, e.Type()) != c.want {
			t.Errorf("%s = %v (%v), want %s", c.in, types.Render(v, e.Type()), err, c.want)
		}
	}
}
