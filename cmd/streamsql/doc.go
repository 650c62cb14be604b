// Command streamsql runs continuous SQL queries: an interactive shell on a
// terminal, SQL files with -f, statements with -e or from standard input,
// and sqllogictest files with `streamsql test`. See `streamsql --help`.
package main
