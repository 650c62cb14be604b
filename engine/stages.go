package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/stages"
	"github.com/streamsql/streamsql/stages/memtopics"
)

// The keys that run INSERT jobs cut into stages (see SCALEOUT.md).
const (
	// StagesUnitsKey: how many units each stage runs as; 0 runs jobs whole.
	StagesUnitsKey = "execution.stages.units"
	// StagesExchangeKey: 'kafka' or 'memory'.
	StagesExchangeKey = "execution.stages.exchange"
	// StagesBootstrapKey: the brokers of the Kafka exchange.
	StagesBootstrapKey = "execution.stages.bootstrap-servers"
	// StagesUnitKey: 'all', or 'STAGE/UNIT' to run one unit only.
	StagesUnitKey = "execution.stages.unit"
	// StagesRunKey: the submission the units belong to (epoch ms); 0:
	// the owner's run (Ownership.Run), or the time the job starts.
	StagesRunKey = "execution.stages.run-id"
)

// unitSelector is which units of a staged job this engine runs.
type unitSelector struct {
	all         bool
	stage, unit int
}

func parseUnitSelector(v string) (unitSelector, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "all") {
		return unitSelector{all: true}, nil
	}
	s, u, ok := strings.Cut(v, "/")
	st, err1 := strconv.Atoi(strings.TrimSpace(s))
	un, err2 := strconv.Atoi(strings.TrimSpace(u))
	if !ok || err1 != nil || err2 != nil || st < 0 || un < 0 {
		return unitSelector{}, fmt.Errorf("expected 'all' or 'STAGE/UNIT' (e.g. '1/0'), got '%s'", v)
	}
	return unitSelector{stage: st, unit: un}, nil
}

func checkUnitSelector(v string) error {
	_, err := parseUnitSelector(v)
	return err
}

// stagedUnits returns how many units each stage of an INSERT job runs as
// (0: the job runs whole).
func (e *Engine) stagedUnits() int { return e.conf.Int(StagesUnitsKey) }

// cutStages cuts planned job p into stages and opens its exchange. run
// names this submission of the job: a Kafka exchange's topics are the
// job's storage id, run and edge, so that submitting the same query again
// starts from empty topics while a restart or a takeover of the same run
// reads on where it stopped.
func (e *Engine) cutStages(p *planner.Plan, env *connectors.Env, sid string, run int64) (*stages.Plan, stages.Exchange, error) {
	sp, err := stages.Cut(p.Graph, e.stagedUnits())
	if err != nil {
		return nil, nil, err
	}
	switch kind := strings.ToLower(strings.TrimSpace(e.conf.Get(StagesExchangeKey))); kind {
	case "memory":
		return sp, memtopics.New(), nil
	case "kafka":
		ex, err := newKafkaExchange(e.conf, env, sid, run) // stages_kafka.go
		if err != nil {
			return nil, nil, err
		}
		return sp, ex, nil
	default:
		return nil, nil, fmt.Errorf("%s: unknown exchange '%s'", StagesExchangeKey, kind)
	}
}

