package checkpoint

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// Storage layout (paths relative to a storage root):
//
//	<job>/chk-<n>/_metadata          a complete checkpoint's metadata
//	<job>/chk-<n>/...                files its tasks wrote
//	<job>/shared/...                 files shared by incremental checkpoints
//	savepoint-<job>-<n>-<suffix>/    a savepoint (in the savepoints storage):
//	    _metadata, and its files     self-contained, may be moved
//
// Inside a stored _metadata, file paths are relative to the directory
// holding it ("agg-0.state", "../shared/x.sst"), so that a savepoint keeps
// working wherever its directory goes. In memory (Metadata given to
// Commit, returned by Latest, Load, ...) they are relative to the root of
// the storage the metadata was read from, as state.FileRef says.
const (
	MetadataFile = "_metadata"
	SharedDir    = "shared"
)

var (
	chkDirRE       = regexp.MustCompile(`^chk-([0-9]+)$`)
	savepointDirRE = regexp.MustCompile(`^savepoint-(.+)-([0-9]+)-([0-9a-z]+)$`)
)

// checkpointDirID returns n for a directory named chk-<n>.
func checkpointDirID(name string) (int64, bool) {
	m := chkDirRE.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return n, err == nil
}

// savepointDirID returns the job and id of a directory named
// savepoint-<job>-<n>-<suffix>.
func savepointDirID(name string) (job string, id int64, ok bool) {
	m := savepointDirRE.FindStringSubmatch(name)
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	return m[1], n, err == nil
}

// checkJobID rejects job ids that are not a single path element.
func checkJobID(job string) error {
	if job == "" || job == "." || job == ".." || strings.ContainsAny(job, `/\`) {
		return fmt.Errorf("checkpoint storage: job id %q cannot name a directory", job)
	}
	return nil
}

// Location renders dir of st for messages: a filesystem path for local
// storage, root + "/" + dir otherwise.
func Location(st storage.Storage, dir string) string {
	root := st.Root()
	if dir == "" || dir == "." {
		return root
	}
	if strings.HasSuffix(root, "/") {
		return root + dir
	}
	return root + "/" + dir
}

// relTo returns p (relative to the storage root) relative to dir.
func relTo(dir, p string) string {
	if dir == "" || dir == "." {
		return p
	}
	if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
		return rest
	}
	ds, ps := strings.Split(dir, "/"), strings.Split(p, "/")
	i := 0
	for i < len(ds) && i < len(ps)-1 && ds[i] == ps[i] {
		i++
	}
	return strings.Repeat("../", len(ds)-i) + strings.Join(ps[i:], "/")
}

// resolve returns rel (relative to dir) relative to the storage root; ok
// is false when it points outside the root or is absolute.
func resolve(dir, rel string) (string, bool) {
	if rel == "" || path.IsAbs(rel) {
		return rel, false
	}
	p := path.Join(dir, rel)
	return p, p != ".." && !strings.HasPrefix(p, "../")
}

// mapPaths returns a deep copy of md whose file paths went through f.
func mapPaths(md *Metadata, f func(string) (string, error)) (*Metadata, error) {
	out := *md
	out.Operators = make([]OperatorState, len(md.Operators))
	for i, op := range md.Operators {
		op.Tasks = append([]TaskState(nil), op.Tasks...)
		for j := range op.Tasks {
			t := &op.Tasks[j]
			if t.Keyed != nil {
				h := *t.Keyed
				var err error
				if h.Files, err = mapRefs(h.Files, f); err != nil {
					return nil, err
				}
				if h.Changelog, err = mapRefs(h.Changelog, f); err != nil {
					return nil, err
				}
				t.Keyed = &h
			}
			if t.Channels != nil {
				chs := append([]ChannelState(nil), t.Channels...)
				for k := range chs {
					p, err := f(chs[k].Path)
					if err != nil {
						return nil, err
					}
					chs[k].Path = p
				}
				t.Channels = chs
			}
		}
		out.Operators[i] = op
	}
	return &out, nil
}

func mapRefs(refs []state.FileRef, f func(string) (string, error)) ([]state.FileRef, error) {
	if refs == nil {
		return nil, nil
	}
	out := make([]state.FileRef, len(refs))
	for i, r := range refs {
		p, err := f(r.Path)
		if err != nil {
			return nil, err
		}
		r.Path = p
		out[i] = r
	}
	return out, nil
}

// eachFile calls f for every file md references, with its recorded size.
func eachFile(md *Metadata, f func(p string, size int64, shared bool)) {
	for _, op := range md.Operators {
		for _, t := range op.Tasks {
			if t.Keyed != nil {
				for _, r := range t.Keyed.Files {
					f(r.Path, r.Size, r.Shared)
				}
				for _, r := range t.Keyed.Changelog {
					f(r.Path, r.Size, r.Shared)
				}
			}
			for _, ch := range t.Channels {
				f(ch.Path, ch.Size, false)
			}
		}
	}
}
