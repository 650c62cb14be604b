package kafka

import (
	"context"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/kafkatxn"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/connectors/internal/textsrc"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

func options() []connectors.OptionSpec {
	return append([]connectors.OptionSpec{
		{Key: "topic", Required: true, Help: "topic name (a source may list several, separated by ';')"},
		{Key: "properties.bootstrap.servers", Required: true, Help: "comma-separated host:port list of Kafka brokers"},
		{Key: "properties.group.id", Help: "consumer group: start offsets of 'group-offsets', and where completed checkpoints commit the source's offsets"},
		{Key: "properties.#", Help: "Kafka client properties (see the package documentation); unknown ones are ignored"},
		{Key: "scan.startup.mode", Default: "group-offsets", Help: "earliest-offset, latest-offset, group-offsets, timestamp or specific-offsets"},
		{Key: "scan.startup.timestamp-millis", Help: "start time (epoch milliseconds) of scan.startup.mode 'timestamp'"},
		{Key: "scan.startup.specific-offsets", Help: "'partition:0,offset:42;partition:1,offset:300' for scan.startup.mode 'specific-offsets'"},
		{Key: "scan.bounded.mode", Default: "unbounded", Help: "unbounded, latest-offset, group-offsets, timestamp or specific-offsets: where each partition ends"},
		{Key: "scan.bounded.timestamp-millis", Help: "end time (epoch milliseconds) of scan.bounded.mode 'timestamp'"},
		{Key: "scan.bounded.specific-offsets", Help: "'partition:0,offset:42;...' for scan.bounded.mode 'specific-offsets'"},
		{Key: "format", Help: "value format: json, csv or raw (one column holding the whole value)"},
		{Key: "value.format", Help: "alias of 'format'"},
		{Key: "key.format", Help: "format of the record key written by the sink (default: the value format)"},
		{Key: "key.fields", Help: "columns written as the record key by the sink, separated by ';'"},
		{Key: "sink.delivery-guarantee", Default: "at-least-once", Help: "none, at-least-once or exactly-once (Kafka transactions committed with checkpoints)"},
		{Key: "sink.transactional-id-prefix", Help: "prefix of the sink's transactional ids (default: derived from the job and the table)"},
		{Key: "sink.transactional-id-pool-size", Default: "5", Help: "transactional ids per sink instance (open and pre-committed transactions at once)"},
		{Key: "sink.partitioner", Default: "default", Help: "default (by key hash, else sticky), fixed (instance i writes partition i mod n) or round-robin"},
	}, textsrc.FormatOptions()...)
}

var factory = &connectors.Factory{
	Name:      "kafka",
	Options:   options(),
	NewSource: newSource,
	NewSink:   newSink,
	Validate: func(t *catalog.Table) error {
		_, err := parseConfig(t) // connects to nothing
		return err
	},
}

func init() { connectors.Register(factory) }

// Startup and bounded modes.
const (
	modeEarliest  = "earliest-offset"
	modeLatest    = "latest-offset"
	modeGroup     = "group-offsets"
	modeTimestamp = "timestamp"
	modeSpecific  = "specific-offsets"
	modeUnbounded = "unbounded"
)

// Delivery guarantees.
const (
	deliveryNone        = "none"
	deliveryAtLeastOnce = "at-least-once"
	deliveryExactlyOnce = "exactly-once"
)

// offsetSpec is a startup or an end position rule.
type offsetSpec struct {
	mode     string
	ts       int64
	specific map[int32]int64
}

// config is a table's parsed options.
type config struct {
	t        *catalog.Table
	topics   []string
	servers  []string
	groupID  string
	clientID string

	startup offsetSpec
	bounded offsetSpec

	format      *format.Format
	keyFormat   *format.Format
	keyFields   []int
	readCommit  bool
	autoReset   string // earliest, latest or none
	partMax     int32
	fetchMax    int32
	apiTimeout  time.Duration
	dialTimeout time.Duration

	delivery        string
	txnPrefix       string // explicit 'sink.transactional-id-prefix', "" when absent
	poolSize        int
	txnTimeout      time.Duration
	deliveryTimeout time.Duration
	partitioner     string
	compression     []kgo.CompressionCodec
	linger          time.Duration
	batchMaxBytes   int32
	hasLinger       bool
	hasBatchMax     bool
}

// property validates the 'properties.*' keys the connector uses; any
// other 'properties.*' key is ignored. Its errors show the value masked
// (catalog.MaskOption): never a secret.
func (c *config) property(key, v string) error {
	t := c.t
	bad := func(what string) error {
		return fmt.Errorf("table %s: option 'properties.%s': expected %s, got '%s'", t.Name, key, what, catalog.MaskOption("properties."+key, v))
	}
	posInt := func(max int64) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 || n > max {
			return 0, bad(fmt.Sprintf("a positive integer up to %d", max))
		}
		return n, nil
	}
	var err error
	var n int64
	switch key {
	case "bootstrap.servers":
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				if !strings.Contains(s, ":") || strings.Contains(s, "@") {
					return bad("host:port addresses separated by ','")
				}
				c.servers = append(c.servers, s)
			}
		}
		if len(c.servers) == 0 {
			return bad("host:port addresses separated by ','")
		}
	case "group.id":
		c.groupID = v
	case "client.id":
		c.clientID = v
	case "auto.offset.reset":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "earliest", "latest", "none":
			c.autoReset = strings.ToLower(strings.TrimSpace(v))
		default:
			return bad("earliest, latest or none")
		}
	case "isolation.level":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "read_committed":
			c.readCommit = true
		case "read_uncommitted":
			c.readCommit = false
		default:
			return bad("read_committed or read_uncommitted")
		}
	case "max.partition.fetch.bytes":
		n, err = posInt(1 << 30)
		c.partMax = int32(n)
	case "fetch.max.bytes":
		n, err = posInt(1 << 30)
		c.fetchMax = int32(n)
	case "default.api.timeout.ms":
		n, err = posInt(1 << 31)
		c.apiTimeout = time.Duration(n) * time.Millisecond
	case "socket.connection.setup.timeout.ms":
		n, err = posInt(1 << 31)
		c.dialTimeout = time.Duration(n) * time.Millisecond
	case "delivery.timeout.ms":
		n, err = posInt(1 << 31)
		c.deliveryTimeout = time.Duration(n) * time.Millisecond
	case "transaction.timeout.ms":
		n, err = posInt(1 << 31)
		c.txnTimeout = time.Duration(n) * time.Millisecond
	case "linger.ms":
		n, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return bad("a number of milliseconds >= 0")
		}
		c.linger, c.hasLinger = time.Duration(n)*time.Millisecond, true
	case "batch.size":
		n, err = posInt(1 << 30)
		c.batchMaxBytes, c.hasBatchMax = int32(n), true
	case "compression.type":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "none":
			c.compression = []kgo.CompressionCodec{kgo.NoCompression()}
		case "gzip":
			c.compression = []kgo.CompressionCodec{kgo.GzipCompression()}
		case "snappy":
			c.compression = []kgo.CompressionCodec{kgo.SnappyCompression()}
		case "lz4":
			c.compression = []kgo.CompressionCodec{kgo.Lz4Compression()}
		case "zstd":
			c.compression = []kgo.CompressionCodec{kgo.ZstdCompression()}
		default:
			return bad("none, gzip, snappy, lz4 or zstd")
		}
	case "security.protocol":
		if !strings.EqualFold(strings.TrimSpace(v), "PLAINTEXT") {
			return fmt.Errorf("table %s: option 'properties.security.protocol': only PLAINTEXT is supported, got '%s'", t.Name, v)
		}
	case "enable.idempotence", "acks", "transactional.id", "enable.auto.commit", "key.deserializer", "value.deserializer", "key.serializer", "value.serializer":
		return fmt.Errorf("table %s: option 'properties.%s' is set by the connector (see 'sink.delivery-guarantee', 'sink.transactional-id-prefix' and the format options)", t.Name, key)
	}
	return err
}