// launchStages starts the units of a staged INSERT job that this engine
// runs (execution.stages.unit): each is a job of its own, with its own
// checkpoints under the job's storage id and the unit's
// ("job-...-s1u0"), restarts and status. Each unit is planned again with
// planWith in a connector environment of its own, since sinks take their
// identity (transactional ids, progress rows) from the environment's job
// name; the planner gives the same graph each time. It returns the units
// in stage and unit order.
func (e *Engine) launchStages(p *planner.Plan, planWith func(*connectors.Env) (*planner.Plan, error), name string) ([]*Job, error) {
	sel, err := parseUnitSelector(e.conf.Get(StagesUnitKey))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StagesUnitKey, err)
	}
	sid := storageID(e.conf, p)
	run := int64(e.conf.Int(StagesRunKey))
	if own := e.opts.Ownership; run == 0 && own != nil && own.Run != 0 {
		run = own.Run
	}
	if run == 0 {
		run = time.Now().UnixMilli()
	}
	env := *e.env
	sp, ex, err := e.cutStages(p, &env, sid, run)
	if err != nil {
		return nil, err
	}
	start := e.opts.UnitStart
	if !sel.all {
		if sel.stage >= len(sp.Stages) {
			return nil, fmt.Errorf("%s: the job has %d stages: there is no stage %d", StagesUnitKey, len(sp.Stages), sel.stage)
		}
		if sel.unit >= sp.Stages[sel.stage].Units {
			return nil, fmt.Errorf("%s: stage %d runs as %d units: there is no unit %d", StagesUnitKey, sel.stage, sp.Stages[sel.stage].Units, sel.unit)
		}
		if start != nil {
			// Decided for every unit where the job was submitted
			// (UnitPlans, stages_start.go).
			if err := applyUnitStart(ex, start); err != nil {
				return nil, err
			}
		}
	}
	var layouts []stageLayout
	if sel.all {
		// A whole staged job continuing from its checkpoints may run as
		// another number of units than before (stages_rescale.go).
		if layouts, err = e.stageLayouts(sp, sid, run); err != nil {
			return nil, err
		}
		if err := createTopics(ex, sp); err != nil {
			return nil, err
		}
		if err := setHandOvers(ex, sp, layouts); err != nil {
			return nil, err
		}
	}
	var jobs []*Job
	fail := func(err error) ([]*Job, error) {
		for _, started := range jobs {
			started.Stop()
		}
		return nil, err
	}
	for si, st := range sp.Stages {
		for u := 0; u < st.Units; u++ {
			if !sel.all && (si != sel.stage || u != sel.unit) {
				continue
			}
			if !sel.all {
				if err := createTopics(ex, sp, si); err != nil {
					return fail(err)
				}
			}
			uenv := *e.env
			up, err := planWith(&uenv)
			if err != nil {
				return fail(err)
			}
			usp, err := stages.Cut(up.Graph, e.stagedUnits())
			if err != nil {
				return fail(err)
			}
			if len(usp.Stages) != len(sp.Stages) || usp.Stages[si].Units != st.Units {
				return fail(fmt.Errorf("stage %d unit %d: the job planned again cuts into other stages (did a source's splits change?)", si, u))
			}
			g, err := usp.UnitGraph(si, u, ex)
			if err != nil {
				return fail(err)
			}
			up.Graph = g
			var initial *checkpoint.Metadata
			var keep int64
			if layouts != nil {
				l := layouts[si]
				g.Stage = &checkpoint.StageLayout{Units: l.layout.Units, Since: l.layout.Since}
				if l.rescaled() {
					if initial, err = rescaleRestore(sp, si, u, l.old); err != nil {
						return fail(err)
					}
					keep = l.keep(u)
				}
			} else if start != nil {
				g.Stage = &checkpoint.StageLayout{Units: st.Units, Since: start.Since}
				if start.rescaled() {
					if initial, keep, err = e.unitStartRestore(sp, sid, si, u, start); err != nil {
						return fail(fmt.Errorf("stage %d unit %d: %w", si, u, err))
					}
				}
			} else {
				g.Stage = &checkpoint.StageLayout{Units: st.Units, Since: run}
			}
			j, err := e.launchUnit(up, fmt.Sprintf("%s [stage %d unit %d]", name, si, u), &uenv,
				unitStorageID(sid, si, u), initial, keep)
			if err != nil {
				return fail(fmt.Errorf("stage %d unit %d: %w", si, u, err))
			}
			if start != nil && initial != nil {
				e.logMergedRestore(j.ID, si, u, st.Units, start)
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// topicCreator is implemented by exchanges whose topics must exist before
// their units start (Kafka).
type topicCreator interface {
	CreateTopics(edges []stages.Edge) error
}

// createTopics creates the topics of the given stages' edges (every
// stage's when none is given), when the exchange needs it.
func createTopics(ex stages.Exchange, sp *stages.Plan, only ...int) error {
	tc, ok := ex.(topicCreator)
	if !ok {
		return nil
	}
	var edges []stages.Edge
	for si, st := range sp.Stages {
		if len(only) > 0 && si != only[0] {
			continue
		}
		for _, ei := range append(append([]int(nil), st.Inputs...), st.Outputs...) {
			edges = append(edges, sp.Edges[ei])
		}
	}
	return tc.CreateTopics(edges)
}

// stagesText is EXPLAIN's stages section for an INSERT job when jobs run
// cut into stages, "" otherwise.
func (e *Engine) stagesText(p *planner.Plan) (string, error) {
	if e.stagedUnits() == 0 {
		return "", nil
	}
	sp, err := stages.Cut(p.Graph, e.stagedUnits())
	if err != nil {
		return "", err
	}
	return sp.Describe(), nil
}

// StageUnit names one unit of a job cut into stages. Reads says what it
// reads: the key groups (partitions) of its input topics, or the splits
// of the sources.
type StageUnit struct {
	Stage, Unit int
	Reads       string
	// Job is the job's storage id: its units' checkpoint directories are
	// Job-s<S>u<U> (the same for every submission of the same query).
	Job string
}

// Selector is the execution.stages.unit value that runs this unit alone.
func (u StageUnit) Selector() string { return fmt.Sprintf("%d/%d", u.Stage, u.Unit) }

// StageUnits plans an INSERT or a statement set and returns the units it
// would run as, in stage and unit order, when the session runs jobs cut
// into stages (execution.stages.units > 0) and runs all of a job's units
// ('all'); nil otherwise. A server spreads the units over a cluster's
// servers with it, each running its units with execution.stages.unit set.
func (e *Engine) StageUnits(st sql.Stmt) ([]StageUnit, error) {
	p, sp, err := e.stagedPlan(st)
	if p == nil || err != nil {
		return nil, err
	}
	sid := storageID(e.conf, p)
	var out []StageUnit
	for si, stg := range sp.Stages {
		for u := 0; u < stg.Units; u++ {
			out = append(out, StageUnit{Stage: si, Unit: u, Reads: sp.UnitReads(si, u), Job: sid})
		}
	}
	return out, nil
}

// stagedPlan plans an INSERT or a statement set and cuts it into stages
// when the session runs jobs cut into stages and runs all of a job's
// units; nil plans otherwise.
func (e *Engine) stagedPlan(st sql.Stmt) (*planner.Plan, *stages.Plan, error) {
	if e.stagedUnits() == 0 {
		return nil, nil, nil
	}
	if sel, err := parseUnitSelector(e.conf.Get(StagesUnitKey)); err != nil || !sel.all {
		return nil, nil, err
	}
	var targets []planner.Target
	switch s := st.(type) {
	case *sql.Insert:
		if s.Table.IsMemory() {
			return nil, nil, nil
		}
		targets = []planner.Target{{Table: s.Table, Query: s.Query}}
	case *sql.StatementSet:
		targets = setTargets(s)
	default:
		return nil, nil, nil
	}
	env := *e.env
	e.mu.Lock()
	p, err := planner.PlanInserts(targets, e.plannerConfig(), &env)
	e.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	sp, err := stages.Cut(p.Graph, e.stagedUnits())
	if err != nil {
		return nil, nil, err
	}
	return p, sp, nil
}
