package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/connectors/exchange"
	"github.com/streamsql/streamsql/stages"
	"github.com/streamsql/streamsql/state"
)

// stageLayout is how one stage of a staged job starts: the unit layout
// its units' checkpoints record, and, when the stage runs as another
// number of units than the newest layout its checkpoints hold (a
// rescale), that layout's units' last checkpoints, from which each new
// unit's restore point is merged (rescaleRestore).
type stageLayout struct {
	layout checkpoint.StageLayout
	// old holds the previous layout's units' latest checkpoints, by unit,
	// when the stage is rescaled; nil otherwise.
	old []*checkpoint.Metadata
}

// keep returns the id of the previous layout's checkpoint in unit u's
// directory that the new units restore from (0: none): the new unit u,
// writing that directory, keeps it from retention.
func (l stageLayout) keep(u int) int64 {
	if u < len(l.old) {
		return l.old[u].CheckpointID
	}
	return 0
}

// rescaled reports whether the stage starts as another number of units.
func (l stageLayout) rescaled() bool { return l.old != nil }

// unitStorageID is the storage id (checkpoint directory) of a unit.
func unitStorageID(sid string, stage, unit int) string {
	return fmt.Sprintf("%s-s%du%d", sid, stage, unit)
}

// restoresLatest reports whether INSERT jobs of this session continue
// from their latest checkpoint (--restore latest, or
// execution.savepoint.path = 'latest').
func (e *Engine) restoresLatest() bool {
	if e.opts.RestorePath != "" {
		return e.opts.RestorePath == "latest"
	}
	return strings.TrimSpace(e.conf.Get("execution.savepoint.path")) == "latest"
}

// stageLayouts decides, for each stage of sp, the layout its units start
// in. Without checkpoints, or unless the job continues from its latest
// checkpoints, every stage starts the layout it was submitted with
// (Since: the run id, the submission's time). Otherwise the newest layout among the latest checkpoints of
// the stage's unit directories is the one the stage last ran as: with as
// many units as now, each unit restores its own latest checkpoint (which
// must be of that layout); with another count the stage is rescaled: the
// new layout is stamped with the current time, and every unit of the
// previous layout must have a latest checkpoint of it.
func (e *Engine) stageLayouts(sp *stages.Plan, sid string, run int64) ([]stageLayout, error) {
	out := make([]stageLayout, len(sp.Stages))
	for si, st := range sp.Stages {
		out[si].layout = checkpoint.StageLayout{Units: st.Units, Since: run}
	}
	if e.conf.DurationMs("execution.checkpointing.interval") <= 0 || !e.restoresLatest() {
		return out, nil
	}
	dir := e.conf.Get("state.checkpoints.dir")
	if dir == "" {
		return out, nil // newJobSetup warns; nothing to rescale from
	}
	st, err := storage.OpenLocation(dir, s3Options(e.conf))
	if err != nil {
		return nil, err
	}
	latest := func(id string) (*checkpoint.Metadata, error) {
		store, err := checkpoint.NewStore(st, id, checkpoint.StoreOptions{})
		if err != nil {
			return nil, err
		}
		md, _, err := store.Latest()
		return md, err
	}
	now := time.Now().UnixMilli()
	for si, stg := range sp.Stages {
		// The latest checkpoint of each unit directory of the stage: up
		// to the first that has none beyond the current units (a layout
		// of more units left more directories).
		var found []*checkpoint.Metadata
		for u := 0; u < sp.Graph.MaxParallelism; u++ {
			md, err := latest(unitStorageID(sid, si, u))
			if err != nil {
				return nil, fmt.Errorf("stage %d unit %d: %w", si, u, err)
			}
			if md == nil && u >= stg.Units {
				break
			}
			found = append(found, md)
		}
		var newest *checkpoint.Metadata
		for _, md := range found {
			if md != nil && md.Stage != nil && (newest == nil || md.Stage.Since > newest.Stage.Since) {
				newest = md
			}
		}
		if newest == nil {
			continue // no checkpoint that records a layout: as before
		}
		m, since := newest.Stage.Units, newest.Stage.Since
		where := func(u int) string { return checkpoint.Location(st, unitStorageID(sid, si, u)) }
		ofLayout := func(u int) bool {
			return u < len(found) && found[u] != nil && found[u].Stage != nil && found[u].Stage.Since == since
		}
		if m == stg.Units {
			out[si].layout.Since = since
			if since == 0 || since == run {
				// The layout a run was submitted with (0: by a release
				// before layouts were stamped): a unit without a
				// checkpoint starts from the beginning, as it always did.
				continue
			}
			for u := 0; u < m; u++ {
				if !ofLayout(u) {
					return nil, fmt.Errorf("stage %d unit %d has no checkpoint of its layout (%d units since %s) in %s: the stage was rescaled and stopped before this unit completed a checkpoint; start the job again with the previous number of units or from the beginning",
						si, u, m, time.UnixMilli(since).UTC().Format(time.RFC3339), where(u))
				}
			}
			continue
		}
		old := make([]*checkpoint.Metadata, m)
		for k := 0; k < m; k++ {
			if !ofLayout(k) {
				return nil, fmt.Errorf("cannot run stage %d as %d units: it last ran as %d, and its unit %d has no checkpoint of that layout in %s (each unit of the previous layout needs its last checkpoint)",
					si, stg.Units, m, k, where(k))
			}
			old[k] = found[k]
		}
		out[si] = stageLayout{layout: checkpoint.StageLayout{Units: stg.Units, Since: max(now, since+1)}, old: old}
	}
	return out, nil
}

