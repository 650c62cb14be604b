package exec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/state"
)

// Options configure a job run.
type Options struct {
	JobID string
	// Now returns wall-clock milliseconds; defaults to time.Now.
	Now func() int64
	// NewBackend creates the state backend of one operator instance;
	// defaults to the hashmap backend.
	NewBackend func(operatorID string, instance int, kgs state.KeyGroupRange) (state.Backend, error)
	// ChannelCapacity is the number of messages an edge channel buffers.
	ChannelCapacity int
	// TickInterval is how often operators get OnTick (default 100 ms).
	TickInterval time.Duration
	// Checkpoint turns on checkpointing (nil: off).
	Checkpoint *CheckpointConfig
	// FailAfterRows > 0 injects a task failure once a sink vertex has
	// received that many rows (fault-injection tests of recovery).
	FailAfterRows int64
	// SourceBatchDelay pauses source tasks after every batch (tests that
	// need checkpoints to fall between batches of a small input).
	SourceBatchDelay time.Duration
	// DisableChaining runs every vertex instance as a task of its own
	// goroutine, chaining none (see chain.go).
	DisableChaining bool
	// HoldInput, when set, holds every source task after its first
	// non-empty batch until the channel is closed (see holdInput).
	HoldInput <-chan struct{}
}

// Job is a running job graph.
type Job struct {
	graph   *JobGraph
	opts    Options
	ctx     context.Context
	cancel  context.CancelCauseFunc
	wg      sync.WaitGroup
	metrics [][]*Metrics // by vertex, then instance
	done    chan struct{}
	errOnce sync.Once
	err     error

	cp  *CheckpointConfig // nil without checkpointing
	cpr *checkpointer
	// lastTriggered is the id of the checkpoint triggered last.
	lastTriggered atomic.Int64
	restore       *restorePlan
	barriers      sync.Map // checkpoint id -> barrierInfo

	// stopping is set once ctx is done (see Context.Stopped).
	stopping atomic.Bool
	// started is when Start was called (the base of rates).
	started time.Time
	// opTasks are the operator tasks, for busiest (set before they start).
	opTasks []*operatorTask
	// chainedFrom[v] is the vertex whose task runs vertex v, or -1 (chain.go).
	chainedFrom []int
	// failAfter is the id of the completed checkpoint after which the next
	// rows a source reads fail the job (FailAfterCheckpoint); 0: none.
	failAfter atomic.Int64
}

var errJobEnded = errors.New("job ended")

// ErrCancelled is the error of a job stopped by Cancel.
var ErrCancelled = errors.New("job cancelled")

