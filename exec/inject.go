package exec

import (
	"fmt"
	"time"
)

// holdLimit bounds how long holdInput holds a source: input resumes
// then even when no checkpoint completed, and the job is not failed.
const holdLimit = 5 * time.Second

// holdInput holds the source task, once its vertex has read rows, until
// Options.HoldInput is closed (FailAfterCheckpoint closes it when the
// job's first checkpoint completed), at most holdLimit. Recovery tests use it so that
// a checkpoint completes while input remains, however small the input:
// FailAfterCheckpoint then fails the job mid-input. While it holds, the
// task handles its checkpointer messages, so barriers pass; it is called
// before the task reads its next batch, so a barrier covers every row
// read. It reports, like pollControl, whether the task is done.
func (t *sourceTask) holdInput() (bool, error) {
	hold := t.job.opts.HoldInput
	if hold == nil || t.metrics.RowsIn.Load() == 0 {
		return false, nil
	}
	limit := time.NewTimer(holdLimit)
	defer limit.Stop()
	for {
		select {
		case <-t.chainTicks:
			if err := chainTick(t.chain, t.job.opts.Now()); err != nil {
				return false, err
			}
		case <-hold:
			return false, nil
		case <-limit.C:
			return false, nil
		case <-t.job.ctx.Done():
			return false, nil
		case c := <-t.ctrl: // nil without checkpointing: never ready
			if done, err := t.handleControl(c); err != nil || done {
				return done, err
			}
			if t.stopping {
				return false, nil
			}
		}
	}
}

// FailAfterCheckpoint injects one failure into the job for recovery tests:
// it waits for the first checkpoint id on completed (the caller sends the
// ids its CheckpointConfig.OnComplete sees), arms the sources and closes
// hold (the job's Options.HoldInput: the sources held after their first
// rows resume). The first source task that reads rows after that fails
// the job before it emits them (failIfArmed), so that the failure falls
// after a completed checkpoint and while input remains: a restart must
// restore that checkpoint and replay what followed it.
//
// The caller starts it once per attempt it wants to fail, right after
// Start, and closes neither channel itself. It returns at once; its
// goroutine ends with the job. When the sources read nothing more after
// the first completed checkpoint (the input ended before it), the job is
// not failed.
func (j *Job) FailAfterCheckpoint(completed <-chan int64, hold chan struct{}) {
	go func() {
		select {
		case id := <-completed:
			j.failAfter.Store(id)
			close(hold)
		case <-j.ctx.Done():
		case <-j.done:
		}
	}()
}

// failIfArmed fails the job when FailAfterCheckpoint armed it; the source
// task calls it with the rows it has just read and, when it reports true,
// ends without emitting them.
func (t *sourceTask) failIfArmed(rows int) bool {
	id := t.job.failAfter.Load()
	if id == 0 {
		return false
	}
	t.job.fail(fmt.Errorf("injected failure after checkpoint %d (source %s read %d rows after it)", id, t.v.Name, rows))
	return true
}
