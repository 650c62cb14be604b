package exchange

import (
	"context"
	"errors"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Topic describes the topic of one exchange edge. The writers and the
// readers of one edge must be given equal Topics.
type Topic struct {
	Name   string       // Kafka topic
	Schema types.Schema // the rows' schema (the upstream vertex's output)
	// KeyCols are the columns hashed to pick a row's partition.
	KeyCols []int
	// Partitions: partition p holds exactly the rows whose key group is p:
	// p = state.KeyGroupOf(exec.HashKey(row, KeyCols), Partitions) (the
	// function exec's Hash edges and keyed state use, so that with the
	// reading job's max parallelism equal to Partitions, partition = key
	// group).
	Partitions int
	// Producers is how many writers write the topic (producer ids
	// 0..Producers-1).
	Producers int
	// Bounded: the upstream ends (bounded sources); a partition ends once
	// every producer wrote its end.
	Bounded bool

	// Retired, after the upstream stage was rescaled, is how many
	// producers wrote the topic before (0: as many as now). Writer p
	// fences the transactional ids of the retired producers q >= Producers
	// with q mod Producers == p, so that what they left open is aborted.
	Retired int
	// HandOver, after a rescale, is by partition the offset from which
	// the current producers write: the partition's end offset when the
	// units of the previous layout had stopped and those of the new one
	// had not started. A reader whose position (or none) is not of the
	// current producers skips the control records below it (see the
	// package documentation, "Rescaling"). Readers only.
	HandOver map[int]int64
}

// Config holds what the writers and readers of a job need to reach Kafka.
// Zero fields take the defaults documented on them.
type Config struct {
	Brokers []string
	// TransactionalIDPrefix is unique per job (e.g. "<cluster>-<job id>");
	// the transactional ids derive from it, the topic and the producer id
	// (see the package documentation). Required by writers under
	// checkpoints.
	TransactionalIDPrefix string
	// ClientID names the clients to the brokers (default "streamsql").
	ClientID string
	// TxnPoolSize is the number of transactional ids per producer, i.e.
	// how many transactions it may have open or pre-committed at once
	// (default 5, at least 2).
	TxnPoolSize int
	// TransactionTimeout bounds how long a pre-committed transaction may
	// wait for its checkpoint to complete (default 15 minutes; at most the
	// brokers' transaction.max.timeout.ms).
	TransactionTimeout time.Duration
	// DeliveryTimeout bounds how long a record may wait for its
	// acknowledgement (default 2 minutes).
	DeliveryTimeout time.Duration
	// RequestTimeout bounds metadata requests, commits and fencing, and
	// how long a reader retries failing fetches (default 60 s).
	RequestTimeout time.Duration
	// WatermarkInterval is how often, at most, a writer without
	// checkpointing writes an advanced watermark into every partition
	// between flushes, and how long at most it holds one back (default
	// 200 ms). A writer under checkpoints writes its watermark once per
	// transaction, when it pre-commits.
	WatermarkInterval time.Duration
	// ReplicationFactor of topics made by CreateTopic (default: the
	// brokers' default).
	ReplicationFactor int16
	// TopicConfigs are the configs of topics made by CreateTopic (e.g.
	// retention.ms); nil for the brokers' defaults.
	TopicConfigs map[string]*string
	// Env, when set, receives warnings (a pre-committed transaction found
	// aborted on recovery).
	Env *connectors.Env
}

func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = "streamsql"
	}
	if c.TxnPoolSize < 2 {
		c.TxnPoolSize = 5
	}
	if c.TransactionTimeout <= 0 {
		c.TransactionTimeout = 15 * time.Minute
	}
	if c.DeliveryTimeout <= 0 {
		c.DeliveryTimeout = 2 * time.Minute
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.WatermarkInterval <= 0 {
		c.WatermarkInterval = 200 * time.Millisecond
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1
	}
	return c
}

func (c Config) servers() string { return strings.Join(c.Brokers, ",") }

// newClient returns a client issuing requests; opts add producing or
// consuming.
func (c Config) newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("exchange: no Kafka brokers configured")
	}
	all := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ClientID(c.ClientID), kgo.DisableClientMetrics(),
		kgo.MetadataMinAge(100 * time.Millisecond), kgo.DialTimeout(10 * time.Second)}
	cl, err := kgo.NewClient(append(all, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("exchange: Kafka client for %s: %w", c.servers(), err)
	}
	return cl, nil
}

