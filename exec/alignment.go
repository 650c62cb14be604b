package exec

import (
	"fmt"
	"reflect"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/types"
)

// Barrier handling of an operator task.
//
// Every input channel delivers the barriers of one checkpoint after the
// data that belongs before it, and barriers in increasing id order. A
// checkpoint is "aligning" at a task from its first barrier (on any
// input) until every live input delivered it. Several checkpoints can be
// aligning at once: in unaligned and at-least-once modes a task forwards
// a barrier as soon as the first copy arrives, so the barrier of
// checkpoint n+1 can reach a task on one input before the barrier of n
// reached it on another (a final checkpoint or a savepoint triggered while
// a periodic one is in flight, or MaxConcurrent > 1). That is normal, not
// a failure: each checkpoint completes on its own.
//
// Per mode, for checkpoint n:
//   - aligned (also every savepoint and the final checkpoint): an input
//     that delivered n is not read until every live input delivered it;
//     then the task snapshots, forwards n and acknowledges. Only the
//     newest aligning checkpoint can be aligned (a blocked input delivers
//     no newer barrier), so it never holds back an older one;
//   - unaligned: at the first barrier the task snapshots and forwards n at
//     once; rows read afterwards on an input that has not delivered n yet
//     are in flight for n and recorded as its channel state; when every
//     live input delivered n the recording is written and n acknowledged.
//     A row can be in flight for several aligning checkpoints and is then
//     recorded by each;
//   - at-least-once: the task snapshots, forwards and acknowledges at the
//     first barrier; later copies only count towards completion.
//
// A barrier of a checkpoint that is no longer aligning here (completed or
// declined) is a duplicate and ignored.

// alignment is one checkpoint aligning at a task. Owned by the task
// goroutine.
type alignment struct {
	id        int64
	info      barrierInfo
	mode      barrierMode
	seen      []bool // by input channel: its barrier arrived
	forwarded bool   // the barrier went downstream
	firstAt   int64  // unix ns the first barrier arrived
	// unaligned: the snapshot taken at the first barrier, and the rows
	// read since on each channel before its barrier, encoded.
	snapshot  *checkpoint.TaskState
	recording [][]byte
	recRows   []int64
}

type barrierMode uint8

const (
	modeAligned barrierMode = iota
	modeUnaligned
	modeAtLeastOnce
)

// modeOf is how a barrier with info is processed. Savepoints and the final
// checkpoint are always aligned (as in Flink): a savepoint must be
// self-contained, and after the final barrier no later checkpoint would
// commit rows that arrive after the first barrier.
func (t *operatorTask) modeOf(info barrierInfo) barrierMode {
	cp := t.job.cp
	switch {
	case info.savepoint || info.final:
		return modeAligned
	case cp.AtLeastOnce:
		return modeAtLeastOnce
	case cp.Unaligned:
		return modeUnaligned
	}
	return modeAligned
}

// barrier handles barrier b arriving on channel ci.
func (t *operatorTask) barrier(ci int, b Barrier) error {
	if t.job.cp == nil {
		return nil
	}
	id := b.CheckpointID
	if id > t.started {
		return t.firstBarrier(ci, b)
	}
	a := t.alignmentOf(id)
	if a == nil {
		return nil // completed or declined here already: a duplicate
	}
	a.seen[ci] = true
	if a.mode == modeAligned {
		t.block(ci)
	}
	return t.completeAligned()
}

// firstBarrier starts aligning checkpoint b, whose barrier arrived first
// on channel ci.
func (t *operatorTask) firstBarrier(ci int, b Barrier) error {
	info := t.job.barrierInfo(b)
	n := len(t.chans)
	a := &alignment{id: b.CheckpointID, info: info, mode: t.modeOf(info), seen: make([]bool, n), firstAt: time.Now().UnixNano()}
	t.started = a.id
	t.aligning = append(t.aligning, a)
	a.seen[ci] = true
	switch a.mode {
	case modeAtLeastOnce:
		st, pending, err := t.snapshotState(a.id, info, true)
		if err != nil {
			return t.decline(a, err)
		}
		t.forward(a)
		t.ackWhenWritten(a.id, st, pending)
	case modeUnaligned:
		st, _, err := t.snapshotState(a.id, info, false)
		if err != nil {
			return t.decline(a, err)
		}
		a.snapshot = st
		a.recording = make([][]byte, n)
		a.recRows = make([]int64, n)
		t.forward(a)
	default:
		t.block(ci)
	}
	return t.completeAligned()
}

func (t *operatorTask) alignmentOf(id int64) *alignment {
	for _, a := range t.aligning {
		if a.id == id {
			return a
		}
	}
	return nil
}

// block stops reading channel ci until unblockAll.
func (t *operatorTask) block(ci int) {
	t.blocked[ci] = true
	t.cases[caseChans+ci].Chan = reflect.Value{}
}

