package nexmark

import (
	"fmt"
	"regexp"
	"strings"
)

// latencySpec says how to find the window of a query's result row: the
// sink column that locates it and the function from that column's value
// (ms) to the window end. rewrite, when set, adapts the query text first.
type latencySpec struct {
	column  string
	end     func(v int64) int64
	rewrite func(script string) (string, error)
}

// latencySpecs are the queries whose latency is measured: those with
// event-time windows. q12 (processing-time windows) is left out: its
// windows close on the wall clock, not on the events.
var latencySpecs = map[string]*latencySpec{
	// q5's rows (auction, num) carry no window: the latency run adds
	// AuctionBids.endtime (HOP_END) as a third column.
	"q5": {column: "endtime", end: func(v int64) int64 { return v }, rewrite: addQ5WindowEnd},
	// q7's rows are bids of the window [end-10s-1ms, end-1ms]: the window
	// is the one holding dateTime (a bid of the first millisecond before
	// the window, which also matches when its price ties, is attributed
	// to the window before).
	"q7": {column: "dateTime", end: func(v int64) int64 { return floorTo(v, tumbleMs) + tumbleMs }},
	// q8: stime is TUMBLE_START of a 10 s window.
	"q8": {column: "stime", end: func(v int64) int64 { return v + 10_000 }},
	// q11: endtime is SESSION_END, the last bid plus the 10 s gap.
	"q11": {column: "endtime", end: func(v int64) int64 { return v }},
}

// HasLatency reports whether the latency of query q is measured.
func HasLatency(q string) bool { return latencySpecs[q] != nil }

var (
	q5SinkRe   = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+nexmark_q5\s*\(`)
	q5SelectRe = regexp.MustCompile(`(?is)(INSERT\s+INTO\s+nexmark_q5\s+SELECT\s+)(.*?)(\s+FROM\b)`)
)

// addQ5WindowEnd adds the column endtime TIMESTAMP(3) to q5's sink table
// and AuctionBids.endtime to its select list.
func addQ5WindowEnd(script string) (string, error) {
	loc := q5SinkRe.FindStringIndex(script)
	if loc == nil {
		return "", fmt.Errorf("q5 latency: no CREATE TABLE nexmark_q5 to add the window end to")
	}
	close := matchParen(script, loc[1]-1)
	if close < 0 {
		return "", fmt.Errorf("q5 latency: unbalanced CREATE TABLE nexmark_q5")
	}
	script = script[:close] + ", endtime TIMESTAMP(3)" + script[close:]
	m := q5SelectRe.FindStringSubmatchIndex(script)
	if m == nil || !strings.Contains(script[m[4]:m[5]], "AuctionBids.") {
		return "", fmt.Errorf("q5 latency: no INSERT INTO nexmark_q5 SELECT AuctionBids... to add the window end to")
	}
	return script[:m[5]] + ", AuctionBids.endtime" + script[m[5]:], nil
}

// matchParen returns the index of the parenthesis closing the one at
// open, or -1.
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}
