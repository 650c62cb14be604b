// Package checkpoint will hold checkpoint coordination and storage: the
// coordinator that triggers checkpoint n by injecting barrier n at every
// source split, collects acknowledgements and tells sinks to commit; and
// the storage of checkpoint metadata and state files under
// state.checkpoints.dir. Barriers already travel through the runtime as
// exec.MsgBarrier messages; nothing in this version triggers them yet.
package checkpoint
