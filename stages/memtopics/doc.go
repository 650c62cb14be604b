// Package memtopics is the in-memory exchange between the stages of a job
// (stages.Exchange): the topics are lists in memory, shared by the units
// of one process, so that a job runs cut into stages without a broker
// (execution.stages.exchange = 'memory') and can be compared with the same
// job run whole.
//
// Producers' watermarks, ends and idle statuses go into every partition
// and a reader combines them as the Kafka exchange's readers do (package
// connectors/exchange: idle producers left out of a partition's
// watermark, a resumed one counted once caught up). A reader's position is
// the next record, then the producers' watermarks and statuses and the
// partition's watermark; a position of the next record alone (before
// statuses) restores, the watermarks coming back with the next control
// records.
//
// Rows written become readable at once: there are no transactions, and
// the topics live as long as the process. With checkpoints a restarted
// unit writes again what it wrote after its checkpoint, so the exchange is
// at least once; exactly-once delivery across stages and across processes
// is the Kafka exchange's (package connectors/exchange).
package memtopics
