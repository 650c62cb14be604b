package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Running a job again over a checkpoint directory that holds its
// checkpoints, without asking to restore them, warns that it starts over
// and names the flag; a restoring run does not.
func TestRerunWithoutRestoreWarns(t *testing.T) {
	dir := t.TempDir()
	script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '50ms';
SET 'state.checkpoints.dir' = '%s';
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '3000', 'rows-per-second' = '10000', 'fields.k.min' = '0', 'fields.k.max' = '9');
CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b SELECT k, COUNT(*) FROM g GROUP BY k;`, dir)
	run := func(restore string) string {
		var errOut bytes.Buffer
		eng := New(Options{Stdout: io.Discard, Stderr: &errOut, RestorePath: restore})
		if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
			t.Fatal(err)
		}
		return errOut.String()
	}
	if out := run(""); strings.Contains(out, "earlier run") {
		t.Fatalf("the first run warned: %s", out)
	}
	out := run("")
	if !strings.Contains(out, "of an earlier run of this job") || !strings.Contains(out, "--restore latest") {
		t.Fatalf("the second run did not warn that it starts over:\n%s", out)
	}
	if out := run("latest"); strings.Contains(out, "earlier run") {
		t.Fatalf("a restoring run warned: %s", out)
	}
}
