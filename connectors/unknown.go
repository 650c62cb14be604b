package connectors

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/internal/suggest"
)

// UnknownConnectorError is the error for table whose 'connector' option
// names no registered connector: it suggests the nearest registered name
// when one is close (a likely misspelling) and lists them all.
func UnknownConnectorError(table, name string) error {
	names := Names()
	hint := ""
	if s := suggest.Closest(name, names); s != "" {
		hint = fmt.Sprintf("; did you mean '%s'?", s)
	}
	return fmt.Errorf("table %s: unknown connector '%s'%s (available: %s)", table, name, hint, strings.Join(names, ", "))
}
