package engine

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/internal/bytesize"
)

// ProcessMemoryKey is Flink's key of a process's total memory. streamsql
// reads it when it starts (-D, or `streamsql server --memory`) and makes
// it the Go runtime's soft memory limit (what GOMEMLIMIT sets): the
// garbage collector then works harder as the heap nears it instead of
// letting it double, so that state-heavy jobs stay within the budget.
const ProcessMemoryKey = "taskmanager.memory.process.size"

// ParseMemorySize reads a memory size as Flink writes it: a whole number
// of bytes, optionally followed by a unit (b, k/kb, m/mb, g/gb, t/tb or
// their long names, any case, spaces allowed): "512m", "2 gb", "1048576".
func ParseMemorySize(s string) (int64, error) {
	n, err := bytesize.Parse(s)
	var e *bytesize.Error
	if errors.As(err, &e) {
		switch {
		case e.TooLarge:
			return 0, fmt.Errorf("memory size '%s' is too large", s)
		case e.Unit != "":
			return 0, fmt.Errorf("invalid memory size '%s': unknown unit '%s' (use b, k, m, g or t)", s, e.Unit)
		}
		return 0, fmt.Errorf("invalid memory size '%s' (write e.g. 512m, 2g or a number of bytes)", s)
	}
	return n, err
}

func checkMemorySize(v string) error {
	n, err := ParseMemorySize(v)
	if err == nil && n < 64<<20 {
		err = fmt.Errorf("memory size '%s' is below the minimum of 64m", v)
	}
	return err
}

// ApplyProcessMemory sets the Go runtime's soft memory limit from the
// process size conf sets (see ProcessMemoryKey) and returns the limit in
// bytes: the process size less what Pebble may take outside the Go heap
// (a quarter of the managed memory: its block cache and memtables).
func ApplyProcessMemory(conf *Config) (int64, error) {
	v := conf.Get(ProcessMemoryKey)
	if err := checkMemorySize(v); err != nil {
		return 0, fmt.Errorf("%s: %v", ProcessMemoryKey, err)
	}
	n, _ := ParseMemorySize(v)
	managed, err := managedMemory(conf)
	if err != nil {
		return 0, err
	}
	n -= managed / 4
	debug.SetMemoryLimit(n)
	return n, nil
}

// Managed memory (Flink's keys): what the Pebble state backend of a job
// may use for its memtables, its block cache and the caches of decoded
// entries in front of it (state.MemoryBudget). ManagedMemoryKey sets it
// outright; otherwise it is ManagedFractionKey of ProcessMemoryKey. With
// neither size set the caches are bounded by entries only
// (state.backend.pebble.cache.entries).
const (
	ManagedMemoryKey   = "taskmanager.memory.managed.size"
	ManagedFractionKey = "taskmanager.memory.managed.fraction"
)

// checkFraction accepts a number strictly between 0 and 1.
func checkFraction(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f > 0 && f < 1) {
		return fmt.Errorf("invalid fraction '%s' (write a number between 0 and 1, e.g. 0.4)", v)
	}
	return nil
}

// checkManagedSize accepts a memory size of at least 16m.
func checkManagedSize(v string) error {
	n, err := ParseMemorySize(v)
	if err == nil && n < 16<<20 {
		err = fmt.Errorf("memory size '%s' is below the minimum of 16m", v)
	}
	return err
}

// minManagedMemory is the smallest managed memory a job gets (the size
// key's minimum; a small fraction of a small process is raised to it).
const minManagedMemory = 16 << 20

// managedMemory is the managed memory of a job under conf in bytes (0:
// none set). A managed size larger than the process size is an error, as
// in Flink.
func managedMemory(conf *Config) (int64, error) {
	var total int64
	if v := conf.Get(ProcessMemoryKey); v != "" {
		n, err := ParseMemorySize(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", ProcessMemoryKey, err)
		}
		total = n
	}
	if v := conf.Get(ManagedMemoryKey); v != "" {
		n, _ := ParseMemorySize(v)
		if total > 0 && n >= total {
			return 0, fmt.Errorf("%s (%s) must be smaller than %s (%s)", ManagedMemoryKey, v, ProcessMemoryKey, conf.Get(ProcessMemoryKey))
		}
		return n, nil
	}
	if total == 0 {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(conf.Get(ManagedFractionKey)), 64)
	if err != nil || !(f > 0 && f < 1) {
		f = 0.4
	}
	return max(int64(float64(total)*f), minManagedMemory), nil
}
