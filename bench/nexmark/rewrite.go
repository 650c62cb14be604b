package nexmark

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/streamsql/streamsql/catalog"
)

// The runner adapts a query file's text for special runs (paced sources,
// the latency hooks) by rewriting the WITH clauses of its CREATE TABLE
// statements; the query itself is left as written.

var (
	withRe   = regexp.MustCompile(`(?is)\bWITH\s*\(([^()]*)\)`)
	optionRe = regexp.MustCompile(`'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'`)
)

// rewriteWith calls fn with the options of every `WITH (...)` clause of
// script, in order, and replaces the clause by one holding the options fn
// returns (fn returns its argument to leave a clause unchanged).
func rewriteWith(script string, fn func(opts []catalog.Option) []catalog.Option) string {
	return withRe.ReplaceAllStringFunc(script, func(clause string) string {
		body := withRe.FindStringSubmatch(clause)[1]
		var opts []catalog.Option
		for _, m := range optionRe.FindAllStringSubmatch(body, -1) {
			opts = append(opts, catalog.Option{Key: unquote(m[1]), Value: unquote(m[2])})
		}
		out := fn(opts)
		if sameOptions(opts, out) {
			return clause
		}
		return "WITH (" + strings.TrimPrefix(renderOptions(out), ", ") + ")"
	})
}

func sameOptions(a, b []catalog.Option) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func unquote(s string) string { return strings.ReplaceAll(s, "''", "'") }

// renderOptions renders options as `, 'k' = 'v'` each.
func renderOptions(opts []catalog.Option) string {
	var sb strings.Builder
	for _, o := range opts {
		fmt.Fprintf(&sb, ", '%s' = '%s'", strings.ReplaceAll(o.Key, "'", "''"), strings.ReplaceAll(o.Value, "'", "''"))
	}
	return sb.String()
}

// option returns the value of key in opts (keys compare case-insensitively).
func option(opts []catalog.Option, key string) (string, bool) {
	for _, o := range opts {
		if strings.EqualFold(o.Key, key) {
			return o.Value, true
		}
	}
	return "", false
}

// setOption returns opts with key set to value (replaced in place, or appended).
func setOption(opts []catalog.Option, key, value string) []catalog.Option {
	out := append([]catalog.Option(nil), opts...)
	for i := range out {
		if strings.EqualFold(out[i].Key, key) {
			out[i].Value = value
			return out
		}
	}
	return append(out, catalog.Option{Key: key, Value: value})
}

// connectorIs reports whether opts name connector c.
func connectorIs(opts []catalog.Option, c string) bool {
	v, _ := option(opts, "connector")
	return strings.EqualFold(strings.TrimSpace(v), c)
}

// tableShare is the fraction of all events that a nexmark table with the
// given 'table' option holds (1 for 'event'; 'bid' when empty).
func tableShare(table string) float64 {
	switch strings.ToLower(strings.TrimSpace(table)) {
	case "person":
		return 1.0 / 50
	case "auction":
		return 3.0 / 50
	case "event":
		return 1
	}
	return 46.0 / 50
}

// paceSources sets 'rows-per-second' on every nexmark table of script so
// that each advances at rate events (of all types) per second of wall
// clock: a table holding a share of the events gets that share of the rate.
func paceSources(script string, rate float64) string {
	return rewriteWith(script, func(opts []catalog.Option) []catalog.Option {
		if !connectorIs(opts, "nexmark") {
			return opts
		}
		table, _ := option(opts, "table")
		return setOption(opts, "rows-per-second", fmt.Sprintf("%.3f", rate*tableShare(table)))
	})
}

// setSourceOptions sets options on every nexmark table of script.
func setSourceOptions(script string, set []catalog.Option) string {
	return rewriteWith(script, func(opts []catalog.Option) []catalog.Option {
		if !connectorIs(opts, "nexmark") {
			return opts
		}
		for _, o := range set {
			opts = setOption(opts, o.Key, o.Value)
		}
		return opts
	})
}

// replaceConnector replaces connector from by to in every WITH clause of
// script that names it, adding the options extra.
func replaceConnector(script, from, to string, extra ...catalog.Option) string {
	return rewriteWith(script, func(opts []catalog.Option) []catalog.Option {
		if !connectorIs(opts, from) {
			return opts
		}
		opts = setOption(opts, "connector", to)
		for _, o := range extra {
			opts = setOption(opts, o.Key, o.Value)
		}
		return opts
	})
}
