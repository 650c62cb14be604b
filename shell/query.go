package shell

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// ResultModeKey selects how the shell shows a SELECT over unbounded
// inputs, as in Flink's SQL client: 'table' (a table that is redrawn in
// place as the result changes, with a status line), 'changelog' or
// 'tableau' (every change printed as a row with its op, as it arrives).
const ResultModeKey = "sql-client.execution.result-mode"

// maxLiveRows bounds the rows a live result table shows (the newest).
const maxLiveRows = 30

// runQuery shows a SELECT on a terminal. A bounded query prints its final
// rows; an unbounded one shows rows live until it ends or ctx is
// cancelled (Ctrl-C), then returns to the prompt.
func (s *Session) runQuery(ctx context.Context, q *sql.Query) error {
	bounded, err := s.Engine.IsBounded(q)
	if err != nil {
		return err
	}
	if bounded {
		schema, rows, err := s.Engine.RunQuery(ctx, q, nil)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			fmt.Fprintln(s.Out, "Query stopped.")
			return nil
		}
		engine.WriteTable(s.Out, schema, rows)
		return nil
	}
	schema := q.Schema()
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := func(n int) bool {
		if l := q.StreamLimit(); l >= 0 && int64(n) >= l {
			cancel()
			return true
		}
		return false
	}
	mode := strings.ToLower(s.Engine.Config().Get(ResultModeKey))
	if mode == "changelog" || mode == "tableau" {
		fmt.Fprintln(s.Out, "Showing changes as they arrive; press Ctrl-C to stop.")
		p := engine.NewChangelogPrinter(s.Out, schema)
		n := 0
		_, _, err = s.Engine.RunQuery(qctx, q, func(op types.Op, row []types.Value) error {
			if limit(n) {
				return nil
			}
			p.Row(op, row)
			n++
			return nil
		})
		p.Close(n)
		if ctx.Err() != nil {
			fmt.Fprintln(s.Out, "Query stopped.")
		}
		return err
	}
	v := newLiveTable(s.Out, schema, s.Terminal)
	every := s.RefreshEvery
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v.draw(false)
			}
		}
	}()
	n := 0
	_, _, err = s.Engine.RunQueryWatch(qctx, q, func(op types.Op, row []types.Value) error {
		if limit(n) {
			return nil
		}
		v.apply(op, row)
		n++
		return nil
	}, v.watch)
	close(done)
	wg.Wait()
	v.draw(true)
	if ctx.Err() != nil {
		fmt.Fprintln(s.Out, "Query stopped.")
	}
	return err
}

// liveTable is the current result of a changelog query, redrawn in place.
type liveTable struct {
	mu      sync.Mutex
	w       io.Writer
	schema  types.Schema
	rows    [][]types.Value
	changes int
	start   time.Time
	dirty   bool
	drawn   int // lines printed by the last draw (to move back over)
	inPlace bool
	job     *engine.Job // the running query, for the status line
}

// watch remembers the query's job (called once it starts).
func (t *liveTable) watch(j *engine.Job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.job = j
}

// jobStatus renders events read per second, the watermark, the last
// checkpoint and the bad input rows skipped (when any) of the running query.
func (t *liveTable) jobStatus(el time.Duration) string {
	if t.job == nil {
		return ""
	}
	in, _, wm := t.job.Counts()
	s := ""
	if el > 0 {
		s = fmt.Sprintf(", %.0f events/s", float64(in)/el.Seconds())
	}
	return s + engine.StatusDetails(t.job, wm)
}

func newLiveTable(w io.Writer, schema types.Schema, inPlace bool) *liveTable {
	return &liveTable{w: w, schema: schema, start: time.Now(), dirty: true, inPlace: inPlace}
}

// apply adds or retracts one row (called from the query's goroutine).
func (t *liveTable) apply(op types.Op, row []types.Value) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes++
	t.dirty = true
	if op.IsRetraction() {
		for i := len(t.rows) - 1; i >= 0; i-- {
			if equalRows(t.rows[i], row) {
				t.rows = append(t.rows[:i], t.rows[i+1:]...)
				return
			}
		}
		return
	}
	t.rows = append(t.rows, append([]types.Value(nil), row...))
}

func equalRows(a, b []types.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if types.Compare(a[i], b[i]) != 0 || a[i].IsNull() != b[i].IsNull() {
			return false
		}
	}
	return true
}

// draw prints the table and a status line, over the previous drawing when
// in place. final prints the closing line even when nothing changed.
func (t *liveTable) draw(final bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.dirty && !final {
		if !t.inPlace {
			return
		}
	}
	if !t.inPlace && !final {
		return // without a terminal only the final table is printed
	}
	var b strings.Builder
	rows := t.rows
	hidden := 0
	if len(rows) > maxLiveRows {
		hidden = len(rows) - maxLiveRows
		rows = rows[hidden:]
	}
	engine.WriteTable(&b, t.schema, rows)
	el := time.Since(t.start)
	rate := 0.0
	if el > 0 {
		rate = float64(t.changes) / el.Seconds()
	}
	status := fmt.Sprintf("%d rows, %d changes (%.0f/s)%s, %s", len(t.rows), t.changes, rate, t.jobStatus(el), el.Truncate(100*time.Millisecond))
	if hidden > 0 {
		status += fmt.Sprintf(", %d older rows not shown", hidden)
	}
	if !final {
		status += " - press Ctrl-C to stop"
	}
	b.WriteString(status + "\n")
	out := b.String()
	if t.inPlace && t.drawn > 0 {
		fmt.Fprintf(t.w, "\x1b[%dA\x1b[J", t.drawn)
	}
	io.WriteString(t.w, out)
	t.drawn = strings.Count(out, "\n")
	t.dirty = false
}
