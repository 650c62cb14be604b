package exec

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

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
}

// Job is a running job graph.
type Job struct {
	graph   *JobGraph
	opts    Options
	ctx     context.Context
	cancel  context.CancelCauseFunc
	wg      sync.WaitGroup
	metrics []*Metrics
	done    chan struct{}
	errOnce sync.Once
	err     error
}

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
		opts.NewBackend = func(_ string, _ int, kgs state.KeyGroupRange) (state.Backend, error) {
			return state.NewHashMapBackend(kgs), nil
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
	j := &Job{graph: g, opts: opts, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	for range g.Vertices {
		m := &Metrics{}
		m.Watermark.Store(MinWatermark)
		j.metrics = append(j.metrics, m)
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
			outs[vi][i] = newCollector(ctx, len(v.Schema), g.BatchSize, j.metrics[vi])
		}
	}
	for vi, v := range g.Vertices {
		for ei, e := range v.Inputs {
			up := g.Vertices[e.From]
			for ui := 0; ui < up.Parallelism; ui++ {
				var targets []chan Message
				switch e.Partitioning {
				case Forward:
					ch := make(chan Message, opts.ChannelCapacity)
					targets = []chan Message{ch}
					inputs[vi][ui] = append(inputs[vi][ui], inChan{ch, ei})
				case Global:
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
				outs[e.From][ui].addEdge(e.Partitioning, e.KeyCols, targets, g.MaxParallelism)
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
		if v.Source.Splits != nil {
			splits[vi] = v.Source.Splits
			continue
		}
		sp, err := v.Source.Source.Splits(v.Parallelism)
		if err != nil {
			cancel(err)
			return nil, fmt.Errorf("source %s: %w", v.Source.Table.Name, err)
		}
		splits[vi] = sp
	}

	for vi, v := range g.Vertices {
		for inst := 0; inst < v.Parallelism; inst++ {
			j.wg.Add(1)
			if v.Source != nil {
				var mine []connectors.Split
				for k, s := range splits[vi] {
					if k%v.Parallelism == inst {
						mine = append(mine, s)
					}
				}
				t := &sourceTask{job: j, v: v, metrics: j.metrics[vi], instance: inst, splits: mine, out: outs[vi][inst]}
				go j.run(v, inst, t.run)
				continue
			}
			var chans []chan Message
			var inputIdx []int
			for _, ic := range inputs[vi][inst] {
				chans = append(chans, ic.ch)
				inputIdx = append(inputIdx, ic.input)
			}
			t := &operatorTask{job: j, v: v, vi: vi, instance: inst, chans: chans, inputOf: inputIdx, out: outs[vi][inst]}
			go j.run(v, inst, t.run)
		}
	}
	go func() {
		j.wg.Wait()
		close(j.done)
	}()
	return j, nil
}

// run executes one task, converting a panic into a job failure.
func (j *Job) run(v *Vertex, inst int, fn func() error) {
	defer j.wg.Done()
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
		j.cancel(err)
	})
}

// Cancel stops the job; Wait then returns ErrCancelled (unless it had
// already failed or finished).
func (j *Job) Cancel() {
	j.errOnce.Do(func() { j.err = ErrCancelled })
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

// Metrics returns the counters of vertex vi.
func (j *Job) Metrics(vi int) *Metrics { return j.metrics[vi] }

// Graph returns the job graph.
func (j *Job) Graph() *JobGraph { return j.graph }

func (j *Job) newContext(v *Vertex, inst int, out Output, m *Metrics) (*Context, error) {
	kgs := state.RangeFor(j.graph.MaxParallelism, v.Parallelism, inst)
	be, err := j.opts.NewBackend(v.ID, inst, kgs)
	if err != nil {
		return nil, err
	}
	return &Context{Ctx: j.ctx, JobID: j.opts.JobID, OperatorID: v.ID, Name: v.Name, Instance: inst,
		Parallelism: v.Parallelism, MaxParallelism: j.graph.MaxParallelism, KeyGroups: kgs,
		State: be, Out: out, Metrics: m, Now: j.opts.Now}, nil
}

// operatorTask runs one instance of an operator vertex.
type operatorTask struct {
	job      *Job
	v        *Vertex
	vi       int
	instance int
	chans    []chan Message
	inputOf  []int // edge index of each channel
	out      *collector
}

func (t *operatorTask) run() error {
	m := t.job.metrics[t.vi]
	op := t.v.NewOperator()
	ctx, err := t.job.newContext(t.v, t.instance, t.out, m)
	if err != nil {
		return err
	}
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return fmt.Errorf("%s: %w", t.v.Name, err)
	}
	n := len(t.chans)
	wms := make([]int64, n)
	idle := make([]bool, n)
	ended := make([]bool, n)
	for i := range wms {
		wms[i] = MinWatermark
	}
	cur := MinWatermark
	active := n
	ticker := time.NewTicker(t.job.opts.TickInterval)
	defer ticker.Stop()
	done := t.job.ctx.Done()

	// Cases for reflect.Select when there are several inputs: 0 = done,
	// 1 = ticker, 2.. = channels.
	cases := make([]reflect.SelectCase, 2+n)
	cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(done)}
	cases[1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ticker.C)}
	for i, ch := range t.chans {
		cases[2+i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)}
	}

	advance := func() error {
		min := MaxWatermark
		anyActive := false
		for i := range wms {
			if ended[i] || idle[i] {
				continue
			}
			anyActive = true
			if wms[i] < min {
				min = wms[i]
			}
		}
		if !anyActive {
			// Every live input is idle: hold the watermark.
			allEnded := true
			for i := range ended {
				if !ended[i] {
					allEnded = false
				}
			}
			if !allEnded {
				return nil
			}
			min = MaxWatermark
		}
		if min > cur {
			cur = min
			if err := op.ProcessWatermark(cur); err != nil {
				return fmt.Errorf("%s: %w", t.v.Name, err)
			}
			if t.instance == 0 {
				m.Watermark.Store(cur)
			}
			t.out.broadcast(Message{Kind: MsgWatermark, Watermark: cur})
		}
		return t.out.err
	}

	for active > 0 {
		var msg Message
		var ci int
		if n == 1 {
			select {
			case <-done:
				return nil
			case now := <-ticker.C:
				if err := op.OnTick(now.UnixMilli()); err != nil {
					return fmt.Errorf("%s: %w", t.v.Name, err)
				}
				t.out.flush()
				continue
			case msg = <-t.chans[0]:
			}
		} else {
			chosen, rv, _ := reflect.Select(cases)
			switch chosen {
			case 0:
				return nil
			case 1:
				if err := op.OnTick(t.job.opts.Now()); err != nil {
					return fmt.Errorf("%s: %w", t.v.Name, err)
				}
				t.out.flush()
				continue
			}
			ci = chosen - 2
			msg = rv.Interface().(Message)
		}
		switch msg.Kind {
		case MsgBatch:
			idle[ci] = false
			m.RowsIn.Add(int64(msg.Batch.Len()))
			if err := op.ProcessBatch(t.inputOf[ci], msg.Batch); err != nil {
				return fmt.Errorf("%s: %w", t.v.Name, err)
			}
			t.out.flush()
		case MsgWatermark:
			if msg.Idle {
				idle[ci] = true
			} else {
				idle[ci] = false
				if msg.Watermark > wms[ci] {
					wms[ci] = msg.Watermark
				}
			}
			if err := advance(); err != nil {
				return err
			}
		case MsgBarrier:
			// Checkpoint alignment arrives with the checkpoint coordinator;
			// until then barriers are forwarded as they come.
			if err := op.SnapshotState(msg.Barrier.CheckpointID); err != nil {
				return fmt.Errorf("%s: %w", t.v.Name, err)
			}
			t.out.broadcast(msg)
		case MsgEnd:
			ended[ci] = true
			active--
			if n > 1 {
				cases[2+ci].Chan = reflect.Value{} // a nil channel is never ready
			}
			if err := advance(); err != nil {
				return err
			}
		}
		if t.out.err != nil {
			return nil // cancelled
		}
	}
	if cur < MaxWatermark {
		cur = MaxWatermark
		if err := op.ProcessWatermark(cur); err != nil {
			return fmt.Errorf("%s: %w", t.v.Name, err)
		}
	}
	if err := op.Finish(); err != nil {
		return fmt.Errorf("%s: %w", t.v.Name, err)
	}
	if t.instance == 0 {
		m.Watermark.Store(MaxWatermark)
	}
	t.out.broadcast(Message{Kind: MsgWatermark, Watermark: MaxWatermark})
	t.out.broadcast(Message{Kind: MsgEnd})
	return nil
}
