package main

import (
	"flag"
	"fmt"
	"io"

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
	verify := fs.Bool("verify", false, "read every file each checkpoint references and check its checksum, as a restore does\n(without it, files are checked for existence and size only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: streamsql checkpoints [-job ID] [-verify] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	st, err := storage.NewLocal(fs.Arg(0))
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
