package nexmark

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// The latency hooks are two connectors, registered the first time a
// latency run starts (so that they exist only in a process that measures
// latency): a wrapper of the nexmark source that logs its progress, and a
// sink that notes when rows are emitted. Their tables name their run with
// the option 'bench-run'; the runner rewrites a query's nexmark and
// blackhole tables to them (see runLatency). The normal throughput run
// does not use them.
const (
	timedSourceConnector = "bench-nexmark-timed"
	latencySinkConnector = "bench-latency"
	runOption            = "bench-run"
)

var (
	registerOnce sync.Once
	runsMu       sync.Mutex
	runs         = map[string]*latencyRun{}
	runSeq       int
)

func registerLatencyConnectors() {
	registerOnce.Do(func() {
		nx := connectors.Lookup("nexmark")
		run := connectors.OptionSpec{Key: runOption, Required: true, Help: "the latency run (set by streamsql bench)"}
		connectors.Register(&connectors.Factory{
			Name:      timedSourceConnector,
			Options:   append(slices.Clone(nx.Options), run),
			NewSource: newTimedSource,
		})
		connectors.Register(&connectors.Factory{
			Name:    latencySinkConnector,
			Options: []connectors.OptionSpec{run},
			NewSink: newLatencySink,
		})
	})
}

// addRun registers r and returns its id and a function that unregisters it.
func addRun(r *latencyRun) (string, func()) {
	registerLatencyConnectors()
	runsMu.Lock()
	defer runsMu.Unlock()
	runSeq++
	id := strconv.Itoa(runSeq)
	runs[id] = r
	return id, func() {
		runsMu.Lock()
		delete(runs, id)
		runsMu.Unlock()
	}
}

func lookupRun(t *catalog.Table) (*latencyRun, error) {
	runsMu.Lock()
	defer runsMu.Unlock()
	if r := runs[t.Option(runOption)]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("table %s: no latency run '%s' (the %s and %s connectors belong to streamsql bench)",
		t.Name, t.Option(runOption), timedSourceConnector, latencySinkConnector)
}

// timedSource is a nexmark source whose readers log their progress; the
// planner builds one per scan of a table.
type timedSource struct {
	connectors.Source
	run   *latencyRun
	scan  int
	col   int   // physical index of the watermark column
	delay int64 // watermark delay, ms
}

func newTimedSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	run, err := lookupRun(t)
	if err != nil {
		return nil, err
	}
	if t.Watermark == nil {
		return nil, fmt.Errorf("table %s: a latency run needs a WATERMARK on the nexmark tables", t.Name)
	}
	col := t.PhysicalColumns().Index(t.Columns[t.Watermark.Column].Name)
	if col < 0 {
		return nil, fmt.Errorf("table %s: the watermark column is not a physical column", t.Name)
	}
	inner := *t
	inner.Options = nil
	for _, o := range t.Options {
		switch {
		case strings.EqualFold(o.Key, runOption):
		case strings.EqualFold(o.Key, "connector"):
			inner.Options = append(inner.Options, catalog.Option{Key: o.Key, Value: "nexmark"})
		default:
			inner.Options = append(inner.Options, o)
		}
	}
	src, err := connectors.Lookup("nexmark").NewSource(&inner, env)
	if err != nil {
		return nil, err
	}
	return &timedSource{Source: src, run: run, scan: run.newScan(), col: col, delay: t.Watermark.DelayMs}, nil
}

func (s *timedSource) OpenSplit(ctx context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	r, err := s.Source.OpenSplit(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return &timedReader{SplitReader: r, run: s.run, log: s.run.newLog(s.scan, s.delay), col: s.col}, nil
}

// timedReader logs, after every Next that produced rows, the dateTime of
// the last row (the largest: a split's dateTime ascends) and the time.
type timedReader struct {
	connectors.SplitReader
	run *latencyRun
	log *splitLog
	col int
}

func (r *timedReader) Next(ctx context.Context, b *types.Batch) error {
	n := b.Len()
	err := r.SplitReader.Next(ctx, b)
	if b.Len() > n {
		if v := b.Vals[(b.Len()-1)*b.Width+r.col]; !v.IsNull() {
			r.log.add(v.Millis(), r.run.now())
		}
	}
	if err == io.EOF && r.log.ended < 0 {
		r.log.ended = r.run.now()
	}
	return err
}

// latencySink discards its rows like blackhole, noting when each +I/+U
// row of a window arrives.
type latencySink struct {
	run *latencyRun
	col int
}

func newLatencySink(t *catalog.Table, _ *connectors.Env) (connectors.Sink, error) {
	run, err := lookupRun(t)
	if err != nil {
		return nil, err
	}
	col := t.PhysicalColumns().Index(run.spec.column)
	if col < 0 {
		return nil, fmt.Errorf("table %s: no column '%s' to find the window of a row by (see latencySpecs)", t.Name, run.spec.column)
	}
	return &latencySink{run: run, col: col}, nil
}

// AcceptsChangelog is true: retractions are ignored.
func (s *latencySink) AcceptsChangelog() bool { return true }

func (s *latencySink) Open(context.Context, int, int) (connectors.SinkWriter, error) {
	return &latencyWriter{sink: s}, nil
}

type latencyWriter struct {
	sink *latencySink
	ends []int64
}

func (w *latencyWriter) Write(b *types.Batch) error {
	at := w.sink.run.now()
	w.ends = w.ends[:0]
	for i, op := range b.Ops {
		if op != types.Insert && op != types.UpdateAfter {
			continue
		}
		if v := b.Vals[i*b.Width+w.sink.col]; !v.IsNull() {
			w.ends = append(w.ends, w.sink.run.spec.end(v.Millis()))
		}
	}
	w.sink.run.emitted(at, w.ends)
	return nil
}

func (w *latencyWriter) Flush() error { return nil }
func (w *latencyWriter) Close() error { return nil }