// parseConfig validates t's options; it connects to nothing.
func parseConfig(t *catalog.Table) (*config, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "kafka", Options: options()}); err != nil {
		return nil, err
	}
	c := &config{t: t, readCommit: true, autoReset: "none", partMax: 1 << 20, fetchMax: 50 << 20,
		apiTimeout: 60 * time.Second, dialTimeout: 10 * time.Second,
		delivery: deliveryAtLeastOnce, poolSize: 5, txnTimeout: 15 * time.Minute, deliveryTimeout: 2 * time.Minute, partitioner: "default"}
	for _, tp := range strings.Split(t.Option("topic"), ";") {
		if tp = strings.TrimSpace(tp); tp != "" {
			c.topics = append(c.topics, tp)
		}
	}
	if len(c.topics) == 0 {
		return nil, fmt.Errorf("table %s: option 'topic' is empty", t.Name)
	}
	for _, o := range t.Options {
		k := strings.ToLower(o.Key)
		if p, ok := strings.CutPrefix(k, "properties."); ok {
			if err := c.property(p, o.Value); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if c.startup, err = parseOffsetSpec(t, "scan.startup", modeGroup,
		[]string{modeEarliest, modeLatest, modeGroup, modeTimestamp, modeSpecific}); err != nil {
		return nil, err
	}
	if c.bounded, err = parseOffsetSpec(t, "scan.bounded", modeUnbounded,
		[]string{modeUnbounded, modeLatest, modeGroup, modeTimestamp, modeSpecific}); err != nil {
		return nil, err
	}
	if (c.startup.mode == modeSpecific || c.bounded.mode == modeSpecific) && len(c.topics) > 1 {
		return nil, fmt.Errorf("table %s: 'specific-offsets' needs a single 'topic', got %d", t.Name, len(c.topics))
	}
	if t.HasOption("csv.ignore-first-line") {
		return nil, fmt.Errorf("table %s: option 'csv.ignore-first-line' applies to files; a Kafka record holds one row", t.Name)
	}
	name := t.Option("format")
	if vf := t.Option("value.format"); vf != "" {
		if name != "" && !strings.EqualFold(name, vf) {
			return nil, fmt.Errorf("table %s: options 'format' ('%s') and 'value.format' ('%s') differ", t.Name, name, vf)
		}
		name = vf
	}
	if name == "" {
		return nil, fmt.Errorf("table %s: connector 'kafka' needs option 'format' (json, csv or raw)", t.Name)
	}
	if c.format, err = newFormat(t, name, t.PhysicalColumns(), false); err != nil {
		return nil, err
	}
	if kf := t.Option("key.fields"); kf != "" {
		cols := t.PhysicalColumns()
		var schema = cols[:0:0]
		for _, f := range strings.Split(kf, ";") {
			f = strings.TrimSpace(f)
			i := cols.Index(f)
			if i < 0 {
				return nil, fmt.Errorf("table %s: option 'key.fields': no column '%s'", t.Name, f)
			}
			c.keyFields = append(c.keyFields, i)
			schema = append(schema, cols[i])
		}
		kname := t.Option("key.format")
		if kname == "" {
			kname = name
		}
		if c.keyFormat, err = newFormat(t, kname, schema, true); err != nil {
			return nil, fmt.Errorf("%v (option 'key.format')", err)
		}
	} else if t.HasOption("key.format") {
		return nil, fmt.Errorf("table %s: option 'key.format' needs 'key.fields'", t.Name)
	}
	if v := t.Option("sink.delivery-guarantee"); v != "" {
		switch d := strings.ToLower(strings.TrimSpace(v)); d {
		case deliveryNone, deliveryAtLeastOnce, deliveryExactlyOnce:
			c.delivery = d
		default:
			return nil, fmt.Errorf("table %s: option 'sink.delivery-guarantee': expected none, at-least-once or exactly-once, got '%s'", t.Name, v)
		}
	}
	if t.HasOption("sink.transactional-id-prefix") {
		c.txnPrefix = strings.TrimSpace(t.Option("sink.transactional-id-prefix"))
		if c.txnPrefix == "" {
			return nil, fmt.Errorf("table %s: option 'sink.transactional-id-prefix' is empty", t.Name)
		}
	}
	if v := t.Option("sink.transactional-id-pool-size"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 2 || n > 100 {
			return nil, fmt.Errorf("table %s: option 'sink.transactional-id-pool-size': expected a number from 2 to 100, got '%s'", t.Name, v)
		}
		c.poolSize = n
	}
	if v := t.Option("sink.partitioner"); v != "" {
		switch p := strings.ToLower(strings.TrimSpace(v)); p {
		case "default", "fixed", "round-robin":
			c.partitioner = p
		default:
			return nil, fmt.Errorf("table %s: option 'sink.partitioner': expected default, fixed or round-robin, got '%s'", t.Name, v)
		}
	}
	return c, nil
}

// newFormat builds a codec: json, csv, or raw (the 'text' codec: one column).
// With onlyOwn, options of other formats are left out (a key format may
// differ from the value format).
func newFormat(t *catalog.Table, name string, schema types.Schema, onlyOwn bool) (*format.Format, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "json", "csv", "raw":
	default:
		return nil, fmt.Errorf("table %s: unknown format '%s' for connector 'kafka' (known: json, csv, raw)", t.Name, name)
	}
	opts := t.OptionMap()
	if onlyOwn {
		for k := range opts {
			if p, _, _ := strings.Cut(k, "."); (p == "csv" || p == "json") && p != n {
				delete(opts, k)
			}
		}
	}
	f, err := format.New(n, schema, opts)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", t.Name, err)
	}
	return f, nil
}

