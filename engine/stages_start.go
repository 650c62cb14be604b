package engine

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/stages"
)

// Units started apart (a cluster's servers): when the units of a staged
// job run in different processes, each with execution.stages.unit set to
// one unit, what one process decides for all of them in launchStages (the
// layout of each stage, the merged restore points of a rescaled stage,
// the hand-over offsets of the topics it writes) must be decided once,
// before any unit starts, and given to every unit: a unit that looked
// for itself could read the end offsets of a topic after a new upstream
// unit wrote to it, and would stamp its layout with its own clock. The
// process the job is submitted to calls UnitPlans, and each unit starts
// with its plan's Start as Options.UnitStart.

// UnitStart is how a unit of a staged job that continues from its
// checkpoints starts (Options.UnitStart): decided by UnitPlans, the same
// for every unit of a stage. It is carried as JSON in the unit's record.
type UnitStart struct {
	// Since is the layout of the unit's stage (checkpoint.StageLayout):
	// the one its checkpoints last recorded, or for a rescaled stage the
	// time of the rescale.
	Since int64 `json:"since"`
	// From, when the stage is rescaled, are by old unit the ids of the
	// previous layout's units' last checkpoints (old unit k's in the
	// directory <job>-s<S>u<k>): until the unit completes a checkpoint of
	// the new layout, each start of it restores the checkpoint merged
	// from them (rescaleRestore).
	From []int64 `json:"from,omitempty"`
	// HandOvers are, by edge id, the hand-overs of the topics the unit
	// reads or writes whose producing stage is rescaled.
	HandOvers map[string]HandOver `json:"hand_overs,omitempty"`
}

// HandOver is the hand-over of one topic whose producing stage is
// rescaled (exchange.Topic.Retired and HandOver): how many units wrote it
// before, and by partition the offset from which the new ones write.
type HandOver struct {
	Retired int           `json:"retired"`
	Offsets map[int]int64 `json:"offsets"`
}

// rescaled reports whether the unit's stage starts a new layout from the
// previous one's checkpoints.
func (s *UnitStart) rescaled() bool { return s != nil && len(s.From) > 0 }

// UnitPlan is how one unit of a staged job starts, as UnitPlans decides
// it for every unit at once.
type UnitPlan struct {
	StageUnit
	// IDBase is the highest checkpoint id in the unit's directory (0:
	// none): the unit numbers its checkpoints above it, and a start of the
	// unit restores only those (Ownership.RestoreAfter), never an earlier
	// run's or layout's.
	IDBase int64
	// RestoredID is the checkpoint of the unit's own directory it
	// continues from while it has none above IDBase
	// (Ownership.RestoreFallback): its latest when the job continues from
	// its checkpoints at the number of units its stage last ran as; 0
	// otherwise (from the beginning, or a rescaled stage's merged restore).
	RestoredID int64
	// Start is set when the job continues from its checkpoints
	// (execution.savepoint.path = 'latest'): the unit starts with it as
	// Options.UnitStart.
	Start *UnitStart
}

// UnitPlans plans an INSERT or a statement set cut into stages for a
// submission in run (execution.stages.run-id) whose units start in other
// processes, and decides once how each unit starts: its checkpoint range,
// and when the job continues from its latest checkpoints, its stage's
// layout (stageLayouts: a stage run as another number of units than its
// checkpoints' newest layout is rescaled) and, with the topics created,
// the end offsets of every topic whose producing stage is rescaled (the
// previous layout's units must all have stopped). It returns the units in
// stage and unit order, nil when the session does not run jobs cut into
// stages (as StageUnits).
func (e *Engine) UnitPlans(st sql.Stmt, run int64) ([]UnitPlan, error) {
	p, sp, err := e.stagedPlan(st)
	if p == nil || err != nil {
		return nil, err
	}
	sid := storageID(e.conf, p)
	env := *e.env
	_, ex, err := e.cutStages(p, &env, sid, run)
	if err != nil {
		return nil, err
	}
	layouts, err := e.stageLayouts(sp, sid, run)
	if err != nil {
		return nil, err
	}
	continuing := e.restoresLatest() && e.conf.DurationMs("execution.checkpointing.interval") > 0
	if continuing {
		if err := createTopics(ex, sp); err != nil {
			return nil, err
		}
		if err := setHandOvers(ex, sp, layouts); err != nil {
			return nil, err
		}
	}
	var st0 storage.Storage
	if dir := e.conf.Get("state.checkpoints.dir"); dir != "" && e.conf.DurationMs("execution.checkpointing.interval") > 0 {
		if st0, err = storage.OpenLocation(dir, s3Options(e.conf)); err != nil {
			return nil, err
		}
	}
	var out []UnitPlan
	for si, stg := range sp.Stages {
		var start *UnitStart
		if continuing {
			l := layouts[si]
			start = &UnitStart{Since: l.layout.Since}
			for _, md := range l.old {
				start.From = append(start.From, md.CheckpointID)
			}
			if k, ok := ex.(*kafkaExchange); ok {
				for _, ei := range append(append([]int(nil), stg.Inputs...), stg.Outputs...) {
					id := sp.Edges[ei].ID
					if r, ok := k.rescale[id]; ok {
						if start.HandOvers == nil {
							start.HandOvers = map[string]HandOver{}
						}
						start.HandOvers[id] = HandOver{Retired: r.retired, Offsets: r.handOver}
					}
				}
			}
		}
		for u := 0; u < stg.Units; u++ {
			up := UnitPlan{StageUnit: StageUnit{Stage: si, Unit: u, Reads: sp.UnitReads(si, u), Job: sid}, Start: start}
			if st0 != nil {
				store, err := checkpoint.NewStore(st0, unitStorageID(sid, si, u), checkpoint.StoreOptions{})
				if err != nil {
					return nil, err
				}
				if up.IDBase, err = store.LastID(); err != nil {
					return nil, fmt.Errorf("stage %d unit %d: %w", si, u, err)
				}
				if continuing && !start.rescaled() {
					md, _, err := store.Latest()
					if err != nil {
						return nil, fmt.Errorf("stage %d unit %d: %w", si, u, err)
					}
					if md != nil {
						up.RestoredID = md.CheckpointID
					}
				}
			}
			out = append(out, up)
		}
	}
	return out, nil
}

