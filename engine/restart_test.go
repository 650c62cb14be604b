package engine

import (
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/types"
)

// TestRestartResumesOnlyItsOwnCheckpoints runs the same query twice in one
// checkpoint directory (same operators, so the same job directory), each
// failing once on its first row, and checks both results. The second job
// fails before its own first checkpoint: its restart must not resume from
// the first job's checkpoints (see restartPoint; whether the first job's
// last checkpoint would give wrong rows depends on timing, which
// TestRestartPointIgnoresEarlierJobsCheckpoints leaves out).
func TestRestartResumesOnlyItsOwnCheckpoints(t *testing.T) {
	eng := New(Options{Stdout: io.Discard, Stderr: io.Discard, Testing: &Testing{FailAfterRows: 1, BatchSize: 1, SourceBatchDelay: 25 * time.Millisecond}})
	for k, v := range map[string]string{
		"execution.checkpointing.interval":   "1h",
		"state.checkpoints.dir":              t.TempDir(),
		"restart-strategy":                   "fixed-delay",
		"restart-strategy.fixed-delay.delay": "0",
	} {
		if err := eng.Config().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{
		"CREATE TABLE nums (k BIGINT, v BIGINT)",
		"INSERT INTO nums VALUES (1, 10), (2, 20), (1, 30), (3, 40), (4, 1), (4, 2), (5, 1), (5, 1), (5, 1), (6, 7), (6, 7), (6, 7)",
	} {
		if err := eng.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	query := "SELECT k, COUNT(*), SUM(v) FROM nums GROUP BY k"
	check := func(want []string) {
		t.Helper()
		_, rows, err := eng.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		got := render(rows)
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	check([]string{"1 2 40", "2 1 20", "3 1 40", "4 2 3", "5 3 3", "6 3 21"})
	if err := eng.Exec("INSERT INTO nums VALUES (3, 5)"); err != nil {
		t.Fatal(err)
	}
	check([]string{"1 2 40", "2 1 20", "3 2 45", "4 2 3", "5 3 3", "6 3 21"})
}

func TestRestartPointIgnoresEarlierJobsCheckpoints(t *testing.T) {
	md := func(id int64) *checkpoint.Metadata { return &checkpoint.Metadata{CheckpointID: id} }
	initial := md(3)
	for _, c := range []struct {
		latest   *checkpoint.Metadata
		ownAfter int64
		initial  *checkpoint.Metadata
		want     int64 // 0: nil
	}{
		{md(7), 5, nil, 7},     // the job's own checkpoint
		{md(5), 5, nil, 0},     // an earlier job's: start over
		{md(5), 5, initial, 3}, // an earlier job's: back to where the job started
		{nil, 5, initial, 3},   // none yet
		{nil, 0, nil, 0},
	} {
		got := restartPoint(c.latest, c.ownAfter, c.initial)
		if (got == nil && c.want != 0) || (got != nil && got.CheckpointID != c.want) {
			t.Errorf("restartPoint(%v, %d, %v) = %v, want %d", c.latest, c.ownAfter, c.initial, got, c.want)
		}
	}
}

func render(rows [][]types.Value) []string {
	var out []string
	for _, r := range rows {
		s := ""
		for i, v := range r {
			if i > 0 {
				s += " "
			}
			s += fmt.Sprint(types.Render(v, types.BigInt))
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
