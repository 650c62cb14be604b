package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
)

// follower runs Follow on a log and records what it applied.
type follower struct {
	log  *CommandLog
	mu   sync.Mutex
	seen []Command
	stop context.CancelFunc
	err  chan error
}

func follow(t *testing.T, brokers []string) *follower {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	l, err := OpenCommandLog(ctx, brokers, "c1")
	if err != nil {
		t.Fatal(err)
	}
	f := &follower{log: l, stop: cancel, err: make(chan error, 1)}
	go func() {
		f.err <- l.Follow(ctx, func(c Command) {
			f.mu.Lock()
			f.seen = append(f.seen, c)
			f.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-f.err; err != nil {
			t.Errorf("Follow: %v", err)
		}
		l.Close()
	})
	return f
}

func (f *follower) keys() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for _, c := range f.seen {
		ks = append(ks, fmt.Sprintf("%s=%s@%d", c.Key, c.Value, c.Offset))
	}
	return strings.Join(ks, " ")
}

// TestCommandLogOrderAndReadYourWrites: two servers append to the log;
// each applies every command in the same order, and a server that waits
// for its own append's offset sees it applied. A server that starts later
// replays the whole log.
func TestCommandLogOrderAndReadYourWrites(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	brokers := kc.ListenAddrs()
	a, b := follow(t, brokers), follow(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, l := range []*CommandLog{a.log, b.log} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 20; n++ {
				off, err := l.Append(ctx, fmt.Sprintf("job/%d-%d", i, n), []byte("RUNNING"))
				if err != nil {
					t.Error(err)
					return
				}
				if err := l.WaitApplied(ctx, off); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	off, err := a.log.Append(ctx, "job/0-0", nil) // a tombstone
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*follower{a, b} {
		if err := f.log.WaitApplied(ctx, off); err != nil {
			t.Fatal(err)
		}
	}
	if a.keys() != b.keys() || len(a.seen) != 41 {
		t.Fatalf("the servers applied different logs:\n%s\n%s", a.keys(), b.keys())
	}
	if last := a.seen[40]; last.Key != "job/0-0" || last.Value != nil {
		t.Fatalf("last command %+v, want the tombstone of job/0-0", last)
	}
	// The topic is compacted: the newest command of each key is kept.
	rcs, err := kadm.NewClient(a.log.client).DescribeTopicConfigs(ctx, a.log.Topic())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(a.log.Topic(), nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := ""
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil {
			policy = *c.Value
		}
	}
	if policy != "compact" {
		t.Fatalf("cleanup.policy of %s = %q, want compact", a.log.Topic(), policy)
	}
	late := follow(t, brokers)
	if err := late.log.WaitApplied(ctx, off); err != nil {
		t.Fatal(err)
	}
	if late.keys() != a.keys() {
		t.Fatalf("a server started later replayed another log:\n%s\n%s", late.keys(), a.keys())
	}
}

// TestCommandLogErrors: a bad cluster name, no brokers, and a wait that
// outlives its context are errors that say so.
func TestCommandLogErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := OpenCommandLog(ctx, []string{"127.0.0.1:1"}, "a b"); err == nil || !strings.Contains(err.Error(), "cluster.name") {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := OpenCommandLog(ctx, nil, "c"); err == nil || !strings.Contains(err.Error(), "cluster.bootstrap.servers") {
		t.Fatalf("no brokers: %v", err)
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	f := follow(t, kc.ListenAddrs())
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := f.log.WaitApplied(wctx, 5); err == nil || !strings.Contains(err.Error(), "offset 5 not applied") {
		t.Fatalf("wait past the end: %v", err)
	}
}
