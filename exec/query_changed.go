package exec

import (
	"fmt"
	"strings"
)

// QueryChangedError is the error of a job asked to restore a checkpoint or
// savepoint that holds state for operators the job does not have: the
// query is not the one that took it (operator ids are derived from the
// query). Callers that know where the checkpoint came from add that.
type QueryChangedError struct {
	CheckpointID int64
	Savepoint    bool
	// Operators are the operators with state that no longer match, as
	// "id (name)", sorted.
	Operators []string
}

func (e *QueryChangedError) Error() string {
	return fmt.Sprintf("cannot restore %s %d: the query changed: %s", e.kind(), e.CheckpointID, e.Detail())
}

// Detail says which operators' state has no place in the job, without
// naming the checkpoint.
func (e *QueryChangedError) Detail() string {
	what := "operator " + e.Operators[0]
	if len(e.Operators) > 1 {
		what = "operators " + strings.Join(e.Operators, ", ")
	}
	return fmt.Sprintf("it holds state for %s, which this query does not have (operator ids are derived from the query: only the query that took it can restore it)", what)
}

func (e *QueryChangedError) kind() string {
	if e.Savepoint {
		return "savepoint"
	}
	return "checkpoint"
}
