package engine

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// ProcessMemoryKey is Flink's key of a process's total memory. streamsql
// reads it when it starts (-D, or `streamsql server --memory`) and makes
// it the Go runtime's soft memory limit (what GOMEMLIMIT sets): the
// garbage collector then works harder as the heap nears it instead of
// letting it double, so that state-heavy jobs stay within the budget.
const ProcessMemoryKey = "taskmanager.memory.process.size"

// memoryUnits are Flink's MemorySize units, lower case.
var memoryUnits = []struct {
	names []string
	shift uint
}{
	{[]string{"b", "bytes"}, 0},
	{[]string{"k", "kb", "kibibytes"}, 10},
	{[]string{"m", "mb", "mebibytes"}, 20},
	{[]string{"g", "gb", "gibibytes"}, 30},
	{[]string{"t", "tb", "tebibytes"}, 40},
}

// ParseMemorySize reads a memory size as Flink writes it: a whole number
// of bytes, optionally followed by a unit (b, k/kb, m/mb, g/gb, t/tb or
// their long names, any case, spaces allowed): "512m", "2 gb", "1048576".
func ParseMemorySize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || err != nil {
		return 0, fmt.Errorf("invalid memory size '%s' (write e.g. 512m, 2g or a number of bytes)", s)
	}
	unit := strings.TrimSpace(t[i:])
	if unit == "" {
		return n, nil
	}
	for _, u := range memoryUnits {
		for _, name := range u.names {
			if unit == name {
				if n > (1<<62)>>u.shift {
					return 0, fmt.Errorf("memory size '%s' is too large", s)
				}
				return n << u.shift, nil
			}
		}
	}
	return 0, fmt.Errorf("invalid memory size '%s': unknown unit '%s' (use b, k, m, g or t)", s, unit)
}

func checkMemorySize(v string) error {
	n, err := ParseMemorySize(v)
	if err == nil && n < 64<<20 {
		err = fmt.Errorf("memory size '%s' is below the minimum of 64m", v)
	}
	return err
}

// ApplyProcessMemory sets the Go runtime's soft memory limit to the size
// v (see ProcessMemoryKey) and returns it in bytes.
func ApplyProcessMemory(v string) (int64, error) {
	if err := checkMemorySize(v); err != nil {
		return 0, fmt.Errorf("%s: %v", ProcessMemoryKey, err)
	}
	n, _ := ParseMemorySize(v)
	debug.SetMemoryLimit(n)
	return n, nil
}
