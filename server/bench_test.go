package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/engine"
)

// The same bounded job, 2,000,000 rows through a filter into a blackhole,
// run embedded (an engine in the benchmark) and through the server
// (submitted over HTTP, waited for by polling its status every 5 ms),
// both checkpointing every 10 s into a fresh directory. The server adds
// nothing on the data path: its target is to stay within 5% of embedded.
const benchJob = `
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '2000000', 'rows-per-second' = '0', 'fields.k.min' = '0', 'fields.k.max' = '999');
CREATE TABLE sink (k BIGINT, v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, v FROM src WHERE v % 3 <> 0;
`

func BenchmarkJobEmbedded(b *testing.B) {
	for b.Loop() {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		eng.Config().Set("execution.checkpointing.interval", "10s")
		eng.Config().Set("state.checkpoints.dir", filepath.Join(b.TempDir(), "checkpoints"))
		if err := eng.RunScript(context.Background(), benchJob, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJobThroughServer(b *testing.B) {
	for b.Loop() {
		s, err := New(Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		body, _ := json.Marshal(map[string]string{"statements": benchJob})
		resp, err := http.Post(ts.URL+"/v1/statements", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var sub struct {
			Results []api.StatementResult
		}
		json.NewDecoder(resp.Body).Decode(&sub)
		resp.Body.Close()
		id := sub.Results[2].JobID
		for {
			resp, err := http.Get(ts.URL + "/v1/jobs/" + id)
			if err != nil {
				b.Fatal(err)
			}
			var j api.JobSummary
			json.NewDecoder(resp.Body).Decode(&j)
			resp.Body.Close()
			if j.Status == "FINISHED" {
				break
			}
			if j.Status != "RUNNING" {
				b.Fatalf("job %s: %s %s", id, j.Status, j.Error)
			}
			time.Sleep(5 * time.Millisecond)
		}
		ts.Close()
		s.Shutdown(time.Second)
	}
}
