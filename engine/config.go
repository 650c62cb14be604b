package engine

import (
	"fmt"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/state"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ConfigKey documents one SET key.
// MetricsPortKey is Flink's key of its Prometheus reporter's port.
const MetricsPortKey = "metrics.reporter.prom.port"

type ConfigKey struct {
	Key     string
	Default string
	Help    string
	// Check validates a value; nil accepts anything.
	Check func(v string) error
	// Effective is false for keys that are accepted and stored but whose
	// feature is not available yet (SET says so).
	Effective bool
}

func checkInt(min int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min {
			return fmt.Errorf("expected an integer >= %d, got '%s'", min, v)
		}
		return nil
	}
}

func checkDuration(v string) error {
	_, err := ParseDuration(v)
	return err
}

func checkEnum(vals ...string) func(string) error {
	return func(v string) error {
		for _, x := range vals {
			if strings.EqualFold(x, strings.TrimSpace(v)) {
				return nil
			}
		}
		return fmt.Errorf("expected one of %s, got '%s'", strings.Join(vals, ", "), v)
	}
}

var checkBool = checkEnum("true", "false")

// checkMiniBatchSize accepts -1 (no bound) or a positive row count.
func checkMiniBatchSize(v string) error {
	if strings.TrimSpace(v) == "-1" {
		return nil
	}
	return checkInt(1)(v)
}

