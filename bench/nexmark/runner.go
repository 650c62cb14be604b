package nexmark

import (
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/engine"
)

//go:embed *.sql
var files embed.FS

// Queries returns the names of the supported queries (q0, q1, ...) in
// numeric order.
func Queries() []string {
	ents, _ := files.ReadDir(".")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return queryNum(out[i]) < queryNum(out[j]) })
	return out
}

func queryNum(q string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(q, "q"))
	if err != nil {
		return 1 << 30
	}
	return n
}

// SQL returns the statements of query q for the given number of events.
func SQL(q string, events int64) (string, error) {
	b, err := files.ReadFile(q + ".sql")
	if err != nil {
		return "", fmt.Errorf("unknown nexmark query %q (have %s)", q, strings.Join(Queries(), ", "))
	}
	return strings.ReplaceAll(string(b), "${EVENTS}", strconv.FormatInt(events, 10)), nil
}

// Options configure one run.
type Options struct {
	Query  string
	Events int64
	// Parallelism of every operator (0: the engine's default).
	Parallelism int
	// GOMAXPROCS for the run (0: leave as is).
	GOMAXPROCS int
	// CheckpointInterval (e.g. "1s") turns checkpointing on; CheckpointDir
	// defaults to a temporary directory removed after the run.
	CheckpointInterval string
	CheckpointDir      string
	// StateBackend is hashmap or pebble ("" for the default).
	StateBackend string
	// Baseline also runs the hand-written loop of the query, if it has one.
	Baseline bool
	// Set holds further configuration keys.
	Set map[string]string
}

// Result is what a run measured.
type Result struct {
	Query        string
	Events       int64
	Seconds      float64
	GOMAXPROCS   int
	EventsPerSec float64
	// PerCore is EventsPerSec divided by GOMAXPROCS.
	PerCore float64
	// PeakSys and PeakHeapInuse are the highest runtime.MemStats Sys and
	// HeapInuse sampled during the run, in bytes.
	PeakSys, PeakHeapInuse uint64
	// StateSize is the size in bytes of the last completed checkpoint (-1
	// when none completed).
	StateSize   int64
	Checkpoints int64
	// Baseline is the hand-written loop's run (nil when not asked for or
	// the query has none).
	Baseline *BaselineResult
}

// BaselineResult is the hand-written loop's run.
type BaselineResult struct {
	Seconds      float64
	EventsPerSec float64
	// Rows is the number of result rows the loop produced.
	Rows int64
}

// Ratio is the engine's throughput divided by the baseline's (0 without one).
func (r *Result) Ratio() float64 {
	if r.Baseline == nil || r.Baseline.EventsPerSec == 0 {
		return 0
	}
	return r.EventsPerSec / r.Baseline.EventsPerSec
}

// memSampler records the peak of Sys and HeapInuse.
type memSampler struct {
	stop      chan struct{}
	done      sync.WaitGroup
	sys, heap uint64
}

func startSampler(every time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	m.sample()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.sys = max(m.sys, s.Sys)
	m.heap = max(m.heap, s.HeapInuse)
}

func (m *memSampler) finish() {
	close(m.stop)
	m.done.Wait()
	m.sample()
}

