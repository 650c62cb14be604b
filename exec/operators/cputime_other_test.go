//go:build !unix

package operators

import "time"

// processCPU is unknown here: the benchmarks report no CPU-time figure.
func processCPU() time.Duration { return 0 }
