package engine

import (
	"context"
	"fmt"
	"github.com/streamsql/streamsql/connectors"
	"strings"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sql"
)

// insertSet runs a statement set: its INSERTs as one job (one graph, a
// sink per INSERT, sources shared, one checkpoint for all).
func (e *Engine) insertSet(ctx context.Context, s *sql.StatementSet, o ExecOptions) (*Result, error) {
	targets := setTargets(s)
	var names []string
	for _, t := range targets {
		names = append(names, t.Table.Name)
	}
	return e.submitInserts(targets, oneLine("STATEMENT SET INTO "+strings.Join(names, ", "), 60), "statement set", o)
}

// submitInserts plans INSERTs as one job and starts it: submitted and
// left running, or run to its end when table.dml-sync is on or it writes
// an in-memory table. label names the statement in errors.
func (e *Engine) submitInserts(targets []planner.Target, name, label string, o ExecOptions) (*Result, error) {
	// Each job plans with its own connector environment, so that the
	// directory for connector state can be set once the job's storage id
	// (derived from the plan) is known.
	env := *e.env
	e.mu.Lock()
	p, err := planner.PlanInserts(targets, e.plannerConfig(), &env)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	memory := false
	for _, t := range targets {
		memory = memory || t.Table.IsMemory()
	}
	sync := o.Sync || e.conf.Bool("table.dml-sync") || memory
	if sync && !p.Bounded && memory {
		return nil, fmt.Errorf("%s: an in-memory table can only be filled from bounded inputs", label)
	}
	cfg := e.plannerConfig()
	replan := func(par int) (*planner.Plan, error) {
		c := cfg
		c.Parallelism = par
		return planner.PlanInserts(targets, c, &env)
	}
	var jobs []*Job
	if e.stagedUnits() > 0 {
		planWith := func(env *connectors.Env) (*planner.Plan, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return planner.PlanInserts(targets, cfg, env)
		}
		jobs, err = e.launchStages(p, planWith, name) // stages.go
	} else {
		var j *Job
		j, err = e.launch(p, replan, name, true, &env)
		jobs = []*Job{j}
	}
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		e.jobs.put(j)
		ids[i] = j.ID
	}
	if sync {
		for _, j := range jobs {
			if err := j.Wait(); err != nil {
				return nil, err
			}
		}
		return &Result{Message: "Insert done.", Job: jobs[0], Jobs: jobs}, nil
	}
	return &Result{Message: fmt.Sprintf("Job submitted: %s", strings.Join(ids, ", ")), Job: jobs[0], Jobs: jobs}, nil
}

func setTargets(s *sql.StatementSet) []planner.Target {
	var out []planner.Target
	for _, ins := range s.Inserts {
		out = append(out, planner.Target{Table: ins.Table, Query: ins.Query})
	}
	return out
}

// explainSet explains a statement set: each INSERT's logical plan, then
// the one job graph.
func (e *Engine) explainSet(s *sql.StatementSet, rules bool) (*Result, error) {
	p, err := planner.PlanInserts(setTargets(s), e.plannerConfig(), e.env)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for i, ins := range s.Inserts {
		fmt.Fprintf(&b, "-- INSERT INTO %s (%d of %d)\n", ins.Table.Name, i+1, len(s.Inserts))
		b.WriteString(logicalPlanText(ins.Query, p.Optimized[i], rules))
	}
	st, err := e.stagesText(p)
	if err != nil {
		return nil, err
	}
	return &Result{Text: b.String() + p.Explain() + st}, nil
}
