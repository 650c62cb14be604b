package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The cluster flags: both are needed, and with both the server joins the
// cluster under the id it generates and keeps in its data directory.
func TestServerClusterFlags(t *testing.T) {
	var stderr testkit.SyncBuffer
	code := runServer(context.Background(), []string{"--data-dir", t.TempDir(), "--cluster-name", "c1"}, &bytes.Buffer{}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--cluster-bootstrap-servers") {
		t.Fatalf("--cluster-name alone: exit %d, %q", code, stderr.String())
	}

	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr = testkit.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- runServer(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", dir,
			"--cluster-name", "c1", "--cluster-bootstrap-servers", strings.Join(kc.ListenAddrs(), ",")}, &bytes.Buffer{}, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "of cluster c1") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not join the cluster: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	id, err := os.ReadFile(filepath.Join(dir, "server-id"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "streamsql server " + strings.TrimSpace(string(id)) + " of cluster c1"; !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q lacks %q", stderr.String(), want)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
}

// -D sets a key for every session of the server: a malformed pair or a
// key the configuration refuses stops the server before it serves, with
// a message naming the flag's value.
func TestServerSettingsFlag(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"novalue", `expected -D key=value, got "novalue"`},
		{"parallelism.default=-3", "-D parallelism.default=-3"},
	} {
		var stderr testkit.SyncBuffer
		code := runServer(context.Background(), []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "-D", tc.arg}, &bytes.Buffer{}, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("-D %s: exit %d, %q, want 2 and %q", tc.arg, code, stderr.String(), tc.want)
		}
	}
}
