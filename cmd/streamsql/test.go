package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// runTests implements `streamsql test FILE.slt...`: each file runs on a
// fresh engine; failures are printed with their position and a diff, then
// the summary line "N passed, N failed".
func runTests(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamsql test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	par := fs.Int("parallelism", 1, "parallelism of every operator")
	verbose := fs.Bool("v", false, "print one line per record")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: streamsql test [-parallelism N] [-v] FILE.slt...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var total sqllogic.Result
	for _, path := range fs.Args() {
		script, err := sqllogic.ParseFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: stderr})
		if err := eng.Config().Set("parallelism.default", fmt.Sprint(*par)); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 2
		}
		opts := sqllogic.Options{}
		if *verbose {
			opts.Trace = stdout
		}
		total.Add(sqllogic.Run(eng, script, opts))
		eng.StopAll()
	}
	fmt.Fprint(stdout, total.Report())
	if total.Failed > 0 {
		return 1
	}
	return 0
}
