package checkpoint

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// Status of a listed checkpoint or savepoint.
type Status int

const (
	// Complete: _metadata is intact and every file it references exists
	// with its recorded size (and, when listed with ListOptions.Verify,
	// is intact: Info.Verified).
	Complete Status = iota
	// Incomplete: no _metadata (in progress, aborted, or cut short).
	Incomplete
	// Damaged: unreadable _metadata, or a referenced file missing,
	// unreadable, of another size or (ListOptions.Verify) failing its
	// checksum; Info.Detail names it.
	Damaged
)

func (s Status) String() string {
	switch s {
	case Complete:
		return "complete"
	case Incomplete:
		return "incomplete"
	}
	return "damaged"
}

// Info describes one checkpoint or savepoint found by List.
type Info struct {
	Job       string // from the metadata, else from the directory names
	ID        int64
	Savepoint bool
	// Completed is when every task had acknowledged (zero when unknown).
	Completed time.Time
	// Size is the bytes the checkpoint needs: its _metadata and every
	// file it references, shared files included. IncrementalSize is the
	// bytes written for it: its _metadata, its own files, and the shared
	// files its tasks uploaded anew.
	Size            int64
	IncrementalSize int64
	Status          Status
	// Verified: every file was read and found intact (ListOptions.Verify).
	Verified bool
	// Latest marks the newest complete checkpoint of its job: the one
	// --restore latest uses.
	Latest bool
	// Detail says why it is damaged or incomplete, or notes what could
	// not be checked.
	Detail string
	Dir    string // relative to the storage root
	Path   string // Dir's location, for messages
}

// Kind is "checkpoint" or "savepoint".
func (i Info) Kind() string { return kind(i.Savepoint) }

// ListOptions select and check what List reports.
type ListOptions struct {
	// Job, if not empty, keeps one job's checkpoints and savepoints.
	Job string
	// Verify reads every file each checkpoint references and checks its
	// checksum, as a restore does before choosing a checkpoint (shared
	// files are read once). Without it only existence and sizes are
	// checked, which reads no file but _metadata.
	Verify bool
}

