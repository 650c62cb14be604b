package nexmarkoracle

import (
	"database/sql"
	"fmt"
	"math/big"
	"strings"
)

// Render renders one value that MariaDB returned as text the way the
// sqllogictest runner renders the engine's value under a type letter
// (tests/sqllogic/render.go):
//
//   - NULL is "NULL" under every letter;
//   - 'I': an integer as it is; a DECIMAL truncated toward zero;
//   - 'R': exactly three decimals, a DECIMAL rounded half away from zero,
//     "0.000" rather than "-0.000";
//   - 'T': text as it is, except that the empty string is "(empty)" and
//     control characters are '@'. DATETIME(3) values arrive from MariaDB as
//     "2015-07-15 00:00:05.000", the engine's TIMESTAMP(3) text.
//
// Only exact numbers are accepted under I and R (the oracle's queries
// return no DOUBLE).
func Render(v sql.NullString, letter byte) (string, error) {
	if !v.Valid {
		return "NULL", nil
	}
	s := v.String
	switch letter {
	case 'I', 'R':
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok || strings.ContainsAny(s, "eE/") {
			return "", fmt.Errorf("%q is not an exact number (type letter %c)", s, letter)
		}
		if letter == 'I' {
			q := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
			return q.String(), nil
		}
		// round half away from zero to thousandths
		scaled := new(big.Rat).Mul(r, big.NewRat(1000, 1))
		abs := new(big.Rat).Abs(scaled)
		abs.Add(abs, big.NewRat(1, 2))
		n := new(big.Int).Quo(abs.Num(), abs.Denom())
		neg := scaled.Sign() < 0 && n.Sign() != 0
		digits := n.String()
		for len(digits) < 4 {
			digits = "0" + digits
		}
		out := digits[:len(digits)-3] + "." + digits[len(digits)-3:]
		if neg {
			out = "-" + out
		}
		return out, nil
	}
	if s == "" {
		return "(empty)", nil
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '@'
		}
		return r
	}, s), nil
}
