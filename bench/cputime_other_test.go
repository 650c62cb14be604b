//go:build !unix

package bench

import "time"

// cpuTime is unknown here: the benchmarks report no CPU-time figure.
func cpuTime() time.Duration { return 0 }
