package state

import (
	"flag"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// benchKeys is the state size of BenchmarkPebbleIncrementalCheckpoint, in
// keys of benchValueSize-byte values. Set it with -state.bench.keys=N or
// STREAMSQL_BENCH_STATE_KEYS=N; 10,000,000 keys is about 1 GB.
var benchKeys = flag.Int("state.bench.keys", envInt("STREAMSQL_BENCH_STATE_KEYS", 200_000), "keys in the state of BenchmarkPebbleIncrementalCheckpoint")

const benchValueSize = 100

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchKey appends key i to buf[:0] and returns its key group.
func benchKey(buf []byte, i int) (int, []byte) {
	buf = append(buf[:0], "key-"...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	return KeyGroupOf(uint64(i), maxPar), buf
}

// fillBenchKeys puts keys entries (benchKey i -> i) into m and returns
// the key buffer, for reuse.
func fillBenchKeys(m KeyedMap[int64], keys int) []byte {
	var kbuf []byte
	for i := 0; i < keys; i++ {
		kg, k := benchKey(kbuf, i)
		kbuf = k
		m.Put(kg, k, int64(i))
	}
	return kbuf
}

var benchRounds = flag.Int("state.bench.rounds", 5, "incremental checkpoints per run of BenchmarkPebbleIncrementalCheckpoint")

// benchRestoreProfile names a file for a CPU profile of the restore alone
// (the benchmarks' restore, not the building of the state and its
// checkpoints that -test.cpuprofile would also cover).
var benchRestoreProfile = flag.String("state.bench.restoreprofile", "", "write a CPU profile of the restore of BenchmarkPebbleIncrementalCheckpoint and BenchmarkHashMapIncrementalCheckpoint to this file")

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPebbleIncrementalCheckpoint is one experiment per b.N: it
// builds a state of -state.bench.keys keys of 100-byte values, settles the
// LSM tree (as in a long-running job), takes a first checkpoint (which
// uploads everything), then -state.bench.rounds times changes 1% of the
// keys and takes an incremental checkpoint, and finally drops the state
// and restores the last checkpoint into a new instance at the same
// parallelism. It reports the first checkpoint's size and duration, the
// incremental checkpoints' mean duration, bytes uploaded and bytes
// referenced, and the restore's wall-clock time (restore-ms) and CPU time
// of the whole process meanwhile (restore-cpu-ms, user + system);
// -state.bench.restoreprofile=FILE writes a CPU profile of the restore.
// Storage is a local directory on the same file system (uploads of SST
// files are renames of hard links, so "bytes uploaded" is what an object
// store would receive, while the durations exclude the copy).
//
//	go test ./state -run XXX -bench PebbleIncremental -state.bench.keys=10000000
func BenchmarkPebbleIncrementalCheckpoint(b *testing.B) {
	c := backendConfig{"pebble-incremental", Config{Backend: "pebble", Incremental: true}}
	for i := 0; i < b.N; i++ {
		benchIncremental(b, c, *benchKeys, *benchRounds)
	}
}

// BenchmarkHashMapIncrementalCheckpoint is the same for the memory
// backend: a full base, then deltas.
func BenchmarkHashMapIncrementalCheckpoint(b *testing.B) {
	c := backendConfig{"hashmap-incremental", Config{Backend: "hashmap", Incremental: true}}
	for i := 0; i < b.N; i++ {
		benchIncremental(b, c, *benchKeys, *benchRounds)
	}
}

func benchIncremental(b *testing.B, c backendConfig, n, rounds int) {
	dir, err := os.MkdirTemp("", "state-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := storage.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	be := newBackend(b, c, 0, all)
	defer be.Close()
	m, err := NewKeyedMap[[]byte](be, "bench", bytesCodec{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	val := make([]byte, benchValueSize)
	var kbuf []byte
	for i := 0; i < n; i++ {
		rng.Read(val)
		kg, k := benchKey(kbuf, i)
		kbuf = k
		m.Put(kg, k, val)
	}
	if pb, ok := be.(*PebbleBackend); ok {
		if err := pb.compactAll(); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	h := snapshot(b, be, st, 1, false)
	be.CheckpointComplete(1)
	firstBytes, firstTime := h.Size, time.Since(start)

	var ckpt time.Duration
	var uploaded, total int64
	for r := 0; r < rounds; r++ {
		for j := 0; j < n/100; j++ {
			rng.Read(val)
			kg, k := benchKey(kbuf, rng.Intn(n))
			kbuf = k
			m.Put(kg, k, val)
		}
		id := int64(r + 2)
		t0 := time.Now()
		h = snapshot(b, be, st, id, false)
		ckpt += time.Since(t0)
		be.CheckpointComplete(id)
		uploaded += h.IncrementalSize
		total += h.Size
	}

	// A restoring process does not hold the state it restores: drop the
	// writer's before measuring (its heap would be marked by every GC of
	// the restore).
	if err := be.Close(); err != nil {
		b.Fatal(err)
	}
	m = nil
	runtime.GC()
	if *benchRestoreProfile != "" {
		f, err := os.Create(*benchRestoreProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	t0, c0 := time.Now(), cpuTime()
	rb := newBackend(b, c, 0, all)
	defer rb.Close()
	if err := rb.Restore(st, []*Handle{h}); err != nil {
		b.Fatal(err)
	}
	rm, err := NewKeyedMap[[]byte](rb, "bench", bytesCodec{})
	if err != nil {
		b.Fatal(err)
	}
	restore, restoreCPU := time.Since(t0), cpuTime()-c0
	if *benchRestoreProfile != "" {
		pprof.StopCPUProfile()
	}
	if rm.Len() != n {
		b.Fatalf("restored %d keys, want %d", rm.Len(), n)
	}
	b.ReportMetric(float64(firstBytes), "first-bytes")
	b.ReportMetric(float64(firstTime.Milliseconds()), "first-ms")
	b.ReportMetric(float64(ckpt.Milliseconds())/float64(rounds), "ckpt-ms")
	b.ReportMetric(float64(uploaded)/float64(rounds), "incr-bytes")
	b.ReportMetric(float64(total)/float64(rounds), "total-bytes")
	b.ReportMetric(100*float64(uploaded)/float64(total), "incr-%")
	b.ReportMetric(float64(restore.Milliseconds()), "restore-ms")
	b.ReportMetric(float64(restoreCPU.Milliseconds()), "restore-cpu-ms")
}

type bytesCodec struct{}

func (bytesCodec) Append(b []byte, v []byte) []byte { return append(b, v...) }
func (bytesCodec) Decode(b []byte) ([]byte, error)  { return append([]byte(nil), b...), nil }

// BenchmarkKeyedMap measures the per-operation cost of each backend's map.
func BenchmarkKeyedMap(b *testing.B) {
	for _, c := range allConfigs() {
		if c.cfg.Incremental {
			continue // same map as pebble-full
		}
		b.Run(c.name, func(b *testing.B) {
			const keys = 100_000
			be := newBackend(b, c, 0, all)
			m, err := NewKeyedMap[int64](be, "n", varintCodec{})
			if err != nil {
				b.Fatal(err)
			}
			kbuf := fillBenchKeys(m, keys)
			b.Run("put-existing", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					kg, k := benchKey(kbuf, i%keys)
					kbuf = k
					m.Put(kg, k, int64(i))
				}
			})
			b.Run("get-then-put", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					kg, k := benchKey(kbuf, (i*7919)%keys)
					kbuf = k
					v, _ := m.Get(kg, k)
					m.Put(kg, k, v+1)
				}
			})
			b.Run("get", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					kg, k := benchKey(kbuf, i%keys)
					kbuf = k
					m.Get(kg, k)
				}
			})
		})
	}
}

// BenchmarkHashMapEntryMemory reports the heap the memory backend's map
// holds per entry (bytes/entry: after a collection, less the heap before
// the entries went in), for 1,000,000 entries of 9-to-11-byte keys and int64
// values, with full and with incremental checkpoints, after one
// checkpoint (the full mode then caches every entry's encoding).
func BenchmarkHashMapEntryMemory(b *testing.B) {
	for _, incremental := range []bool{false, true} {
		name := "full"
		if incremental {
			name = "incremental"
		}
		b.Run(name, func(b *testing.B) {
			const keys = 1_000_000
			for i := 0; i < b.N; i++ {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.HeapAlloc
				be := NewHashMapBackendWith("op", 0, all, HashMapOptions{Incremental: incremental})
				m, err := NewKeyedMap[int64](be, "n", varintCodec{})
				if err != nil {
					b.Fatal(err)
				}
				fillBenchKeys(m, keys)
				if _, err := be.Snapshot(SnapshotTarget{Storage: storage.NewMemory(), Dir: "job/chk-1", SharedDir: "job/shared", CheckpointID: 1}); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.HeapAlloc-before)/keys, "bytes/entry")
				runtime.KeepAlive(m)
			}
		})
	}
}
