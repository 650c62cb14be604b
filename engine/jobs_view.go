package engine

import (
	"fmt"
	"time"

	"github.com/streamsql/streamsql/types"
)

// formatBytes renders a size for people (B, KiB, MiB, GiB).
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGT"[exp])
}

// checkpointSummary renders a job's last completed checkpoint as
// "chk 12, 3s ago, 1.2 MiB" (NULL when none).
func checkpointSummary(j *Job) types.Value {
	md := j.LastCheckpoint()
	if md == nil {
		return types.NullValue()
	}
	kind := "chk"
	if md.Savepoint {
		kind = "savepoint"
	}
	age := time.Since(time.UnixMilli(md.CompletedAt)).Truncate(100 * time.Millisecond)
	return types.StringValue(fmt.Sprintf("%s %d, %s ago, %s", kind, md.CheckpointID, age, formatBytes(md.Size)))
}
