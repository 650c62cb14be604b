package sql

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/plan"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata files")

// TestData runs testdata/*.txt. A case is a script, a line "----", and the
// expected output, ended by a blank line. Statements of a file share one
// catalog: CREATE and DROP statements are applied to it.
func TestData(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runFile(t, f) })
	}
}

type tcase struct {
	input, want string
}

func parseCases(data string) (cases []tcase, err error) {
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], "#") {
			i++
			continue
		}
		var in []string
		for i < len(lines) && lines[i] != "----" {
			in = append(in, lines[i])
			i++
		}
		if i >= len(lines) {
			return nil, fmt.Errorf("case %q has no ----", strings.Join(in, "\n"))
		}
		i++
		var out []string
		for i < len(lines) && lines[i] != "" {
			out = append(out, lines[i])
			i++
		}
		cases = append(cases, tcase{input: strings.Join(in, "\n"), want: strings.Join(out, "\n")})
	}
	return cases, nil
}

func runFile(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := parseCases(string(data))
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	var b strings.Builder
	for _, c := range cases {
		got := runScript(cat, c.input)
		if !*rewrite && got != c.want {
			t.Errorf("%s:\n%s\n---- got:\n%s\n---- want:\n%s", path, c.input, got, c.want)
		}
		b.WriteString(c.input + "\n----\n" + got + "\n\n")
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runScript(cat *catalog.Catalog, script string) string {
	var out []string
	for _, p := range Split(script) {
		st, err := Compile(p, cat)
		if err != nil {
			if e, ok := err.(*Error); ok {
				out = append(out, fmt.Sprintf("error %s %d:%d: %s", e.Kind, e.Line, e.Col, e.Msg))
				if e.Hint != "" {
					out = append(out, "  hint: "+e.Hint)
				}
			} else {
				out = append(out, "error (untyped): "+err.Error())
			}
			continue
		}
		out = append(out, describe(cat, st)...)
	}
	for i, l := range out {
		if strings.TrimSpace(l) == "" {
			out[i] = "."
		}
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

func explain(n plan.Node) []string {
	return strings.Split(strings.TrimRight(plan.Explain(n), "\n"), "\n")
}

func describe(cat *catalog.Catalog, st Stmt) []string {
	switch s := st.(type) {
	case *CreateTable:
		t := s.Table
		out := []string{fmt.Sprintf("create table %s (if not exists=%v)", t.Name, s.IfNotExists)}
		for i, c := range t.Columns {
			l := fmt.Sprintf("  %s %s", c.Name, c.Type)
			if i == t.ProctimeColumn {
				l += " PROCTIME"
			}
			out = append(out, l)
		}
		if t.Watermark != nil {
			out = append(out, fmt.Sprintf("  watermark %s delay=%dms (%s)", t.Columns[t.Watermark.Column].Name, t.Watermark.DelayMs, t.Watermark.Text))
		}
		if t.PrimaryKey != nil {
			out = append(out, fmt.Sprintf("  primary key %v", t.PrimaryKey))
		}
		if t.PartitionKeys != nil {
			out = append(out, fmt.Sprintf("  partitioned by %v %v", t.PartitionKeys, t.PartitionColumnNames()))
		}
		for _, o := range t.Options {
			out = append(out, fmt.Sprintf("  option %q = %q", o.Key, o.Value))
		}
		if cat.Table(t.Name) == nil {
			_ = cat.AddTable(t)
		}
		return out
	case *CreateView:
		v := s.View
		out := []string{fmt.Sprintf("create view %s: %s", v.Name, v.Query)}
		for _, c := range v.Columns {
			out = append(out, fmt.Sprintf("  %s %s", c.Name, c.Type))
		}
		if cat.View(v.Name) == nil {
			_ = cat.AddView(v)
		}
		return out
	case *DropTable:
		cat.DropTable(s.Name)
		return []string{fmt.Sprintf("drop table %s if exists=%v", s.Name, s.IfExists)}
	case *DropView:
		cat.DropView(s.Name)
		return []string{fmt.Sprintf("drop view %s if exists=%v", s.Name, s.IfExists)}
	case *Insert:
		return append([]string{"insert into " + s.Table.Name}, explain(s.Query)...)
	case *Query:
		out := explain(s.Plan)
		var cols []string
		for _, c := range s.Plan.Schema() {
			cols = append(cols, c.Name+" "+c.Type.String())
		}
		out = append(out, "columns: "+strings.Join(cols, ", "))
		if s.OrderBy != nil || s.Limit >= 0 {
			out = append(out, fmt.Sprintf("order by %v limit %d", s.OrderBy, s.Limit))
		}
		if s.Hidden > 0 {
			out = append(out, fmt.Sprintf("hidden %d (result columns: %d)", s.Hidden, len(s.Schema())))
		}
		return out
	case *Explain:
		return append([]string{"explain:"}, describe(cat, s.Stmt)...)
	case *Set:
		return []string{fmt.Sprintf("set %q = %q", s.Key, s.Value)}
	case *Reset:
		return []string{fmt.Sprintf("reset %q", s.Key)}
	case *StopJob:
		return []string{fmt.Sprintf("stop job %q savepoint=%v drain=%v", s.JobID, s.Savepoint, s.Drain)}
	case *TriggerSavepoint:
		return []string{fmt.Sprintf("trigger savepoint %q", s.JobID)}
	case *ShowCreateTable:
		return []string{"show create table " + s.Name}
	case *Describe:
		return []string{"describe " + s.Name}
	}
	return []string{fmt.Sprintf("%T", st)}
}
