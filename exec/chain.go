package exec

import "fmt"

// Operator chaining: a vertex whose one input is a one-to-one edge runs
// in its upstream's task, as Flink chains operators: the upstream's
// collector hands each message (batch, watermark, barrier, end of input)
// to the chained task's message handler by a call instead of a channel,
// so the rows of a chain
// stay on one goroutine (and one core's cache) and cost no channel
// hand-off. A chain is a tree: an operator read by several others over
// one-to-one edges runs them all (in the order of its edges). Only edges
// that fan out or in (hash, rebalance, global, the inputs of a vertex
// with several inputs) or change the parallelism cross goroutines.
//
// A chained task keeps everything of its own: its operator and state
// backend, its metrics and busy clock, its watermark valve and its
// checkpoint alignment (with one input a barrier completes at once),
// its committer. What the head task (the goroutine's task: a source or
// an operator task) does for it:
//   - opens it before reading any input and closes it when it ends,
//     on every path (open and close of the whole chain: chainOpen,
//     chainClose);
//   - gives it OnTick at the tick interval, after its own (chainTick;
//     a source head between its read rounds and while it waits);
//   - hands it the checkpointer's notices: a chain has one control
//     channel, the head's, which the checkpointer notifies once
//     (chainControl);
//   - runs its Finish when its input ends, within the call that
//     delivered the end (receive).
//
// Job graphs chain by default; Options.DisableChaining turns it off
// (pipeline.operator-chaining = false), giving every vertex instance a
// goroutine of its own as before. Checkpoints are the same either way
// (per vertex and instance), so a job restores across the setting.

// chainLinks returns, for every vertex, the vertex whose task runs it
// as a chained task (its one input's vertex), or -1. A vertex v is
// chained to u when v is an operator with one input, from u, over a
// Forward edge (or any edge between two vertices at parallelism 1,
// which is one to one too). u may feed other vertices as well, chained
// or not: a chain is a tree, as a source read by two filters is one
// task with both.
func chainLinks(g *JobGraph) []int {
	from := make([]int, len(g.Vertices))
	for vi, v := range g.Vertices {
		from[vi] = -1
		if v.Source != nil || len(v.Inputs) != 1 {
			continue
		}
		e := v.Inputs[0]
		if g.Vertices[e.From].Parallelism != v.Parallelism {
			continue
		}
		if e.Partitioning == Forward || v.Parallelism == 1 {
			from[vi] = e.From
		}
	}
	return from
}

// chainHeads returns, for every vertex, the vertex whose task runs it:
// itself for a head, its chain's first vertex for a chained one (from
// is chainLinks's answer).
func chainHeads(from []int) []int {
	head := make([]int, len(from))
	// Vertices are in topological order: a vertex's upstream, and so its
	// head, comes first.
	for v, u := range from {
		head[v] = v
		if u >= 0 {
			head[v] = head[u]
		}
	}
	return head
}

// handOff delivers m to the chained task next, within the calling
// task's goroutine. An error of the chained task fails the job and
// stops this collector (err set), as a cancelled send does; so does a
// chained task whose own output was stopped.
func (c *collector) handOff(next *operatorTask, m Message) {
	if c.err != nil {
		return
	}
	if c.busy != nil {
		c.busy.handOff()
	}
	err := next.receive(m)
	if c.busy != nil {
		c.busy.handedBack()
	}
	if err != nil {
		next.job.fail(err)
		c.err = err
		return
	}
	if next.out.err != nil {
		c.err = next.out.err
	}
}

// receive handles message m from the task this one is chained to, and
// finishes the task (final watermark, Finish, end of its output) when m
// ended its input. A panic in the operator becomes the job's error,
// naming this operator.
func (t *operatorTask) receive(m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in operator %s (instance %d): %v", t.v.Name, t.instance, r)
		}
	}()
	if err := t.message(0, m); err != nil {
		return err
	}
	if t.active == 0 && !t.finished {
		t.finished = true
		err := t.finish()
		t.m.Ended.Store(true)
		return err
	}
	return nil
}

// chainOpen opens the tasks chained to a head task, in chain order,
// then replays their restored in-flight rows: every task of the chain
// is open before any of them emits. The caller closes them with
// chainClose, also when chainOpen fails.
func chainOpen(chain []*operatorTask) error {
	for _, m := range chain {
		if err := m.open(); err != nil {
			return err
		}
	}
	for _, m := range chain {
		if err := m.replay(); err != nil {
			return err
		}
	}
	return nil
}

// chainClose closes the tasks of a chain that were opened, last first,
// and marks them ended.
func chainClose(chain []*operatorTask) {
	for i := len(chain) - 1; i >= 0; i-- {
		t := chain[i]
		t.close()
		t.job.metrics[t.vi][t.instance].Ended.Store(true) // also when never opened
	}
}

// chainTick gives every chained task of a chain OnTick, in chain order
// (each flushes what it emitted to the next before the next ticks).
func chainTick(chain []*operatorTask, now int64) error {
	for _, m := range chain {
		if m.finished {
			continue
		}
		if err := m.tick(now); err != nil {
			return err
		}
		if m.out.err != nil {
			return nil
		}
	}
	return nil
}

// chainControl hands checkpointer message c, read by the head task from
// the chain's control channel, to every chained task.
func chainControl(chain []*operatorTask, c control) error {
	for _, m := range chain {
		if err := m.control(c); err != nil {
			return err
		}
	}
	return nil
}

// chainedInput is the input channel list of a chained task: one input,
// delivered by calls (a nil channel, never read).
func chainedInput() ([]chan Message, []int) {
	return []chan Message{nil}, []int{0}
}