// applyUnitStart gives the exchange of a unit started with start the
// hand-overs of its topics.
func applyUnitStart(ex stages.Exchange, start *UnitStart) error {
	if len(start.HandOvers) == 0 && !start.rescaled() {
		return nil
	}
	k, ok := ex.(*kafkaExchange)
	if !ok {
		return fmt.Errorf("rescaling a job cut into stages needs %s = 'kafka' (the memory exchange keeps nothing across runs)", StagesExchangeKey)
	}
	if k.rescale == nil {
		k.rescale = map[string]edgeRescale{}
	}
	for id, h := range start.HandOvers {
		k.rescale[id] = edgeRescale{retired: h.Retired, handOver: h.Offsets}
	}
	return nil
}

// unitStartRestore returns what unit unit of stage stage, whose stage is
// rescaled (start.From), restores when it starts: nothing (nil: the
// ordinary restore of its latest checkpoint) once it completed a
// checkpoint of the new layout, else the checkpoint merged from the
// previous layout's units' checkpoints start.From; and the id of the
// previous layout's checkpoint in the unit's directory, which the other
// new units may still restore from, to keep from retention (0: none).
func (e *Engine) unitStartRestore(sp *stages.Plan, sid string, stage, unit int, start *UnitStart) (*checkpoint.Metadata, int64, error) {
	dir := e.conf.Get("state.checkpoints.dir")
	if dir == "" || e.conf.DurationMs("execution.checkpointing.interval") <= 0 {
		return nil, 0, fmt.Errorf("rescaling a job cut into stages needs checkpointing ('execution.checkpointing.interval' and 'state.checkpoints.dir')")
	}
	st, err := storage.OpenLocation(dir, s3Options(e.conf))
	if err != nil {
		return nil, 0, err
	}
	keep := int64(0)
	if unit < len(start.From) {
		keep = start.From[unit]
	}
	store, err := checkpoint.NewStore(st, unitStorageID(sid, stage, unit), checkpoint.StoreOptions{})
	if err != nil {
		return nil, 0, err
	}
	if own, err := e.ownLayoutCheckpoint(store, start.Since); err != nil || own {
		return nil, keep, err
	}
	old := make([]*checkpoint.Metadata, len(start.From))
	for k, id := range start.From {
		ks, err := checkpoint.NewStore(st, unitStorageID(sid, stage, k), checkpoint.StoreOptions{})
		if err != nil {
			return nil, 0, err
		}
		if old[k], err = ks.Load(ks.CheckpointDir(id)); err != nil {
			return nil, 0, fmt.Errorf("stage %d was rescaled from unit %d's checkpoint %d (%s), which cannot be read: %w",
				stage, k, id, checkpoint.Location(st, ks.CheckpointDir(id)), err)
		}
	}
	md, err := rescaleRestore(sp, stage, unit, old)
	return md, keep, err
}

// logMergedRestore says that job, unit unit of stage stage, started from
// the checkpoint merged from the previous layout's (start.From).
func (e *Engine) logMergedRestore(job string, stage, unit, units int, start *UnitStart) {
	e.logJob(slog.LevelInfo, job, fmt.Sprintf("stage %d unit %d of %d restored the checkpoint merged from the checkpoints %v of the stage's previous %d units: it has completed none of its own since the rescale at %s",
		stage, unit, units, start.From, len(start.From), time.UnixMilli(start.Since).UTC().Format(time.RFC3339)))
}

// ownLayoutCheckpoint reports whether the checkpoint a start of the unit
// whose directory store is would restore (its latest; of a cluster's
// owner, the latest in the owner's range or the one it started from:
// Ownership) is one of the layout since, i.e. the unit's own.
func (e *Engine) ownLayoutCheckpoint(store *checkpoint.Store, since int64) (bool, error) {
	if !e.restoresLatest() {
		return false, nil
	}
	after, upTo := int64(0), int64(math.MaxInt64)
	own := e.opts.Ownership
	if own != nil && own.Resume {
		after, upTo = own.RestoreAfter, own.RestoreAfter+CheckpointIDsPerEpoch
	}
	md, _, err := store.LatestBetween(after, upTo)
	if err != nil {
		return false, err
	}
	if md == nil && own != nil && own.Resume && own.RestoreFallback > 0 {
		// The checkpoint the previous owner started from: the merged one
		// (not in this directory) or one of the unit's own.
		md, _ = store.Load(store.CheckpointDir(own.RestoreFallback))
	}
	return md != nil && md.Stage != nil && md.Stage.Since == since, nil
}
