package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/tests/faults/sinkoutage"
)

// jdbcMemoryRows is how many rows BenchmarkJDBCExactlyOnceMemory writes
// (STREAMSQL_BENCH_JDBC_ROWS overrides it); jdbcStatementDelay slows every
// statement down (a proxy holds each packet the sink sends) so that the
// database is much slower than the source.
const (
	jdbcMemoryRows     = 1_000_000
	jdbcStatementDelay = 2 * time.Millisecond
)

// BenchmarkJDBCExactlyOnceMemory pushes rows as fast as the source makes
// them (datagen, 'rows-per-second' = '0') through the exactly-once jdbc
// sink with 10 s checkpoints into a slow MariaDB (every packet to the
// server delayed by jdbcStatementDelay), and reports the peak resident
// set (VmHWM, reset when the run starts) and the peak live heap while it
// runs: the sink spills what it cannot hold and slows the source down,
// so both stay bounded whatever the number of rows. Not a timed test:
// run it alone, once, e.g.
//
//	CI=true STREAMSQL_BENCH_JDBC_ROWS=10000000 go test -run '^$' -bench JDBCExactlyOnceMemory -benchtime 1x -timeout 30m ./bench
//
// It needs MariaDB on 127.0.0.1:3306 (see sinkoutage.OwnDatabase).
func BenchmarkJDBCExactlyOnceMemory(b *testing.B) {
	n := jdbcMemoryRows
	if s := os.Getenv("STREAMSQL_BENCH_JDBC_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("STREAMSQL_BENCH_JDBC_ROWS = %q is not a positive number of rows", s)
		}
		n = v
	}
	dbName, db := sinkoutage.OwnDatabase(b)
	proxy, err := sinkoutage.Start(sinkoutage.ServerAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetDelay(jdbcStatementDelay)
	script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '10s';
SET 'state.checkpoints.dir' = '%s';
CREATE TABLE src (id BIGINT, grp BIGINT, name STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'number-of-rows' = '%d', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%d',
  'fields.grp.min' = '0', 'fields.grp.max' = '999', 'fields.name.length' = '20');
CREATE TABLE dst (id BIGINT, grp BIGINT, name STRING) WITH ('connector' = 'jdbc',
  'url' = 'mysql://root@%s/%s', 'table-name' = 'dst', 'sink.create-table' = 'true');
INSERT INTO dst SELECT id, grp, name FROM src;`, b.TempDir(), n, n, proxy.Addr(), dbName)
	peak := watchMemory()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 {
			if _, err := db.Exec("DROP TABLE dst"); err != nil {
				b.Fatal(err)
			}
		}
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rss, heap := peak()
	var got int
	if err := db.QueryRow("SELECT COUNT(*) FROM dst").Scan(&got); err != nil {
		b.Fatal(err)
	}
	if got != n {
		b.Fatalf("%d rows in the database, want %d", got, n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
}

// watchMemory resets the process's peak resident set (Linux) and samples
// the live heap every 20 ms; the returned function stops the sampling and
// returns the peak resident set (VmHWM, 0 where unknown) and the peak heap
// in bytes.
func watchMemory() func() (rss, heap uint64) {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM; best effort
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var mu sync.Mutex
	var maxHeap uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			maxHeap = max(maxHeap, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		<-done
		return peakRSS(), maxHeap
	}
}

// peakRSS reads VmHWM from /proc/self/status (0 where there is none).
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
