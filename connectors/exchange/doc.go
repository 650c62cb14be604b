// Package exchange is the Kafka topic between two stages of a job: the
// edge that a Hash edge of an exec.JobGraph becomes when the graph is cut
// into stages that run as separate units (see SCALEOUT.md). The upstream
// unit's graph ends in a sink vertex writing the topic (NewSink), the
// downstream unit's graph starts with a source vertex reading some of its
// partitions (NewSource, with exec.SourceSpec.ReaderWatermarks). Both go
// through the ordinary connector interfaces (package connectors); who
// cuts the graph, creates the topic (CreateTopic) and gives each unit its
// producer ids and partitions is the caller's business.
//
// # Topic
//
// A Topic describes one edge: its rows' schema, the key columns, the
// number of partitions and of producers, and whether it ends. Partition p
// holds exactly the rows whose key group is p among Partitions:
// state.KeyGroupOf(exec.HashKey(row, KeyCols), Partitions) (Topic.PartitionOf),
// the function exec's Hash edges and keyed state use. A reading stage
// whose max parallelism equals Partitions thus finds in partition p the
// rows of its key group p, and its instance owning a key-group range reads
// the partitions of that range. The partition count is fixed when the
// topic is created; CreateTopic is idempotent and fails when the topic
// exists with another count, naming both.
//
// # Records
//
// Records have no key; the value's first byte says what it holds:
//
//	0..3  a row: the byte is its types.Op (+I, -U, +U, -D), followed by
//	      the row's values as types.AppendValues writes them (a count,
//	      then per value its kind and payload: every column type
//	      round-trips exactly, NULLs included)
//	0x10  a watermark: the producer id (uvarint), the watermark (varint)
//	0x11  an end: the producer id (uvarint); the producer writes nothing
//	      more and no longer holds the watermark back
//	0x12  a status: the producer id (uvarint), then 1 (its input is idle)
//	      or 0 (active again)
//
// Status records came after the others: a reader of an earlier release
// fails on one as on any unknown kind (naming it) rather than misread it.
// A writer writes them when its input goes idle or active again
// (table.exec.source.idle-timeout), and once, active, before its first
// rows (see below).
//
// A record that does not decode (unknown kind, wrong column count,
// damaged value, unknown producer) fails the reader with an error naming
// the topic, the partition and the offset. A control record of a
// producer after its end (an upstream job resumed from a savepoint taken
// with drain) is ignored: the end stands.
//
// # Writers
//
// The writer of sink instance i is producer producerBase+i (below
// Producers). It routes each row to its key group's partition; records of
// one producer in one partition keep the order of Write calls. It
// implements connectors.WatermarkWriter: the sink operator hands it each
// advance of its input's watermark, after the rows before it. The writer
// need not write every advance, but it writes its latest watermark into
// every partition before each flush and before each transaction is
// pre-committed, so that a reader sees progress whenever rows become
// visible; WriteWatermark(math.MaxInt64), at the end of input, writes an
// end record into every partition (rows after it are refused).
//
// It implements connectors.IdleWriter too: WriteIdle(true), when every
// input of the sink's task went idle, writes the latest watermark (held
// back or not) and then an idle status into every partition;
// WriteIdle(false), when an input is active again, an active status,
// before the rows and watermarks that follow. A watermark record counts as
// an active status as well (a writer writes none while idle). A writer
// that restarted does not know whether its predecessor wrote an idle
// status, and rows carry no producer id: its first rows follow an active
// status of its own, so that a reader restored while the producer was
// idle counts it again before them.
// Without checkpointing a status is written at once; under checkpoints
// into the open transaction (begun for it if none is), visible when that
// transaction commits. Nothing is written after the end.
//
// Without checkpointing (the writer's first call is not Recover), records
// go through an idempotent producer (acks from all in-sync replicas) and
// are visible as soon as acknowledged; an advanced watermark is written
// at most every Config.WatermarkInterval, and at the latest one interval
// after it advanced (from a timer, should no further call come), the end
// at once; Flush writes the latest watermark and waits for every
// acknowledgement. Rows are neither lost nor duplicated while the
// producer lives; a failed job without checkpoints starts over (with a
// new topic: a plain producer cannot be fenced).
//
// Under checkpoints the writer is a connectors.TwoPhaseCommitWriter using
// Kafka transactions, as the kafka connector's exactly-once sink does
// (connectors/kafka/doc.go): a pool of Config.TxnPoolSize transactional
// ids '<TransactionalIDPrefix>-<topic>-<producer>-<k>' per producer;
// Write puts rows into the open transaction; PreCommit(n) writes the
// watermark (or the end) into every partition of it (beginning one when
// the watermark advanced but no row came), flushes it and leaves it open,
// returning a committable (JSON: transactional id, producer id and epoch,
// checkpoint, topic, prefix, producer, pool size) for each pre-committed
// transaction not committed yet; Commit ends them with a commit and is
// idempotent. Recover commits the committables of the restored checkpoint
// (EndTxn with their recorded producer id and epoch; one found committed
// before is skipped, one found aborted is reported through Config.Env),
// then fences every transactional id of the producer's pool and of the
// pools the committables name, by initialising a producer id on each:
// this aborts what an earlier instance of the producer left open and
// fences that instance (a zombie, e.g. on a server that lost the job),
// whose writes and commits fail from then on. Because the ids depend on
// the prefix, the topic and the producer id only, a restarted or moved
// producer fences its predecessors wherever they run. A pre-committed
// transaction must be committed within Config.TransactionTimeout.
//
// # Readers
//
// A split is one partition (ID '<topic>-<partition>'). Its reader reads
// with read_committed isolation: rows of aborted or open transactions are
// never seen, those of committed ones once. It starts at the partition's
// beginning unless a position is restored.
//
// Watermark (connectors.WatermarkReader): the reader keeps each
// producer's last watermark, whether it ended and whether it is idle; the
// partition's watermark is the minimum over the producers that have not
// ended and are not idle, math.MinInt64 until every such producer has
// written one, math.MaxInt64 once every producer ended, and never goes
// back. As in exec's task (Flink's StatusWatermarkValve), a producer that
// becomes active again behind the partition's watermark is left out of
// the minimum until its watermark caught up, and when every producer that
// has not ended is idle the watermark is the largest of theirs (none of
// them will advance; the one idle last would otherwise hold the partition
// for good). Idle (connectors.IdleReporter) reports whether every producer
// that has not ended is idle; the source task then treats the split as
// idle. Next returns the rows read so far as soon as a control record
// advances the watermark or changes Idle, so that the rows it returned
// come before the watermark it then reports. When Topic.Bounded, Next
// returns io.EOF once every producer's end was read; an unbounded split
// reports math.MaxInt64 then and never ends.
//
// Position: a version byte (2), the next offset to read (8 bytes
// big-endian), the number of producers (uvarint), then per producer a
// flags byte (1: has reported, 2: ended, 4: idle) and its last watermark
// (varint, when it has reported), then the partition's watermark
// (varint); version 3 adds the hand-over offset (varint, see Rescaling)
// and is written only while the reader has not reached it. A reader
// opened at a position continues with the next record and the
// producers' watermarks and statuses as they were, so a restore neither
// loses nor repeats a row and keeps the watermark. A version 1 position
// (before statuses: no idle flag, no partition watermark, which is then
// computed from the producers') restores; a position of another version
// is refused naming the versions this reader reads, and one recorded for
// another number of producers is refused unless the topic hands over
// (below).
//
// # Rescaling
//
// When the stage writing a topic starts again as another number of units
// (another unit layout, with the same topics), the producers change:
// producer p of the new layout is not producer p of the old one. The
// rule rests on one fact: every unit of the old layout stopped (or
// failed) before any unit of the new one started, so in every partition
// each record of the old producers comes before each record of the new
// ones. The caller (the engine, before it starts the new units) reads
// each partition's end offset (EndOffsets: the high watermark, records
// of open transactions included) and gives them to the new layout's
// readers as Topic.HandOver, and the old producer count as
// Topic.Retired. Then:
//
//   - A reader whose restored position records another number of
//     producers than Topic.Producers, or that has no position, and whose
//     partition has a hand-over offset, starts with the new producers
//     (none reported yet) and the partition's watermark as the position
//     had it. Below the hand-over offset it reads the old producers' rows
//     (those of their transactions committed when the new writers
//     recover the old checkpoints' committables, too) and skips their
//     control records: their watermarks, statuses and ends say nothing of
//     the new producers. The partition's watermark thus stands while the
//     old layout's unread rows are read, none of them becomes late, and
//     no old producer is waited for. From the hand-over offset on,
//     records are the new producers'; a producer that has not reported
//     yet holds the partition's watermark where it is (it is not
//     "catching up"), so the watermark moves on once every new producer
//     reported, never back.
//   - A position recorded for as many producers as the topic has is
//     restored as always: the stage was not rescaled, or the position was
//     taken by the new layout; one taken before the reader reached the
//     hand-over offset keeps it (version 3).
//   - Writer p of the new layout fences, in Recover, besides its own
//     pool, the pools of the retired producers q >= Producers with q mod
//     Producers == p, aborting what they left open, so that no old
//     transaction holds the partitions' last stable offset until it
//     times out. Pre-committed transactions of the old producers are
//     committed from the committables the new writers restore (each old
//     unit's by one new unit).
//
// A topic whose producing stage kept its unit count keeps its producers:
// no hand-over, whatever happened downstream.
//
// Each reader has its own Kafka client (a consumer of its one
// partition).
//
// The reader also implements connectors.PollWaiter (Next waits up to
// 100 ms for records when none is buffered, or as told),
// connectors.WaitReporter and connectors.PendingRecordsReporter (the last
// stable offset at the last fetch less the next offset).
package exchange
