package connectors

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// A connector's warning (a sink retry, a failed commit) is one record of
// the job's logger, carrying the job id the engine gave it; without a
// logger it is a WARNING line on Stderr; a nil Env drops it.
func TestEnvWarn(t *testing.T) {
	var logs bytes.Buffer
	env := &Env{Logger: slog.New(slog.NewJSONHandler(&logs, nil)).With("job", "job-7")}
	env.Warn("table t: writing 3 rows: attempt 1 of 4 failed, retrying in 100ms: connection reset")
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %q", logs.String())
	}
	if rec["level"] != "WARN" || rec["job"] != "job-7" || !strings.Contains(rec["msg"].(string), "attempt 1 of 4") {
		t.Fatalf("record %v", rec)
	}
	var stderr bytes.Buffer
	(&Env{Stderr: &stderr}).Info("note")
	(&Env{Stderr: &stderr}).Warn("careful")
	if stderr.String() != "INFO: note\nWARNING: careful\n" {
		t.Fatalf("stderr %q", stderr.String())
	}
	var none *Env
	none.Warn("dropped") // must not panic
}
