package nexmark

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

// TestAllEventsSameResults: with every event type generated and filtered
// by the query (Options.AllEvents), each query gives the rows it gives
// over tables that generate only their own events.
func TestAllEventsSameResults(t *testing.T) {
	for _, q := range []string{"q1", "q3", "q5", "q7", "q8", "q20"} {
		t.Run(q, func(t *testing.T) {
			script, err := SQL(q, denseInput.Events)
			if err != nil {
				t.Fatal(err)
			}
			script = setSourceOptions(script, []catalog.Option{eventRateOption(denseInput.EventsPerSecond)})
			all, err := allEvents(script)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(all, "'table' = 'bid'") || !strings.Contains(all, "person_creditCard VARCHAR") {
				t.Fatalf("not rewritten to one table of every event and column:\n%s", all)
			}
			want := scriptResult(t, script)
			if len(want) == 0 {
				t.Fatal("the query gave no rows")
			}
			compare(t, scriptResult(t, all), want)
		})
	}
}

// TestAllEventsEveryQueryRuns: every query runs with every event type
// generated (q12's processing-time windows make its rows depend on the
// wall clock, so it is only run).
func TestAllEventsEveryQueryRuns(t *testing.T) {
	for _, q := range Queries() {
		if _, err := Run(t.Context(), Options{Query: q, Events: 5000, AllEvents: true}); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestAllEventsRefusesBaseline(t *testing.T) {
	_, err := Run(t.Context(), Options{Query: "q1", Events: 1000, AllEvents: true, Baseline: true})
	if err == nil || !strings.Contains(err.Error(), "bids only") {
		t.Fatalf("err = %v", err)
	}
}
