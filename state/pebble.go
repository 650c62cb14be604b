package state

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// PebbleOptions configures a PebbleBackend.
type PebbleOptions struct {
	// Incremental makes checkpoints (not savepoints) upload only the SST
	// files the last completed checkpoint of this instance did not
	// upload (state.backend.incremental). Otherwise every snapshot is a
	// FormatFull file.
	Incremental bool
	// MemTableSize is Pebble's memtable size in bytes (0:
	// DefaultMemTableSize).
	MemTableSize uint64
	// CacheSize is the block cache of the instance's database in bytes
	// (0: 32 MiB).
	CacheSize int64
	// CacheEntries is how many decoded entries each keyed state of the
	// instance keeps in memory in front of the database
	// (state.backend.pebble.cache.entries; see EntryCache). 0:
	// DefaultCacheEntries; negative: none (entries are kept only until
	// the next flush).
	CacheEntries int
	// Memory, when not nil, is the job's memory budget: it sizes the
	// memtables (unless MemTableSize is set), replaces the block cache by
	// the job's shared one, and bounds the entry caches in bytes (see
	// MemoryBudget). Without it only CacheEntries bounds them.
	Memory *MemoryBudget

	// noCompactions turns automatic compactions off (tests that need
	// stable file sets).
	noCompactions bool
}

// PebbleBackend keeps state in one Pebble database per operator instance,
// in a private working directory on local disk.
//
// Keys are [state id, 2 bytes][key group, 2 bytes big-endian][user key];
// state ids are given to state names as they are registered or restored
// (the name-to-id catalog travels in snapshots, not in the database).
// Values are encoded with the state's Codec. The write-ahead log is off:
// checkpoints, not the WAL, make state durable.
//
// Ownership: the backend creates its working directory (a fresh
// subdirectory of the directory given to NewPebbleBackend) and removes it
// on Close. A process that crashes leaves it behind; the parent directory
// may be cleaned at start by whoever owns it.
type PebbleBackend struct {
	id      instanceID
	kgs     KeyGroupRange
	opts    PebbleOptions
	workDir string
	dbDir   string
	db      *pebble.DB
	wb      *pebble.Batch // buffered writes of the maps (pebblebuffer.go)
	ranging int           // Range calls in progress (the buffer must stay)

	catalog  map[string]*pebbleState
	nextID   int
	states_  map[string]namedState
	restored bool
	err      error // first error met by a KeyedMap method
	lastSize atomic.Int64

	// session makes the names of the shared files this backend uploads
	// unique across restarts of the same instance.
	session string
	uploads uploadTracker
	closed  bool
	// blockCache is the job's shared block cache (opts.Memory), held
	// from NewPebbleBackend to Close; nil: each database has its own.
	blockCache *pebble.Cache
}

// pebbleState is the catalog entry of one state name.
type pebbleState struct {
	name  string
	id    uint16
	count int64
}

// maxStateID bounds state ids (id+1 must fit the 2-byte prefix).
const maxStateID = 0xfffe

// NewPebbleBackend opens an empty Pebble database for instance instance of
// operator operatorID owning key groups kgs, in a new working directory
// under dir (created if missing).
func NewPebbleBackend(dir, operatorID string, instance int, kgs KeyGroupRange, opts PebbleOptions) (*PebbleBackend, error) {
	if kgs.Start < 0 || kgs.End > maxKeyGroups || kgs.Start > kgs.End {
		return nil, fmt.Errorf("pebble backend: key groups [%d,%d) out of range", kgs.Start, kgs.End)
	}
	id := instanceID{operatorID, instance}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pebble backend %s: %w", id.fileStem(), err)
	}
	work, err := os.MkdirTemp(dir, sanitize(id.fileStem())+"-*")
	if err != nil {
		return nil, fmt.Errorf("pebble backend %s: %w", id.fileStem(), err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		os.RemoveAll(work)
		return nil, err
	}
	b := &PebbleBackend{
		id: id, kgs: kgs, opts: opts,
		workDir: work, dbDir: filepath.Join(work, "db"),
		catalog: map[string]*pebbleState{}, nextID: 1,
		states_: map[string]namedState{},
		session: hex.EncodeToString(rnd[:]),
	}
	if opts.Memory != nil {
		b.blockCache = opts.Memory.blockCache()
	}
	if b.db, err = b.openDB(b.dbDir, false); err != nil {
		if opts.Memory != nil {
			opts.Memory.releaseBlockCache()
		}
		os.RemoveAll(work)
		return nil, fmt.Errorf("pebble backend %s: opening %s: %w", id.fileStem(), b.dbDir, err)
	}
	return b, nil
}

