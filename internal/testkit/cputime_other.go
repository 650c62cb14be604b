//go:build !unix

package testkit

import "time"

// ProcessCPU is unknown here (0): benchmarks then report no CPU-time figure.
func ProcessCPU() time.Duration { return 0 }
