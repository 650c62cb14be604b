//go:build unix

package operators

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used. On a
// shared machine rows per CPU second is the per-core figure that other
// work running at the same time does not lower (the wall-clock rows/s
// drops with the machine's load).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