// Start launches every task of g and returns at once.
func Start(parent context.Context, g *JobGraph, opts Options) (*Job, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if opts.NewBackend == nil {
		opts.NewBackend = func(id string, inst int, kgs state.KeyGroupRange) (state.Backend, error) {
			return state.NewHashMapBackendFor(id, inst, kgs), nil
		}
	}
	if opts.ChannelCapacity <= 0 {
		opts.ChannelCapacity = 16
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = 100 * time.Millisecond
	}
	if g.BatchSize <= 0 {
		g.BatchSize = 1024
	}
	if g.MaxParallelism <= 0 {
		g.MaxParallelism = state.DefaultMaxParallelism
	}
	ctx, cancel := context.WithCancelCause(parent)
	j := &Job{graph: g, opts: opts, ctx: ctx, cancel: cancel, done: make(chan struct{}), cp: opts.Checkpoint, started: time.Now()}
	context.AfterFunc(ctx, func() { j.stopping.Store(true) }) // also when parent is cancelled
	if j.cp != nil {
		rp, err := newRestorePlan(g, j.cp.Restore)
		if err != nil {
			cancel(err)
			return nil, err
		}
		j.restore = rp
	}
	for _, v := range g.Vertices {
		ms := make([]*Metrics, v.Parallelism)
		for i := range ms {
			ms[i] = newMetrics()
		}
		j.metrics = append(j.metrics, ms)
	}

	// inputs[v][instance] lists the channels feeding that instance.
	type inChan struct {
		ch    chan Message
		input int
	}
	inputs := make([][][]inChan, len(g.Vertices))
	outs := make([][]*collector, len(g.Vertices))
	for vi, v := range g.Vertices {
		inputs[vi] = make([][]inChan, v.Parallelism)
		outs[vi] = make([]*collector, v.Parallelism)
		for i := range outs[vi] {
			outs[vi][i] = newCollector(ctx, len(v.Schema), g.BatchSize, j.metrics[vi][i])
		}
	}
	// chainedFrom[v] is the vertex whose task runs v's (chain.go), or -1;
	// chainEdge[v][i], of a chained v, the edge of its upstream's
	// instance i that hands it its messages.
	chainedFrom := chainLinks(g)
	if opts.DisableChaining {
		for i := range chainedFrom {
			chainedFrom[i] = -1
		}
	}
	heads := chainHeads(chainedFrom)
	j.chainedFrom = chainedFrom
	chainEdge := make([][]*outEdge, len(g.Vertices))
	for vi, v := range g.Vertices {
		for ei, e := range v.Inputs {
			up := g.Vertices[e.From]
			for ui := 0; ui < up.Parallelism; ui++ {
				var targets []chan Message
				switch {
				case chainedFrom[vi] == e.From:
					// chained: instance ui hands its messages to instance ui
					// by calls (outEdge.next, set with the tasks below)
					targets = []chan Message{nil}
				case e.Partitioning == Forward:
					ch := make(chan Message, opts.ChannelCapacity)
					targets = []chan Message{ch}
					inputs[vi][ui] = append(inputs[vi][ui], inChan{ch, ei})
				case e.Partitioning == Global:
					ch := make(chan Message, opts.ChannelCapacity)
					targets = []chan Message{ch}
					inputs[vi][0] = append(inputs[vi][0], inChan{ch, ei})
				default:
					for di := 0; di < v.Parallelism; di++ {
						ch := make(chan Message, opts.ChannelCapacity)
						targets = append(targets, ch)
						inputs[vi][di] = append(inputs[vi][di], inChan{ch, ei})
					}
				}
				oe := outs[e.From][ui].addEdge(e.Partitioning, e.KeyCols, targets, g.MaxParallelism)
				if chainedFrom[vi] == e.From {
					chainEdge[vi] = append(chainEdge[vi], oe)
				}
			}
		}
	}

	// Sources list their splits before any task starts, so that a bad
	// configuration fails the start rather than a task.
	splits := make([][]connectors.Split, len(g.Vertices))
	for vi, v := range g.Vertices {
		if v.Source == nil {
			continue
		}
		sp := v.Source.Splits
		var err error
		if sp == nil {
			sp, err = v.Source.Source.Splits(v.Parallelism)
		}
		if rs, ok := v.Source.Source.(connectors.SplitRestorer); ok && err == nil {
			if op := j.restore.op(v.ID); op != nil {
				sp, err = rs.RestoreSplits(sp, restoredPositions(op))
			}
		}
		if err != nil {
			if !namesTable(err, v.Source.Table.Name) {
				err = fmt.Errorf("source %s: %w", v.Source.Table.Name, err)
			}
			cancel(err)
			return nil, err
		}
		splits[vi] = sp
	}

	var tasks []checkpoint.TaskID
	ctrls := make([][]chan control, len(g.Vertices))
	if j.cp != nil {
		j.cpr = &checkpointer{job: j, cfg: j.cp, events: make(chan taskEvent, 1024),
			requests: make(chan savepointReq), waiting: map[int64]savepointReq{}}
		for vi, v := range g.Vertices {
			for inst := 0; inst < v.Parallelism; inst++ {
				tasks = append(tasks, checkpoint.TaskID{OperatorID: v.ID, Instance: inst})
				if heads[vi] != vi {
					// a chained task reads its head's channel (chainControl)
					ctrls[vi] = append(ctrls[vi], ctrls[heads[vi]][inst])
					continue
				}
				ch := make(chan control, 1024)
				ctrls[vi] = append(ctrls[vi], ch)
				j.cpr.tasks = append(j.cpr.tasks, ch)
				if v.Source != nil {
					j.cpr.sources = append(j.cpr.sources, ch)
					j.cpr.nSources++
				}
			}
		}
		var last int64
		if j.cp.Restore != nil {
			last = j.cp.Restore.CheckpointID
		}
		if l, err := j.cp.Store.LastID(); err == nil && l > last {
			last = l
		}
		last = max(last, j.cp.AfterID)
		cc := j.cp.Coordinator
		cc.JobName = g.Name
		cc.MaxParallelism = g.MaxParallelism
		cc.Stage = g.Stage
		cc.OperatorNames = map[string]string{}
		for _, v := range g.Vertices {
			cc.OperatorNames[v.ID] = v.Name
		}
		j.cpr.coord = checkpoint.NewCoordinator(cc, tasks, last, time.UnixMilli(opts.Now()))
	}
	ctrlOf := func(vi, inst int) chan control {
		if ctrls[vi] == nil {
			return nil
		}
		return ctrls[vi][inst]
	}

	// The tasks, by vertex and instance; chained ones join their head's
	// chain and get no goroutine of their own.
	type headTask struct {
		run     func() error
		chain   *[]*operatorTask    // the head's chain
		control func(control) error // what the head does with a control message for the chain
	}
	taskOf := make([][]headTask, len(g.Vertices))
	for vi, v := range g.Vertices {
		taskOf[vi] = make([]headTask, v.Parallelism)
		var aligner *sourceAlign
		if v.Source != nil && v.Source.Watermark != nil && v.Parallelism > 1 && len(splits[vi]) > 1 && statefulDownstream(g, vi) {
			aligner = newSourceAlign(v.Parallelism)
		}
		for inst := 0; inst < v.Parallelism; inst++ {
			if v.Source != nil {
				var mine []connectors.Split
				for k, s := range splits[vi] {
					if k%v.Parallelism == inst {
						mine = append(mine, s)
					}
				}
				t := &sourceTask{job: j, v: v, metrics: j.metrics[vi][inst], instance: inst, splits: mine, out: outs[vi][inst], ctrl: ctrlOf(vi, inst), aligner: aligner}
				t.busy.m = t.metrics
				t.out.busy = &t.busy
				taskOf[vi][inst] = headTask{run: t.run, chain: &t.chain,
					control: func(c control) error { return chainControl(t.chain, c) }}
				continue
			}
			var chans []chan Message
			var inputIdx []int
			for _, ic := range inputs[vi][inst] {
				chans = append(chans, ic.ch)
				inputIdx = append(inputIdx, ic.input)
			}
			t := &operatorTask{job: j, v: v, vi: vi, instance: inst, chans: chans, inputOf: inputIdx, out: outs[vi][inst], ctrl: ctrlOf(vi, inst)}
			t.busy.m = j.metrics[vi][inst]
			t.out.busy = &t.busy
			j.opTasks = append(j.opTasks, t) // read by busiest only after Start returns
			if h := heads[vi]; h != vi {
				t.chans, t.inputOf = chainedInput()
				chainEdge[vi][inst].next = t
				*taskOf[h][inst].chain = append(*taskOf[h][inst].chain, t)
				t.headControl = taskOf[h][inst].control
				continue
			}
			taskOf[vi][inst] = headTask{run: t.run, chain: &t.chain, control: t.controlChain}
		}
	}
	for vi, v := range g.Vertices {
		if heads[vi] != vi {
			continue
		}
		for inst := 0; inst < v.Parallelism; inst++ {
			j.wg.Add(1)
			go j.run(vi, inst, taskOf[vi][inst].run)
		}
	}
	cpDone := make(chan struct{})
	if j.cpr != nil {
		go func() {
			defer close(cpDone)
			j.cpr.run()
		}()
	} else {
		close(cpDone)
	}
	go func() {
		j.wg.Wait()
		// Stop the checkpointer of a job that ended on its own, and wait
		// for it: a restart must not overlap an old attempt's checkpoint
		// writes or deletions.
		j.cancel(errJobEnded)
		<-cpDone
		close(j.done)
	}()
	return j, nil
}