// Run runs the query into its blackhole sink and measures it.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Events <= 0 {
		return nil, fmt.Errorf("the number of events must be positive, got %d", o.Events)
	}
	script, err := SQL(o.Query, o.Events)
	if err != nil {
		return nil, err
	}
	if o.GOMAXPROCS > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.GOMAXPROCS))
	}
	procs := runtime.GOMAXPROCS(0)
	res := &Result{Query: o.Query, Events: o.Events, GOMAXPROCS: procs, StateSize: -1}

	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	conf := eng.Config()
	set := func(k, v string) error {
		if err := conf.Set(k, v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return nil
	}
	if o.Parallelism > 0 {
		if err := set("parallelism.default", strconv.Itoa(o.Parallelism)); err != nil {
			return nil, err
		}
	}
	if o.StateBackend != "" {
		if err := set("state.backend", o.StateBackend); err != nil {
			return nil, err
		}
	}
	if o.CheckpointInterval != "" {
		dir := o.CheckpointDir
		if dir == "" {
			d, err := os.MkdirTemp("", "nexmark-checkpoints-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(d)
			dir = d
		}
		if err := set("state.checkpoints.dir", dir); err != nil {
			return nil, err
		}
		if err := set("execution.checkpointing.interval", o.CheckpointInterval); err != nil {
			return nil, err
		}
	}
	for k, v := range o.Set {
		if err := set(k, v); err != nil {
			return nil, err
		}
	}

	runtime.GC()
	mem := startSampler(100 * time.Millisecond)
	start := time.Now()
	err = eng.RunScript(ctx, script, io.Discard)
	res.Seconds = time.Since(start).Seconds()
	mem.finish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Query, err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for _, j := range eng.Jobs() {
		if st, jerr := j.Status(); jerr != nil {
			return nil, fmt.Errorf("%s: job %s %s: %w", o.Query, j.ID, st, jerr)
		}
		if md := j.LastCheckpoint(); md != nil {
			res.StateSize = max(res.StateSize, 0) + md.Size
			res.Checkpoints = max(res.Checkpoints, md.CheckpointID)
		}
	}
	res.PeakSys, res.PeakHeapInuse = mem.sys, mem.heap
	res.EventsPerSec = float64(o.Events) / res.Seconds
	res.PerCore = res.EventsPerSec / float64(procs)

	if o.Baseline {
		if loop := baselines[o.Query]; loop != nil {
			runtime.GC()
			start := time.Now()
			rows, err := loop(ctx, o.Events)
			if err != nil {
				return nil, fmt.Errorf("%s baseline: %w", o.Query, err)
			}
			s := time.Since(start).Seconds()
			res.Baseline = &BaselineResult{Seconds: s, EventsPerSec: float64(o.Events) / s, Rows: rows}
		}
	}
	return res, nil
}

// HasBaseline reports whether query q has a hand-written loop.
func HasBaseline(q string) bool { return baselines[q] != nil }

// Header and Row format results as a markdown table.
const Header = "| query | events | seconds | events/s | events/s per core | GOMAXPROCS | peak sys MiB | peak heap MiB | state bytes | baseline events/s | engine/baseline |\n" +
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

// Row is the result as one row of the table under Header.
func (r *Result) Row() string {
	state, base, ratio := "-", "-", "-"
	if r.StateSize >= 0 {
		state = strconv.FormatInt(r.StateSize, 10)
	}
	if r.Baseline != nil {
		base = fmt.Sprintf("%.0f", r.Baseline.EventsPerSec)
		ratio = fmt.Sprintf("%.2f", r.Ratio())
	}
	return fmt.Sprintf("| %s | %d | %.2f | %.0f | %.0f | %d | %.1f | %.1f | %s | %s | %s |", r.Query, r.Events, r.Seconds,
		r.EventsPerSec, r.PerCore, r.GOMAXPROCS, mib(r.PeakSys), mib(r.PeakHeapInuse), state, base, ratio)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Report writes the result as labelled lines.
func (r *Result) Report(w io.Writer) {
	fmt.Fprintf(w, "query:              %s\n", r.Query)
	fmt.Fprintf(w, "events:             %d\n", r.Events)
	fmt.Fprintf(w, "seconds:            %.3f\n", r.Seconds)
	fmt.Fprintf(w, "events/s:           %.0f\n", r.EventsPerSec)
	fmt.Fprintf(w, "events/s per core:  %.0f (GOMAXPROCS %d)\n", r.PerCore, r.GOMAXPROCS)
	fmt.Fprintf(w, "peak memory:        sys %.1f MiB, heap in use %.1f MiB\n", mib(r.PeakSys), mib(r.PeakHeapInuse))
	if r.StateSize >= 0 {
		fmt.Fprintf(w, "state size:         %d bytes (last checkpoint, %d checkpoints)\n", r.StateSize, r.Checkpoints)
	} else {
		fmt.Fprintf(w, "state size:         n/a (no checkpoint completed)\n")
	}
	if r.Baseline != nil {
		fmt.Fprintf(w, "baseline events/s:  %.0f (hand-written loop, %.3f s, %d rows)\n", r.Baseline.EventsPerSec, r.Baseline.Seconds, r.Baseline.Rows)
		fmt.Fprintf(w, "engine/baseline:    %.2f\n", r.Ratio())
	}
}
