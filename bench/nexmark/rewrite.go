package nexmark

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	nexmarksrc "github.com/streamsql/streamsql/connectors/nexmark"
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
		opts := withOptions(withRe.FindStringSubmatch(clause)[1])
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

var createTableRe = regexp.MustCompile(`(?is)CREATE\s+TABLE\s+(\w+)\s*\((.*?)\)\s*(WITH\s*\([^()]*\))\s*;`)

// eventTypes maps a nexmark 'table' option to the event_type of its rows.
var eventTypes = map[string]int{"person": nexmarksrc.PersonEvent, "auction": nexmarksrc.AuctionEvent, "bid": nexmarksrc.BidEvent}

// allEvents rewrites every nexmark table of script so that its source
// generates every event of every type with all its columns, as Flink's
// Nexmark source does, and the query filters them: a 'bid' (or 'auction',
// 'person') table becomes one 'event' table declaring every column,
// named <table>_all_events, and a view of the original name selecting the
// table's columns WHERE event_type = its type; an 'event' table gets every
// column it leaves out. Its throughput then counts events the engine
// generated and filtered, not only those of the tables the query reads.
func allEvents(script string) (string, error) {
	var errOut error
	out := createTableRe.ReplaceAllStringFunc(script, func(stmt string) string {
		m := createTableRe.FindStringSubmatch(stmt)
		name, body, with := m[1], m[2], m[3]
		opts := withOptions(with)
		if !connectorIs(opts, "nexmark") {
			return stmt
		}
		table, _ := option(opts, "table")
		table = strings.ToLower(strings.TrimSpace(table))
		if table == "" {
			table = "bid"
		}
		var cols []string     // declared column names, in order
		var computed []string // computed columns (`p_time AS PROCTIME()`), kept as written
		var watermark string
		for _, item := range splitTopLevel(body) {
			f := strings.Fields(item)
			switch {
			case len(f) == 0:
			case strings.EqualFold(f[0], "WATERMARK"):
				watermark = item
			case len(f) > 1 && strings.EqualFold(f[1], "AS"):
				computed = append(computed, item)
				cols = append(cols, f[0])
			default:
				cols = append(cols, f[0])
			}
		}
		isComputed := func(c string) bool {
			for _, item := range computed {
				if strings.EqualFold(strings.Fields(item)[0], c) {
					return true
				}
			}
			return false
		}
		if table == "event" {
			declared := map[string]bool{} // declared and computed columns
			for _, c := range cols {
				declared[strings.ToLower(c)] = true
			}
			var sb strings.Builder
			fmt.Fprintf(&sb, "CREATE TABLE %s (%s", name, strings.TrimSpace(strings.Join(withoutWatermark(splitTopLevel(body)), ", ")))
			for _, c := range nexmarksrc.TableColumns("event") {
				if !declared[strings.ToLower(c.Name)] {
					fmt.Fprintf(&sb, ", %s %s", c.Name, c.Type)
				}
			}
			if watermark != "" {
				sb.WriteString(", " + watermark)
			}
			sb.WriteString(") " + with + ";")
			return sb.String()
		}
		typ, ok := eventTypes[table]
		if !ok {
			errOut = fmt.Errorf("table %s: nexmark table '%s' has no event type", name, table)
			return stmt
		}
		src := name + "_all_events"
		var sb strings.Builder
		fmt.Fprintf(&sb, "CREATE TABLE %s (", src)
		for i, c := range nexmarksrc.TableColumns("event") {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%s %s", c.Name, c.Type)
		}
		for _, item := range computed {
			sb.WriteString(", " + item)
		}
		if watermark != "" {
			if f := strings.Fields(watermark); len(f) < 3 || !strings.EqualFold(f[2], "dateTime") {
				errOut = fmt.Errorf("table %s: the watermark must be on dateTime to generate every event type (%s)", name, watermark)
				return stmt
			}
			sb.WriteString(", " + watermark)
		}
		fmt.Fprintf(&sb, ") WITH (%s);\nCREATE VIEW %s AS SELECT ", strings.TrimPrefix(renderOptions(setOption(opts, "table", "event")), ", "), name)
		for i, c := range cols {
			if i > 0 {
				sb.WriteString(", ")
			}
			if strings.EqualFold(c, "dateTime") || isComputed(c) {
				sb.WriteString(c) // the event's time (the time attribute), or a computed column
				continue
			}
			fmt.Fprintf(&sb, "%s_%s AS %s", table, c, c)
		}
		fmt.Fprintf(&sb, " FROM %s WHERE event_type = %d;", src, typ)
		return sb.String()
	})
	return out, errOut
}

// withOptions returns the options of a `WITH (...)` clause.
func withOptions(clause string) []catalog.Option {
	var opts []catalog.Option
	for _, m := range optionRe.FindAllStringSubmatch(clause, -1) {
		opts = append(opts, catalog.Option{Key: unquote(m[1]), Value: unquote(m[2])})
	}
	return opts
}

// splitTopLevel splits a column list at the commas outside parentheses
// and quotes, trimming each item.
func splitTopLevel(s string) []string {
	var out []string
	depth, start, quoted := 0, 0, false
	for i, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

func withoutWatermark(items []string) []string {
	var out []string
	for _, it := range items {
		if f := strings.Fields(it); len(f) > 0 && !strings.EqualFold(f[0], "WATERMARK") {
			out = append(out, it)
		}
	}
	return out
}
