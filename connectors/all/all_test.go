package all

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors"
)

func TestRegistered(t *testing.T) {
	for _, name := range []string{"", "memory", "blackhole", "datagen", "filesystem", "print", "socket", "kafka", "jdbc", "mysql", "nexmark"} {
		if connectors.Lookup(name) == nil {
			t.Errorf("connector %q is not registered", name)
		}
	}
}

// TestUnknownConnectorSuggests: a misspelt connector gets the nearest
// registered name, and the list of names has no blank entry (the memory
// connector's unnamed registration) and includes every connector.
func TestUnknownConnectorSuggests(t *testing.T) {
	msg := connectors.UnknownConnectorError("k", "kafak").Error()
	if !strings.Contains(msg, "table k: unknown connector 'kafak'") || !strings.Contains(msg, "did you mean 'kafka'?") {
		t.Errorf("no suggestion in %q", msg)
	}
	if strings.Contains(msg, ": ,") || strings.Contains(msg, ", ,") || strings.Contains(msg, "(available: ,") {
		t.Errorf("blank connector name in %q", msg)
	}
	for _, name := range []string{"blackhole", "datagen", "filesystem", "jdbc", "kafka", "memory", "nexmark", "print", "socket"} {
		if !strings.Contains(msg, name) {
			t.Errorf("%q does not list %s", msg, name)
		}
	}
	if far := connectors.UnknownConnectorError("k", "postgres").Error(); strings.Contains(far, "did you mean") {
		t.Errorf("a far name got a suggestion: %q", far)
	}
	for _, n := range connectors.Names() {
		if n == "" {
			t.Errorf("Names() has a blank entry: %q", connectors.Names())
		}
	}
}