// ConfigKeys lists every key SET accepts (Flink's names).
var ConfigKeys = []ConfigKey{
	{Key: "parallelism.default", Default: "1", Help: "parallelism of every operator", Check: checkInt(1), Effective: true},
	{Key: "pipeline.max-parallelism", Default: "128", Help: "number of key groups (upper bound for parallelism)", Check: checkInt(1), Effective: true},
	{Key: "table.exec.source.idle-timeout", Default: "0", Help: "a source split with no rows for this long stops holding back the watermark (0 = never); a source instance whose splits are all idle is idle, and idleness travels downstream through operators and the topics between stages", Check: checkDuration, Effective: true},
	{Key: ProcessMemoryKey, Help: "the process's memory budget (e.g. 512m, 2g): the Go runtime's soft memory limit, as GOMEMLIMIT (less the quarter of managed memory pebble keeps off the heap), so that the garbage collector keeps the heap under it; read when streamsql starts (-D; streamsql server --memory)", Check: checkMemorySize, Effective: true},
	{Key: ManagedMemoryKey, Help: "memory the jobs on pebble of this process share for memtables, block cache and caches of decoded entries (e.g. 256m, below the process size; default: taskmanager.memory.managed.fraction of taskmanager.memory.process.size; with neither, the caches are bounded by state.backend.pebble.cache.entries only)", Check: checkManagedSize, Effective: true},
	{Key: ManagedFractionKey, Default: "0.4", Help: "share of taskmanager.memory.process.size that is managed memory when taskmanager.memory.managed.size is not set", Check: checkFraction, Effective: true},
	{Key: MetricsPortKey, Help: "serve Prometheus metrics of this process's jobs on 127.0.0.1:PORT/metrics (0: any free port); read when streamsql starts (-D), as Flink reads its reporters at start", Check: checkInt(0), Effective: true},
	{Key: "table.dml-sync", Default: "false", Help: "INSERT waits until its job finishes", Check: checkBool, Effective: true},
	{Key: "sql-client.execution.result-mode", Default: "table", Help: "how the shell shows a SELECT: table | changelog | tableau", Check: checkEnum("table", "changelog", "tableau"), Effective: true},
	{Key: "execution.checkpointing.interval", Default: "0", Help: "checkpoint interval (0 = off)", Check: checkDuration, Effective: true},
	{Key: "execution.checkpointing.mode", Default: "EXACTLY_ONCE", Help: "EXACTLY_ONCE | AT_LEAST_ONCE", Check: checkEnum("EXACTLY_ONCE", "AT_LEAST_ONCE"), Effective: true},
	{Key: "execution.checkpointing.timeout", Default: "10min", Help: "a checkpoint not complete by then is aborted", Check: checkDuration, Effective: true},
	{Key: "execution.checkpointing.min-pause", Default: "0", Help: "minimum time between checkpoints", Check: checkDuration, Effective: true},
	{Key: "execution.checkpointing.max-concurrent-checkpoints", Default: "1", Help: "checkpoints in flight at once", Check: checkInt(1), Effective: true},
	{Key: "execution.checkpointing.tolerable-failed-checkpoints", Default: "0", Help: "failed checkpoints tolerated before the job fails", Check: checkInt(0), Effective: true},
	{Key: "execution.checkpointing.unaligned", Default: "false", Help: "barriers overtake in-flight data", Check: checkBool, Effective: true},
	{Key: "execution.checkpointing.externalized-checkpoint-retention", Default: "RETAIN_ON_CANCELLATION", Help: "RETAIN_ON_CANCELLATION | DELETE_ON_CANCELLATION (deletes them on STOP JOB without a savepoint; stops that go on from a last checkpoint, or on another server, keep them)", Check: checkEnum("RETAIN_ON_CANCELLATION", "DELETE_ON_CANCELLATION", "NO_EXTERNALIZED_CHECKPOINTS"), Effective: true},
	{Key: "state.backend", Default: "hashmap", Help: "hashmap | pebble", Check: checkEnum("hashmap", "pebble"), Effective: true},
	{Key: "state.backend.incremental", Default: "false", Help: "incremental checkpoints (hashmap: deltas over a full base; pebble: shared SST files)", Check: checkBool, Effective: true},
	{Key: CacheEntriesKey, Default: strconv.Itoa(state.DefaultCacheEntries), Help: "decoded entries each keyed state of an operator instance keeps in memory in front of pebble (a CLOCK cache; changed entries are written back at checkpoints and once as many have changed, at least 32768; 0: none)", Check: checkInt(0), Effective: true},
	{Key: LocalDirKey, Default: "", Help: "where pebble keeps its working files (default $TMPDIR/streamsql-state); a job's directory is removed when it ends, those of dead processes at the next start", Effective: true},
	{Key: "state.backend.changelog.enabled", Default: "false", Help: "log state changes continuously", Check: checkBool, Effective: true},
	{Key: "state.checkpoints.dir", Default: "", Help: "where checkpoints are written: a directory, file:///dir, or s3://bucket/prefix on an S3-compatible store (the s3.* keys)", Effective: true},
	{Key: "state.checkpoints.num-retained", Default: "1", Help: "completed checkpoints kept", Check: checkInt(1), Effective: true},
	{Key: "state.savepoints.dir", Default: "", Help: "where savepoints are written (a directory or s3://bucket/prefix; default: savepoints under state.checkpoints.dir)", Effective: true},
	{Key: "s3.endpoint", Default: "", Help: "URL of the S3-compatible store of s3:// checkpoint locations, e.g. http://127.0.0.1:9000 (default: AWS)", Effective: true},
	{Key: "s3.access-key", Default: "", Help: "access key of s3:// locations (default: AWS_ACCESS_KEY_ID / MINIO_ROOT_USER or ~/.aws/credentials)", Effective: true},
	{Key: "s3.secret-key", Default: "", Help: "secret key of s3:// locations (shown masked)", Effective: true},
	{Key: "s3.region", Default: "", Help: "region of the s3:// bucket (default: asked from the store)", Effective: true},
	{Key: "s3.path.style.access", Default: "false", Help: "always address buckets as endpoint/bucket; false: bucket.endpoint on AWS and endpoint/bucket on other stores (MinIO)", Check: checkBool, Effective: true},
	{Key: "execution.savepoint.path", Default: "", Help: "restore the next job from this savepoint or checkpoint", Effective: true},
	{Key: "restart-strategy", Default: "none", Help: "none | fixed-delay | failure-rate | exponential-delay", Check: checkEnum("none", "fixed-delay", "failure-rate", "exponential-delay"), Effective: true},
	{Key: "restart-strategy.fixed-delay.attempts", Default: "1", Help: "restarts before giving up", Check: checkInt(0), Effective: true},
	{Key: "restart-strategy.fixed-delay.delay", Default: "1s", Help: "pause before a restart", Check: checkDuration, Effective: true},
	{Key: "restart-strategy.failure-rate.max-failures-per-interval", Default: "1", Help: "failures tolerated per interval", Check: checkInt(1), Effective: true},
	{Key: "restart-strategy.failure-rate.failure-rate-interval", Default: "1min", Help: "interval for the failure rate", Check: checkDuration, Effective: true},
	{Key: "restart-strategy.failure-rate.delay", Default: "1s", Help: "pause before a restart", Check: checkDuration, Effective: true},
	{Key: "restart-strategy.exponential-delay.initial-backoff", Default: "1s", Help: "first pause", Check: checkDuration, Effective: true},
	{Key: "restart-strategy.exponential-delay.max-backoff", Default: "5min", Help: "largest pause", Check: checkDuration, Effective: true},
	{Key: "restart-strategy.exponential-delay.backoff-multiplier", Default: "2.0", Help: "growth of the pause", Effective: true},
	{Key: StagesUnitsKey, Default: "0", Help: "run INSERT jobs cut into stages at their HASH and GLOBAL edges, each stage as this many units (jobs of their own) connected by topics partitioned by key group; 0 runs jobs whole (see SCALEOUT.md)", Check: checkInt(0), Effective: true},
	{Key: StagesExchangeKey, Default: "memory", Help: "the topics between stages: 'kafka' (topics on the brokers of execution.stages.bootstrap-servers, written exactly once with the units' checkpoints; a cluster's servers default to it) or 'memory' (every unit in this process)", Check: checkEnum("kafka", "memory"), Effective: true},
	{Key: StagesBootstrapKey, Default: "", Help: "the Kafka brokers of the exchange between stages (host:port,...); a cluster's servers default to the cluster's brokers", Effective: true},
	{Key: StagesUnitKey, Default: "all", Help: "the units of a staged job this session runs: 'all', or 'STAGE/UNIT' (one unit; the others run elsewhere)", Check: checkUnitSelector, Effective: true},
	{Key: StagesRunKey, Default: "0", Help: "the submission the units of a staged job belong to (epoch milliseconds; it names the job's topics): units of one submission run with the same value. 0: the time the job starts", Check: checkInt(0), Effective: true},
	{Key: "pipeline.operator-chaining", Default: "true", Help: "run an operator whose one input is a one-to-one edge (FORWARD, or any edge between two operators at parallelism 1) in its upstream operator's goroutine, rows handed over by calls (Flink's operator chaining); false: every operator instance is a task of its own goroutine", Check: checkBool, Effective: true},
	{Key: "pipeline.name", Default: "", Help: "name of the next job; also its directory under state.checkpoints.dir (default: derived from the query)", Effective: true},
	{Key: "table.optimizer.reuse-sub-plan-enabled", Default: "true", Help: "equal subqueries of a job (also across a statement set's INSERTs) run once and feed every reader; false runs each on its own (the graph jobs had before, e.g. to restore their savepoints)", Check: checkBool, Effective: true},
	{Key: "table.optimizer.agg-phase-strategy", Default: "AUTO", Help: "window aggregates (TUMBLE, HOP, CUMULATE over event or processing time, aggregates without DISTINCT or an order) in two phases: a local aggregate on each input instance sends partial accumulators over the exchange to the global one. AUTO: when the input runs at parallelism above 1; TWO_PHASE: always; ONE_PHASE: never", Check: checkEnum("AUTO", "ONE_PHASE", "TWO_PHASE"), Effective: true},
	{Key: "table.optimizer.distinct-agg.split.enabled", Default: "false", Help: "a non-windowed GROUP BY with a DISTINCT aggregate (COUNT, SUM, MIN, MAX; with or without FILTER) runs in two aggregates: the first groups by the keys and a bucket of each distinct value (bucket-num of them) and the second sums up the buckets' results per key, so that a hot key's distinct values are counted on every instance (Flink's split distinct aggregation; best with mini-batch allow-latency, which keeps the second aggregate's input small). Jobs planned without it do not restore from its checkpoints, nor the other way round", Check: checkBool, Effective: true},
	{Key: "table.optimizer.distinct-agg.split.bucket-num", Default: "1024", Help: "the buckets of a split distinct aggregation (table.optimizer.distinct-agg.split.enabled)", Check: checkInt(1), Effective: true},
	{Key: "table.exec.mini-batch.enabled", Default: "false", Help: "non-windowed GROUP BY folds rows into their groups and emits one change per group a mini-batch changed (a shorter changelog, the same final table); a mini-batch is one input batch unless allow-latency is set; on by itself for a SELECT whose final table is printed, unless SET to false", Check: checkBool, Effective: true},
	{Key: "table.exec.mini-batch.allow-latency", Default: "0", Help: "longest a mini-batch holds rows back. 0: a mini-batch is one input batch (rows that arrived together, at most 1024), so nothing is held back; above 0: a mini-batch spans input batches and emits once its first row is this old (checked about every 100 ms), once it reaches mini-batch.size rows, at every checkpoint, at the end of the input, and earlier when its changed groups pass the state's bound of entries pending write-back", Check: checkDuration, Effective: true},
	{Key: "table.exec.mini-batch.size", Default: "-1", Help: "most rows of a mini-batch. With allow-latency 0 an input batch is folded in pieces of this many rows (-1: whole, at most 1024 rows); above 0 a mini-batch emits when it reaches this many rows, across input batches (-1: only allow-latency bounds it)", Check: checkMiniBatchSize, Effective: true},
	{Key: "table.exec.state.ttl", Default: "0", Help: "state of non-windowed aggregates and joins idle this long is dropped (0 = never)", Check: checkDuration, Effective: true},
	{Key: "table.exec.emit.allow-lateness", Default: "0", Help: "event-time TUMBLE/HOP/CUMULATE aggregates keep a fired window this long after its end; its late rows update it (-U/+U) (0 = drop late rows)", Check: checkDuration, Effective: true},
	{Key: "table.exec.emit.early-fire.enabled", Default: "false", Help: "window aggregates emit their result before the window closes, every early-fire.delay, and update it (-U/+U)", Check: checkBool, Effective: true},
	{Key: "table.exec.emit.early-fire.delay", Default: "", Help: "processing time between early firings of a window (0 = on every row; required with early-fire)", Check: checkDuration, Effective: true},
	{Key: "table.exec.emit.late-fire.enabled", Default: "false", Help: "with allow-lateness, late rows' updates are emitted every late-fire.delay instead of at once", Check: checkBool, Effective: true},
	{Key: "table.exec.emit.late-fire.delay", Default: "", Help: "processing time between late firings of a window (0 = on every late row; required with late-fire, at most allow-lateness)", Check: checkDuration, Effective: true},
}