// validate checks the topic's description (no connection).
func (t *Topic) validate() error {
	switch {
	case t.Name == "":
		return errors.New("exchange: the topic has no name")
	case t.Partitions < 1 || t.Partitions > 1<<20:
		return fmt.Errorf("exchange topic '%s': %d partitions (expected 1 to %d)", t.Name, t.Partitions, 1<<20)
	case t.Producers < 1:
		return fmt.Errorf("exchange topic '%s': %d producers (expected at least 1)", t.Name, t.Producers)
	case len(t.Schema) == 0:
		return fmt.Errorf("exchange topic '%s': the schema has no column", t.Name)
	}
	for _, k := range t.KeyCols {
		if k < 0 || k >= len(t.Schema) {
			return fmt.Errorf("exchange topic '%s': key column %d is not one of the %d columns", t.Name, k, len(t.Schema))
		}
	}
	return nil
}

// PartitionOf returns the partition of row: its key group among
// t.Partitions, with the hash of exec.HashKey over t.KeyCols.
func (t *Topic) PartitionOf(row []types.Value) int {
	h := types.HashSeed
	for _, c := range t.KeyCols {
		h = types.HashValue(h, row[c])
	}
	return state.KeyGroupOf(h, t.Partitions)
}

// CreateTopic creates the topic with t.Partitions partitions. It is
// idempotent: a topic that exists with as many partitions is fine, one
// with another count is an error naming both.
func CreateTopic(ctx context.Context, cfg Config, t Topic) error {
	if err := t.validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	cl, err := cfg.newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, int32(t.Partitions), cfg.ReplicationFactor, cfg.TopicConfigs, t.Name)
	if err == nil {
		err = resp.Err
	}
	if err == nil {
		return nil
	}
	if !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("exchange: creating topic '%s' (%d partitions) on %s: %w", t.Name, t.Partitions, cfg.servers(), err)
	}
	n, err := partitionCount(ctx, cfg, cl, t.Name)
	if err != nil {
		return err
	}
	if n != t.Partitions {
		return fmt.Errorf("exchange: topic '%s' exists on %s with %d partitions, the exchange needs %d", t.Name, cfg.servers(), n, t.Partitions)
	}
	return nil
}

// partitionCount returns the number of partitions of topic, retrying
// while the brokers do not know it yet (a topic just created); a topic
// that does not exist is an error naming it.
func partitionCount(ctx context.Context, cfg Config, cl *kgo.Client, topic string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	var last error
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, fmt.Errorf("exchange topic '%s': cannot reach Kafka at %s: %w", topic, cfg.servers(), err)
		}
		last = fmt.Errorf("exchange topic '%s': no metadata from %s", topic, cfg.servers())
		for _, t := range resp.Topics {
			if t.Topic == nil || *t.Topic != topic {
				continue
			}
			switch {
			case t.ErrorCode == 0:
				return len(t.Partitions), nil
			case t.ErrorCode == kerr.UnknownTopicOrPartition.Code:
				last = fmt.Errorf("exchange topic '%s' does not exist on %s", topic, cfg.servers())
			case kafkatxn.Retriable(t.ErrorCode):
				last = fmt.Errorf("exchange topic '%s' on %s: %w", topic, cfg.servers(), kerr.ErrorForCode(t.ErrorCode))
			default:
				return 0, fmt.Errorf("exchange topic '%s' on %s: %w", topic, cfg.servers(), kerr.ErrorForCode(t.ErrorCode))
			}
		}
		// A topic just created may take a moment to show up everywhere.
		if attempt >= 5 || kafkatxn.Sleep(ctx, kafkatxn.Backoff(attempt)) != nil {
			return 0, last
		}
	}
}

// checkTopic fails unless the topic exists with t.Partitions partitions.
func checkTopic(ctx context.Context, cfg Config, cl *kgo.Client, t *Topic) error {
	n, err := partitionCount(ctx, cfg, cl, t.Name)
	if err != nil {
		return err
	}
	if n != t.Partitions {
		return fmt.Errorf("exchange topic '%s' has %d partitions on %s, the exchange needs %d", t.Name, n, cfg.servers(), t.Partitions)
	}
	return nil
}

// EndOffsets returns the end offset (the high watermark: records of open
// transactions included) of every partition of t, by partition: the
// Topic.HandOver of a rescale, taken once the units of the previous
// layout stopped and before those of the new one start.
func EndOffsets(ctx context.Context, cfg Config, t Topic) (map[int]int64, error) {
	cfg = cfg.withDefaults()
	cl, err := cfg.newClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	if err := checkTopic(ctx, cfg, cl, &t); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	res, err := kadm.NewClient(cl).ListEndOffsets(ctx, t.Name)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("exchange topic '%s': end offsets from %s: %w", t.Name, cfg.servers(), err)
	}
	out := map[int]int64{}
	res.Each(func(o kadm.ListedOffset) {
		if o.Topic == t.Name {
			out[int(o.Partition)] = o.Offset
		}
	})
	if len(out) != t.Partitions {
		return nil, fmt.Errorf("exchange topic '%s': end offsets of %d partitions from %s, it has %d", t.Name, len(out), cfg.servers(), t.Partitions)
	}
	return out, nil
}
