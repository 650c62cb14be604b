package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/plan"
)

// EmitConfig is the window emit strategy of a session (Flink's
// experimental table.exec.emit.* keys), before it is checked against a
// window.
type EmitConfig struct {
	AllowLateness int64 // table.exec.emit.allow-lateness, ms (0: none)
	EarlyFire     bool  // table.exec.emit.early-fire.enabled
	EarlyDelay    int64 // table.exec.emit.early-fire.delay, ms; -1 when not set
	LateFire      bool  // table.exec.emit.late-fire.enabled
	LateDelay     int64 // table.exec.emit.late-fire.delay, ms; -1 when not set
}

// emitStrategy checks the session's emit strategy against window w (the
// rules of Flink's WindowEmitStrategy) and returns what the window
// aggregate runs with:
//   - SESSION windows refuse early and late firing and ignore the lateness;
//   - early and late firing need a delay (0 fires on every row);
//   - late firing needs allow-lateness > 0, at least as long as its delay;
//   - processing-time windows have no late rows: lateness and late firing
//     do not apply to them.
//
// Unlike Flink, which applies allow-lateness only together with late
// firing, a lateness alone keeps fired windows and emits each late row's
// update at once (what late firing with delay 0 does).
func (b *builder) emitStrategy(w *plan.Window) (operators.EmitStrategy, error) {
	c := b.cfg.Emit
	if w.Kind == plan.Session {
		if c.EarlyFire || c.LateFire {
			return operators.EmitStrategy{}, errorf("Session window doesn't support EMIT strategy currently: unset 'table.exec.emit.early-fire.enabled' and 'table.exec.emit.late-fire.enabled' for SESSION windows")
		}
		return operators.EmitStrategy{}, nil
	}
	if !w.Proctime && c.LateFire && c.AllowLateness <= 0 {
		return operators.EmitStrategy{}, errorf("The 'AFTER WATERMARK' emit strategy requires set 'allow-lateness' in table config: 'table.exec.emit.late-fire.enabled' needs 'table.exec.emit.allow-lateness' > 0")
	}
	if c.EarlyFire && c.EarlyDelay < 0 {
		return operators.EmitStrategy{}, errorf("Early-fire delay should not be null or negative value when enable early-fire emit strategy: set 'table.exec.emit.early-fire.delay' (0 fires on every row)")
	}
	if c.LateFire && c.LateDelay < 0 {
		return operators.EmitStrategy{}, errorf("Late-fire delay should not be null or negative value when enable late-fire emit strategy: set 'table.exec.emit.late-fire.delay' (0 fires on every late row)")
	}
	if !w.Proctime && c.LateFire && c.LateDelay > c.AllowLateness {
		return operators.EmitStrategy{}, errorf("Allow-lateness [%dms] should not be smaller than Late-fire delay [%dms] when enable late-fire emit strategy.", c.AllowLateness, c.LateDelay)
	}
	s := operators.EmitStrategy{EarlyFire: c.EarlyFire, EarlyDelay: max(c.EarlyDelay, 0)}
	if !w.Proctime {
		s.AllowLateness = c.AllowLateness
		s.LateFire, s.LateDelay = c.LateFire, max(c.LateDelay, 0)
	}
	return s, nil
}

// emitDesc describes an active emit strategy for EXPLAIN.
func emitDesc(s operators.EmitStrategy) string {
	var parts []string
	delay := func(ms int64) string {
		if ms == 0 {
			return "every row"
		}
		return "every " + fmtDuration(ms)
	}
	if s.EarlyFire {
		parts = append(parts, "early "+delay(s.EarlyDelay))
	}
	if s.AllowLateness > 0 {
		parts = append(parts, "allow-lateness "+fmtDuration(s.AllowLateness))
		if s.LateFire {
			parts = append(parts, "late "+delay(s.LateDelay))
		} else {
			parts = append(parts, "late every row")
		}
	}
	return fmt.Sprintf(" emit=[%s] changelog", strings.Join(parts, ", "))
}
