package expr

import (
	"math"

	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Func{Name: "ABS", MinArgs: 1, MaxArgs: 1, Usage: "ABS(x)", Bind: bindAbs})
	Register(&Func{Name: "SIGN", MinArgs: 1, MaxArgs: 1, Usage: "SIGN(x)", Bind: func(args []Expr) (Impl, error) {
		if err := argNumeric(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.BigInt, Strict: true, F1: func(a types.Value) (types.Value, error) {
			return types.IntValue(int64(types.Compare(a, types.IntValue(0)))), nil
		}}, nil
	}})
	Register(&Func{Name: "MOD", MinArgs: 2, MaxArgs: 2, Usage: "MOD(a, b)", Build: func(args []Expr) (Expr, error) {
		return NewArith(OpMod, args[0], args[1])
	}})
	Register(&Func{Name: "ROUND", MinArgs: 1, MaxArgs: 2, Usage: "ROUND(x [, d])", Bind: bindRound(roundHalf)})
	Register(&Func{Name: "TRUNCATE", MinArgs: 2, MaxArgs: 2, Usage: "TRUNCATE(x, d)", Bind: bindRound(math.Trunc)})
	Register(&Func{Name: "FLOOR", MinArgs: 1, MaxArgs: 2, Usage: "FLOOR(x) | FLOOR(ts TO unit)", Bind: bindFloorCeil(math.Floor, false)})
	for _, n := range []string{"CEIL", "CEILING"} {
		Register(&Func{Name: n, MinArgs: 1, MaxArgs: 2, Usage: n + "(x) | " + n + "(ts TO unit)", Bind: bindFloorCeil(math.Ceil, true)})
	}
	for _, n := range []string{"POWER", "POW"} {
		Register(&Func{Name: n, MinArgs: 2, MaxArgs: 2, Usage: n + "(x, y)", Bind: dbl2(math.Pow)})
	}
	Register(&Func{Name: "SQRT", MinArgs: 1, MaxArgs: 1, Usage: "SQRT(x)", Bind: dbl1(func(x float64) float64 {
		if x < 0 {
			return math.NaN()
		}
		return math.Sqrt(x)
	})})
	Register(&Func{Name: "LN", MinArgs: 1, MaxArgs: 1, Usage: "LN(x)", Bind: dbl1(logf(math.Log))})
	Register(&Func{Name: "LOG10", MinArgs: 1, MaxArgs: 1, Usage: "LOG10(x)", Bind: dbl1(logf(math.Log10))})
	Register(&Func{Name: "LOG2", MinArgs: 1, MaxArgs: 1, Usage: "LOG2(x)", Bind: dbl1(logf(math.Log2))})
	Register(&Func{Name: "LOG", MinArgs: 1, MaxArgs: 2, Usage: "LOG(x) | LOG(base, x)", Bind: func(args []Expr) (Impl, error) {
		if len(args) == 1 {
			return dbl1(logf(math.Log))(args)
		}
		return dbl2(func(b, x float64) float64 {
			if b <= 0 || b == 1 || x <= 0 {
				return math.NaN()
			}
			return math.Log(x) / math.Log(b)
		})(args)
	}})
	Register(&Func{Name: "EXP", MinArgs: 1, MaxArgs: 1, Usage: "EXP(x)", Bind: dbl1(math.Exp)})
	Register(&Func{Name: "PI", MinArgs: 0, MaxArgs: 0, Usage: "PI()", Bind: func([]Expr) (Impl, error) {
		return Impl{T: types.Type{Kind: types.KindDouble, NotNull: true}, F0: func() (types.Value, error) { return types.DoubleValue(math.Pi), nil }}, nil
	}})
	for _, f := range []struct {
		n string
		f func(float64) float64
	}{{"SIN", math.Sin}, {"COS", math.Cos}, {"TAN", math.Tan}, {"ASIN", math.Asin}, {"ACOS", math.Acos}, {"ATAN", math.Atan}, {"DEGREES", func(x float64) float64 { return x * 180 / math.Pi }}, {"RADIANS", func(x float64) float64 { return x * math.Pi / 180 }}} {
		Register(&Func{Name: f.n, MinArgs: 1, MaxArgs: 1, Usage: f.n + "(x)", Bind: dbl1(f.f)})
	}
	Register(&Func{Name: "GREATEST", MinArgs: 1, MaxArgs: -1, Usage: "GREATEST(a, b, ...)", Bind: bindExtreme(1)})
	Register(&Func{Name: "LEAST", MinArgs: 1, MaxArgs: -1, Usage: "LEAST(a, b, ...)", Bind: bindExtreme(-1)})
}

func logf(f func(float64) float64) func(float64) float64 {
	return func(x float64) float64 {
		if x <= 0 {
			return math.NaN()
		}
		return f(x)
	}
}

// dblResult maps NaN and infinities (domain errors) to NULL, as MySQL does.
func dblResult(f float64) types.Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nullV
	}
	return types.DoubleValue(f)
}

func dbl1(f func(float64) float64) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argDouble(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.Double, Strict: true, F1: func(a types.Value) (types.Value, error) {
			return dblResult(f(a.Double())), nil
		}}, nil
	}
}

func dbl2(f func(a, b float64) float64) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if err := argDouble(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argDouble(args, 1); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.Double, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
			return dblResult(f(a.Double(), b.Double())), nil
		}}, nil
	}
}

