package main

import (
	"github.com/streamsql/streamsql/checkpoint/storage/s3test"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointsMissingDir: listing a directory that does not exist (or
// a file) is an error naming it, with a non-zero exit code, and does not
// create the directory.
func TestCheckpointsMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	code, out, errOut := runCLI(t, "", "checkpoints", missing)
	if code == 0 || out != "" || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "no such file or directory") {
		t.Errorf("exit %d, stdout %q, stderr %q: want an error naming %s", code, out, errOut, missing)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("listing created %s", missing)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "checkpoints", file); code == 0 || !strings.Contains(errOut, file+" is not a directory") {
		t.Errorf("a file: exit %d, stderr %q", code, errOut)
	}
	// -h is help on standard output.
	if code, out, errOut := runCLI(t, "", "checkpoints", "-h"); code != 0 || errOut != "" || !strings.Contains(out, "Usage: streamsql checkpoints") {
		t.Errorf("-h: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestSubcommandHelpOnStdout: every subcommand's -h prints its usage to
// standard output and exits 0; a bad flag prints it to standard error and
// exits 2.
func TestSubcommandHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"test", "-h"}, {"bench", "--help"}, {"bench"}, {"bench", "nexmark", "-h"}, {"checkpoints", "-h"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"test", "-bogus"}, {"bench", "nexmark", "-bogus"}, {"checkpoints", "-bogus"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestCheckpointsOnS3Location: a job run with --checkpoint-dir s3://...
// writes its checkpoints to the store, and `streamsql checkpoints
// s3://...` lists them (credentials from the environment).
func TestCheckpointsOnS3Location(t *testing.T) {
	srv := s3test.Start(t, "ckpt")
	o := srv.Options()
	t.Setenv("AWS_ACCESS_KEY_ID", o.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", o.SecretKey)
	script := `CREATE TABLE gen (k BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'number-of-rows' = '1500',
  'fields.k.min' = '1', 'fields.k.max' = '5');
CREATE TABLE sink (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
SET 'pipeline.name' = 'counts';
INSERT INTO sink SELECT k, COUNT(*) FROM gen GROUP BY k;`
	code, _, errOut := runCLI(t, "", "--checkpoint-dir", "s3://ckpt/cp", "--checkpoint-interval", "100ms",
		"-D", "s3.endpoint="+o.Endpoint, "-e", script)
	if code != 0 {
		t.Fatalf("job on s3 checkpoints: exit %d: %s", code, errOut)
	}
	code, list, errOut := runCLI(t, "", "checkpoints", "-s3-endpoint", o.Endpoint, "s3://ckpt/cp")
	if code != 0 || !strings.Contains(list, "counts") || !strings.Contains(list, "complete") {
		t.Fatalf("checkpoints s3://ckpt/cp: exit %d\n%s%s", code, list, errOut)
	}
	if code, _, errOut := runCLI(t, "", "checkpoints", "-s3-endpoint", o.Endpoint, "s3://nobucket/cp"); code != 1 || !strings.Contains(errOut, `bucket "nobucket" does not exist`) {
		t.Fatalf("a missing bucket: exit %d, %s", code, errOut)
	}
}