func parseOffsetSpec(t *catalog.Table, prefix, def string, modes []string) (offsetSpec, error) {
	s := offsetSpec{mode: def}
	if v := t.Option(prefix + ".mode"); v != "" {
		m := strings.ToLower(strings.TrimSpace(v))
		ok := false
		for _, x := range modes {
			ok = ok || x == m
		}
		if !ok {
			return s, fmt.Errorf("table %s: option '%s.mode': expected %s, got '%s'", t.Name, prefix, strings.Join(modes, ", "), v)
		}
		s.mode = m
	}
	tsKey, specKey := prefix+".timestamp-millis", prefix+".specific-offsets"
	if s.mode == modeTimestamp {
		v := t.Option(tsKey)
		if v == "" {
			return s, fmt.Errorf("table %s: option '%s.mode' 'timestamp' needs option '%s'", t.Name, prefix, tsKey)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return s, fmt.Errorf("table %s: option '%s': expected epoch milliseconds, got '%s'", t.Name, tsKey, v)
		}
		s.ts = n
	} else if t.HasOption(tsKey) {
		return s, fmt.Errorf("table %s: option '%s' needs '%s.mode' = 'timestamp'", t.Name, tsKey, prefix)
	}
	if s.mode == modeSpecific {
		v := t.Option(specKey)
		if v == "" {
			return s, fmt.Errorf("table %s: option '%s.mode' 'specific-offsets' needs option '%s'", t.Name, prefix, specKey)
		}
		s.specific = map[int32]int64{}
		for _, part := range strings.Split(v, ";") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			var p, o int64 = -1, -1
			for _, kv := range strings.Split(part, ",") {
				k, val, _ := strings.Cut(strings.TrimSpace(kv), ":")
				n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
				if err != nil || n < 0 {
					p = -2
					break
				}
				switch strings.TrimSpace(k) {
				case "partition":
					p = n
				case "offset":
					o = n
				default:
					p = -2
				}
			}
			if p < 0 || o < 0 || p > 1<<31-1 {
				return s, fmt.Errorf("table %s: option '%s': expected 'partition:<n>,offset:<n>' entries separated by ';', got '%s'", t.Name, specKey, part)
			}
			s.specific[int32(p)] = o
		}
	} else if t.HasOption(specKey) {
		return s, fmt.Errorf("table %s: option '%s' needs '%s.mode' = 'specific-offsets'", t.Name, specKey, prefix)
	}
	return s, nil
}

