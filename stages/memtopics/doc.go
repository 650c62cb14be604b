// Package memtopics is the in-memory exchange between the stages of a job
// (stages.Exchange): the topics are lists in memory, shared by the units
// of one process, so that a job runs cut into stages without a broker
// (execution.stages.exchange = 'memory') and can be compared with the same
// job run whole.
//
// Rows written become readable at once: there are no transactions, and
// the topics live as long as the process. With checkpoints a restarted
// unit writes again what it wrote after its checkpoint, so the exchange is
// at least once; exactly-once delivery across stages and across processes
// is the Kafka exchange's (package connectors/exchange).
package memtopics
