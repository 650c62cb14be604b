package nexmark

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestSellerAveragesMatchEngine checks q6's loop against the engine's
// rows, seller by seller. A seller's auctions that close in the same
// millisecond are peers in the OVER window's time order, and a ROWS frame
// takes peers in the order they reach the OVER operator, which the loop
// and a parallel engine need not share: a row's average depends on that
// order when the row has a peer, or when its frame of 11 rows starts in
// the middle of a group of peers. Those rows are ambiguous: the engine
// must have as many rows for the seller, and every other row of the loop
// exactly.
func TestSellerAveragesMatchEngine(t *testing.T) {
	for _, in := range []Input{windowInput, denseInput} {
		t.Run(fmt.Sprint(in.EventsPerSecond), func(t *testing.T) {
			rows, _, err := SellerAverages(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			bySeller := map[int64][]SellerAverage{}
			for _, r := range rows {
				bySeller[r.Seller] = append(bySeller[r.Seller], r)
			}
			exact := map[string]int{}     // seller|avg -> count, unambiguous rows
			ambiguous := map[string]int{} // seller -> count
			full, amb := 0, 0
			for seller, rs := range bySeller {
				if len(rs) > q6Frame {
					full++
				}
				for i, r := range rs {
					peer := (i > 0 && rs[i-1].Closed == r.Closed) || (i+1 < len(rs) && rs[i+1].Closed == r.Closed)
					j := i - (q6Frame - 1) // the frame's first row
					cut := j >= 1 && rs[j-1].Closed == rs[j].Closed
					if peer || cut {
						ambiguous[fmt.Sprint(seller)]++
						amb++
						continue
					}
					exact[fmt.Sprintf("%d|%s", seller, types.DecimalValue(r.AvgScaled, 4))]++
				}
			}
			if len(rows) < 100 || full == 0 || amb*4 > len(rows) {
				t.Fatalf("%d rows (%d ambiguous), %d sellers with more than %d: not enough to test the frame", len(rows), amb, full, q6Frame)
			}
			got := engineResult(t, "q6", in)
			if len(got) != len(rows) {
				t.Fatalf("engine: %d rows, loop: %d", len(got), len(rows))
			}
			for _, g := range got {
				if exact[g] > 0 {
					exact[g]--
					continue
				}
				seller, _, _ := strings.Cut(g, "|")
				if ambiguous[seller] == 0 {
					t.Fatalf("engine row %s is not among the loop's rows", g)
				}
				ambiguous[seller]--
			}
			var left []string
			for k, n := range exact {
				if n > 0 {
					left = append(left, k)
				}
			}
			sort.Strings(left)
			if len(left) > 0 {
				t.Fatalf("loop rows missing from the engine's: %v", left)
			}
			t.Logf("%d rows, %d ambiguous", len(rows), amb)
		})
	}
}
