package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/planner"
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
func (e *Engine) cutStages(p *planner.Plan, sid string, run int64) (*stages.Plan, stages.Exchange, error) {
	sp, err := stages.Cut(p.Graph, e.stagedUnits())
	if err != nil {
		return nil, nil, err
	}
	switch kind := strings.ToLower(strings.TrimSpace(e.conf.Get(StagesExchangeKey))); kind {
	case "memory":
		return sp, memtopics.New(), nil
	default:
		return nil, nil, fmt.Errorf("%s: unknown exchange '%s'", StagesExchangeKey, kind)
	}
}

// launchStages starts the units of a staged INSERT job that this engine
// runs (execution.stages.unit): each is a job of its own, with its own
// checkpoints under the job's storage id and the unit's
// ("job-...-s1u0"), restarts and status. It returns them in stage and
// unit order.
func (e *Engine) launchStages(p *planner.Plan, name string, env *connectors.Env) ([]*Job, error) {
	sel, err := parseUnitSelector(e.conf.Get(StagesUnitKey))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StagesUnitKey, err)
	}
	sid := storageID(e.conf, p)
	run := time.Now().UnixMilli()
	if own := e.opts.Ownership; own != nil && own.Run != 0 {
		run = own.Run
	}
	sp, ex, err := e.cutStages(p, sid, run)
	if err != nil {
		return nil, err
	}
	if !sel.all {
		if sel.stage >= len(sp.Stages) {
			return nil, fmt.Errorf("%s: the job has %d stages: there is no stage %d", StagesUnitKey, len(sp.Stages), sel.stage)
		}
		if sel.unit >= sp.Stages[sel.stage].Units {
			return nil, fmt.Errorf("%s: stage %d runs as %d units: there is no unit %d", StagesUnitKey, sel.stage, sp.Stages[sel.stage].Units, sel.unit)
		}
	} else if _, mem := ex.(*memtopics.Exchange); !mem {
		if err := createTopics(ex, sp); err != nil {
			return nil, err
		}
	}
	var jobs []*Job
	for si, st := range sp.Stages {
		for u := 0; u < st.Units; u++ {
			if !sel.all && (si != sel.stage || u != sel.unit) {
				continue
			}
			if !sel.all {
				if err := createTopics(ex, sp, si); err != nil {
					return nil, err
				}
			}
			g, err := sp.UnitGraph(si, u, ex)
			if err != nil {
				return nil, err
			}
			up := *p
			up.Graph = g
			uenv := *env
			j, err := e.launchAs(&up, nil, fmt.Sprintf("%s [stage %d unit %d]", name, si, u), true, &uenv,
				fmt.Sprintf("%s-s%du%d", sid, si, u))
			if err != nil {
				for _, started := range jobs {
					started.Stop()
				}
				return nil, fmt.Errorf("stage %d unit %d: %w", si, u, err)
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
