package expr

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

func init() {
	for _, n := range []string{"UPPER", "UCASE"} {
		Register(&Func{Name: n, MinArgs: 1, MaxArgs: 1, Usage: n + "(s)", Bind: strImpl1(strings.ToUpper)})
	}
	for _, n := range []string{"LOWER", "LCASE"} {
		Register(&Func{Name: n, MinArgs: 1, MaxArgs: 1, Usage: n + "(s)", Bind: strImpl1(strings.ToLower)})
	}
	Register(&Func{Name: "REVERSE", MinArgs: 1, MaxArgs: 1, Usage: "REVERSE(s)", Bind: strImpl1(func(s string) string {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	})})
	Register(&Func{Name: "INITCAP", MinArgs: 1, MaxArgs: 1, Usage: "INITCAP(s)", Bind: strImpl1(func(s string) string {
		b := []rune(strings.ToLower(s))
		up := true
		for i, r := range b {
			isWord := r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127
			if up && isWord {
				b[i] = []rune(strings.ToUpper(string(r)))[0]
			}
			up = !isWord
		}
		return string(b)
	})})
	Register(&Func{Name: "CONCAT", MinArgs: 1, MaxArgs: -1, Usage: "CONCAT(s1, s2, ...)", Bind: bindConcat})
	Register(&Func{Name: "CONCAT_WS", MinArgs: 2, MaxArgs: -1, Usage: "CONCAT_WS(sep, s1, s2, ...)", Bind: bindConcatWS})
	for _, n := range []string{"SUBSTRING", "SUBSTR"} {
		Register(&Func{Name: n, MinArgs: 2, MaxArgs: 3, Usage: n + "(s, pos [, len])", Bind: bindSubstring})
	}
	for _, n := range []string{"CHAR_LENGTH", "CHARACTER_LENGTH"} {
		Register(&Func{Name: n, MinArgs: 1, MaxArgs: 1, Usage: n + "(s)", Bind: lengthImpl(func(s string) int64 { return int64(utf8.RuneCountInString(s)) })})
	}
	Register(&Func{Name: "LENGTH", MinArgs: 1, MaxArgs: 1, Usage: "LENGTH(s) (bytes)", Bind: lengthImpl(func(s string) int64 { return int64(len(s)) })})
	Register(&Func{Name: "TRIM", MinArgs: 1, MaxArgs: 2, Usage: "TRIM([BOTH|LEADING|TRAILING [r] FROM] s)", Bind: trimImpl(true, true)})
	Register(&Func{Name: "LTRIM", MinArgs: 1, MaxArgs: 2, Usage: "LTRIM(s)", Bind: trimImpl(true, false)})
	Register(&Func{Name: "RTRIM", MinArgs: 1, MaxArgs: 2, Usage: "RTRIM(s)", Bind: trimImpl(false, true)})
	Register(&Func{Name: "REPLACE", MinArgs: 3, MaxArgs: 3, Usage: "REPLACE(s, from, to)", Bind: func(args []Expr) (Impl, error) {
		if err := stringArgs(args); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F3: func(a, b, c types.Value) (types.Value, error) {
			if b.Str() == "" {
				return a, nil
			}
			return types.StringValue(strings.ReplaceAll(a.Str(), b.Str(), c.Str())), nil
		}}, nil
	}})
	Register(&Func{Name: "LEFT", MinArgs: 2, MaxArgs: 2, Usage: "LEFT(s, n)", Bind: leftRight(true)})
	Register(&Func{Name: "RIGHT", MinArgs: 2, MaxArgs: 2, Usage: "RIGHT(s, n)", Bind: leftRight(false)})
	for _, n := range []string{"POSITION", "LOCATE"} {
		Register(&Func{Name: n, MinArgs: 2, MaxArgs: 3, Usage: n + "(substr, s [, start])", Bind: bindLocate(false)})
	}
	Register(&Func{Name: "INSTR", MinArgs: 2, MaxArgs: 2, Usage: "INSTR(s, substr)", Bind: bindLocate(true)})
	Register(&Func{Name: "LPAD", MinArgs: 3, MaxArgs: 3, Usage: "LPAD(s, len, pad)", Bind: bindPad(true)})
	Register(&Func{Name: "RPAD", MinArgs: 3, MaxArgs: 3, Usage: "RPAD(s, len, pad)", Bind: bindPad(false)})
	Register(&Func{Name: "REPEAT", MinArgs: 2, MaxArgs: 2, Usage: "REPEAT(s, n)", Bind: func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argInt(args, 1); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
			n := b.Int()
			if n <= 0 {
				return types.StringValue(""), nil
			}
			if int64(len(a.Str()))*n > 1<<24 {
				return nullV, evalErr("REPEAT result too large")
			}
			return types.StringValue(strings.Repeat(a.Str(), int(n))), nil
		}}, nil
	}})
	Register(&Func{Name: "SPLIT_INDEX", MinArgs: 3, MaxArgs: 3, Usage: "SPLIT_INDEX(s, delimiter, index) (0-based)", Bind: func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argString(args, 1); err != nil {
			return Impl{}, err
		}
		if err := argInt(args, 2); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F3: func(a, b, c types.Value) (types.Value, error) {
			s, d, idx := a.Str(), b.Str(), c.Int()
			if idx < 0 || d == "" {
				return nullV, nil
			}
			for ; idx > 0; idx-- {
				i := strings.Index(s, d)
				if i < 0 {
					return nullV, nil
				}
				s = s[i+len(d):]
			}
			if i := strings.Index(s, d); i >= 0 {
				s = s[:i]
			}
			return types.StringValue(s), nil
		}}, nil
	}})
	Register(&Func{Name: "ASCII", MinArgs: 1, MaxArgs: 1, Usage: "ASCII(s)", Bind: func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.BigInt, Strict: true, F1: func(a types.Value) (types.Value, error) {
			if a.Str() == "" {
				return types.IntValue(0), nil
			}
			return types.IntValue(int64(a.Str()[0])), nil
		}}, nil
	}})
}

