// Package shell is the interactive front end: a terminal-free Session that
// accumulates typed lines into statements, executes them on an engine and
// offers completions. Terminal adapters (line editing, history) sit on top
// of Session; RunPlain drives it from any reader, which is what
// non-terminal standard input uses.
package shell
