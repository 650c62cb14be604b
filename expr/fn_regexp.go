package expr

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/streamsql/streamsql/types"
)

// Regular-expression string functions (Flink's REGEXP, REGEXP_EXTRACT and
// REGEXP_REPLACE). Patterns use Go's RE2 syntax, which covers Java's except
// backreferences and lookaround. A literal pattern is compiled once when the
// call is bound, so a bad one fails the statement; a computed pattern is
// compiled when it changes from one row to the next, and a bad one fails the
// job. Each compiled pattern comes with what its syntax says about the
// strings it can match (regexp_prefilter.go): a literal every match
// contains, checked before the pattern runs, and how late the search may
// start.

func init() {
	Register(&Func{Name: "REGEXP", MinArgs: 2, MaxArgs: 2, Usage: "REGEXP(s, regex) (TRUE when a substring of s matches)", Bind: bindRegexp})
	// _RX is the name the SQL front end gives the function form REGEXP(s, regex).
	Register(&Func{Name: "_RX", MinArgs: 0, MaxArgs: -1, Usage: "REGEXP(s, regex)", Build: func(args []Expr) (Expr, error) {
		return NewCall("REGEXP", args)
	}})
	Register(&Func{Name: "REGEXP_EXTRACT", MinArgs: 2, MaxArgs: 3,
		Usage: "REGEXP_EXTRACT(s, regex [, group]) (group 0, the default, is the whole match)", Bind: bindRegexpExtract})
	Register(&Func{Name: "REGEXP_REPLACE", MinArgs: 3, MaxArgs: 3,
		Usage: "REGEXP_REPLACE(s, regex, replacement) ($n and ${name} refer to groups)", Bind: bindRegexpReplace})
}

// regexpArg is the compiled pattern argument of one bound call.
type regexpArg struct {
	fn    string
	fixed *regexpPlan // the literal pattern, compiled at bind time
	last  atomic.Pointer[compiledRegexp]
}

type compiledRegexp struct {
	src  string
	plan *regexpPlan
}

func regexpErrMsg(fn, pattern string, err error) string {
	msg := err.Error()
	var e *syntax.Error
	if errors.As(err, &e) {
		msg = e.Code.String()
		if e.Expr != "" {
			msg += ": `" + e.Expr + "`"
		}
	}
	return fn + ": invalid regular expression '" + pattern + "': " + msg
}

// bindRegexpArg type-checks the string and pattern arguments (0 and 1) and
// compiles the pattern when it is a literal.
func bindRegexpArg(fn string, args []Expr) (*regexpArg, error) {
	if err := argString(args, 0); err != nil {
		return nil, err
	}
	if err := argString(args, 1); err != nil {
		return nil, err
	}
	ra := &regexpArg{fn: fn}
	if p, ok := constString(args, 1); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, typeErr(1, regexpErrMsg(fn, p, err))
		}
		ra.fixed = planRegexp(re)
	}
	return ra, nil
}

// get returns the compiled pattern for the row's pattern value.
func (ra *regexpArg) get(p types.Value) (*regexpPlan, error) {
	if ra.fixed != nil {
		return ra.fixed, nil
	}
	src := p.Str()
	if c := ra.last.Load(); c != nil && c.src == src {
		return c.plan, nil
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, evalErr(regexpErrMsg(ra.fn, src, err))
	}
	plan := planRegexp(re)
	ra.last.Store(&compiledRegexp{src: src, plan: plan})
	return plan, nil
}

func bindRegexp(args []Expr) (Impl, error) {
	ra, err := bindRegexpArg("REGEXP", args)
	if err != nil {
		return Impl{}, err
	}
	return Impl{T: types.Bool, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
		re, err := ra.get(b)
		if err != nil {
			return nullV, err
		}
		return types.BoolValue(re.mayMatch(a.Str()) && re.re.MatchString(a.Str())), nil
	}}, nil
}

func bindRegexpExtract(args []Expr) (Impl, error) {
	ra, err := bindRegexpArg("REGEXP_EXTRACT", args)
	if err != nil {
		return Impl{}, err
	}
	extract := func(a, b types.Value, group int64) (types.Value, error) {
		re, err := ra.get(b)
		if err != nil {
			return nullV, err
		}
		if group < 0 || group > int64(re.re.NumSubexp()) {
			return nullV, nil
		}
		m := re.findSubmatchIndex(a.Str())
		if m == nil || m[2*group] < 0 {
			return nullV, nil
		}
		return types.StringValue(a.Str()[m[2*group]:m[2*group+1]]), nil
	}
	if len(args) == 2 {
		return Impl{T: types.String, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
			return extract(a, b, 0)
		}}, nil
	}
	if err := argInt(args, 2); err != nil {
		return Impl{}, err
	}
	return Impl{T: types.String, Strict: true, F3: func(a, b, c types.Value) (types.Value, error) {
		return extract(a, b, c.Int())
	}}, nil
}

func bindRegexpReplace(args []Expr) (Impl, error) {
	ra, err := bindRegexpArg("REGEXP_REPLACE", args)
	if err != nil {
		return Impl{}, err
	}
	if err := argString(args, 2); err != nil {
		return Impl{}, err
	}
	// With a literal pattern and replacement the template is converted once.
	var fixedTmpl *string
	if r, ok := constString(args, 2); ok && ra.fixed != nil {
		if t, ok := replacementTemplate(ra.fixed.re, r); ok {
			fixedTmpl = &t
		}
	}
	return Impl{T: types.String, Strict: true, F3: func(a, b, c types.Value) (types.Value, error) {
		re, err := ra.get(b)
		if err != nil {
			return nullV, err
		}
		tmpl := ""
		if fixedTmpl != nil {
			tmpl = *fixedTmpl
		} else if t, ok := replacementTemplate(re.re, c.Str()); ok {
			tmpl = t
		} else {
			return nullV, nil
		}
		if !re.mayMatch(a.Str()) {
			return a, nil // no match: the string unchanged
		}
		return types.StringValue(re.re.ReplaceAllString(a.Str(), tmpl)), nil
	}}, nil
}

// replacementTemplate converts a replacement in Flink's (Java's) syntax —
// `\x` is a literal x, `$n` group n (further digits are taken while they name
// an existing group), `${name}` a named group — into a template for
// regexp.Expand. It reports false for a reference to a missing group or a
// dangling `\` or `$`, for which the function gives NULL.
func replacementTemplate(re *regexp.Regexp, r string) (string, bool) {
	if !strings.ContainsAny(r, `\$`) {
		return r, true
	}
	var b strings.Builder
	n := re.NumSubexp()
	for i := 0; i < len(r); i++ {
		switch ch := r[i]; ch {
		case '\\':
			i++
			if i == len(r) {
				return "", false
			}
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case '$':
			i++
			if i == len(r) {
				return "", false
			}
			if r[i] == '{' {
				end := strings.IndexByte(r[i:], '}')
				if end < 0 {
					return "", false
				}
				name := r[i+1 : i+end]
				if name == "" || re.SubexpIndex(name) < 0 {
					return "", false
				}
				b.WriteString("${" + name + "}")
				i += end
				continue
			}
			if r[i] < '0' || r[i] > '9' {
				return "", false
			}
			g := int(r[i] - '0')
			if g > n {
				return "", false
			}
			for i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9' {
				ng := g*10 + int(r[i+1]-'0')
				if ng > n {
					break
				}
				g = ng
				i++
			}
			b.WriteString("${" + strconv.Itoa(g) + "}")
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), true
}
