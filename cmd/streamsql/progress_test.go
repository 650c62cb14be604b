package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// A -e run reports its running job on standard error (not a terminal:
// one line per report) with rows in and out, rows/s and the checkpoint.
func TestProgressLines(t *testing.T) {
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"--progress", "100ms", "--checkpoint-interval", "50ms", "--checkpoint-dir", t.TempDir(), "-e", `
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '2000', 'rows-per-second' = '2000', 'fields.k.min' = '0', 'fields.k.max' = '9');
CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b SELECT k, COUNT(*) FROM g GROUP BY k;`}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	re := regexp.MustCompile(`(?m)^job \S+: \d+ rows in \(\d+/s\), \d+ rows out.*, checkpoint \d+$`)
	if n := len(re.FindAllString(errOut.String(), -1)); n < 3 {
		t.Fatalf("%d progress lines with a rate and a checkpoint, want several:\n%s", n, errOut.String())
	}
	if strings.Contains(errOut.String(), "\r") {
		t.Fatalf("progress rewrote a line on a stream that is not a terminal")
	}
	// -1s turns it off.
	errOut.Reset()
	run(context.Background(), []string{"--progress", "-1s", "-e", `
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '500', 'rows-per-second' = '2000');
CREATE TABLE b (k BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b SELECT k FROM g;`}, strings.NewReader(""), &out, &errOut)
	if strings.Contains(errOut.String(), "rows in") {
		t.Fatalf("--progress -1s reported:\n%s", errOut.String())
	}
}
