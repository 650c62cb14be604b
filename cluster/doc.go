// Package cluster holds what the servers of one streamsql cluster share
// through Kafka: today the command log, a compacted single-partition topic
// of commands (statements, job records) that every server appends to and
// replays in the same order, so that every server knows every table, job
// and stop (ksqlDB's command topic).
//
// Who calls: a server opens one CommandLog (OpenCommandLog) when it starts
// with a cluster name and bootstrap servers, runs Follow in a goroutine of
// its own for its whole life, and Appends commands from its request
// handlers; after an Append a handler may WaitApplied for its offset to
// read its own write.
//
// Compaction: a command's key names the thing it describes (e.g.
// "job/<id>"); the log keeps at least the newest value of every key, so a
// command must carry the whole current state of its key, not a change of
// it. A nil value is a tombstone: the key is gone.
//
// What uses it: package server (server/cluster.go) appends job records
// (key "job/<id>", with the owner server's id) and stop requests (key
// "stop/<id>", deleted by the owner once applied), so that every server
// lists every job of the cluster and any server can stop any job; a
// job record's owner epoch decides, in the log's order, which server owns
// the job, so that the servers still up take over the jobs of one that
// went away (server/failover.go).
//
// Not here yet: stages over repartition topics, partition ownership and
// the other parts of running one job across servers (SCALEOUT.md).
package cluster
