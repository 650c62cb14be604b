package nexmark

import (
	stdbytes "bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/catalog"
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
	// EventRate, when > 0, sets the generator's event-time rate (the
	// nexmark option 'events-per-second', default 10000) for every run;
	// tests lower it to get many windows out of few events.
	EventRate float64
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
	// Latency also runs the query with its sources paced at Rate events
	// (of all types) per second of wall clock (0: half the throughput the
	// run just measured) over LatencyEvents events (0: Events) and
	// measures the latency of its window results (queries with
	// HasLatency only).
	Latency       bool
	Rate          float64
	LatencyEvents int64
	// AllEvents makes every nexmark source generate every event of every
	// type, with all its columns, and the query filter the ones it reads
	// (Flink's Nexmark setup); without it a table of bids generates only
	// bids. The throughput counts all events either way. Not with Baseline
	// (the loops read bids only).
	AllEvents bool
	// Set holds further configuration keys.
	Set map[string]string
	// HeapProfile, when set, receives a heap profile (pprof format) taken
	// near the run's peak heap: the sampler takes one, after a garbage
	// collection, whenever the heap in use grew by a tenth over the last
	// one taken, and keeps the last. The collections slow the run.
	HeapProfile io.Writer
}

// sql returns the query's statements for events events, with the
// options' event-time rate.
func (o Options) sql(events int64) (string, error) {
	script, err := SQL(o.Query, events)
	if err == nil && o.AllEvents {
		script, err = allEvents(script)
	}
	if err != nil || o.EventRate <= 0 {
		return script, err
	}
	return setSourceOptions(script, []catalog.Option{eventRateOption(o.EventRate)}), nil
}

// sampler records the peak of Sys and HeapInuse and, when eng is set,
// of the size of its jobs' latest checkpoints (summed over jobs).
type sampler struct {
	eng       *engine.Engine
	stop      chan struct{}
	done      sync.WaitGroup
	sys, heap uint64
	state     int64 // -1 until a checkpoint completed
	// profile, when wanted, is the heap profile taken at profiled bytes
	// of heap in use (see Options.HeapProfile).
	wantProfile bool
	profile     stdbytes.Buffer
	profiled    uint64
}

func startSampler(every time.Duration, eng *engine.Engine, profile bool) *sampler {
	m := &sampler{eng: eng, stop: make(chan struct{}), state: -1, wantProfile: profile}
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

func (m *sampler) sample() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.sys = max(m.sys, s.Sys)
	m.heap = max(m.heap, s.HeapInuse)
	if m.wantProfile && s.HeapInuse > m.profiled+m.profiled/10 {
		// A heap profile shows the heap as of the last collection: collect
		// now, so that it shows what is live at this point of the run.
		runtime.GC()
		m.profile.Reset()
		if err := pprof.Lookup("heap").WriteTo(&m.profile, 0); err == nil {
			m.profiled = s.HeapInuse
		}
	}
	if m.eng == nil {
		return
	}
	state, any := int64(0), false
	for _, j := range m.eng.Jobs() {
		if md := j.LastCheckpoint(); md != nil {
			state, any = state+md.Size, true
		}
	}
	if any {
		m.state = max(m.state, state)
	}
}

func (m *sampler) finish() {
	close(m.stop)
	m.done.Wait()
	m.sample()
}

// newEngine returns an engine configured by o, and a function that
// removes its temporary checkpoint directory.
func newEngine(o Options) (*engine.Engine, func(), error) {
	cleanup := func() {}
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
			return nil, cleanup, err
		}
	}
	if o.StateBackend != "" {
		if err := set("state.backend", o.StateBackend); err != nil {
			return nil, cleanup, err
		}
	}
	if o.CheckpointInterval != "" {
		dir := o.CheckpointDir
		if dir == "" {
			d, err := os.MkdirTemp("", "nexmark-checkpoints-")
			if err != nil {
				return nil, cleanup, err
			}
			cleanup = func() { os.RemoveAll(d) }
			dir = d
		}
		if err := set("state.checkpoints.dir", dir); err != nil {
			return nil, cleanup, err
		}
		if err := set("execution.checkpointing.interval", o.CheckpointInterval); err != nil {
			return nil, cleanup, err
		}
	}
	for k, v := range o.Set {
		if err := set(k, v); err != nil {
			return nil, cleanup, err
		}
	}
	if size := conf.Get(engine.ProcessMemoryKey); size != "" {
		if _, err := engine.ApplyProcessMemory(conf); err != nil {
			return nil, cleanup, err
		}
	}
	return eng, cleanup, nil
}

