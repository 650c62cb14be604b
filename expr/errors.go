package expr

// TypeError is returned by the constructors of this package when operands
// do not fit an operator or function. Arg is the 0-based operand or argument
// the problem is about, or -1 when it is about the whole expression; the sql
// binder uses it to point at the right place in the statement.
type TypeError struct {
	Msg string
	Arg int
}

func (e *TypeError) Error() string { return e.Msg }

func typeErr(arg int, msg string) error { return &TypeError{Msg: msg, Arg: arg} }

// EvalError is an error raised while evaluating an expression over a row
// (a failing CAST, an overflow, RAISE_ERROR). It fails the running job.
type EvalError struct {
	Msg string
	// Raised is true for RAISE_ERROR: Msg is the user's message, verbatim.
	Raised bool
}

func (e *EvalError) Error() string { return e.Msg }

func evalErr(msg string) error { return &EvalError{Msg: msg} }
