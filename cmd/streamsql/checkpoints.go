package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
)

// runCheckpoints implements `streamsql checkpoints DIR`: a table of the
// checkpoints and savepoints stored under DIR with id, time, size (all
// files included), incremental size and whether each is complete,
// incomplete or damaged (naming the damaged file). -verify reads every
// file and checks its checksum.
func runCheckpoints(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamsql checkpoints", flag.ContinueOnError)
	fs.SetOutput(stderr)
	job := fs.String("job", "", "only this job's checkpoints")
	s3Endpoint := fs.String("s3-endpoint", os.Getenv("S3_ENDPOINT"), "for an s3://bucket/prefix DIR: the store's URL (SET 's3.endpoint'; default $S3_ENDPOINT, else AWS);\ncredentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD or ~/.aws/credentials")
	s3PathStyle := fs.Bool("s3-path-style", false, "for an s3:// DIR: always address the bucket as endpoint/bucket (SET 's3.path.style.access'; without it, AWS endpoints get bucket.endpoint and others endpoint/bucket)")
	verify := fs.Bool("verify", false, "read every file each checkpoint references and check its checksum, as a restore does\n(without it, files are checked for existence and size only)")
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprintln(w, "Usage: streamsql checkpoints [-job ID] [-verify] DIR   (DIR: a directory or s3://bucket/prefix)")
		fs.PrintDefaults()
	}
	if code, ok := parseSubcommand(fs, args, printUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		printUsage(stderr)
		return 2
	}
	// Listing must not create DIR (the storage would): a mistyped
	// directory is an error, not an empty list.
	dir := fs.Arg(0)
	if !storage.IsURL(dir) {
		if fi, err := os.Stat(dir); err != nil {
			fmt.Fprintf(stderr, "streamsql checkpoints: cannot read %s: %v\n", dir, errors.Unwrap(err))
			return 1
		} else if !fi.IsDir() {
			fmt.Fprintf(stderr, "streamsql checkpoints: %s is not a directory\n", dir)
			return 1
		}
	}
	st, err := storage.OpenLocation(dir, storage.S3Options{Endpoint: *s3Endpoint, PathStyle: *s3PathStyle})
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
	infos, err := checkpoint.List(st, checkpoint.ListOptions{Job: *job, Verify: *verify})
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, checkpoint.FormatList(infos))
	return 0
}
