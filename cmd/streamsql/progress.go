package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/engine"
)

// progress reports the running jobs of a -f / -e / standard-input run on
// standard error every interval: on a terminal one line, rewritten in
// place; otherwise one line per running job each time. stop ends it
// (clearing the terminal line).
type progress struct {
	stopOnce sync.Once
	done     chan struct{}
	finished chan struct{}
}

func startProgress(eng *engine.Engine, w io.Writer, every time.Duration, terminal bool) *progress {
	p := &progress{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(p.finished)
		seen := map[string]*engine.Progress{}
		tick := time.NewTicker(every)
		defer tick.Stop()
		drawn := false
		for {
			select {
			case <-p.done:
				if drawn {
					fmt.Fprint(w, "\r\x1b[K")
				}
				return
			case <-tick.C:
			}
			var lines []string
			for _, j := range eng.Jobs() {
				if st, _ := j.Status(); st != engine.JobRunning && st != engine.JobRestarting {
					continue
				}
				prev := seen[j.ID]
				if prev == nil {
					prev = &engine.Progress{}
					seen[j.ID] = prev
				}
				lines = append(lines, engine.ProgressLine(j, prev))
			}
			if len(lines) == 0 {
				continue
			}
			if terminal {
				fmt.Fprint(w, "\r\x1b[K"+strings.Join(lines, " | "))
				drawn = true
				continue
			}
			for _, l := range lines {
				fmt.Fprintln(w, l)
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	p.stopOnce.Do(func() {
		close(p.done)
		<-p.finished
	})
}
