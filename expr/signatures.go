package expr

import (
	"sort"
	"strings"
)

// Signature is one function of the SQL surface as SHOW FUNCTIONS lists it.
type Signature struct {
	Name  string
	Kind  string // "scalar", "aggregate", "window" or "window property"
	Usage string // the call as written, with a note where it helps
}

// specialForms are the functions the binder handles itself rather than
// through the registry: aggregates, group windows and their properties,
// and scalar forms with their own syntax.
var specialForms = []Signature{
	{"COUNT", "aggregate", "COUNT(*) | COUNT([DISTINCT] x) | COUNT(DISTINCT a, b, ...) (tuples without NULL)"},
	{"SUM", "aggregate", "SUM([DISTINCT] x)"},
	{"MIN", "aggregate", "MIN(x)"},
	{"MAX", "aggregate", "MAX(x)"},
	{"AVG", "aggregate", "AVG([DISTINCT] x)"},
	{"LISTAGG", "aggregate", "LISTAGG(x [, separator]) (default ',', arrival order)"},
	{"GROUP_CONCAT", "aggregate", "GROUP_CONCAT([DISTINCT] x [, ...] [ORDER BY k [ASC|DESC], ...] [SEPARATOR s])"},
	{"FIRST_VALUE", "aggregate", "FIRST_VALUE(x) (first non-NULL x by arrival)"},
	{"LAST_VALUE", "aggregate", "LAST_VALUE(x) (last non-NULL x by arrival)"},
	{"STDDEV_POP", "aggregate", "STDDEV_POP(x) (also STDDEV(x), STD(x)) -> DOUBLE"},
	{"STDDEV_SAMP", "aggregate", "STDDEV_SAMP(x) -> DOUBLE"},
	{"VAR_POP", "aggregate", "VAR_POP(x) (also VARIANCE(x)) -> DOUBLE"},
	{"VAR_SAMP", "aggregate", "VAR_SAMP(x) -> DOUBLE"},
	{"STDDEV", "aggregate", "STDDEV(x) (STDDEV_POP)"},
	{"STD", "aggregate", "STD(x) (STDDEV_POP)"},
	{"VARIANCE", "aggregate", "VARIANCE(x) (VAR_POP)"},
	{"BOOL_AND", "aggregate", "BOOL_AND(b) (TRUE when every non-NULL b is TRUE)"},
	{"BOOL_OR", "aggregate", "BOOL_OR(b) (TRUE when some b is TRUE)"},
	{"ROW_NUMBER", "window", "ROW_NUMBER() OVER (PARTITION BY k ORDER BY x) (Top-N, deduplication)"},
	{"TUMBLE", "window", "TUMBLE(ts, size) in GROUP BY | TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])) in FROM"},
	{"HOP", "window", "HOP(ts, slide, size) in GROUP BY | TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])) in FROM"},
	{"CUMULATE", "window", "CUMULATE(ts, step, size) in GROUP BY | TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset])) in FROM"},
	{"SESSION", "window", "SESSION(ts, gap) in GROUP BY | TABLE(SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)) in FROM"},
	{"CAST", "scalar", "CAST(x AS type)"},
	{"EXTRACT", "scalar", "EXTRACT(unit FROM ts)"},
	{"DATE_ADD", "scalar", "DATE_ADD(ts, INTERVAL n unit)"},
	{"DATE_SUB", "scalar", "DATE_SUB(ts, INTERVAL n unit)"},
	{"PROCTIME", "scalar", "PROCTIME() (in CREATE TABLE: pt AS PROCTIME())"},
}

func init() {
	for _, kind := range []string{"TUMBLE", "HOP", "SESSION", "CUMULATE"} {
		args := map[string]string{"TUMBLE": "ts, size", "HOP": "ts, slide, size", "SESSION": "ts, gap", "CUMULATE": "ts, step, size"}[kind]
		for _, p := range []string{"START", "END", "ROWTIME"} {
			specialForms = append(specialForms, Signature{kind + "_" + p, "window property", kind + "_" + p + "(" + args + ")"})
		}
	}
}

// Signatures lists every function with its signature, sorted by name:
// the registry's scalar functions (internal names starting with '_' left
// out) and the special forms above. SHOW FUNCTIONS prints it.
func Signatures() []Signature {
	var out []Signature
	for name, f := range registry {
		if strings.HasPrefix(name, "_") {
			continue
		}
		usage := f.Usage
		if usage == "" {
			usage = name + "(...)"
		}
		out = append(out, Signature{Name: name, Kind: "scalar", Usage: usage})
	}
	out = append(out, specialForms...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
