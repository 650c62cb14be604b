package plainlog

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestLines(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(New(&b))
	l.Warn("job job-1 failed: boom; restarting", "job", "job-1")
	l.With("job", "job-2").Info("table t: 3 bad rows skipped", "rows", 3)
	l.Debug("not shown")
	l.Error("stopped", "reason", "a b")
	want := "WARNING: job job-1 failed: boom; restarting\n" +
		"INFO: table t: 3 bad rows skipped rows=3\n" +
		"ERROR: stopped reason=\"a b\"\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