// run executes one task, converting a panic into a job failure.
func (j *Job) run(vi, inst int, fn func() error) {
	v := j.graph.Vertices[vi]
	defer j.wg.Done()
	defer j.metrics[vi][inst].Ended.Store(true)
	defer func() {
		if r := recover(); r != nil {
			j.fail(fmt.Errorf("internal error in operator %s (instance %d): %v", v.Name, inst, r))
		}
	}()
	if err := fn(); err != nil {
		j.fail(err)
	}
}

func (j *Job) fail(err error) {
	if err == nil || errors.Is(err, context.Canceled) && j.ctx.Err() != nil {
		return
	}
	j.errOnce.Do(func() {
		j.err = err
		j.stopping.Store(true)
		j.cancel(err)
	})
}

// Cancel stops the job; Wait then returns ErrCancelled (unless it had
// already failed or finished).
func (j *Job) Cancel() {
	j.errOnce.Do(func() { j.err = ErrCancelled })
	j.stopping.Store(true)
	j.cancel(ErrCancelled)
}

// Wait blocks until every task has ended and returns the job's error (nil
// when every source ended and all output was delivered).
func (j *Job) Wait() error {
	<-j.done
	return j.err
}

// Done is closed when every task has ended.
func (j *Job) Done() <-chan struct{} { return j.done }

