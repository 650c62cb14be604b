package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/metrics"
	"github.com/streamsql/streamsql/sql"
)

// BenchmarkScrape10Jobs scrapes /metrics of 10 running jobs of 8
// vertices each at parallelism 4 (the target: under 50 ms).
func BenchmarkScrape10Jobs(b *testing.B) {
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	var script strings.Builder
	script.WriteString("SET 'parallelism.default' = '4';\n")
	for i := range 10 {
		fmt.Fprintf(&script, `
CREATE TABLE a%[1]d (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'fields.k.min' = '0', 'fields.k.max' = '50');
CREATE TABLE b%[1]d (k BIGINT, w BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'fields.k.min' = '0', 'fields.k.max' = '50');
CREATE TABLE s%[1]d (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO s%[1]d SELECT a.k, COUNT(*) * 2 FROM (SELECT k, v FROM a%[1]d WHERE v > 0) AS a JOIN (SELECT k, w FROM b%[1]d WHERE w > 0) AS b ON a.k = b.k GROUP BY a.k;
`, i)
	}
	for _, p := range sql.Split(script.String()) {
		st, err := eng.Prepare(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.Execute(context.Background(), st, engine.ExecOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	defer eng.StopAll()
	jobs := eng.Jobs()
	if len(jobs) != 10 {
		b.Fatalf("%d jobs", len(jobs))
	}
	if n := len(jobs[0].Vertices()); n != 8 {
		b.Fatalf("%d vertices per job, want 8", n)
	}
	srv := httptest.NewServer(metrics.Handler(metrics.EngineJobs(eng)))
	defer srv.Close()
	// What a Prometheus server waits for: the whole response. Its own
	// parsing is not the scrape's cost; the answer is parsed once, after
	// the timed loop, to check that it is valid.
	var body []byte
	for b.Loop() {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	if n := len(fams["streamsql_operator_numRecordsIn"].GetMetric()); n != 10*8*4 {
		b.Fatalf("%d numRecordsIn series, want one per subtask (320)", n)
	}
}
