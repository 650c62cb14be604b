package all

import (
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
