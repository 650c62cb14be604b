// Package bytesize reads sizes as Flink writes its MemorySize options: a
// whole number of bytes, optionally followed by a unit (b, k/kb/kib,
// m/mb/mib, g/gb/gib, t/tb/tib or the long names, any case, spaces
// allowed): "512m", "2 gb", "64mb", "1048576". Callers (the process memory
// budget, the filesystem source's split size) word their own errors from
// an *Error.
package bytesize

import (
	"strconv"
	"strings"
)

// units are the unit names by shift, lower case.
var units = []struct {
	names []string
	shift uint
}{
	{[]string{"b", "bytes"}, 0},
	{[]string{"k", "kb", "kib", "kibibytes"}, 10},
	{[]string{"m", "mb", "mib", "mebibytes"}, 20},
	{[]string{"g", "gb", "gib", "gibibytes"}, 30},
	{[]string{"t", "tb", "tib", "tebibytes"}, 40},
}

// Error says why Parse refused its input.
type Error struct {
	Input string
	// Unit is the unknown unit (set when the number was fine).
	Unit string
	// TooLarge: the size does not fit an int64 with room to spare.
	TooLarge bool
}

func (e *Error) Error() string {
	switch {
	case e.TooLarge:
		return "size '" + e.Input + "' is too large"
	case e.Unit != "":
		return "invalid size '" + e.Input + "': unknown unit '" + e.Unit + "' (use b, kb, mb, gb or tb)"
	}
	return "invalid size '" + e.Input + "'"
}

// Parse returns the size s in bytes, or an *Error.
func Parse(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || err != nil {
		return 0, &Error{Input: s}
	}
	unit := strings.TrimSpace(t[i:])
	if unit == "" {
		return n, nil
	}
	for _, u := range units {
		for _, name := range u.names {
			if unit == name {
				if n > (1<<62)>>u.shift {
					return 0, &Error{Input: s, TooLarge: true}
				}
				return n << u.shift, nil
			}
		}
	}
	return 0, &Error{Input: s, Unit: unit}
}