func lookupKey(k string) *ConfigKey {
	for i := range ConfigKeys {
		if strings.EqualFold(ConfigKeys[i].Key, k) {
			return &ConfigKeys[i]
		}
	}
	return nil
}

// Config is a session's SET values.
type Config struct {
	vals map[string]string
}

// NewConfig returns a config with every key at its default.
func NewConfig() *Config { return &Config{vals: map[string]string{}} }

// Set validates and stores a value.
func (c *Config) Set(key, val string) error {
	k := lookupKey(key)
	if k == nil {
		return fmt.Errorf("unknown configuration key '%s'%s", key, suggest(key))
	}
	if k.Check != nil {
		if err := k.Check(val); err != nil {
			return fmt.Errorf("'%s': %v", k.Key, err)
		}
	}
	c.vals[k.Key] = strings.TrimSpace(val)
	return nil
}

// IsSet reports whether key was SET in this session (not at its default).
func (c *Config) IsSet(key string) bool {
	_, ok := c.vals[key]
	return ok
}

// Reset restores one key (or all when key is "") to its default.
func (c *Config) Reset(key string) error {
	if key == "" {
		c.vals = map[string]string{}
		return nil
	}
	k := lookupKey(key)
	if k == nil {
		return fmt.Errorf("unknown configuration key '%s'%s", key, suggest(key))
	}
	delete(c.vals, k.Key)
	return nil
}

