package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/tests/conformance"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// runTests implements `streamsql test FILE.slt...`: each file runs on a
// fresh engine (conformance.RunFile, the code path the corpus tests use); failures are printed with their position and a diff, then
// the summary line "N passed, N failed".
func runTests(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamsql test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	par := fs.Int("parallelism", 1, "parallelism of every operator")
	verbose := fs.Bool("v", false, "print one line per record")
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprintln(w, "Usage: streamsql test [-parallelism N] [-v] FILE.slt...")
		fs.PrintDefaults()
	}
	if code, ok := parseSubcommand(fs, args, printUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		printUsage(stderr)
		return 2
	}
	if *par < 1 {
		fmt.Fprintf(stderr, "streamsql test: -parallelism must be at least 1\n")
		return 2
	}
	var total sqllogic.Result
	for _, path := range fs.Args() {
		opts := sqllogic.Options{}
		if *verbose {
			opts.Trace = stdout
		}
		r, err := conformance.RunFile(path, *par, opts, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		total.Add(r)
	}
	fmt.Fprint(stdout, total.Report())
	if total.Failed > 0 {
		return 1
	}
	return 0
}
