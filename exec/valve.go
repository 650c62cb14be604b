package exec

// watermarkValve combines the watermarks and the idle statuses of a
// task's input channels into the task's watermark and status, as Flink's
// StatusWatermarkValve does:
//
//   - a channel is idle from a MsgWatermark with Idle until its next
//     watermark (batches do not change a channel's status: a sender that
//     becomes active sends its watermark first, and an idle task's rows
//     from a timer leave it idle); an idle channel is left out of the
//     minimum;
//   - the task is idle (its output says so once) while every input that
//     has not ended is idle; it is active again at the first watermark
//     of any input, before that message is handled;
//   - a channel that becomes active again behind the task's watermark is
//     not aligned: it stays out of the minimum until its own watermark
//     catches up, so that it neither moves the task's watermark back nor
//     stalls it (its rows behind the watermark are late, as rows of a
//     source behind its watermark are);
//   - when the task goes idle, its watermark moves to the largest
//     watermark of its live inputs, if that is an advance: none of them
//     will advance any more, and what each promised stands (a watermark
//     held by the input that went idle last would otherwise hold the
//     task's forever); an input that resumes behind it is not aligned,
//     as above;
//   - while every live input is idle, or no active one is aligned, the
//     task's watermark holds; once every input ended it is MaxWatermark.
//
// The task's watermark never goes back.
type watermarkValve struct {
	wms     []int64 // per channel: the largest watermark received
	idle    []bool  // per channel: the sender said it is idle
	aligned []bool  // per channel: counts in the minimum (see above)
	ended   []bool  // per channel: the sender ended (shared with the task)
	cur     int64   // the task's watermark (the last one it forwarded)
	idleOut bool    // the task told its outputs it is idle
}

// newWatermarkValve returns the valve of n active channels at
// MinWatermark; ended is the task's per-channel end flags (read only).
func newWatermarkValve(ended []bool) *watermarkValve {
	n := len(ended)
	v := &watermarkValve{wms: make([]int64, n), idle: make([]bool, n), aligned: make([]bool, n), ended: ended, cur: MinWatermark}
	for i := range v.wms {
		v.wms[i] = MinWatermark
		v.aligned[i] = true
	}
	return v
}

// active notes that channel ci sent a watermark. It reports
// whether the task, idle until now, becomes active (the caller tells its
// outputs before it handles the message).
func (v *watermarkValve) active(ci int) bool {
	if v.idle[ci] {
		v.idle[ci] = false
		v.aligned[ci] = v.wms[ci] >= v.cur
	}
	if v.idleOut {
		v.idleOut = false
		return true
	}
	return false
}

// watermark records watermark wm of channel ci (after active).
func (v *watermarkValve) watermark(ci int, wm int64) {
	if wm > v.wms[ci] {
		v.wms[ci] = wm
	}
	if !v.aligned[ci] && v.wms[ci] >= v.cur {
		v.aligned[ci] = true
	}
}

// setIdle notes that channel ci said it is idle.
func (v *watermarkValve) setIdle(ci int) {
	v.idle[ci] = true
	v.aligned[ci] = false
}

// goesIdle reports whether the task becomes idle now: it was not, and
// every input that has not ended is idle (some has not ended).
func (v *watermarkValve) goesIdle() bool {
	if v.idleOut {
		return false
	}
	live := false
	for i := range v.idle {
		if v.ended[i] {
			continue
		}
		if !v.idle[i] {
			return false
		}
		live = true
	}
	if !live {
		return false
	}
	v.idleOut = true
	return true
}

// next returns the task's new watermark and true when it advances: the
// minimum over the aligned active channels that have not ended
// (MaxWatermark once every channel ended). It does not record it: the
// caller sets cur once the operator has seen it.
func (v *watermarkValve) next() (int64, bool) {
	m := MaxWatermark
	any, allEnded := false, true
	for i := range v.wms {
		if v.ended[i] {
			continue
		}
		allEnded = false
		if v.idle[i] || !v.aligned[i] {
			continue
		}
		any = true
		m = min(m, v.wms[i])
	}
	if !any && !allEnded {
		return v.cur, false // every live input is idle or catching up: hold
	}
	return m, m > v.cur
}

// flush returns the largest watermark of the live channels and true when
// it is an advance (called when the task goes idle).
func (v *watermarkValve) flush() (int64, bool) {
	m := MinWatermark
	for i, w := range v.wms {
		if !v.ended[i] {
			m = max(m, w)
		}
	}
	return m, m > v.cur
}
