package jdbc

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) warn(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, fmt.Sprintf(format, args...))
}

func (l *lines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// TestRetryBudget: retries stop once 'connection.max-retry-timeout' has
// passed since the first failure, however many 'sink.max-retries' allows.
func TestRetryBudget(t *testing.T) {
	var l lines
	attempts := 0
	start := time.Now()
	err := retrier{ctx: context.Background(), retries: 1000, option: optMaxRetries, budget: 300 * time.Millisecond,
		addr: "h:1", errorf: func(cause error, format string, args ...any) error { return fmt.Errorf(format, args...) },
		warn: l.warn}.run("writing rows", func(context.Context) error {
		attempts++
		return io.ErrUnexpectedEOF
	})
	if err == nil || !strings.Contains(err.Error(), "'connection.max-retry-timeout' = 300ms") {
		t.Fatalf("error %v", err)
	}
	if attempts < 2 || time.Since(start) > 5*time.Second {
		t.Fatalf("%d attempts in %v", attempts, time.Since(start))
	}
}

// TestWaitWarning: an operation that waits longer than
// 'sink.write-wait-warning' for an answer is reported while it waits, and
// again with the time it took once it got one; quick statements are not.
func TestWaitWarning(t *testing.T) {
	var l lines
	w := newWaitWatch(50*time.Millisecond, "h:1", l.warn)
	r := retrier{ctx: context.Background(), addr: "h:1", warn: l.warn, watch: w,
		errorf: func(cause error, format string, args ...any) error { return fmt.Errorf(format, args...) }}
	err := r.run("committing checkpoint 3", func(context.Context) error {
		for i := 0; i < 5; i++ {
			time.Sleep(10 * time.Millisecond)
			w.progress()
		}
		if l.text() != "" {
			t.Errorf("warned about quick statements: %s", l.text())
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(l.text(), "waiting") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := l.text()
	if !strings.Contains(got, "committing checkpoint 3: waiting") || !strings.Contains(got, "h:1") ||
		!strings.Contains(got, "committing checkpoint 3: the database at h:1 answered after") {
		t.Fatalf("warnings:\n%s", got)
	}
	if newWaitWatch(0, "h:1", l.warn) != nil {
		t.Fatal("'0' does not disable the warning")
	}
}

func TestTimeoutAndBufferOptions(t *testing.T) {
	for _, tc := range []struct{ options, want string }{
		{"'sink.buffer-flush.max-bytes' = 'lots'", "'sink.buffer-flush.max-bytes' = 'lots' is not a size"},
		{"'sink.buffer-flush.max-bytes' = '10'", "at least 1kb"},
		{"'connection.max-retry-timeout' = '0'", "'connection.max-retry-timeout' = '0' is not a positive duration"},
		{"'sink.write-wait-warning' = 'soon'", "'sink.write-wait-warning' = 'soon' is not a duration"},
	} {
		_, err := parseConfig(compileTable(t, ddl("d", "id BIGINT", tc.options)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.options, err, tc.want)
		}
	}
	c, err := parseConfig(compileTable(t, ddl("d", "id BIGINT", "'sink.buffer-flush.max-bytes' = '2 MB', 'connection.max-retry-timeout' = '2 min', 'sink.write-wait-warning' = '0'")))
	if err != nil {
		t.Fatal(err)
	}
	if c.spillBytes != 2<<20 || c.retryTimeout != 2*time.Minute || c.waitWarning != 0 || c.spillRows != defaultSpillMaxRows {
		t.Fatalf("parsed %+v", c)
	}
	if c.driver.Timeout != defaultDialTimeout || c.driver.ReadTimeout != defaultIOTimeout || c.driver.WriteTimeout != defaultIOTimeout {
		t.Fatalf("driver timeouts %v %v %v", c.driver.Timeout, c.driver.ReadTimeout, c.driver.WriteTimeout)
	}
}
