// Package kafka is the 'kafka' connector: a source that reads the
// partitions of Kafka topics as parallel splits, with its offsets kept in
// checkpoints, and a sink that writes a topic, exactly once with Kafka
// transactions committed when checkpoints complete. Options follow Flink's
// Kafka SQL connector.
//
//	CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
//	  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
//	) WITH ('connector' = 'kafka', 'topic' = 'bids',
//	  'properties.bootstrap.servers' = '127.0.0.1:9092',
//	  'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
//
// # Options
//
//   - 'topic' (required): the topic. A source may list several topics
//     separated by ';' (their partitions are all splits); a sink writes one.
//   - 'properties.bootstrap.servers' (required): 'host:port' brokers,
//     separated by ','.
//   - 'properties.group.id': the consumer group. The source reads its
//     committed offsets for 'group-offsets' and commits its checkpointed
//     offsets to it (see below). Required by 'group-offsets' modes.
//   - 'scan.startup.mode' (default 'group-offsets', as in Flink): where a
//     split starts when the job does not restore a position for it:
//     'earliest-offset' (the log start), 'latest-offset' (the end when
//     the split opens: only records written later are read),
//     'group-offsets' (the group's committed offset; without one,
//     'properties.auto.offset.reset' decides: 'earliest', 'latest', or
//     'none', the default, which fails naming the group, topic and
//     partition), 'timestamp' (the first record whose timestamp is at or
//     after 'scan.startup.timestamp-millis', epoch milliseconds; the end
//     when there is none), 'specific-offsets'
//     ('scan.startup.specific-offsets' =
//     'partition:0,offset:42;partition:1,offset:300'; unlisted partitions
//     start at the earliest offset; one topic only).
//   - 'scan.bounded.mode' (default 'unbounded'): where each split ends, which
//     makes the source bounded so that a job can end: 'latest-offset' (the
//     end offset when the split first opens), 'group-offsets' (the group's
//     committed offset; none is an error), 'timestamp'
//     ('scan.bounded.timestamp-millis': the first offset whose record
//     timestamp is at or after it, or the end when there is none),
//     'specific-offsets' ('scan.bounded.specific-offsets', same syntax;
//     unlisted partitions end at the latest offset). A split ends (io.EOF)
//     once its position reaches the end offset; records at or after it are
//     not read.
//   - 'format' (alias 'value.format'; required): 'json' (one object per
//     record value), 'csv' (one line per record value) or 'raw' (the whole
//     value is the table's single column, usually STRING; a NULL column is a
//     tombstone, and a tombstone reads as NULL). One trailing line break of a
//     json or csv value is ignored; a json or csv tombstone (null value)
//     holds no row and is skipped. Format options as for the other text
//     connectors (see package format): 'csv.field-delimiter',
//     'csv.quote-character', 'csv.disable-quote-character',
//     'csv.null-literal', 'csv.allow-comments', 'json.fail-on-missing-field'
//     ('csv.ignore-first-line' applies to files and is refused).
//   - 'format.ignore-parse-errors' (also 'csv.ignore-parse-errors',
//     'json.ignore-parse-errors'): skip and count records that do not
//     decode instead of failing the job (see package textsrc). A bad row is
//     reported as "bad row in kafka topic 'T' partition P at offset O" with
//     the record's text.
//   - 'key.fields' (sink): columns written as the record key, separated by
//     ';', encoded with 'key.format' ('json', 'csv' or 'raw'; default the
//     value format). Without it records have no key. The source reads values
//     only (every column comes from the value).
//   - 'sink.delivery-guarantee' (default 'at-least-once'): 'none',
//     'at-least-once' or 'exactly-once' (see Sink).
//   - 'sink.transactional-id-prefix' (exactly-once): prefix of the
//     transactional ids; default 'streamsql-<job>-<table>' from the job name
//     (stable across restarts of the same query, or 'pipeline.name') and the
//     table name. It must be unique to the job: two jobs with one prefix
//     abort each other's transactions.
//   - 'sink.transactional-id-pool-size' (default 5, 2..100): transactional
//     ids per sink instance, i.e. how many transactions one instance can
//     have open or pre-committed at once.
//   - 'sink.partitioner' (default 'default'): 'default' (records with a key
//     go to the partition of the key's murmur2 hash, as Kafka's Java client
//     does; records without one in sticky batches), 'fixed' (instance i
//     writes partition i mod n), 'round-robin'.
//
// Memory of a sink instance is bounded: the producer holds at most 50,000
// records and 64 MiB of records the broker has not acknowledged; beyond
// that Write blocks (backpressure). An exactly-once checkpoint's records
// wait in the broker's open transaction, and its committable is a few bytes
// (transactional id, producer id and epoch).
//
// Client properties: any 'properties.*' key is accepted; the connector uses
// these and ignores the others: 'client.id', 'auto.offset.reset',
// 'isolation.level' (source; default 'read_committed', or
// 'read_uncommitted'), 'max.partition.fetch.bytes' (default 1 MiB),
// 'fetch.max.bytes' (default 50 MiB), 'default.api.timeout.ms' (default
// 60000: how long metadata, offset lookups and retried fetches may take
// before the job fails), 'socket.connection.setup.timeout.ms' (default
// 10000), 'transaction.timeout.ms' (default 900000, the broker's default
// 'transaction.max.timeout.ms'), 'delivery.timeout.ms' (default 120000),
// 'linger.ms', 'batch.size', 'compression.type' (none, gzip, snappy, lz4,
// zstd), 'security.protocol' (PLAINTEXT only; TLS and SASL are not
// supported). 'enable.idempotence', 'acks', 'transactional.id',
// 'enable.auto.commit' and the (de)serializers are set by the connector
// and refused. 'bootstrap.servers' lists host:port addresses (user info
// such as user:password@host is refused).
//
// Credentials are never printed nor stored in the shell's history: the
// value of a property whose key contains password, secret, token,
// credential or jaas ('sasl.jaas.config') is shown as '****' by SHOW
// CREATE TABLE, in errors and in the history file (catalog.MaskOption).
//
// # Source: splits and positions
//
// Each partition of each topic is a split, with ID '<topic>-<partition>'
// (stable across runs). Splits lists the partitions from the cluster's
// metadata (the same for any parallelism); a topic that does not exist is
// an error naming it and the servers. Partitions added later are read only
// after the job restarts (from the startup mode, as new splits).
//
// A split reader has its own Kafka client and reads its partition with
// fetch requests sent straight to the partition's leader (no group
// membership; a leader change is followed). Records are fetched ahead in
// the background (up to two fetches). Next returns the rows fetched so far,
// waits at most 100 ms when there are none, and returns at once when its
// context is cancelled. With 'read_committed' (the default) only records
// of committed transactions and non-transactional records are read, up to
// the last stable offset.
//
// Position: the offset of the next record to read, 8 bytes big-endian (the
// offset after the last row returned; after control records and aborted
// transactional records too, once they have been passed); a bounded source
// appends its end offset (8 more bytes), so that a restored split ends
// where the original one would have. OpenSplit at a position continues
// exactly there, whatever the startup mode and the group's offsets: the
// checkpoint holds the offsets. A position that is no longer in the log
// (deleted by retention) fails the job with a message naming the offset,
// the partition and the log's range.
//
// The reader is a connectors.CheckpointedReader: SnapshotPosition is
// Position; with 'properties.group.id', CheckpointComplete(n) commits the
// position of checkpoint n to the group (in the background, outside of any
// group generation, as Flink does). These commits serve monitoring and
// jobs started later with 'group-offsets'; a restore never reads them. A
// failed commit is written once to Env.Stderr and does not fail the job.
//
// # Sink
//
// Rows are encoded with the format as record values (keys with
// 'key.fields'). Only Insert rows are written: json, csv and raw carry no
// changelog op, so AcceptsChangelog is false and any other op is an error
// naming the table. Open fails when the topic does not exist.
//
//   - 'none': records are produced asynchronously with leader acks and no
//     idempotence; Flush (end of input, and at checkpoints) waits for them.
//     Records may be lost or written twice on failures.
//   - 'at-least-once': idempotent producer with acks from all in-sync
//     replicas; Flush waits until every record is acknowledged, and the
//     runtime calls it at every checkpoint and at the end of input, so a
//     checkpoint completes only with its rows in Kafka. A restore may write
//     rows of the last checkpoint period again.
//   - 'exactly-once': the writer is a connectors.TwoPhaseCommitWriter using
//     Kafka transactions (below). Without checkpointing, Flush commits the
//     open transaction (at the end of input).
//
// A failed produce fails the next Write, Flush or PreCommit.
//
// # Exactly-once protocol
//
// Sink instance i owns a pool of transactional ids '<prefix>-<i>-<k>',
// k < pool size, each with its own transactional producer, created when
// first used.
//
//   - Write puts rows into the open transaction, beginning one on a free id
//     (taken in turn) when there is none. When no id is free (every one
//     holds a transaction waiting for its checkpoint to complete), Write
//     fails with a message saying to raise the pool size.
//   - PreCommit(n) flushes the open transaction (every record acknowledged)
//     and leaves it open: it is durable in Kafka but invisible to
//     read_committed consumers. Its committable (JSON) records the
//     transactional id, producer id and epoch, the checkpoint, the topic,
//     the prefix, the instance, the parallelism and the pool size. The
//     following rows go to a new transaction on another id. The
//     committables returned are those of every pre-committed transaction
//     not committed yet, oldest first (a checkpoint that did not complete
//     rides along with the next), nil when there is none.
//   - Commit(committables) ends each of these transactions with a commit
//     (EndTxn) through its producer, which frees its id. A committable
//     already committed by this writer is skipped; one this writer does not
//     hold is resumed as in Recover. Commit is idempotent.
//   - Open connects nothing to the transactional ids: an earlier attempt's
//     pre-committed transactions must stay open until Recover has committed
//     them. Recover(committables of the restored checkpoint) first commits
//     each of them by sending EndTxn(commit) with the recorded producer id
//     and epoch (Flink's "resume transaction"), then fences every id of the
//     pool: it initialises a producer id for it, which aborts the
//     transaction an earlier attempt left open there (rows written after
//     the restored checkpoint, pre-committed or not) and fences that
//     attempt's producers, which can no longer write or commit. The ids
//     fenced are those of this instance, of the instances whose
//     committables it receives (on a restore at parallelism q, the
//     committables of former instance k go to instance k mod q), of the
//     former instances k >= q with k mod q = i up to the parallelism
//     recorded in the committables, under the current prefix and those
//     recorded, with the larger of the current and recorded pool sizes.
//     Without checkpointing (no Recover call), the first Write fences the
//     instance's pool.
//   - An EndTxn of Recover or Commit that finds the id at a newer epoch
//     (PRODUCER_FENCED: the transaction was committed before and the id has
//     been used since) is taken as committed. One that finds the
//     transaction aborted (INVALID_TXN_STATE) cannot bring its rows back:
//     this is written to Env.Stderr and the job goes on.
//   - Close aborts the open transaction (never a pre-committed one) and
//     closes the producers.
//   - Each transaction of an id has its own epoch (brokers with KIP-890
//     bump it at every commit; otherwise the producer is re-created before
//     the id is used again), so a recorded producer id and epoch name
//     exactly one transaction, and resuming an old committable can never
//     commit a later transaction.
//
// Guarantee: with checkpointing and 'exactly-once', a consumer reading the
// topic with read_committed isolation (this connector's source by default)
// sees every row of the job exactly once across failures, restarts and
// restores (also at another parallelism), and sees the rows of a
// checkpoint period only once that checkpoint has completed (the latency
// of the pipeline is about the checkpoint interval). read_uncommitted
// consumers also see the rows of aborted transactions.
//
// Limits:
//   - A pre-committed transaction must be committed within
//     'properties.transaction.timeout.ms' of its first record, or the broker
//     aborts it and its rows are lost: the checkpoint interval plus the time
//     a checkpoint takes to complete, and, after a failure, the time until
//     the job has restored, must stay below it (default 15 minutes; it
//     cannot exceed the broker's 'transaction.max.timeout.ms').
//   - Until a failed job restores (or while it is down), its open
//     transactions hold back the last stable offset of their partitions:
//     read_committed consumers of those partitions wait (at most until the
//     transaction timeout aborts them).
//   - The pool must exceed the number of checkpoints whose transactions can
//     wait for completion at once (with max-concurrent-checkpoints 1, three
//     ids are used at most; failed checkpoints add one each until a later
//     one completes).
//   - A former instance that left an open transaction but no committable in
//     the restored checkpoint is fenced only up to the parallelism recorded
//     in the restored committables; after changing the prefix or lowering
//     the pool size, the old ids are not fenced (their open transactions end
//     at the transaction timeout).
package kafka
