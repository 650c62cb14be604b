package engine

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
)

// TestManagedMemoryConfigMessages: bad values of the managed memory keys
// are refused with a message naming the key, the value and what to write;
// good ones are accepted.
func TestManagedMemoryConfigMessages(t *testing.T) {
	for _, c := range []struct {
		key, val string
		want     string // "" : accepted
	}{
		{ManagedMemoryKey, "15m", "'taskmanager.memory.managed.size': memory size '15m' is below the minimum of 16m"},
		{ManagedMemoryKey, "lots", "invalid memory size 'lots'"},
		{ManagedMemoryKey, "10x", "unknown unit"},
		{ManagedMemoryKey, "-1g", "invalid memory size '-1g'"},
		{ManagedMemoryKey, "16m", ""},
		{ManagedMemoryKey, " 2g ", ""},
		{ManagedFractionKey, "0", "'taskmanager.memory.managed.fraction': invalid fraction '0' (write a number between 0 and 1, e.g. 0.4)"},
		{ManagedFractionKey, "1", "invalid fraction '1'"},
		{ManagedFractionKey, "1.5", "invalid fraction '1.5'"},
		{ManagedFractionKey, "-0.2", "invalid fraction '-0.2'"},
		{ManagedFractionKey, "NaN", "invalid fraction 'NaN'"},
		{ManagedFractionKey, "half", "invalid fraction 'half'"},
		{ManagedFractionKey, "0.25", ""},
		{ManagedFractionKey, " 0.9 ", ""},
	} {
		err := NewConfig().Set(c.key, c.val)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s=%q refused: %v", c.key, c.val, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s=%q: error %v, want one with %q", c.key, c.val, err, c.want)
		}
	}
}

// TestManagedMemoryBudgetOfAJob: the managed size wins over the fraction
// of the process size (a fraction set with a space too); the changelog
// backend over Pebble passes the budget's share through; a job without
// stateful vertices gets one database's memtables.
func TestManagedMemoryBudgetOfAJob(t *testing.T) {
	conf := NewConfig()
	for k, v := range map[string]string{"state.backend": "pebble", ProcessMemoryKey: "2g", ManagedFractionKey: " 0.25 "} {
		if err := conf.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	stateless := &exec.JobGraph{Vertices: []*exec.Vertex{{ID: "src", Parallelism: 4}}}
	m, release, err := jobMemoryBudget(conf, stateless)
	defer release()
	if err != nil || m == nil || m.Total() != 512<<20 {
		t.Fatalf("a quarter of 2g: %v", m)
	}
	if got := m.MemTableSize(); got != 32<<20 {
		t.Fatalf("one database of a 512m budget: memtables of %d bytes, want %d", got, 32<<20)
	}
	if err := conf.Set(ManagedMemoryKey, "128m"); err != nil {
		t.Fatal(err)
	}
	var release2 func()
	if m, release2, err = jobMemoryBudget(conf, stateless); err != nil || m == nil || m.Total() != 128<<20 {
		t.Fatalf("managed size set: %v %v", m, err)
	}
	release2()
	if err := conf.Set(ManagedMemoryKey, "2g"); err != nil {
		t.Fatal(err)
	}
	if _, _, err = jobMemoryBudget(conf, stateless); err == nil || err.Error() != "taskmanager.memory.managed.size (2g) must be smaller than taskmanager.memory.process.size (2g)" {
		t.Fatalf("managed size not below the process size: %v", err)
	}
	if err := conf.Set(ManagedMemoryKey, "128m"); err != nil {
		t.Fatal(err)
	}
	if err := conf.Reset(ProcessMemoryKey); err != nil {
		t.Fatal(err)
	}
	var release3 func()
	if m, release3, err = jobMemoryBudget(conf, stateless); err != nil || m == nil || m.Total() != 128<<20 {
		t.Fatalf("managed size without a process size: %v %v", m, err)
	}
	defer release3()

	b, err := newBackend(backendOptions{kind: "pebble", changelog: true, checkpoints: true, localDir: t.TempDir(), memory: m}, "op", 0, state.KeyGroupRange{Start: 0, End: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	part := int64(128<<20) * 3 / 4
	if got := b.(state.EntryCache).EntryCacheBytes(); got != part {
		t.Fatalf("no state yet: %d bytes, want %d", got, part)
	}
	for i, name := range []string{"a", "b", "a"} {
		if _, err := state.NewKeyedMap[[]byte](b, name, bytesCodec{}); err != nil {
			t.Fatal(err)
		}
		n := int64(min(i+1, 2))
		if got := b.(state.EntryCache).EntryCacheBytes(); got != part/n {
			t.Fatalf("after %d registrations: %d bytes, want %d", i+1, got, part/n)
		}
	}
}