func stringArgs(args []Expr) error {
	for i := range args {
		if err := argString(args, i); err != nil {
			return err
		}
	}
	return nil
}

func bindConcat(args []Expr) (Impl, error) {
	if err := stringArgs(args); err != nil {
		return Impl{}, err
	}
	return Impl{T: types.String, Strict: true,
		F1: func(a types.Value) (types.Value, error) { return a, nil },
		F2: func(a, b types.Value) (types.Value, error) { return types.StringValue(a.Str() + b.Str()), nil },
		F3: func(a, b, c types.Value) (types.Value, error) {
			return types.StringValue(a.Str() + b.Str() + c.Str()), nil
		},
		FN: func(vs []types.Value) (types.Value, error) {
			var b strings.Builder
			for _, v := range vs {
				b.WriteString(v.Str())
			}
			return types.StringValue(b.String()), nil
		}}, nil
}

func bindConcatWS(args []Expr) (Impl, error) {
	if err := stringArgs(args); err != nil {
		return Impl{}, err
	}
	return Impl{T: types.String, FN: func(vs []types.Value) (types.Value, error) {
		if vs[0].IsNull() {
			return nullV, nil
		}
		var b strings.Builder
		first := true
		for _, v := range vs[1:] {
			if v.IsNull() {
				continue
			}
			if !first {
				b.WriteString(vs[0].Str())
			}
			first = false
			b.WriteString(v.Str())
		}
		return types.StringValue(b.String()), nil
	}}, nil
}

func lengthImpl(f func(string) int64) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.BigInt, Strict: true, F1: func(a types.Value) (types.Value, error) {
			return types.IntValue(f(a.Str())), nil
		}}, nil
	}
}

// runeSlice returns s[from:to] in characters (clamped).
func runeSlice(s string, from, to int64) string {
	if from < 0 {
		from = 0
	}
	if to <= from {
		return ""
	}
	i, start, end := int64(0), -1, len(s)
	for pos := range s {
		if i == from {
			start = pos
		}
		if i == to {
			end = pos
			break
		}
		i++
	}
	if start < 0 {
		return ""
	}
	return s[start:end]
}

