// Package server runs streamsql as a long-lived service: it owns jobs so
// that they outlive the clients that submitted them, keeps a durable
// registry of them, and serves a REST API (JSON, modelled on Flink's) and
// Prometheus metrics over HTTP. `streamsql server` is its command.
//
// Who calls: cmd/streamsql creates one Server (New), calls Start once
// (which resumes the jobs the registry lists as running), serves
// Handler() on its listener, and calls Shutdown once when the process is
// told to stop. Handler may serve requests concurrently.
//
// Jobs and sessions: every POST /v1/statements request is a session of
// its own (a fresh engine), and POST /v1/sessions opens one that lasts
// (sessions.go): its CREATE/SET statements set up the tables and
// configuration its INSERTs and SELECTs see. Each INSERT (or statement set) is a
// job; its record holds the statements that set it up and the INSERT, so
// the job can be started again exactly as submitted.
//
// Durability: the registry (registry.go) is one JSON file under the data
// directory, replaced atomically on every change. Checkpoints go under
// <data-dir>/checkpoints unless the statements set state.checkpoints.dir,
// and every job checkpoints (every 10 s unless the statements set
// execution.checkpointing.interval). When the server starts, each job
// whose record says RUNNING (the server stopped or was killed while it
// ran) is started again from its newest complete checkpoint (or from the
// beginning when it has none); finished, failed and stopped jobs stay
// listed with their final status and error. Shutdown stops the running
// jobs after a last checkpoint and leaves them RUNNING in the registry,
// so the next start resumes them.
//
// Cluster (cluster.go): with Config.ClusterName and
// ClusterBootstrapServers the server is one of a cluster whose servers
// share a command log on Kafka (package cluster). Each server has an id
// (Config.ServerID, or one generated at its first clustered start and kept
// in <data-dir>/server-id). Every change of one of its own job records is
// appended to the log under job/<id> with the owner's id (statements with
// secrets masked); every server follows the log from Start to Shutdown and
// keeps the other servers' records in memory, so GET /v1/jobs lists every
// job of the cluster with its owner. Another server's job is shown from
// its record: live figures (rows, checkpoints, vertices) come only from
// the owner. A stop of another server's job appends stop/<id>; the owner
// stops the job as if asked directly and publishes the record, which the
// requesting server waits for (at most Config.ClusterStopTimeout). A job
// runs on one server, its owner; when a server goes away the others take
// its running jobs over (failover.go: owner epochs in the log, checkpoint
// id ranges, a lease on checkpoints, fenced sinks, Config.CheckpointDir
// shared), and a server that
// starts again gives up the jobs taken over meanwhile, resumes the others
// and applies the stop requests it missed. Its registry file holds its
// own jobs. Each server also
// announces itself (server/<id>) when it starts, every
// Config.ClusterHeartbeat, and when it shuts down: GET /v1/cluster lists
// the servers, up, unreachable or stopped, with the jobs each owns, and
// SHOW CLUSTER in the statement and session API answers the same as rows
// (server id, status, address, last heard, jobs, job ids); a server
// without a cluster answers SHOW CLUSTER with a message saying it is not
// part of one. SHOW JOBS stays a 400 in the statement API (the job
// endpoints serve it; `streamsql --server` shows their owner column).
// A job cut into stages (execution.stages.units) is submitted as one job
// per unit, spread over the servers that are up (stages.go); both views
// name each unit's stage and what it reads (key groups or splits), and
// every running job's lag and newest checkpoint as its owner announced
// them at its last heartbeat. Submitted again with the run id of its
// stopped units and execution.savepoint.path = 'latest', such a job
// continues from their checkpoints, perhaps at another number of units:
// the server it is submitted to decides how every unit starts and each
// unit's record carries it (stages.go).
//
// Security: the server listens on the loopback interface by default; any
// other address requires a token, which every request must present as
// `Authorization: Bearer <token>` (no cookies). Statements are shown with
// their secrets masked, as SHOW CREATE TABLE does.
package server
