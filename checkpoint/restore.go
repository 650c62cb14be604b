package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// Latest returns the newest complete, intact checkpoint of the job (for
// --restore latest and for restarts after a failure), with paths relative
// to the checkpoint storage (its Metadata.Storage). Before a checkpoint is
// chosen every file it references is read and checked (see loadDir), so
// newer checkpoints that are partial (no _metadata) or damaged
// (unreadable _metadata; a referenced file missing, unreadable, of
// another size or failing its checksum) are skipped, each with a warning
// that names it and the damaged file and says which checkpoint is used
// instead.
//
// With no complete checkpoint at all it returns nil and no error (a fresh
// start). When checkpoints exist but every one is damaged it returns an
// error that lists them: restoring nothing would silently lose state.
func (s *Store) Latest() (*Metadata, []string, error) {
	return s.LatestBetween(0, math.MaxInt64)
}

// LatestBetween is Latest among the checkpoints with after < id <= upTo
// (a cluster owner's epoch: engine.Ownership); the others are neither
// read nor named in warnings.
func (s *Store) LatestBetween(after, upTo int64) (*Metadata, []string, error) {
	dirs, err := s.listCheckpoints()
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, 0, len(dirs))
	for id := range dirs {
		if id > after && id <= upTo {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	var skipped []string
	damaged := 0
	for _, id := range ids {
		dir := s.CheckpointDir(id)
		where := fmt.Sprintf("checkpoint %d (%s)", id, Location(s.st, dir))
		if !dirs[id] {
			skipped = append(skipped, where+" is incomplete: it has no "+MetadataFile)
			continue
		}
		md, err := loadDir(s.st, dir)
		var de *DamagedError
		switch {
		case errors.As(err, &de):
			skipped = append(skipped, where+" is damaged: "+de.Reason)
			damaged++
			continue
		case err != nil:
			return nil, nil, err
		}
		warnings := make([]string, len(skipped))
		for i, w := range skipped {
			warnings[i] = fmt.Sprintf("%s; using checkpoint %d instead", w, id)
		}
		return md, warnings, nil
	}
	if damaged > 0 {
		return nil, skipped, fmt.Errorf("no intact checkpoint of job %s in %s: %s",
			s.job, Location(s.st, s.job), strings.Join(skipped, "; "))
	}
	return nil, skipped, nil
}

// Load reads the checkpoint or savepoint at p (its directory or its
// _metadata file), for --restore PATH and execution.savepoint.path. p is
// a local filesystem path: inside the checkpoint or savepoints storage's
// directory it is read from that storage, elsewhere as LoadLocal does.
// A relative p that does not exist on the filesystem is taken as relative
// to the checkpoint storage's root (which is how other storages are
// addressed); an absolute one that does not exist is an error for which
// errors.Is(err, fs.ErrNotExist) holds. Metadata.Storage in the result is
// the storage to read its files from. A directory without _metadata
// gives *IncompleteError. The caller names p in its message.
//
// p may also be an object store URL (s3://bucket/prefix/job/chk-7) under
// the checkpoint or savepoints storage's root; one elsewhere is an error
// that names both roots.
func (s *Store) Load(p string) (*Metadata, error) {
	for _, st := range []storage.Storage{s.st, s.opts.Savepoints} {
		if rel, ok := within(st, p); ok {
			return Load(st, rel)
		}
		if rel, ok := withinURL(st, p); ok {
			return Load(st, rel)
		}
	}
	if storage.IsURL(p) {
		roots := s.st.Root()
		if s.opts.Savepoints != nil {
			roots += " or " + s.opts.Savepoints.Root()
		}
		return nil, fmt.Errorf("%s is not under the checkpoint or savepoint location (%s): set 'state.checkpoints.dir' or 'state.savepoints.dir' to the location that holds it", p, roots)
	}
	if _, err := os.Stat(p); err == nil {
		_, md, err := LoadLocal(p)
		return md, err
	}
	if filepath.IsAbs(p) {
		return nil, errNoSuchPath{}
	}
	return Load(s.st, p)
}

// errNoSuchPath says a checkpoint or savepoint path does not exist.
type errNoSuchPath struct{}

func (errNoSuchPath) Error() string        { return "no such file or directory" }
func (errNoSuchPath) Is(target error) bool { return target == fs.ErrNotExist }

// within returns local path p relative to st's root when st is a local
// storage whose directory holds p.
func within(st storage.Storage, p string) (string, bool) {
	l, ok := st.(*storage.Local)
	if !ok || l == nil {
		return "", false
	}
	root, err1 := filepath.Abs(l.Root())
	abs, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	if _, err := os.Stat(abs); err != nil {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// withinURL returns p relative to the root of object storage st when p is
// a URL under that root.
func withinURL(st storage.Storage, p string) (string, bool) {
	if st == nil || !storage.IsURL(p) || !storage.IsURL(st.Root()) {
		return "", false
	}
	p = strings.Replace(p, "s3a://", "s3://", 1)
	rel, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), st.Root()+"/")
	if !ok || rel == "" {
		return "", false
	}
	return rel, true
}
