package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestShowJobsSkipped checks that SHOW FULL JOBS has a 'skipped' column with
// the bad rows a job's sources skipped under 'format.ignore-parse-errors'.
func TestShowJobsSkipped(t *testing.T) {
	e, out := newTestEngine()
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("1,1\n2,x\n3,3\n4,\xff\n5,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
CREATE TABLE s (k BIGINT, v BIGINT) WITH ('connector'='filesystem', 'path'='` + in + `', 'format'='csv', 'format.ignore-parse-errors'='true');
CREATE TABLE o (k BIGINT, v BIGINT) WITH ('connector'='blackhole');
INSERT INTO o SELECT k, v FROM s;`
	if err := e.RunScript(context.Background(), script, out); err != nil {
		t.Fatal(err)
	}
	st, err := e.Prepare(splitForTest("SHOW FULL JOBS")[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Execute(context.Background(), st, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, c := range res.Schema {
		if c.Name == "skipped" {
			col = i
		}
	}
	if col < 0 || len(res.Rows) != 1 {
		t.Fatalf("want one job and a 'skipped' column, got %v %v", res.Schema, res.Rows)
	}
	if got := res.Rows[0][col]; got.Kind() != types.KindInt || got.Int() != 3 {
		t.Fatalf("skipped = %v, want 3", got)
	}
	var b strings.Builder
	WriteTable(&b, res.Schema, res.Rows)
	if !strings.Contains(b.String(), "| skipped |") {
		t.Errorf("rendered without the column:\n%s", b.String())
	}
}