func bindAbs(args []Expr) (Impl, error) {
	if err := argNumeric(args, 0); err != nil {
		return Impl{}, err
	}
	t := args[0].Type().Nullable()
	if t.Kind == types.KindNull {
		t = types.BigInt
	}
	if t.Kind == types.KindInt {
		t = types.BigInt
	}
	return Impl{T: t, Strict: true, F1: func(a types.Value) (types.Value, error) {
		switch a.Kind() {
		case types.KindInt:
			if a.Int() == math.MinInt64 {
				return nullV, errOverflow
			}
			if a.Int() < 0 {
				return types.IntValue(-a.Int()), nil
			}
		case types.KindDecimal:
			if a.Unscaled() < 0 {
				return types.DecimalValue(-a.Unscaled(), a.Scale()), nil
			}
		case types.KindDouble:
			return types.DoubleValue(math.Abs(a.Double())), nil
		}
		return a, nil
	}}, nil
}

func roundHalf(f float64) float64 { return math.Round(f) }

func bindRound(rf func(float64) float64) func([]Expr) (Impl, error) {
	trunc := rf(0.7) == 0
	return func(args []Expr) (Impl, error) {
		if err := argNumeric(args, 0); err != nil {
			return Impl{}, err
		}
		d := int64(0)
		if len(args) == 2 {
			if err := argInt(args, 1); err != nil {
				return Impl{}, err
			}
			c, ok := constInt(args, 1)
			if !ok {
				return Impl{}, typeErr(1, "the number of decimals must be a constant integer")
			}
			d = c
		}
		if d > MaxDecimalDigits {
			d = MaxDecimalDigits
		}
		t := args[0].Type().Nullable()
		switch t.Kind {
		case types.KindNull, types.KindInt:
			t = types.BigInt
		case types.KindDecimal:
			s := int64(t.Scale)
			if d < s {
				s = max(d, 0)
			}
			t = decType(intDigits(t)+int(s)+1, int(s))
		}
		roundDec := func(u int64, sc uint8) int64 {
			// round u (scale sc) to d digits, result at scale sc
			if d >= int64(sc) {
				return u
			}
			if int64(sc)-d > 18 {
				return 0
			}
			p := types.Pow10(uint8(int64(sc) - d))
			q, r := u/p, u%p
			if !trunc {
				if r*2 >= p {
					q++
				} else if r*2 <= -p {
					q--
				}
			}
			return q * p
		}
		impl := func(a types.Value) (types.Value, error) {
			switch a.Kind() {
			case types.KindInt:
				if d >= 0 {
					return a, nil
				}
				if -d > 18 {
					return types.IntValue(0), nil
				}
				p := types.Pow10(uint8(-d))
				q, r := a.Int()/p, a.Int()%p
				if !trunc {
					if r*2 >= p {
						q++
					} else if r*2 <= -p {
						q--
					}
				}
				z, ok := mulChecked(q, p)
				if !ok {
					return nullV, errOverflow
				}
				return types.IntValue(z), nil
			case types.KindDecimal:
				u := roundDec(a.Unscaled(), a.Scale())
				u, ok := rescale(u, a.Scale(), t.Scale)
				if !ok {
					return nullV, errOverflow
				}
				return types.DecimalValue(u, t.Scale), nil
			case types.KindDouble:
				p := math.Pow10(int(d))
				return types.DoubleValue(rf(a.Double()*p) / p), nil
			}
			return a, nil
		}
		return Impl{T: t, Strict: true, F1: impl, F2: func(a, _ types.Value) (types.Value, error) { return impl(a) }}, nil
	}
}

func bindFloorCeil(rf func(float64) float64, ceil bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		if len(args) == 2 {
			return bindTimeFloor(args, ceil)
		}
		if err := argNumeric(args, 0); err != nil {
			return Impl{}, err
		}
		t := args[0].Type().Nullable()
		if t.Kind != types.KindDouble {
			t = types.BigInt
		}
		return Impl{T: t, Strict: true, F1: func(a types.Value) (types.Value, error) {
			switch a.Kind() {
			case types.KindDecimal:
				p := types.Pow10(a.Scale())
				q, r := a.Unscaled()/p, a.Unscaled()%p
				if ceil && r > 0 {
					q++
				} else if !ceil && r < 0 {
					q--
				}
				return types.IntValue(q), nil
			case types.KindDouble:
				return types.DoubleValue(rf(a.Double())), nil
			}
			return a, nil
		}}, nil
	}
}

func bindExtreme(sign int) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		ts := make([]types.Type, len(args))
		for i, a := range args {
			ts[i] = a.Type()
		}
		t, ok := CommonType(ts...)
		if !ok {
			return Impl{}, typeErr(-1, "arguments have incompatible types")
		}
		t = t.Nullable()
		for i := range args {
			c, err := Coerce(args[i], t)
			if err != nil {
				return Impl{}, typeErr(i, err.Error())
			}
			args[i] = c
		}
		pick := func(a, b types.Value) types.Value {
			if types.Compare(a, b)*sign >= 0 {
				return a
			}
			return b
		}
		return Impl{T: t, Strict: true,
			F1: func(a types.Value) (types.Value, error) { return a, nil },
			F2: func(a, b types.Value) (types.Value, error) { return pick(a, b), nil },
			F3: func(a, b, c types.Value) (types.Value, error) { return pick(pick(a, b), c), nil },
			FN: func(vs []types.Value) (types.Value, error) {
				r := vs[0]
				for _, v := range vs[1:] {
					r = pick(r, v)
				}
				return r, nil
			}}, nil
	}
}