// recordInFlight records batch b, read on channel ci, as in-flight data of
// every unaligned checkpoint aligning whose barrier ci has not delivered.
// Call before the operator processes b (it may recycle b).
func (t *operatorTask) recordInFlight(ci int, b *types.Batch) {
	for _, a := range t.aligning {
		if a.mode == modeUnaligned && !a.seen[ci] {
			a.record(ci, b)
		}
	}
}

// completeAligned completes, oldest first, every aligning checkpoint that
// every live input has delivered. Called after a barrier or an end of
// input.
func (t *operatorTask) completeAligned() error {
	for i := 0; i < len(t.aligning); {
		a := t.aligning[i]
		if !t.allSeen(a) {
			i++
			continue
		}
		if err := t.complete(a); err != nil {
			return err
		}
		// complete or decline removed a from t.aligning
	}
	return t.out.err
}

func (t *operatorTask) allSeen(a *alignment) bool {
	for i := range a.seen {
		if !a.seen[i] && !t.ended[i] {
			return false
		}
	}
	return true
}

// complete finishes checkpoint a once every live input delivered it.
func (t *operatorTask) complete(a *alignment) error {
	switch a.mode {
	case modeAtLeastOnce:
		// already acknowledged at the first barrier
	case modeUnaligned:
		chans, err := t.writeRecording(a)
		if err != nil {
			return t.decline(a, err)
		}
		a.snapshot.Channels = chans
		a.snapshot.AlignmentNs = time.Now().UnixNano() - a.firstAt
		t.ack(a.id, a.snapshot)
	default:
		aligned := time.Now().UnixNano() - a.firstAt
		st, pending, err := t.snapshotState(a.id, a.info, true)
		if err != nil {
			return t.decline(a, err)
		}
		st.AlignmentNs = aligned
		t.forward(a)
		t.ackWhenWritten(a.id, st, pending)
		t.unblockAll()
	}
	t.done(a)
	return nil
}

// done removes a from the aligning checkpoints.
func (t *operatorTask) done(a *alignment) {
	for i, x := range t.aligning {
		if x == a {
			t.aligning = append(t.aligning[:i], t.aligning[i+1:]...)
			break
		}
	}
	t.lastDone = max(t.lastDone, a.id)
}

// forward sends a's barrier downstream, once.
func (t *operatorTask) forward(a *alignment) {
	if a.forwarded {
		return
	}
	a.forwarded = true
	t.out.broadcast(Message{Kind: MsgBarrier, Barrier: Barrier{CheckpointID: a.id, Savepoint: a.info.savepoint}})
}

// decline reports that this task cannot take its part of checkpoint a. A
// failed snapshot is a failed checkpoint, not a failed job: the data keeps
// flowing (the barrier goes downstream so that nothing waits for it, and
// an aligned checkpoint unblocks its inputs).
func (t *operatorTask) decline(a *alignment, err error) error {
	t.job.cpEvent(taskEvent{id: a.id, decline: err, task: checkpoint.TaskID{OperatorID: t.v.ID, Instance: t.instance}})
	t.forward(a)
	if a.mode == modeAligned {
		t.unblockAll()
	}
	t.done(a)
	return t.out.err
}

// record appends a batch to a's in-flight recording of channel ci.
func (a *alignment) record(ci int, b *types.Batch) {
	buf := a.recording[ci]
	for i := 0; i < b.Len(); i++ {
		buf = append(buf, byte(b.Ops[i]))
		buf = types.AppendValues(buf, b.Row(i))
	}
	a.recording[ci] = buf
	a.recRows[ci] += int64(b.Len())
}

// writeRecording writes a's in-flight rows, one file per channel that had
// any, into a's checkpoint directory.
func (t *operatorTask) writeRecording(a *alignment) ([]checkpoint.ChannelState, error) {
	var out []checkpoint.ChannelState
	for ci, buf := range a.recording {
		if a.recRows[ci] == 0 {
			continue
		}
		p := fmt.Sprintf("%s/%s-%d-ch%d.channel", a.info.target.Dir, t.v.ID, t.instance, ci)
		data := storage.Seal(storage.KindChannel, 1, buf)
		if err := a.info.target.Storage.Put(p, data); err != nil {
			return nil, err
		}
		edge := t.v.Inputs[t.inputOf[ci]]
		cs := checkpoint.ChannelState{Input: t.inputOf[ci], Path: p, Rows: a.recRows[ci], Size: int64(len(data))}
		if g := t.job.graph; g != nil && edge.From < len(g.Vertices) {
			cs.From = g.Vertices[edge.From].ID
		}
		if edge.Partitioning == Hash {
			cs.KeyCols = edge.KeyCols
		}
		out = append(out, cs)
	}
	return out, nil
}