func bindSubstring(args []Expr) (Impl, error) {
	if err := argString(args, 0); err != nil {
		return Impl{}, err
	}
	for i := 1; i < len(args); i++ {
		if err := argInt(args, i); err != nil {
			return Impl{}, err
		}
	}
	sub := func(s string, pos, n int64) string {
		cnt := int64(utf8.RuneCountInString(s))
		switch {
		case pos > 0:
			pos--
		case pos < 0:
			pos = cnt + pos
			if pos < 0 {
				return ""
			}
		default:
			return ""
		}
		if n < 0 {
			return ""
		}
		end := pos + n
		if end > cnt || end < pos {
			end = cnt
		}
		return runeSlice(s, pos, end)
	}
	return Impl{T: types.String, Strict: true,
		F2: func(a, b types.Value) (types.Value, error) {
			return types.StringValue(sub(a.Str(), b.Int(), 1<<62)), nil
		},
		F3: func(a, b, c types.Value) (types.Value, error) {
			return types.StringValue(sub(a.Str(), b.Int(), c.Int())), nil
		}}, nil
}

func trimImpl(left, right bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := stringArgs(args); err != nil {
			return Impl{}, err
		}
		cut := func(s, r string) string {
			if r == "" {
				return s
			}
			if left {
				for strings.HasPrefix(s, r) {
					s = s[len(r):]
				}
			}
			if right {
				for strings.HasSuffix(s, r) {
					s = s[:len(s)-len(r)]
				}
			}
			return s
		}
		return Impl{T: types.String, Strict: true,
			F1: func(a types.Value) (types.Value, error) { return types.StringValue(cut(a.Str(), " ")), nil },
			F2: func(a, b types.Value) (types.Value, error) { return types.StringValue(cut(a.Str(), b.Str())), nil },
		}, nil
	}
}

func leftRight(left bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argInt(args, 1); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
			s, n := a.Str(), b.Int()
			if n <= 0 {
				return types.StringValue(""), nil
			}
			cnt := int64(utf8.RuneCountInString(s))
			if n >= cnt {
				return a, nil
			}
			if left {
				return types.StringValue(runeSlice(s, 0, n)), nil
			}
			return types.StringValue(runeSlice(s, cnt-n, cnt)), nil
		}}, nil
	}
}

func bindLocate(instr bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argString(args, 1); err != nil {
			return Impl{}, err
		}
		if len(args) == 3 {
			if err := argInt(args, 2); err != nil {
				return Impl{}, err
			}
		}
		locate := func(sub, s string, start int64) types.Value {
			if start < 1 {
				return types.IntValue(0)
			}
			off := runeSlice(s, start-1, 1<<62)
			if start > 1 && off == "" && sub != "" {
				return types.IntValue(0)
			}
			i := strings.Index(off, sub)
			if i < 0 {
				return types.IntValue(0)
			}
			return types.IntValue(int64(utf8.RuneCountInString(off[:i])) + start)
		}
		return Impl{T: types.BigInt, Strict: true,
			F2: func(a, b types.Value) (types.Value, error) {
				if instr {
					return locate(b.Str(), a.Str(), 1), nil
				}
				return locate(a.Str(), b.Str(), 1), nil
			},
			F3: func(a, b, c types.Value) (types.Value, error) { return locate(a.Str(), b.Str(), c.Int()), nil },
		}, nil
	}
}

func bindPad(left bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argInt(args, 1); err != nil {
			return Impl{}, err
		}
		if err := argString(args, 2); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.String, Strict: true, F3: func(a, b, c types.Value) (types.Value, error) {
			s, n, pad := a.Str(), b.Int(), c.Str()
			if n < 0 {
				return nullV, nil
			}
			if n > 1<<24 {
				return nullV, evalErr("LPAD/RPAD length too large")
			}
			cnt := int64(utf8.RuneCountInString(s))
			if n <= cnt {
				return types.StringValue(runeSlice(s, 0, n)), nil
			}
			if pad == "" {
				return nullV, nil
			}
			need := n - cnt
			var fill []rune
			pr := []rune(pad)
			for int64(len(fill)) < need {
				fill = append(fill, pr...)
			}
			fill = fill[:need]
			if left {
				return types.StringValue(string(fill) + s), nil
			}
			return types.StringValue(s + string(fill)), nil
		}}, nil
	}
}
