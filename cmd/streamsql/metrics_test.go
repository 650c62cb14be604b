package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/streamsql/streamsql/internal/testkit"
)

// An embedded run with Flink's metrics.reporter.prom.port serves its
// jobs' metrics; Prometheus' parser reads them.
func TestEmbeddedRunServesMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-D", "metrics.reporter.prom.port=0", "-e", `
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000', 'fields.k.min' = '0', 'fields.k.max' = '5');
CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b SELECT k, COUNT(*) FROM g GROUP BY k;`}, strings.NewReader(""), &stdout, &stderr)
	}()
	re := regexp.MustCompile(`Prometheus metrics on (http://\S+)`)
	var url string
	deadline := time.Now().Add(20 * time.Second)
	for url == "" {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no metrics address:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var in float64
	for in == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no rows counted in the metrics")
		}
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("the metrics do not parse: %v", err)
		}
		f := fams["streamsql_operator_numRecordsIn"]
		if f == nil {
			continue
		}
		vertices := map[string]bool{}
		for _, m := range f.GetMetric() {
			in += m.GetCounter().GetValue()
			for _, l := range m.GetLabel() {
				if l.GetName() == "vertex_name" {
					vertices[strings.Fields(l.GetValue())[0]] = true
				}
			}
		}
		if !vertices["Source"] || !vertices["GroupAggregate"] || !vertices["Sink"] {
			t.Fatalf("vertices %v: want the source, the aggregate and the sink", vertices)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop")
	}
}
