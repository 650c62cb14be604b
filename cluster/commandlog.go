package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Command is one record of the command log.
type Command struct {
	Key   string
	Value []byte // nil: the key was deleted (a tombstone)
	// Offset orders commands: every server sees them in offset order.
	Offset int64
}

// CommandLog is a cluster's command topic. Append and WaitApplied are
// safe for concurrent use; Follow runs once.
type CommandLog struct {
	topic  string
	client *kgo.Client

	mu      sync.Mutex
	applied int64 // offset of the last command Follow's callback returned from; -1: none
	changed chan struct{}
	done    bool
}

// TopicName is the command topic of a cluster.
func TopicName(clusterName string) string { return "_streamsql-" + clusterName + "-commands" }

// OpenCommandLog connects to the brokers and creates the cluster's command
// topic (one partition, compacted) when it does not exist yet.
func OpenCommandLog(ctx context.Context, brokers []string, clusterName string) (*CommandLog, error) {
	if clusterName == "" || strings.ContainsAny(clusterName, "/ ") {
		return nil, fmt.Errorf("cluster.name '%s': want a non-empty name without spaces or slashes", clusterName)
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("cluster %s: no cluster.bootstrap.servers", clusterName)
	}
	topic := TopicName(clusterName)
	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", clusterName, err)
	}
	adm := kadm.NewClient(client)
	res, err := adm.CreateTopic(ctx, 1, -1, map[string]*string{"cleanup.policy": ptr("compact")}, topic)
	if err == nil {
		err = res.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		client.Close()
		return nil, fmt.Errorf("cluster %s: creating the command topic %s on %s: %w", clusterName, topic, strings.Join(brokers, ","), err)
	}
	return &CommandLog{topic: topic, client: client, applied: -1, changed: make(chan struct{})}, nil
}

func ptr[T any](v T) *T { return &v }

// Topic is the command topic's name.
func (l *CommandLog) Topic() string { return l.topic }

// Append writes a command and returns its offset once the brokers
// acknowledged it (all in-sync replicas).
func (l *CommandLog) Append(ctx context.Context, key string, value []byte) (int64, error) {
	rec := &kgo.Record{Topic: l.topic, Partition: 0, Key: []byte(key), Value: value}
	if err := l.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return 0, fmt.Errorf("appending %s to %s: %w", key, l.topic, err)
	}
	return rec.Offset, nil
}

// Follow reads the log from its start and calls apply for every command in
// offset order, then for every command appended later, until ctx ends
// (it then returns nil) or the brokers fail (it returns the error). apply
// runs in Follow's goroutine; WaitApplied(o) returns once apply returned
// for offset o.
func (l *CommandLog) Follow(ctx context.Context, apply func(Command)) error {
	defer func() {
		l.mu.Lock()
		l.done = true
		close(l.changed)
		l.mu.Unlock()
	}()
	for {
		fetches := l.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("reading %s: %w", t, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		last := int64(-1)
		fetches.EachRecord(func(r *kgo.Record) {
			apply(Command{Key: string(r.Key), Value: r.Value, Offset: r.Offset})
			last = r.Offset
		})
		if last >= 0 {
			l.mu.Lock()
			l.applied = last
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		}
	}
}

// WaitApplied waits until Follow applied the command at offset (so that a
// server reads its own writes), ctx ends, or Follow stopped.
func (l *CommandLog) WaitApplied(ctx context.Context, offset int64) error {
	for {
		l.mu.Lock()
		applied, ch, done := l.applied, l.changed, l.done
		l.mu.Unlock()
		if applied >= offset {
			return nil
		}
		if done {
			return fmt.Errorf("command log %s: no longer followed", l.topic)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("command log %s: offset %d not applied: %w", l.topic, offset, ctx.Err())
		}
	}
}

// Close releases the connection. Follow must have returned.
func (l *CommandLog) Close() { l.client.Close() }