// List finds the checkpoints and savepoints in st, whatever st is rooted
// at: a checkpoints root (state.checkpoints.dir, all jobs), one job's
// directory, a savepoints root, or a single checkpoint or savepoint
// directory. Every directory holding a _metadata file counts, as do
// chk-<n> and savepoint-<job>-<n>-<suffix> directories without one
// (incomplete). Each is checked: files exist with their recorded sizes,
// and with opts.Verify their contents are intact (what Latest checks);
// files outside st cannot be checked and are noted. The result is sorted
// by job, then id.
func List(st storage.Storage, opts ListOptions) ([]Info, error) {
	jobFilter := opts.Job
	objs, err := st.List("")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", st.Root(), err)
	}
	dirs := map[string]bool{}     // dir -> has _metadata
	deleting := map[string]bool{} // dirs retention is deleting
	for _, o := range objs {
		dir, file := path.Split(o)
		dir = strings.TrimSuffix(dir, "/")
		if file == MetadataFile {
			dirs[dir] = true
		}
		if file == DiscardFile {
			deleting[dir] = true
		}
		for d := dir; d != ""; d = parent(d) {
			base := path.Base(d)
			_, isChk := checkpointDirID(base)
			_, _, isSavepoint := savepointDirID(base)
			if _, seen := dirs[d]; !seen && (isChk || isSavepoint) {
				dirs[d] = false
			}
		}
	}
	var all []Info
	jobOf := map[string]string{} // parent dir -> job of a checkpoint in it
	var verified map[string]bool // shared files found intact
	if opts.Verify {
		verified = map[string]bool{}
	}
	for dir, hasMeta := range dirs {
		info := describe(st, dir, hasMeta, verified)
		if !hasMeta && deleting[dir] {
			info.Detail = "no " + MetadataFile + ": being deleted by retention (finished by the next checkpoint)"
		}
		if info.Job != "" && !info.Savepoint {
			jobOf[parent(dir)] = info.Job
		}
		all = append(all, info)
	}
	var infos []Info
	for _, info := range all {
		if info.Job == "" && !info.Savepoint {
			info.Job = jobOf[parent(info.Dir)] // a partial checkpoint beside complete ones
		}
		if jobFilter == "" || info.Job == jobFilter {
			infos = append(infos, info)
		}
	}
	slices.SortFunc(infos, func(a, b Info) int {
		if c := strings.Compare(a.Job, b.Job); c != 0 {
			return c
		}
		if a.ID != b.ID {
			if a.ID < b.ID {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	latest := map[string]int{}
	for i, in := range infos {
		if in.Status == Complete && !in.Savepoint {
			latest[in.Job] = i
		}
	}
	for _, i := range latest {
		infos[i].Latest = true
	}
	return infos, nil
}

func parent(d string) string {
	p := path.Dir(d)
	if p == "." || p == "/" {
		return ""
	}
	return p
}

// describe builds the Info of one directory ("" is the root itself).
// With verified not nil it reads every file (see verifyContents), skipping
// those verified holds and adding those found intact.
func describe(st storage.Storage, dir string, hasMeta bool, verified map[string]bool) Info {
	base := path.Base(dir)
	info := Info{Dir: dir, Path: Location(st, dir), Status: Incomplete}
	if id, ok := checkpointDirID(base); ok {
		info.ID = id
		if p := parent(dir); p != "" {
			info.Job = path.Base(p)
		}
	} else if job, id, ok := savepointDirID(base); ok {
		info.Job, info.ID, info.Savepoint = job, id, true
	}
	if !hasMeta {
		info.Detail = "no " + MetadataFile + " (in progress, aborted or cut short)"
		return info
	}
	d := dir
	if d == "" {
		d = "."
	}
	md, err := readMetadata(st, d)
	var de *DamagedError
	if md != nil {
		if md.JobID != "" {
			info.Job = md.JobID
		}
		info.ID, info.Savepoint = md.CheckpointID, md.Savepoint
		info.Size, info.IncrementalSize = sizes(st, d, md)
		if md.CompletedAt != 0 {
			info.Completed = time.UnixMilli(md.CompletedAt)
		}
	}
	outside := false
	switch {
	case errors.As(err, &de) && md != nil:
		// Readable, but it references files outside st: check the rest.
		info.Detail = "files outside " + st.Root() + " not checked"
		md, outside = inside(md), true
	case errors.As(err, &de):
		info.Status, info.Detail = Damaged, de.Reason
		return info
	case err != nil:
		info.Status, info.Detail = Damaged, err.Error()
		return info
	}
	err = verifyFiles(st, d, md)
	if err == nil && verified != nil && !outside {
		// Contents are checked only when every file resolves inside st:
		// a Pebble index names its files relative to the original root.
		err = verifyContents(st, d, md, verified)
		info.Verified = err == nil
	}
	if err != nil {
		info.Status = Damaged
		if errors.As(err, &de) {
			info.Detail = de.Reason
		} else {
			info.Detail = err.Error()
		}
		return info
	}
	info.Status = Complete
	return info
}

// sizes returns what md in dir needs in all and what was written for it
// (Info.Size and Info.IncrementalSize): the _metadata file (which holds
// the sinks' committables, possibly large) plus the recorded sizes of the
// files md references, each counted once. Files in the checkpoint's
// directory (not shared) were written for it; of the shared files, the
// bytes each task recorded as uploaded anew (Handle.IncrementalSize less
// its own files); and the files sinks' committables reference outside the
// checkpoint's directory (TaskState.CommittableBytes, e.g. JDBC spill
// files), which are new for each checkpoint.
func sizes(st storage.Storage, dir string, md *Metadata) (size, incremental int64) {
	if n, err := st.Size(path.Join(dir, MetadataFile)); err == nil {
		size, incremental = n, n
	}
	seen := map[string]bool{}
	eachFile(md, func(p string, n int64, shared bool) {
		if seen[p] {
			return
		}
		seen[p] = true
		size += n
		if !shared {
			incremental += n
		}
	})
	for _, op := range md.Operators {
		for _, t := range op.Tasks {
			size += t.CommittableBytes
			incremental += t.CommittableBytes
			if h := t.Keyed; h != nil {
				var own, shared int64
				for _, refs := range [][]state.FileRef{h.Files, h.Changelog} {
					for _, r := range refs {
						if r.Shared {
							shared += r.Size
						} else {
							own += r.Size
						}
					}
				}
				incremental += min(max(h.IncrementalSize-own, 0), shared)
			}
		}
	}
	return size, incremental
}

// inside drops the file references that point outside the storage root.
func inside(md *Metadata) *Metadata {
	out, _ := mapPaths(md, func(p string) (string, error) {
		if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
			return "", nil
		}
		return p, nil
	})
	return out
}

// FormatList renders infos as a table for `streamsql checkpoints DIR`:
// one line per checkpoint or savepoint, then a note for each damaged or
// incomplete one saying why. Times are local.
func FormatList(infos []Info) string {
	if len(infos) == 0 {
		return "no checkpoints or savepoints found\n"
	}
	rows := [][]string{{"JOB", "ID", "KIND", "STATUS", "COMPLETED", "SIZE", "INCREMENTAL", "PATH"}}
	for _, in := range infos {
		status := in.Status.String()
		if in.Latest {
			status += " (latest)"
		}
		completed, size, incr := "-", "-", "-"
		if !in.Completed.IsZero() {
			completed = in.Completed.Local().Format("2006-01-02 15:04:05.000")
		}
		if in.Status != Incomplete || in.Size != 0 {
			size, incr = formatBytes(in.Size), formatBytes(in.IncrementalSize)
		}
		job := in.Job
		if job == "" {
			job = "?"
		}
		rows = append(rows, []string{job, fmt.Sprint(in.ID), in.Kind(), status, completed, size, incr, in.Path})
	}
	rightAligned := map[int]bool{1: true, 5: true, 6: true}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len(c))
			switch {
			case rightAligned[i]:
				line.WriteString(pad + c)
			case i == len(r)-1:
				line.WriteString(c)
			default:
				line.WriteString(c + pad)
			}
		}
		b.WriteString(line.String() + "\n")
	}
	first := true
	for _, in := range infos {
		if in.Detail == "" {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		fmt.Fprintf(&b, "%s %d (%s): %s: %s\n", in.Kind(), in.ID, in.Path, in.Status, in.Detail)
	}
	for _, in := range infos {
		if in.Status == Complete && !in.Verified {
			b.WriteString("\nComplete means every file exists with its recorded size; -verify reads every file and checks its checksum, as a restore does.\n")
			break
		}
	}
	return b.String()
}

// formatBytes renders n in B, KiB, MiB, GiB or TiB.
func formatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= 1024
		if v < 1024 || unit == "TiB" {
			return fmt.Sprintf("%.1f %s", v, unit)
		}
	}
	return ""
}
