package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUnknownKeyNamesTheListingStatement: an unknown configuration key far
// from every key names the statement that lists the keys, and that
// statement does list them (and HELP mentions it).
func TestUnknownKeyNamesTheListingStatement(t *testing.T) {
	e, _ := newTestEngine()
	err := e.Config().Set("foo.barbaz.qux", "1")
	if err == nil || !strings.Contains(err.Error(), "SHOW CONFIGURATION lists the keys") {
		t.Fatalf("want a pointer to SHOW CONFIGURATION, got %v", err)
	}
	var out bytes.Buffer
	if err := e.RunScript(context.Background(), "SHOW CONFIGURATION;", &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range ConfigKeys {
		if !strings.Contains(out.String(), k.Key) {
			t.Errorf("SHOW CONFIGURATION does not list %s", k.Key)
		}
	}
	if !strings.Contains(Help(), "SHOW CONFIGURATION") || !strings.Contains(Help(), "SHOW FUNCTIONS") {
		t.Error("HELP does not mention SHOW CONFIGURATION and SHOW FUNCTIONS")
	}
}

// TestHelpListsEveryConnector: HELP's connector list comes from the
// registry (every connector the engine can use).
func TestHelpListsEveryConnector(t *testing.T) {
	for _, name := range []string{"blackhole", "datagen", "filesystem", "jdbc", "kafka", "memory", "nexmark", "print", "socket"} {
		if !strings.Contains(Help(), name) {
			t.Errorf("HELP does not list connector %s", name)
		}
	}
}

// TestShowConfigurationMasksSecrets: a secret setting (s3.secret-key) is
// listed masked; other values as set.
func TestShowConfigurationMasksSecrets(t *testing.T) {
	e, _ := newTestEngine()
	var out bytes.Buffer
	if err := e.RunScript(context.Background(), "SET 's3.secret-key' = 'hunter2'; SET 's3.endpoint' = 'http://127.0.0.1:9000'; SHOW CONFIGURATION;", &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "****") || !strings.Contains(out.String(), "http://127.0.0.1:9000") {
		t.Fatalf("SHOW CONFIGURATION:\n%s", out.String())
	}
}
