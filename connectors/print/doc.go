// Package print is the 'print' connector: a sink that writes each row to
// the engine's standard output (Env.Stdout) as Flink does:
//
//	+I[1, Alice, 2020-10-10 00:00:05.000]
//
// The changelog op comes first (+I, -U, +U, -D), then the values rendered
// MySQL-style for their column types (NULL as NULL), separated by ", ".
// Every op is accepted (AcceptsChangelog is true).
//
// Options:
//   - 'print-identifier': a prefix for every line. Lines read 'ident> row'
//     at parallelism 1 and 'ident:N> row' above it, where N is the sink
//     instance + 1; without an identifier, lines read 'N> row' above
//     parallelism 1 and just 'row' at parallelism 1.
//   - 'standard-error' (default false): write to Env.Stderr instead.
//
// Each Write renders its whole batch and writes it with one call while
// holding a lock shared by all print sinks, so lines of parallel instances
// never interleave. Output is written at once; Flush has nothing to do.
package print
