// Package blackhole is the 'blackhole' connector: a sink that discards
// every row it is given (for benchmarks and for queries run only for their
// side effects). It accepts every changelog op (AcceptsChangelog is true).
//
// Options: none.
package blackhole
