package engine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

func newTestEngine() (*Engine, *bytes.Buffer) {
	var out bytes.Buffer
	return New(Options{Stdout: io.Discard, Stderr: io.Discard}), &out
}

func TestStatementsAndRendering(t *testing.T) {
	e, out := newTestEngine()
	script := `
CREATE TABLE t (id BIGINT, name STRING, ts TIMESTAMP(3), pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND, PRIMARY KEY (id) NOT ENFORCED)
  WITH ('connector' = 'filesystem', 'path' = '/tmp/none.csv', 'format' = 'csv');
SHOW TABLES;
DESCRIBE t;
SHOW CREATE TABLE t;
SET 'parallelism.default' = '2';
RESET 'parallelism.default';`
	if err := e.RunScript(context.Background(), script, out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| t          |",
		"| ts   | TIMESTAMP(3) *ROWTIME*",
		"WATERMARK FOR `ts` AS ts - INTERVAL '2' SECOND",
		"| pt   | TIMESTAMP_LTZ(3) *PROCTIME*",
		"PRIMARY KEY (`id`) NOT ENFORCED",
		"'connector' = 'filesystem'",
		"Configuration set.",
		"Configuration reset.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
	if e.Config().Int("parallelism.default") != 1 {
		t.Error("RESET did not restore the default")
	}
}

func TestSecretsAreMasked(t *testing.T) {
	e, out := newTestEngine()
	// print accepts no url/password, so register the options on a table the
	// catalog holds directly (SHOW CREATE TABLE never contacts a connector).
	if err := e.RunScript(context.Background(), `CREATE TABLE m (a BIGINT);`, out); err != nil {
		t.Fatal(err)
	}
	tbl := *e.Catalog().Table("m")
	tbl.Name = "s"
	tbl.Options = append(tbl.Options,
		struct{ Key, Value string }{"url", "mysql://app:hunter2@127.0.0.1:3306/db"},
		struct{ Key, Value string }{"password", "hunter2"})
	if err := e.Catalog().AddTable(&tbl); err != nil {
		t.Fatal(err)
	}
	text := ShowCreate(e.Catalog().Table("s"))
	if strings.Contains(text, "hunter2") {
		t.Errorf("secret shown:\n%s", text)
	}
	if !strings.Contains(text, "mysql://app:****@127.0.0.1:3306/db") {
		t.Errorf("url not masked as expected:\n%s", text)
	}
	if got := catalog.MaskOption("url", "jdbc:mysql://h/d?user=u&password=s3cret&x=1"); got != "jdbc:mysql://h/d?user=u&password=****&x=1" {
		t.Errorf("password parameter not masked: %s", got)
	}
}

func TestConfigValidation(t *testing.T) {
	c := NewConfig()
	if err := c.Set("parallelism.defualt", "2"); err == nil || !strings.Contains(err.Error(), "did you mean 'parallelism.default'") {
		t.Errorf("want a suggestion, got %v", err)
	}
	if err := c.Set("parallelism.default", "zero"); err == nil {
		t.Error("want an error for a non-integer")
	}
	if err := c.Set("table.exec.source.idle-timeout", "1.5 s"); err != nil {
		t.Fatal(err)
	}
	if c.DurationMs("table.exec.source.idle-timeout") != 1500 {
		t.Errorf("got %d", c.DurationMs("table.exec.source.idle-timeout"))
	}
}

func TestJobsListAndStop(t *testing.T) {
	e, out := newTestEngine()
	script := `
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'fields.k.min' = '1', 'fields.k.max' = '3');
CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');`
	if err := e.RunScript(context.Background(), script, out); err != nil {
		t.Fatal(err)
	}
	for _, p := range splitForTest(`INSERT INTO b SELECT k, COUNT(*) FROM g GROUP BY k`) {
		st, err := e.Prepare(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Execute(context.Background(), st, ExecOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Job == nil || !strings.HasPrefix(res.Message, "Job submitted: ") {
			t.Fatalf("want a submitted job, got %+v", res)
		}
	}
	time.Sleep(300 * time.Millisecond)
	jobs := e.showJobs()
	if len(jobs.Rows) != 1 || jobs.Rows[0][2].Str() != "RUNNING" || jobs.Rows[0][4].Int() == 0 {
		t.Fatalf("want one running job with rows read, got %v", jobs.Rows)
	}
	id := jobs.Rows[0][0].Str()
	out.Reset()
	if err := e.RunScript(context.Background(), "STOP JOB '"+id+"';", out); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Job(id).Status(); st != JobStopped {
		t.Fatalf("status %s after STOP JOB", st)
	}
	if err := e.RunScript(context.Background(), "STOP JOB 'nope';", out); err == nil || !strings.Contains(err.Error(), "no job with id 'nope'") {
		t.Fatalf("want an unknown-job error, got %v", err)
	}
}
