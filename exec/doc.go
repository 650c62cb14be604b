// Package exec runs a job graph: a task per parallel instance of every
// vertex, connected by bounded channels that carry a closed set of
// messages (data batch, watermark, barrier, end of input). A task whose
// one input is a one-to-one edge is chained: it runs in its upstream
// task's goroutine, which hands it the messages by calls (chain.go;
// Options.DisableChaining turns it off).
//
// Shape of a running job:
//   - source tasks read connector splits, stamp processing time, compute
//     per-split watermarks (largest event time seen minus the declared
//     delay, advancing after every row) and cut batches so that no row is
//     ever judged late against a watermark it would not see row by row;
//   - operator tasks call their Operator's hooks from one goroutine; the
//     watermark an operator sees is the minimum over its input channels,
//     idle ones left out: a source task whose splits are all idle (the
//     idle timeout, or readers that say so) sends an idle status, and a
//     task whose live inputs are all idle sends it on, as Flink's
//     watermark status travels (valve.go);
//   - the instances of one source keep within two read rounds of event time
//     of each other while they have a backlog (a bounded wait, see
//     source_align.go), so that downstream event-time state does not grow
//     when the scheduler favours one of them;
//   - edges are Forward (one to one), Hash (by key group of key columns),
//     Rebalance (round robin) or Global (everything to instance 0); a
//     hash-partitioned edge cuts per-target batches of the batch size,
//     sent when full and at every flush (end of an input batch, watermark,
//     barrier, end of input);
//   - a full channel blocks its producer (backpressure); nothing is dropped;
//   - the first task error cancels the whole job and is returned by Run;
//   - a stop is honoured within about a second: operators check
//     Context.Stopped in loops their input does not bound and return
//     ErrStopped, abandoning that work; a stop that takes a last
//     checkpoint or savepoint gives it up once an operator has been inside
//     one call for BusyLimit (see stop.go), so the job then ends at its
//     last complete checkpoint.
package exec
