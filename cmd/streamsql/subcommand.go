package main

import (
	"errors"
	"flag"
	"io"
)

// parseSubcommand parses a subcommand's flags. -h prints usage (which
// writes the subcommand's usage text and fs.PrintDefaults to its writer)
// to standard output; a bad flag prints it to standard error. It returns
// the exit code to end with, or ok when the subcommand goes on.
func parseSubcommand(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (code int, ok bool) {
	fs.Usage = func() {} // -h prints to standard output, errors to standard error
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0, false
		}
		usage(stderr)
		return 2, false
	}
	return 0, true
}
