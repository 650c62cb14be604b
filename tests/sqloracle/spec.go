package sqloracle

import (
	"fmt"
	"strings"
)

// Record is one record of a spec.
type Record struct {
	Comments []string // the # lines before the header
	Header   string   // "statement ok", "query II rowsort", "statement error ..."
	SQL      string   // what the suite runs
	// Oracle is what MariaDB runs instead of SQL, for a form MariaDB lacks
	// (FULL JOIN): the lines after a line "-- mariadb:" in the record;
	// empty when MariaDB runs SQL itself.
	Oracle string
	Line   int // 1-based line of the header in the spec
}

// OracleSQL is the statement MariaDB runs for the record.
func (r Record) OracleSQL() string {
	if r.Oracle != "" {
		return r.Oracle
	}
	return r.SQL
}

// Kind tells what the oracle does with the record.
func (r Record) Kind() string {
	switch {
	case strings.HasPrefix(r.Header, "query "):
		return "query"
	case r.Header == "statement ok":
		return "statement"
	case strings.HasPrefix(r.Header, "statement error"):
		return "error"
	}
	return ""
}

// Types is a query record's type letters.
func (r Record) Types() string { return strings.Fields(r.Header)[1] }

// RowSort reports whether a query record sorts its rows.
func (r Record) RowSort() bool { return strings.HasSuffix(r.Header, " rowsort") }

// ParseSpec reads a spec's records. Comment blocks without a record (a
// file's preamble) are records with an empty Header.
func ParseSpec(text string) ([]Record, error) {
	var out []Record
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		var r Record
		for i < len(lines) && strings.HasPrefix(lines[i], "#") {
			r.Comments = append(r.Comments, lines[i])
			i++
		}
		if i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			r.Header, r.Line = lines[i], i+1
			i++
			var sql []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				sql = append(sql, lines[i])
				i++
			}
			for k, l := range sql {
				if strings.TrimSpace(l) == "-- mariadb:" {
					r.Oracle = strings.Join(sql[k+1:], "\n")
					sql = sql[:k]
					break
				}
			}
			r.SQL = strings.Join(sql, "\n")
			if r.Kind() == "" {
				return nil, fmt.Errorf("line %d: unknown record %q (statement ok, statement error ..., query <types> [rowsort])", r.Line, r.Header)
			}
			if r.SQL == "" {
				return nil, fmt.Errorf("line %d: %s without SQL", r.Line, r.Header)
			}
			if r.Kind() == "query" && len(strings.Fields(r.Header)) < 2 {
				return nil, fmt.Errorf("line %d: query without type letters", r.Line)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