// rescaleRestore builds the checkpoint unit unit of stage stage restores
// when the stage is rescaled: from the previous layout's units' last
// checkpoints (old), the keyed state of the unit's key groups and the
// reader positions of its partitions (from the old units whose key groups
// overlap them), or in a stage that reads sources the positions of all
// splits (each unit opens its own by split id); and the committables of
// old unit k when k mod units = unit, so that each pending transaction is
// committed by one new unit.
func rescaleRestore(sp *stages.Plan, stage, unit int, old []*checkpoint.Metadata) (*checkpoint.Metadata, error) {
	units := sp.Stages[stage].Units
	maxPar := sp.Graph.MaxParallelism
	kgs, owns := sp.UnitKeyGroups(stage, unit)
	md := &checkpoint.Metadata{MaxParallelism: maxPar}
	ops := map[string]int{}
	for k, o := range old {
		if o.MaxParallelism != 0 && o.MaxParallelism != maxPar {
			return nil, fmt.Errorf("stage %d unit %d's checkpoint %d was taken with pipeline.max-parallelism %d, the job has %d (key groups must match)", stage, k, o.CheckpointID, o.MaxParallelism, maxPar)
		}
		oldKgs := state.RangeFor(maxPar, len(old), k)
		overlaps := !owns || (oldKgs.Start < kgs.End && kgs.Start < oldKgs.End)
		if k == 0 || o.CheckpointID > md.CheckpointID {
			md.CheckpointID = o.CheckpointID
		}
		if k == 0 {
			md.JobID, md.JobName, md.Storage, md.Dir = o.JobID, o.JobName, o.Storage, o.Dir
		}
		md.CompletedAt = max(md.CompletedAt, o.CompletedAt)
		for _, op := range o.Operators {
			i, ok := ops[op.ID]
			if !ok {
				i = len(md.Operators)
				ops[op.ID] = i
				md.Operators = append(md.Operators, checkpoint.OperatorState{ID: op.ID, Name: op.Name, Parallelism: 1})
			}
			for _, ts := range op.Tasks {
				if len(ts.Channels) > 0 {
					return nil, fmt.Errorf("stage %d unit %d's checkpoint %d is unaligned and holds in-flight rows of %s: a stage rescales from aligned checkpoints only (restart it at %d units with execution.checkpointing.unaligned off, let it take a checkpoint, then rescale)",
						stage, k, o.CheckpointID, op.Name, len(old))
				}
				nt := checkpoint.TaskState{OperatorID: op.ID, Instance: 0, Watermark: ts.Watermark}
				if ts.Keyed != nil && overlaps {
					h := ts.Keyed
					switch {
					case !owns:
						// Operators of a stage that reads sources get
						// no keyed rows; their (empty) state is left out.
						holds, err := state.HandleHoldsEntries(o.Storage, h)
						if err != nil {
							return nil, fmt.Errorf("stage %d unit %d's checkpoint %d: %s's state: %w", stage, k, o.CheckpointID, op.Name, err)
						}
						if holds && (len(old) > 1 || units > 1) {
							return nil, fmt.Errorf("stage %d: %s keeps keyed state in a stage that reads sources: the stage cannot be rescaled", stage, op.Name)
						}
						if !holds {
							h = nil
						}
					case h.KeyGroups.Start < oldKgs.Start || h.KeyGroups.End > oldKgs.End:
						// The topics' readers and writers of a unit
						// keep no keyed rows, whatever range their
						// backends were given: their empty state is left
						// out.
						holds, err := state.HandleHoldsEntries(o.Storage, h)
						if err != nil {
							return nil, fmt.Errorf("stage %d unit %d's checkpoint %d: %s's state: %w", stage, k, o.CheckpointID, op.Name, err)
						}
						if !holds {
							h = nil
							break
						}
						return nil, fmt.Errorf("stage %d unit %d's checkpoint %d holds %s's state for key groups [%d,%d), beyond the unit's [%d,%d) (an earlier release took it): start the job once at %d units and let it checkpoint before rescaling",
							stage, k, o.CheckpointID, op.Name, h.KeyGroups.Start, h.KeyGroups.End, oldKgs.Start, oldKgs.End, len(old))
					}
					nt.Keyed = h
				}
				if overlaps {
					nt.Splits = ts.Splits
				}
				if k%units == unit {
					nt.Committables, nt.CommittableBytes = ts.Committables, ts.CommittableBytes
				}
				md.Operators[i].Tasks = append(md.Operators[i].Tasks, nt)
			}
		}
	}
	return md, nil
}

// setHandOvers prepares the topics of the edges whose producing stage is
// rescaled: their readers learn the offsets from which the new producers
// write, and the new producers fence the retired ones. It must run once
// the previous layout's units stopped and before any unit starts.
func setHandOvers(ex stages.Exchange, sp *stages.Plan, layouts []stageLayout) error {
	for _, e := range sp.Edges {
		l := layouts[e.FromStage]
		if !l.rescaled() && !layouts[e.ToStage].rescaled() {
			continue
		}
		k, ok := ex.(*kafkaExchange)
		if !ok {
			return fmt.Errorf("rescaling a job cut into stages needs %s = 'kafka' (the memory exchange keeps nothing across runs)", StagesExchangeKey)
		}
		if !l.rescaled() {
			continue // same producers: their records keep their meaning
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		offs, err := exchange.EndOffsets(ctx, k.cfg, k.topic(e))
		cancel()
		if err != nil {
			return err
		}
		if k.rescale == nil {
			k.rescale = map[string]edgeRescale{}
		}
		k.rescale[e.ID] = edgeRescale{retired: len(l.old), handOver: offs}
	}
	return nil
}
