package engine

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/connectors/exchange"
	"github.com/streamsql/streamsql/sql"
)

// TestUnitPlansDecideOnceForEveryUnit: a count from a 4-partition topic
// cut into stages ran as 2 units to the end of its input. Planned again
// at 3 units for a new run, every unit starts from the beginning above
// its directory's checkpoints; planned to continue the run
// ('latest'), both stages are rescaled: every unit of a stage gets the
// same new layout stamp, the ids of the previous units' last checkpoints
// and the end offsets of the topic between the stages, and units started
// apart with their plans (as a cluster's servers start them) restore the
// merged checkpoints and finish.
func TestUnitPlansDecideOnceForEveryUnit(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := 0; i < 400; i++ {
		recs = append(recs, &kgo.Record{Topic: "events", Partition: int32(i % 4), Value: []byte(fmt.Sprintf(`{"k":%d}`, i%13))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ddl := fmt.Sprintf(`CREATE TABLE events (k BIGINT) WITH ('connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '%s',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE counts (k BIGINT, n BIGINT) WITH ('connector' = 'print');
`, brokers)
	settings := func(units int, latest bool) string {
		s := fmt.Sprintf(`SET '%s' = '%d'; SET '%s' = 'kafka'; SET '%s' = '%s'; SET '%s' = '5';
SET 'execution.checkpointing.interval' = '100ms'; SET 'state.checkpoints.dir' = '%s'; SET 'table.dml-sync' = 'true';
`, StagesUnitsKey, units, StagesExchangeKey, StagesBootstrapKey, brokers, StagesRunKey, dir)
		if latest {
			s += "SET 'execution.savepoint.path' = 'latest';\n"
		}
		return s
	}
	const insert = "INSERT INTO counts SELECT k, COUNT(*) FROM events GROUP BY k;"
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := e.RunScript(context.Background(), ddl+settings(2, false)+insert, io.Discard); err != nil {
		t.Fatal(err)
	}
	plan := func(units int, latest bool) []UnitPlan {
		t.Helper()
		pe := New(Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := pe.RunScript(context.Background(), ddl+settings(units, latest), io.Discard); err != nil {
			t.Fatal(err)
		}
		st, err := pe.Prepare(sql.Split(insert)[0])
		if err != nil {
			t.Fatal(err)
		}
		plans, err := pe.UnitPlans(st, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 2*units {
			t.Fatalf("%d units planned, want %d: %+v", len(plans), 2*units, plans)
		}
		return plans
	}
	st, err := storage.OpenLocation(dir, storage.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := func(p UnitPlan) *checkpoint.Store {
		s, err := checkpoint.NewStore(st, unitStorageID(p.Job, p.Stage, p.Unit), checkpoint.StoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The previous units' last checkpoints, by stage.
	old := map[int][]int64{}
	for _, p := range plan(2, false) {
		md, _, err := store(p).Latest()
		if err != nil || md == nil {
			t.Fatalf("stage %d unit %d: no checkpoint (%v)", p.Stage, p.Unit, err)
		}
		old[p.Stage] = append(old[p.Stage], md.CheckpointID)
	}

	// A new run: nothing to continue from, nothing of an earlier run
	// restored.
	for _, p := range plan(3, false) {
		last, _ := store(p).LastID()
		if p.Start != nil || p.RestoredID != 0 || p.IDBase != last {
			t.Errorf("new run, stage %d unit %d: start %+v, restored %d, id base %d (the directory's last id: %d)", p.Stage, p.Unit, p.Start, p.RestoredID, p.IDBase, last)
		}
	}

	// The run continued at 3 units.
	plans := plan(3, true)
	since := map[int]int64{}
	for _, p := range plans {
		last, _ := store(p).LastID()
		switch {
		case p.Start == nil:
			t.Fatalf("stage %d unit %d: no start", p.Stage, p.Unit)
		case !slices.Equal(p.Start.From, old[p.Stage]):
			t.Errorf("stage %d unit %d restores from %v, want the previous units' last checkpoints %v", p.Stage, p.Unit, p.Start.From, old[p.Stage])
		case p.IDBase != last || p.RestoredID != 0:
			t.Errorf("stage %d unit %d: id base %d (want %d), restored %d (want 0: the merged checkpoint)", p.Stage, p.Unit, p.IDBase, last, p.RestoredID)
		case since[p.Stage] != 0 && p.Start.Since != since[p.Stage]:
			t.Errorf("stage %d: units stamped %d and %d", p.Stage, since[p.Stage], p.Start.Since)
		case p.Start.Since <= 5:
			t.Errorf("stage %d: the new layout is stamped %d, not after the run's", p.Stage, p.Start.Since)
		}
		since[p.Stage] = p.Start.Since
		// Both units of each stage see the topic between them (the
		// first stage's output, the second's input) handed over at its
		// end offsets.
		if len(p.Start.HandOvers) != 1 {
			t.Fatalf("stage %d unit %d: hand-overs %+v, want the one topic's", p.Stage, p.Unit, p.Start.HandOvers)
		}
		for id, h := range p.Start.HandOvers {
			if h.Retired != 2 {
				t.Errorf("topic %s: %d retired producers, want 2", id, h.Retired)
			}
			k, err := newKafkaExchange(e.conf, e.env, p.Job, 5)
			if err != nil {
				t.Fatal(err)
			}
			ends, err := exchange.EndOffsets(context.Background(), k.cfg, exchange.Topic{Name: k.prefix + id, Partitions: len(h.Offsets)})
			if err != nil {
				t.Fatal(err)
			}
			for part, off := range ends {
				if h.Offsets[part] != off {
					t.Errorf("topic %s partition %d handed over at %d, its end is %d", id, part, h.Offsets[part], off)
				}
			}
		}
	}

	// Each unit started apart with its plan restores the merged
	// checkpoint and ends (its input ended before).
	var jobs []*Job
	for _, p := range plans {
		ue := New(Options{Stdout: io.Discard, Stderr: io.Discard, UnitStart: p.Start,
			Ownership: &Ownership{Resume: true, RestoreAfter: p.IDBase, RestoreFallback: p.RestoredID}})
		script := ddl + settings(3, true) + fmt.Sprintf("SET '%s' = '%s'; SET 'table.dml-sync' = 'false';\n", StagesUnitKey, p.Selector()) + insert
		if err := ue.RunScript(context.Background(), script, io.Discard); err != nil {
			t.Fatalf("stage %d unit %d: %v", p.Stage, p.Unit, err)
		}
		j := ue.Jobs()[0]
		defer j.Stop()
		jobs = append(jobs, j)
		if a := j.Attempts(); len(a) == 0 || a[0].RestoredID != slices.Max(p.Start.From) {
			t.Errorf("stage %d unit %d restored %+v, want the merged checkpoint (%d)", p.Stage, p.Unit, a, slices.Max(p.Start.From))
		}
	}
	for i, j := range jobs {
		select {
		case <-j.Done():
			if st, err := j.Status(); st != JobFinished {
				t.Errorf("stage %d unit %d ended %s: %v", plans[i].Stage, plans[i].Unit, st, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("stage %d unit %d did not end", plans[i].Stage, plans[i].Unit)
		}
	}
}