// newClient returns a client that issues requests (no consuming or
// producing configured unless opts add it).
func (c *config) newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	all := []kgo.Opt{
		kgo.SeedBrokers(c.servers...),
		kgo.DialTimeout(c.dialTimeout),
		kgo.DisableClientMetrics(),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}
	if c.clientID != "" {
		all = append(all, kgo.ClientID(c.clientID))
	} else {
		all = append(all, kgo.ClientID("streamsql"))
	}
	cl, err := kgo.NewClient(append(all, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("table %s: Kafka client: %v", c.t.Name, err)
	}
	return cl, nil
}

func (c *config) serverList() string { return strings.Join(c.servers, ",") }

// topicMeta is what metadata says about one topic.
type topicMeta struct {
	id         [16]byte
	partitions []int32 // sorted
	leaders    map[int32]int32
}

// topics returns the metadata of names; a topic that does not exist is an
// error naming it and the servers.
func (c *config) topicMetadata(ctx context.Context, cl *kgo.Client, names []string) (map[string]*topicMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, c.apiTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrMetadataRequest()
		for _, n := range names {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(n)
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, fmt.Errorf("table %s: cannot reach Kafka at %s: %v", c.t.Name, c.serverList(), err)
		}
		out := map[string]*topicMeta{}
		var retry error
		for _, rt := range resp.Topics {
			if rt.Topic == nil {
				continue
			}
			name := *rt.Topic
			if rt.ErrorCode == kerr.UnknownTopicOrPartition.Code {
				return nil, fmt.Errorf("table %s: topic '%s' does not exist on %s", c.t.Name, name, c.serverList())
			}
			if rt.ErrorCode != 0 {
				err := fmt.Errorf("table %s: topic '%s' on %s: %v", c.t.Name, name, c.serverList(), kerr.ErrorForCode(rt.ErrorCode))
				if !kafkatxn.Retriable(rt.ErrorCode) {
					return nil, err
				}
				retry = err
				continue
			}
			m := &topicMeta{id: rt.TopicID, leaders: map[int32]int32{}}
			for _, p := range rt.Partitions {
				m.partitions = append(m.partitions, p.Partition)
				if p.ErrorCode == 0 {
					m.leaders[p.Partition] = p.Leader
				} else {
					m.leaders[p.Partition] = -1
				}
			}
			sort.Slice(m.partitions, func(i, j int) bool { return m.partitions[i] < m.partitions[j] })
			out[name] = m
		}
		for _, n := range names {
			if out[n] == nil && retry == nil {
				retry = fmt.Errorf("table %s: no metadata for topic '%s' from %s", c.t.Name, n, c.serverList())
			}
		}
		if retry == nil {
			return out, nil
		}
		if err := kafkatxn.Sleep(ctx, kafkatxn.Backoff(attempt)); err != nil {
			return nil, retry
		}
	}
}