// openDB opens the Pebble database in dir with the backend's options (b
// may be nil for a read-only database read by a restore).
func (b *PebbleBackend) openDB(dir string, readOnly bool) (*pebble.DB, error) {
	o := &pebble.Options{
		DisableWAL:          true,
		ReadOnly:            readOnly,
		FormatMajorVersion:  pebble.FormatNewest,
		Logger:              quietLogger{},
		MaxManifestFileSize: 8 << 20,
	}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	cacheSize := int64(32 << 20)
	if b != nil {
		o.MemTableSize = DefaultMemTableSize
		if b.opts.MemTableSize > 0 {
			o.MemTableSize = b.opts.MemTableSize
		}
		if b.opts.CacheSize > 0 {
			cacheSize = b.opts.CacheSize
		}
		if m := b.opts.Memory; m != nil && b.opts.MemTableSize == 0 {
			o.MemTableSize = m.MemTableSize()
		}
		o.DisableAutomaticCompactions = b.opts.noCompactions
		if b.blockCache != nil {
			o.Cache = b.blockCache // pebble.Open takes its own reference
			return pebble.Open(dir, o)
		}
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref() // the database holds its own reference
	o.Cache = cache
	return pebble.Open(dir, o)
}

// quietLogger drops Pebble's informational messages; errors surface
// through return values.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}

// DefaultMemTableSize is the default of PebbleOptions.MemTableSize: eight
// times Pebble's own, so that the entries an entry cache writes back (a
// whole cache's worth at once) reach level 0 in fewer, larger files,
// which costs less compaction (Flink's RocksDB uses 64 MiB).
const DefaultMemTableSize = 32 << 20

// DefaultCacheEntries is the default of PebbleOptions.CacheEntries.
const DefaultCacheEntries = 1 << 18

// EntryCacheBytes implements EntryCache: each keyed state's share of the
// job's memory budget (0 without one).
func (b *PebbleBackend) EntryCacheBytes() int64 {
	if b.opts.Memory == nil {
		return 0
	}
	return b.opts.Memory.EntryCacheShare()
}

// EntryCacheEntries implements EntryCache.
func (b *PebbleBackend) EntryCacheEntries() int {
	switch n := b.opts.CacheEntries; {
	case n == 0:
		return DefaultCacheEntries
	case n < 0:
		return 0
	default:
		return n
	}
}

func (b *PebbleBackend) Kind() string                  { return "pebble" }
func (b *PebbleBackend) KeyGroups() KeyGroupRange      { return b.kgs }
func (b *PebbleBackend) states() map[string]namedState { return b.states_ }
func (b *PebbleBackend) ident() instanceID             { return b.id }

// Err is the first error a KeyedMap method met (I/O, or a stored value
// that does not decode); Snapshot fails with it.
func (b *PebbleBackend) Err() error { return b.err }

func (b *PebbleBackend) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *PebbleBackend) add(name string, s namedState) error {
	if _, ok := b.states_[name]; ok {
		return fmt.Errorf("state %q registered twice", name)
	}
	b.states_[name] = s
	if b.opts.Memory != nil {
		b.opts.Memory.joinState()
	}
	return nil
}

// stateFor returns the catalog entry of name, giving it an id if new.
func (b *PebbleBackend) stateFor(name string) (*pebbleState, error) {
	if ps, ok := b.catalog[name]; ok {
		return ps, nil
	}
	if b.nextID > maxStateID {
		return nil, fmt.Errorf("pebble backend %s: too many states (%d)", b.id.fileStem(), len(b.catalog))
	}
	ps := &pebbleState{name: name, id: uint16(b.nextID)}
	b.nextID++
	b.catalog[name] = ps
	return ps, nil
}

// catalogCopy lists the catalog by name, as of now.
func (b *PebbleBackend) catalogCopy() []pebbleState {
	out := make([]pebbleState, 0, len(b.catalog))
	for _, ps := range b.catalog {
		out = append(out, *ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// appendKey appends the database key of (state id, kg, key).
func appendKey(buf []byte, id uint16, kg int, key []byte) []byte {
	buf = binary.BigEndian.AppendUint16(buf, id)
	buf = binary.BigEndian.AppendUint16(buf, uint16(kg))
	return append(buf, key...)
}

// groupBounds returns the database key range of key groups kgs of state id.
func groupBounds(id uint16, kgs KeyGroupRange) (lo, hi []byte) {
	lo = appendKey(nil, id, kgs.Start, nil)
	if kgs.End >= 1<<16 {
		return lo, appendKey(nil, id+1, 0, nil)
	}
	return lo, appendKey(nil, id, kgs.End, nil)
}

// compactAll flushes and compacts the whole database into its last level
// (tests and benchmarks use it to start from a settled LSM tree).
func (b *PebbleBackend) compactAll() error {
	if err := b.commitWrites(); err != nil {
		return err
	}
	if err := b.db.Flush(); err != nil {
		return err
	}
	return b.db.Compact(context.Background(), []byte{0}, []byte{0xff, 0xff, 0xff}, true)
}

// applyRaw writes one restored change directly into the database. An
// append is applied to the stored bytes (the value then holds its tails
// until it is written again: its Codec decodes that).
func (b *PebbleBackend) applyRaw(file, name string, kg int, key, val []byte, kind changeKind) error {
	ps, err := b.stateFor(name)
	if err != nil {
		return err
	}
	k := appendKey(nil, ps.id, kg, key)
	if kind == changeAppend {
		old, closer, err := b.reader().Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return fmt.Errorf("key group %d: an append to key %q, which no earlier file holds", kg, key)
		}
		if err != nil {
			return err
		}
		v := make([]byte, 0, len(old)+len(val))
		v = append(append(v, old...), val...)
		closer.Close()
		return b.writer().Set(k, v, nil)
	}
	had, err := b.exists(k)
	if err != nil {
		return err
	}
	if kind == changeDelete {
		if had {
			ps.count--
			return b.writer().Delete(k, nil)
		}
		return nil
	}
	if !had {
		ps.count++
	}
	return b.writer().Set(k, val, nil)
}

// Close closes the database and removes the working directory. It may be
// called more than once.
func (b *PebbleBackend) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.wb != nil {
		b.wb.Close() // the state is discarded
		b.wb = nil
	}
	if b.db != nil {
		err = b.db.Close()
		b.db = nil
	}
	if m := b.opts.Memory; m != nil {
		for range b.states_ {
			m.leaveState()
		}
		if b.blockCache != nil {
			b.blockCache = nil
			m.releaseBlockCache()
		}
	}
	if rerr := os.RemoveAll(b.workDir); err == nil {
		err = rerr
	}
	return err
}

// sanitize makes s usable as a file name.
func sanitize(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '/' || c == '\\' || c == 0 {
			out[i] = '_'
		}
	}
	return string(out)
}
