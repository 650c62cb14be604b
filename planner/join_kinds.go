package planner

import (
	"strings"

	"github.com/streamsql/streamsql/plan"
)

// nonInnerJoin names an outer, semi or anti join for EXPLAIN (a regular
// join whose output is a changelog says so after its kind), describes its
// state, and says whether its output is append-only, given what buildJoin
// chose for its inputs (kind: "WindowJoin", "IntervalJoin" or "Join") and
// whether both inputs are append-only:
//
//   - a window join emits the unmatched (outer) or matched / unmatched
//     (semi / anti) rows when the window closes: append-only;
//   - an outer interval join pads a preserved row when it expires
//     unmatched, a semi interval join emits a left row on its first
//     match, an anti one a left row that expires unmatched: append-only;
//   - a regular outer join retracts a padded row when its first match
//     arrives, an anti join a left row: a changelog; a semi join over
//     append-only inputs only ever adds rows (a match count never falls
//     back to 0), over a changelog it retracts them.
func (b *builder) nonInnerJoin(k plan.JoinKind, kind, stateDesc string, appendOnly bool) (string, string, bool) {
	name := strings.TrimSuffix(k.String(), "Join")
	switch kind {
	case "WindowJoin":
		stateDesc = "per key and window: rows of both sides until the window closes, then the unmatched rows of the outer side(s), padded"
		if k.Filters() {
			stateDesc = "per key and window: rows of both sides until the window closes, then the left rows that matched (semi) or did not (anti)"
		}
		return name + "WindowJoin", stateDesc, appendOnly
	case "IntervalJoin":
		switch k {
		case plan.SemiJoin:
			return name + "IntervalJoin", stateDesc + "; a left row emitted on its first match", appendOnly
		case plan.AntiJoin:
			return name + "IntervalJoin", stateDesc + "; a left row emitted when it expires unmatched", appendOnly
		}
		return name + "IntervalJoin", stateDesc + "; unmatched rows of the outer side(s) emitted padded when they expire", appendOnly
	}
	counted := "preserved"
	if k.Filters() {
		counted = "left"
	}
	stateDesc = "per key: rows of both sides, with the number of matches of each " + counted + " row" + b.ttlDesc()
	appendOnly = appendOnly && k == plan.SemiJoin
	if !appendOnly {
		name += "Join changelog" // the join itself retracts rows
	} else {
		name += "Join"
	}
	return name, stateDesc, appendOnly
}
