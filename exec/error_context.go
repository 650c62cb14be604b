package exec

import "strings"

// Error context: each layer names what it adds once. Connectors name
// their table ("table t: ..."); a task names its operator ("Sink t: ...",
// "WindowAggregate ...: ..."), except where the connector's error already
// says the same: a sink's or a source's error naming its own table.

// namesTable reports whether err already begins by naming table, as
// connector errors do.
func namesTable(err error, table string) bool {
	return strings.HasPrefix(err.Error(), "table "+table+": ")
}

// inOperator adds the task's operator name to an error of its operator,
// unless the operator is a sink whose connector already named the table.
func (t *operatorTask) inOperator(err error) error {
	if s, ok := t.op.(*SinkOperator); ok && namesTable(err, s.Table) {
		return err
	}
	return &OperatorError{Operator: t.v.Name, Err: err}
}

// OperatorError is an error of one operator of a job: its text is the
// operator's name, ": " and Err's text. A short view (SHOW JOBS) may show
// Err alone.
type OperatorError struct {
	Operator string
	Err      error
}

func (e *OperatorError) Error() string { return e.Operator + ": " + e.Err.Error() }
func (e *OperatorError) Unwrap() error { return e.Err }
