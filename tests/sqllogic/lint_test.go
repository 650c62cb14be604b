package sqllogic

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSuitesLint checks the expected blocks of testdata/*.slt without an
// engine, so that a slip in a hand-written result shows up at once:
//
//   - type letters are I, R or T;
//   - every value has the form its letter prints (I an integer, R three
//     decimals, NULL anywhere);
//   - every row has one value per letter (in the row-per-line layout a
//     value may contain a space only if it is a timestamp);
//   - a result of more than one row is sorted (rowsort or valuesort), and
//     listed in that sorted order;
//   - window-bound-looking values are valid TIMESTAMP(3) text.
func TestSuitesLint(t *testing.T) {
	files, err := filepath.Glob("testdata/*.slt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no suites in testdata")
	}
	for _, file := range files {
		s, err := ParseFile(file)
		if err != nil {
			t.Error(err)
			continue
		}
		queries := 0
		for _, rec := range s.Records {
			if rec.Kind != Query || rec.ExpectError {
				continue
			}
			queries++
			if err := lintQuery(rec); err != nil {
				t.Errorf("%s: %v", rec.Pos, err)
			}
		}
		if queries == 0 {
			t.Errorf("%s has no query", file)
		}
	}
}

var (
	intRE  = regexp.MustCompile(`^-?[0-9]+$`)
	realRE = regexp.MustCompile(`^-?[0-9]+\.[0-9]{3}$`)
	dateRE = regexp.MustCompile(`^-?[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	timeRE = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$`)
	tsRE   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}$`)
)

// splitRowLine splits a row-per-line line into values, keeping a date and
// the time after it together as one timestamp value.
func splitRowLine(line string) []string {
	f := strings.Split(line, " ")
	var out []string
	for i := 0; i < len(f); i++ {
		if i+1 < len(f) && dateRE.MatchString(f[i]) && timeRE.MatchString(f[i+1]) {
			out = append(out, f[i]+" "+f[i+1])
			i++
			continue
		}
		out = append(out, f[i])
	}
	return out
}

func lintQuery(rec Record) error {
	for _, c := range rec.Types {
		if c != 'I' && c != 'R' && c != 'T' {
			return fmt.Errorf("type letter %q: suites use I, R and T", c)
		}
	}
	if _, _, ok := parseHashLine(rec.Expected); ok {
		return nil
	}
	n := len(rec.Types)
	var rows [][]string
	rowLayout := true
	for _, l := range rec.Expected {
		if len(splitRowLine(l)) != n {
			rowLayout = false
			break
		}
	}
	if rowLayout {
		for _, l := range rec.Expected {
			rows = append(rows, splitRowLine(l))
		}
	} else {
		if len(rec.Expected)%n != 0 {
			return fmt.Errorf("%d expected lines fit neither layout for %d columns", len(rec.Expected), n)
		}
		rows = chunk(rec.Expected, n)
	}
	for i, row := range rows {
		for j, v := range row {
			if v == "NULL" {
				continue
			}
			switch rec.Types[j] {
			case 'I':
				if !intRE.MatchString(v) {
					return fmt.Errorf("row %d column %d: %q is not an integer (I)", i+1, j+1, v)
				}
			case 'R':
				if !realRE.MatchString(v) {
					return fmt.Errorf("row %d column %d: %q does not have three decimals (R)", i+1, j+1, v)
				}
			case 'T':
				if v == "" {
					return fmt.Errorf("row %d column %d: empty text must be written (empty)", i+1, j+1)
				}
				if strings.Contains(v, ":") && strings.Contains(v, " ") && !tsRE.MatchString(v) {
					return fmt.Errorf("row %d column %d: %q is not a TIMESTAMP(3)", i+1, j+1, v)
				}
			}
		}
	}
	switch rec.Sort {
	case NoSort:
		if len(rows) > 1 {
			return fmt.Errorf("%d rows without rowsort: streaming results have no order", len(rows))
		}
	case RowSort:
		sorted := slices.Clone(rows)
		SortRows(sorted)
		if !slices.EqualFunc(rows, sorted, slices.Equal) {
			return fmt.Errorf("expected rows are not in rowsort order; sorted they read:\n%s",
				strings.Join(RowLines(sorted), "\n"))
		}
	case ValueSort:
		vals := Flatten(rows)
		if !slices.IsSorted(vals) {
			return fmt.Errorf("expected values are not in valuesort order")
		}
	}
	return nil
}

func TestSplitRowLine(t *testing.T) {
	got := splitRowLine("1 2020-10-10 00:00:00.000 2020-10-10 00:00:02.000 NULL 2.500 x")
	want := []string{"1", "2020-10-10 00:00:00.000", "2020-10-10 00:00:02.000", "NULL", "2.500", "x"}
	if !slices.Equal(got, want) {
		t.Errorf("splitRowLine = %q", got)
	}
}

func TestLintCatches(t *testing.T) {
	cases := []struct{ src, want string }{
		{"query IT rowsort\nSELECT 1\n----\n2 b\n10 a\n", "not in rowsort order"},
		{"query R\nSELECT 1\n----\n2.5\n", "does not have three decimals"},
		{"query I\nSELECT 1\n----\n2.5\n", "is not an integer"},
		{"query II\nSELECT 1\n----\n1 2 3\n", "fit neither layout"},
		{"query I\nSELECT 1\n----\n1\n2\n", "without rowsort"},
		{"query IB\nSELECT 1\n----\n1 x\n", "suites use I, R and T"},
		{"query T\nSELECT 1\n----\n2020-13-10 00:00:00.000\n", "is not a TIMESTAMP(3)"},
		{"query I valuesort\nSELECT 1\n----\n2\n1\n", "not in valuesort order"},
	}
	for _, c := range cases {
		s := mustParse(t, c.src)
		err := lintQuery(s.Records[0])
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	ok := "query ITR rowsort\nSELECT 1\n----\n1 2020-10-10 00:00:00.000 2.500\n2 NULL NULL\n"
	if err := lintQuery(mustParse(t, ok).Records[0]); err != nil {
		t.Errorf("valid block rejected: %v", err)
	}
}