// runScript runs script on eng to the end and returns the first job
// error.
func runScript(ctx context.Context, q string, eng *engine.Engine, script string) error {
	if err := eng.RunScript(ctx, script, io.Discard); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, j := range eng.Jobs() {
		if st, jerr := j.Status(); jerr != nil {
			return fmt.Errorf("%s: job %s %s: %w", q, j.ID, st, jerr)
		}
	}
	return nil
}

// Run runs the query into its blackhole sink and measures it; then, as
// asked, the hand-written loop and the latency run.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Events <= 0 {
		return nil, fmt.Errorf("the number of events must be positive, got %d", o.Events)
	}
	if o.AllEvents && o.Baseline {
		return nil, fmt.Errorf("the hand-written loops read bids only: run --baseline without --all-events")
	}
	script, err := o.sql(o.Events)
	if err != nil {
		return nil, err
	}
	if strings.Contains(script, "${TMPDIR}") {
		// Queries writing files (q10) write into a directory of their own.
		dir, err := os.MkdirTemp("", "nexmark-"+o.Query+"-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		script = strings.ReplaceAll(script, "${TMPDIR}", dir)
	}
	if o.GOMAXPROCS > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.GOMAXPROCS))
	}
	procs := runtime.GOMAXPROCS(0)
	res := &Result{Query: o.Query, Events: o.Events, GOMAXPROCS: procs, Parallelism: o.Parallelism, StateSize: -1, PeakStateSize: -1,
		CheckpointInterval: o.CheckpointInterval, StateBackend: o.StateBackend, AllEvents: o.AllEvents}

	eng, cleanup, err := newEngine(o)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	runtime.GC()
	mem := startSampler(100*time.Millisecond, eng, o.HeapProfile != nil)
	start := time.Now()
	err = runScript(ctx, o.Query, eng, script)
	res.Seconds = time.Since(start).Seconds()
	mem.finish()
	if err != nil {
		return nil, err
	}
	if o.HeapProfile != nil {
		if _, err := o.HeapProfile.Write(mem.profile.Bytes()); err != nil {
			return nil, fmt.Errorf("writing the heap profile: %w", err)
		}
	}
	for _, j := range eng.Jobs() {
		if md := j.LastCheckpoint(); md != nil {
			res.StateSize = max(res.StateSize, 0) + md.Size
			res.Checkpoints = max(res.Checkpoints, md.CheckpointID)
		}
	}
	res.PeakSys, res.PeakHeapInuse, res.PeakStateSize = mem.sys, mem.heap, mem.state
	res.EventsPerSec = float64(o.Events) / res.Seconds
	res.PerCore = res.EventsPerSec / float64(procs)

	if o.Baseline {
		if loop := baselines[o.Query]; loop != nil {
			runtime.GC()
			start := time.Now()
			rows, err := loop(ctx, Input{Events: o.Events, EventsPerSecond: o.EventRate})
			if err != nil {
				return nil, fmt.Errorf("%s baseline: %w", o.Query, err)
			}
			s := time.Since(start).Seconds()
			res.Baseline = &BaselineResult{Seconds: s, EventsPerSec: float64(o.Events) / s, Rows: rows}
		}
	}
	if o.Latency && HasLatency(o.Query) {
		rate := o.Rate
		if rate <= 0 {
			rate = res.EventsPerSec / 2
		}
		if res.Latency, err = runLatency(ctx, o, rate); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// runLatency runs the query with paced, logging sources and a sink that
// notes when window rows arrive (see latency.go).
func runLatency(ctx context.Context, o Options, rate float64) (*LatencyResult, error) {
	spec := latencySpecs[o.Query]
	events := o.LatencyEvents
	if events <= 0 {
		events = o.Events
	}
	script, err := o.sql(events)
	if err != nil {
		return nil, err
	}
	if spec.rewrite != nil {
		if script, err = spec.rewrite(script); err != nil {
			return nil, err
		}
	}
	run := newLatencyRun(spec)
	id, done := addRun(run)
	defer done()
	script = paceSources(script, rate)
	script = replaceConnector(script, "nexmark", timedSourceConnector, catalog.Option{Key: runOption, Value: id})
	script = replaceConnector(script, "blackhole", latencySinkConnector, catalog.Option{Key: runOption, Value: id})
	eng, cleanup, err := newEngine(o)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	runtime.GC()
	start := time.Now()
	if err := runScript(ctx, o.Query+" latency run", eng, script); err != nil {
		return nil, err
	}
	res := run.result()
	res.Rate, res.Events = rate, events
	res.Seconds = time.Since(start).Seconds()
	res.EventsPerSec = float64(events) / res.Seconds
	return res, nil
}

// HasBaseline reports whether query q has a hand-written loop.
func HasBaseline(q string) bool { return baselines[q] != nil }
