package expr

import (
	"sort"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Impl is a bound function implementation: the result type and one
// evaluator for the call's arity (F0..F3 avoid allocating an argument slice
// per row; FN serves other arities).
type Impl struct {
	T types.Type
	// Strict: a NULL argument gives NULL without calling the evaluator.
	Strict bool
	F0     func() (types.Value, error)
	F1     func(a types.Value) (types.Value, error)
	F2     func(a, b types.Value) (types.Value, error)
	F3     func(a, b, c types.Value) (types.Value, error)
	FN     func(args []types.Value) (types.Value, error)
}

// Func is a scalar function of the registry.
type Func struct {
	Name    string
	MinArgs int
	MaxArgs int // -1: any number
	// Volatile functions (NOW, RAISE_ERROR) are never folded into constants.
	Volatile bool
	// Usage is a one-line signature for help and completion.
	Usage string
	// Bind type-checks the arguments (it may replace args[i] with casts)
	// and picks the implementation.
	Bind func(args []Expr) (Impl, error)
	// Build, when set, replaces Bind: the function is sugar for other nodes.
	Build func(args []Expr) (Expr, error)
}

var registry = map[string]*Func{}

// Register adds a function to the registry (at init time).
func Register(f *Func) { registry[strings.ToUpper(f.Name)] = f }

// Lookup returns the function named name (case-insensitive), or nil.
func Lookup(name string) *Func { return registry[strings.ToUpper(name)] }

// syntaxNames are names the binder handles itself (aggregates, windows,
// special forms); they are listed for completion.
var syntaxNames = []string{"COUNT", "SUM", "MIN", "MAX", "AVG", "CAST", "EXTRACT",
	"TUMBLE", "HOP", "SESSION", "CUMULATE",
	"TUMBLE_START", "TUMBLE_END", "TUMBLE_ROWTIME", "HOP_START", "HOP_END", "HOP_ROWTIME",
	"SESSION_START", "SESSION_END", "SESSION_ROWTIME", "CUMULATE_START", "CUMULATE_END", "CUMULATE_ROWTIME",
	"DATE_ADD", "DATE_SUB", "PROCTIME"}

// FunctionNames lists every function name the SQL surface knows (scalar
// functions, aggregates, window functions), sorted, for completion and HELP.
func FunctionNames() []string {
	seen := map[string]bool{}
	var out []string
	for n := range registry {
		if !strings.HasPrefix(n, "_") && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range syntaxNames {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, f := range specialForms {
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// UnknownFunctionError reports a call to a function that does not exist.
type UnknownFunctionError struct{ Name string }

func (e *UnknownFunctionError) Error() string { return "unknown function '" + e.Name + "'" }

// NewCall binds a call of the registered function name.
func NewCall(name string, args []Expr) (Expr, error) {
	f := Lookup(name)
	if f == nil {
		return nil, &UnknownFunctionError{Name: name}
	}
	up := strings.ToUpper(name)
	if len(args) < f.MinArgs || (f.MaxArgs >= 0 && len(args) > f.MaxArgs) {
		want := strconv.Itoa(f.MinArgs)
		switch {
		case f.MaxArgs < 0:
			want = "at least " + want
		case f.MaxArgs != f.MinArgs:
			want += " to " + strconv.Itoa(f.MaxArgs)
		}
		return nil, typeErr(-1, up+" takes "+want+" argument(s), got "+strconv.Itoa(len(args))+" (usage: "+f.Usage+")")
	}
	if f.Build != nil {
		return f.Build(args)
	}
	args = append([]Expr(nil), args...)
	impl, err := f.Bind(args)
	if err != nil {
		return nil, err
	}
	return &Call{Name: up, Args: args, Impl: impl, Volatile: f.Volatile}, nil
}

// Call is a bound scalar function call.
type Call struct {
	Name     string
	Args     []Expr
	Impl     Impl
	Volatile bool
}

func (c *Call) Type() types.Type { return c.Impl.T }
func (c *Call) String() string {
	if c.Name == "_EXTRACT" && len(c.Args) == 2 {
		if l, ok := c.Args[0].(*Literal); ok {
			return "EXTRACT(" + l.V.Str() + " FROM " + c.Args[1].String() + ")"
		}
	}
	return c.Name + "(" + joinExprs(c.Args) + ")"
}

func (c *Call) Eval(row []types.Value) (types.Value, error) {
	im := &c.Impl
	switch {
	case len(c.Args) == 0 && im.F0 != nil:
		return im.F0()
	case len(c.Args) == 1 && im.F1 != nil:
		a, err := c.Args[0].Eval(row)
		if err != nil || (im.Strict && a.IsNull()) {
			return types.NullValue(), err
		}
		return im.F1(a)
	case len(c.Args) == 2 && im.F2 != nil:
		a, err := c.Args[0].Eval(row)
		if err != nil || (im.Strict && a.IsNull()) {
			return types.NullValue(), err
		}
		b, err := c.Args[1].Eval(row)
		if err != nil || (im.Strict && b.IsNull()) {
			return types.NullValue(), err
		}
		return im.F2(a, b)
	case len(c.Args) == 3 && im.F3 != nil:
		a, err := c.Args[0].Eval(row)
		if err != nil || (im.Strict && a.IsNull()) {
			return types.NullValue(), err
		}
		b, err := c.Args[1].Eval(row)
		if err != nil || (im.Strict && b.IsNull()) {
			return types.NullValue(), err
		}
		d, err := c.Args[2].Eval(row)
		if err != nil || (im.Strict && d.IsNull()) {
			return types.NullValue(), err
		}
		return im.F3(a, b, d)
	}
	vals := make([]types.Value, len(c.Args))
	for i, a := range c.Args {
		v, err := a.Eval(row)
		if err != nil {
			return v, err
		}
		if im.Strict && v.IsNull() {
			return types.NullValue(), nil
		}
		vals[i] = v
	}
	if im.FN == nil {
		return types.NullValue(), evalErr(c.Name + ": no implementation for " + strconv.Itoa(len(vals)) + " arguments")
	}
	return im.FN(vals)
}

// Argument coercion helpers for Bind functions.

func argString(args []Expr, i int) error {
	switch args[i].Type().Kind {
	case types.KindString, types.KindNull:
		return nil
	case types.KindInterval:
		return typeErr(i, "expected a string argument, got INTERVAL")
	}
	c, err := NewCast(args[i], types.String)
	if err != nil {
		return typeErr(i, err.Error())
	}
	args[i] = c
	return nil
}

func argInt(args []Expr, i int) error {
	t := args[i].Type()
	switch {
	case t.Kind == types.KindNull:
		return nil
	case t.Kind == types.KindInt:
		return nil
	case t.IsNumeric() || t.Kind == types.KindString || t.Kind == types.KindBool:
		c, _ := NewCast(args[i], types.BigInt)
		args[i] = c
		return nil
	}
	return typeErr(i, "expected an integer argument, got "+t.Nullable().String())
}

func argDouble(args []Expr, i int) error {
	t := args[i].Type()
	switch {
	case t.Kind == types.KindNull || t.Kind == types.KindDouble:
		return nil
	case t.IsNumeric() || t.Kind == types.KindString || t.Kind == types.KindBool:
		c, _ := NewCast(args[i], types.Double)
		args[i] = c
		return nil
	}
	return typeErr(i, "expected a numeric argument, got "+t.Nullable().String())
}

func argNumeric(args []Expr, i int) error {
	t := args[i].Type()
	if t.IsNumeric() || t.Kind == types.KindNull {
		return nil
	}
	if t.Kind == types.KindString {
		return argDouble(args, i)
	}
	return typeErr(i, "expected a numeric argument, got "+t.Nullable().String())
}

func argTimestamp(args []Expr, i int) error {
	t := args[i].Type()
	switch t.Kind {
	case types.KindNull, types.KindTimestamp:
		return nil
	case types.KindString, types.KindDate:
		c, _ := NewCast(args[i], types.Timestamp)
		args[i] = c
		return nil
	}
	return typeErr(i, "expected a TIMESTAMP argument, got "+t.Nullable().String())
}

// constString returns the value of a string literal argument.
func constString(args []Expr, i int) (string, bool) {
	l, ok := args[i].(*Literal)
	if !ok || l.V.Kind() != types.KindString {
		return "", false
	}
	return l.V.Str(), true
}

func constInt(args []Expr, i int) (int64, bool) {
	l, ok := args[i].(*Literal)
	if !ok || l.V.Kind() != types.KindInt {
		return 0, false
	}
	return l.V.Int(), true
}

var nullV = types.NullValue()

func strImpl1(f func(string) string) func(args []Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F1: func(a types.Value) (types.Value, error) {
			return types.StringValue(f(a.Str())), nil
		}}, nil
	}
}
