package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql/engine"
)

// JobRecord is what the registry keeps about one job.
type JobRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Statements are the statements that set the job up (CREATE, SET, in
	// submission order) followed by its INSERT or statement set.
	Statements []string   `json:"statements"`
	Status     string     `json:"status"` // RUNNING, FINISHED, FAILED, STOPPED
	Error      string     `json:"error,omitempty"`
	Savepoint  string     `json:"savepoint,omitempty"` // the savepoint it stopped with
	Submitted  time.Time  `json:"submitted"`
	Ended      *time.Time `json:"ended,omitempty"`
	// Resumes counts the server starts that started the job again.
	Resumes int `json:"resumes"`
	// Epoch is the owner epoch in a cluster (failover.go): 1 when
	// submitted, one more at every takeover; 0 on a server on its own.
	Epoch int64 `json:"epoch,omitempty"`
	// IDBase is the checkpoint id above which the owner at Epoch numbers
	// the job's checkpoints (engine.Job.IDBase).
	IDBase int64 `json:"id_base,omitempty"`
	// RestoredID is the checkpoint the owner at Epoch started from (0:
	// the beginning, or what the statements asked for).
	RestoredID int64 `json:"restored_checkpoint,omitempty"`
	// Jumped is set once the owner at Epoch (above 1) started the job
	// and recorded its own IDBase and RestoredID; until then they are the
	// previous owner's (a takeover claimed but not started yet).
	Jumped bool `json:"jumped,omitempty"`
	// Unit is set for a unit of a job cut into stages (stages.go).
	Unit *UnitInfo `json:"unit,omitempty"`
}

// UnitInfo names a unit of a job cut into stages and what it reads.
type UnitInfo struct {
	Stage int    `json:"stage"`
	Unit  int    `json:"unit"`
	Reads string `json:"reads"`
	// Job is the job's storage id (the units' checkpoint directories are
	// Job-s<S>u<U>) and Run its submission (execution.stages.run-id):
	// the units of one run of one job share both.
	Job string `json:"job,omitempty"`
	Run int64  `json:"run,omitempty"`
	// Start, for a unit of a job that continues from its checkpoints, is
	// how it starts, decided for all units where the job was submitted:
	// every start of the unit (a takeover, a move, a server's restart)
	// uses it (engine.Options.UnitStart).
	Start *engine.UnitStart `json:"start,omitempty"`
}

// end records that the job ended with status (and err, when not nil),
// and when, unless an earlier end was recorded.
func (r *JobRecord) end(status string, err error) {
	r.Status = status
	if err != nil {
		r.Error = err.Error()
	}
	if r.Ended == nil {
		now := time.Now()
		r.Ended = &now
	}
}

// registry is the durable list of jobs: <dir>/jobs.json, rewritten whole
// (to a temporary file, synced, renamed over the old one) on every change,
// so that a crash leaves either the old or the new list. Methods are safe
// for concurrent use.
type registry struct {
	path string
	mu   sync.Mutex
	jobs map[string]*JobRecord
}

func openRegistry(dir string) (*registry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	r := &registry{path: filepath.Join(dir, "jobs.json"), jobs: map[string]*JobRecord{}}
	data, err := os.ReadFile(r.path)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("job registry: %w", err)
	}
	var list []*JobRecord
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("job registry %s is damaged: %w", r.path, err)
	}
	for _, j := range list {
		r.jobs[j.ID] = j
	}
	return r, nil
}

// list returns copies of the records, oldest submission first.
func (r *registry) list() []JobRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]JobRecord, 0, len(r.jobs))
	for _, j := range r.jobs {
		out = append(out, *j)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Submitted.Equal(out[b].Submitted) {
			return out[a].Submitted.Before(out[b].Submitted)
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// remove deletes the record of id (a job another server took over) and
// writes the registry.
func (r *registry) remove(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.jobs[id]; !ok {
		return nil
	}
	delete(r.jobs, id)
	return r.writeLocked()
}

// get returns a copy of one record.
func (r *registry) get(id string) (JobRecord, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok {
		return JobRecord{}, false
	}
	return *j, true
}

// update applies fn to the record of id (a new record when fn is given
// one that does not exist yet: put) and writes the registry.
func (r *registry) update(id string, fn func(*JobRecord)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok {
		j = &JobRecord{ID: id}
		r.jobs[id] = j
	}
	fn(j)
	return r.writeLocked()
}

// change applies fn to the existing record of id and writes the
// registry; without such a record it changes nothing and reports false.
func (r *registry) change(id string, fn func(*JobRecord)) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok {
		return false, nil
	}
	fn(j)
	return true, r.writeLocked()
}

func (r *registry) writeLocked() error {
	list := make([]*JobRecord, 0, len(r.jobs))
	for _, j := range r.jobs {
		list = append(list, j)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("job registry: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("job registry: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("job registry: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("job registry: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("job registry: %w", err)
	}
	if d, err := os.Open(filepath.Dir(r.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
