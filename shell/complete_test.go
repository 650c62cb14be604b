package shell

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/engine"
)

func newTestSession(t *testing.T, ddl string) (*Session, *bytes.Buffer) {
	t.Helper()
	e := engine.New(engine.Options{})
	t.Cleanup(e.StopAll)
	var out bytes.Buffer
	s := NewSession(e, &out)
	if ddl != "" {
		if s.Feed(context.Background(), ddl); strings.Contains(out.String(), "ERROR") {
			t.Fatalf("setup: %s", out.String())
		}
	}
	return s, &out
}

const testDDL = `CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3)) WITH ('connector'='datagen', 'number-of-rows'='3');
CREATE TABLE Bidders (id BIGINT, name VARCHAR) WITH ('connector'='datagen', 'number-of-rows'='3');
CREATE TABLE people (pid BIGINT, city VARCHAR);`

func TestComplete(t *testing.T) {
	s, _ := newTestSession(t, testDDL)
	cases := []struct {
		text       string
		want       []string // all must be offered
		wantNot    []string // none may be offered
		exactFirst string   // when set, the first candidate
	}{
		{text: "sel", want: []string{"SELECT"}, wantNot: []string{"bids"}},
		{text: "SH", want: []string{"SHOW TABLES", "SHOW JOBS", "SHOW FULL JOBS", "SHOW CLUSTER", "SHOW FUNCTIONS", "SHOW CREATE TABLE"}},
		{text: "show cl", want: []string{"CLUSTER"}, wantNot: []string{"JOBS"}},
		{text: "SHOW C", want: []string{"CLUSTER", "CREATE TABLE"}, wantNot: []string{"JOBS"}},
		{text: "select * from b", want: []string{"bids", "Bidders"}, wantNot: []string{"BETWEEN", "auction"}},
		{text: "SELECT * FROM bi", want: []string{"bids", "Bidders"}},
		{text: "SELECT a FROM people JOIN b", want: []string{"bids", "Bidders"}},
		{text: "INSERT INTO pe", want: []string{"people"}},
		{text: "DESCRIBE Bi", want: []string{"Bidders", "bids"}},
		{text: "SHOW CREATE TABLE peo", want: []string{"people"}},
		{text: "DROP TABLE ", want: []string{"bids", "people", "Bidders"}},
		{text: "SELECT a", want: []string{"auction", "AVG", "ABS"}},
		{text: "SELECT p", want: []string{"price", "pid"}},
		{text: "SELECT p FROM bids", wantNot: []string{"pid"}},
		{text: "SELECT auction, p", want: []string{"price", "pid"}},
		{text: "SELECT * FROM bids WHERE pr", want: []string{"price"}, wantNot: []string{"pid"}},
		{text: "SELECT auction FROM bids GROUP BY au", want: []string{"auction"}},
		{text: "SELECT * FROM bids b WHERE b.pr", want: []string{"b.price"}},
		{text: "SELECT * FROM bids AS x WHERE x.", want: []string{"x.auction", "x.price", "x.ts"}},
		{text: "SELECT COU", want: []string{"COUNT"}},
		{text: "SELECT TUMBLE_", want: []string{"TUMBLE_START", "TUMBLE_END"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('connector' = 'da", want: []string{"datagen"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('connector'='", want: []string{"datagen", "filesystem", "print", "blackhole"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('connector'='datagen', 'num", want: []string{"number-of-rows"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('connector'='datagen', '", want: []string{"rows-per-second", "number-of-rows", "connector"}, wantNot: []string{"path"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('connector'='filesystem', 'pa", want: []string{"path"}},
		{text: "CREATE TABLE x (a BIGINT) WITH (\n  'connector'='filesystem',\n  'fo", want: []string{"format"}},
		{text: "CREATE TABLE x (a BIGINT) WITH ('con", want: []string{"connector"}},
		{text: "SET 'execution.check", want: []string{"execution.checkpointing.interval", "execution.checkpointing.mode"}, wantNot: []string{"state.backend"}},
		{text: "set 'STATE.", want: []string{"state.backend", "state.checkpoints.dir"}},
		{text: "SET ", want: []string{"'parallelism.default"}},
		{text: "RESET 'paral", want: []string{"parallelism.default"}},
		{text: "SET 'sql-client", want: []string{"sql-client.execution.result-mode"}},
		{text: "SELECT 1;\nSELECT * FROM peo", want: []string{"people"}},
		{text: "SHOW TABLES; sel", want: []string{"SELECT"}},
	}
	for _, c := range cases {
		got := s.Complete(c.text)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("Complete(%q) = %v, lacks %q", c.text, got, w)
			}
		}
		for _, w := range c.wantNot {
			if slices.Contains(got, w) {
				t.Errorf("Complete(%q) = %v, must not offer %q", c.text, got, w)
			}
		}
	}
}

func TestCompleteJobIDs(t *testing.T) {
	s, out := newTestSession(t, `CREATE TABLE src (a BIGINT) WITH ('connector'='datagen', 'rows-per-second'='10');
CREATE TABLE sink (a BIGINT) WITH ('connector'='blackhole');
INSERT INTO sink SELECT a FROM src;`)
	jobs := s.Engine.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("want one job, got %d: %s", len(jobs), out)
	}
	id := jobs[0].ID
	for _, text := range []string{"STOP JOB '", "stop job '" + id[:1], "TRIGGER SAVEPOINT '"} {
		if got := s.Complete(text); !slices.Contains(got, id) {
			t.Errorf("Complete(%q) = %v, lacks job id %q", text, got, id)
		}
	}
	if got := s.Complete("STOP JOB "); !slices.Contains(got, "'"+id) {
		t.Errorf("Complete(STOP JOB ) = %v, lacks '%s", s.Complete("STOP JOB "), id)
	}
}

func TestErrorCaret(t *testing.T) {
	s, out := newTestSession(t, testDDL)
	out.Reset()
	s.Feed(context.Background(), "SELECT nope FROM bids;")
	got := out.String()
	want := "ERROR at line 1, column 8: "
	if !strings.Contains(got, want) {
		t.Fatalf("error output %q lacks %q", got, want)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 || lines[1] != "  SELECT nope FROM bids;" || lines[2] != "         ^" {
		t.Fatalf("caret layout wrong:\n%s", got)
	}

	// On a terminal, the caret goes right under the echoed line.
	s.Terminal, s.PromptWidth = true, len(Prompt)
	out.Reset()
	s.Feed(context.Background(), "SELECT nope FROM bids;")
	lines = strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != strings.Repeat(" ", len(Prompt)+7)+"^" {
		t.Fatalf("terminal caret layout wrong:\n%q", out.String())
	}

	// A multi-line statement points into the right line.
	s.Terminal = false
	out.Reset()
	s.Feed(context.Background(), "SELECT auction,")
	s.Feed(context.Background(), "  nope FROM bids;")
	if got := out.String(); !strings.Contains(got, "ERROR at line 2, column 3") || !strings.Contains(got, "    nope FROM bids;\n    ^") {
		t.Fatalf("multi-line caret wrong:\n%s", got)
	}
}

func TestLiveTableAppliesChangelog(t *testing.T) {
	s, out := newTestSession(t, `CREATE TABLE w (k BIGINT) WITH ('connector'='datagen', 'number-of-rows'='50', 'fields.k.min'='1', 'fields.k.max'='3');`)
	_ = s
	out.Reset()
	// The bounded path materialises the changelog; the live table must
	// agree with it on the same input.
	s.Feed(context.Background(), "SELECT k, COUNT(*) AS n FROM w GROUP BY k;")
	if !strings.Contains(out.String(), "rows in set") {
		t.Fatalf("no result:\n%s", out)
	}
}

// A statement set typed line by line runs when its END; arrives, not at
// the ';' of its first INSERT.
func TestStatementSetWaitsForEnd(t *testing.T) {
	s, out := newTestSession(t, "CREATE TABLE src (k BIGINT);\nINSERT INTO src VALUES (1), (2);\nCREATE TABLE a (k BIGINT);\nCREATE TABLE b (k BIGINT);")
	ctx := context.Background()
	out.Reset()
	for _, line := range []string{"BEGIN STATEMENT SET;", "INSERT INTO a SELECT k FROM src;", "INSERT INTO b SELECT k * 10 FROM src;"} {
		s.Feed(ctx, line)
		if !s.Pending() || out.Len() != 0 {
			t.Fatalf("after %q: pending=%v output %q; want the set still being typed", line, s.Pending(), out.String())
		}
	}
	s.Feed(ctx, "END;")
	if s.Pending() || !strings.Contains(out.String(), "Insert done.") {
		t.Fatalf("after END;: pending=%v output %q", s.Pending(), out.String())
	}
	out.Reset()
	s.Feed(ctx, "SELECT COUNT(*) FROM b WHERE k >= 10;")
	if !regexp.MustCompile(`\|\s*2\s*\|`).MatchString(out.String()) {
		t.Fatalf("b after the set: %q", out.String())
	}
}