// Metrics returns the counters of vertex vi summed over its instances.
func (j *Job) Metrics(vi int) VertexMetrics { return sumMetrics(j.metrics[vi]) }

// SubtaskMetrics returns the counters of each instance of vertex vi, by
// instance (live: they keep counting while the job runs).
func (j *Job) SubtaskMetrics(vi int) []*Metrics { return j.metrics[vi] }

// StartedAt is when the job started.
func (j *Job) StartedAt() time.Time { return j.started }

// Chained reports whether vertex vi runs chained in the task of its one
// input's vertex (see chain.go).
func (j *Job) Chained(vi int) bool { return j.chainedFrom[vi] >= 0 }

// Graph returns the job graph.
func (j *Job) Graph() *JobGraph { return j.graph }

func (j *Job) newContext(v *Vertex, inst int, out Output, m *Metrics) (*Context, error) {
	kgs := state.RangeFor(j.graph.MaxParallelism, v.Parallelism, inst)
	if v.KeyGroups != nil && v.Parallelism == 1 {
		kgs = *v.KeyGroups
	}
	be, err := j.opts.NewBackend(v.ID, inst, kgs)
	if err != nil {
		return nil, err
	}
	return &Context{Ctx: j.ctx, JobID: j.opts.JobID, OperatorID: v.ID, Name: v.Name, Instance: inst,
		Parallelism: v.Parallelism, MaxParallelism: j.graph.MaxParallelism, KeyGroups: kgs,
		State: be, Out: out, Metrics: m, Now: j.opts.Now, Checkpointing: j.cp != nil, stop: &j.stopping}, nil
}

// cpEvent sends a task's acknowledgement or notice to the checkpointer.
func (j *Job) cpEvent(ev taskEvent) {
	if j.cpr == nil {
		return
	}
	select {
	case j.cpr.events <- ev:
	case <-j.ctx.Done():
	}
}

func (j *Job) barrierInfo(b Barrier) barrierInfo {
	if v, ok := j.barriers.Load(b.CheckpointID); ok {
		return v.(barrierInfo)
	}
	return barrierInfo{savepoint: b.Savepoint}
}

// restoreStorage is where the restored checkpoint's files are read from.
func (j *Job) restoreStorage() storage.Storage {
	if j.cp != nil && j.cp.Restore != nil && j.cp.Restore.Storage != nil {
		return j.cp.Restore.Storage
	}
	return j.cp.Storage
}