// Get returns the value of key (its default when not set).
func (c *Config) Get(key string) string {
	if v, ok := c.vals[key]; ok {
		return v
	}
	if k := lookupKey(key); k != nil {
		return k.Default
	}
	return ""
}

// Int returns an integer key.
func (c *Config) Int(key string) int {
	n, _ := strconv.Atoi(c.Get(key))
	return n
}

// Bool returns a boolean key.
func (c *Config) Bool(key string) bool { return strings.EqualFold(c.Get(key), "true") }

// DurationMs returns a duration key in milliseconds.
func (c *Config) DurationMs(key string) int64 {
	d, _ := ParseDuration(c.Get(key))
	return d.Milliseconds()
}

// optionalMs returns a duration key without a default in milliseconds,
// or -1 when it is not set.
func (c *Config) optionalMs(key string) int64 {
	if strings.TrimSpace(c.Get(key)) == "" {
		return -1
	}
	return c.DurationMs(key)
}

// Explicit returns the keys set in this session, sorted, with values.
func (c *Config) Explicit() [][2]string {
	var out [][2]string
	for k, v := range c.vals {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func suggest(key string) string {
	best, bestD := "", 1<<30
	for _, k := range ConfigKeys {
		if d := sql.EditDistance(strings.ToLower(key), k.Key); d < bestD {
			best, bestD = k.Key, d
		}
	}
	if bestD <= len(key)/3+1 {
		return fmt.Sprintf(" (did you mean '%s'?)", best)
	}
	return " (SHOW CONFIGURATION lists the keys)"
}

// ParseDuration reads Flink-style durations: "500 ms", "1s", "2 min", "1h",
// "10 s", plain numbers are milliseconds.
func ParseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if s == "" {
		return 0, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a duration like '1s', '500 ms' or '2 min', got '%s'", v)
	}
	var mult time.Duration
	switch unit {
	case "", "ms", "milli", "millis", "millisecond", "milliseconds":
		mult = time.Millisecond
	case "s", "sec", "secs", "second", "seconds":
		mult = time.Second
	case "m", "min", "mins", "minute", "minutes":
		mult = time.Minute
	case "h", "hour", "hours":
		mult = time.Hour
	case "d", "day", "days":
		mult = 24 * time.Hour
	default:
		return 0, fmt.Errorf("unknown duration unit '%s' in '%s' (use ms, s, min, h, d)", unit, v)
	}
	return time.Duration(f * float64(mult)), nil
}

// clone copies the configuration (a job keeps the settings it was submitted with).
func (c *Config) clone() *Config {
	n := NewConfig()
	for k, v := range c.vals {
		n.vals[k] = v
	}
	return n
}
