// Package engine executes statements for a session: it owns the catalog,
// the SET configuration, the in-memory tables and the jobs started by
// INSERT and SELECT. The CLI, the shell and the sqllogic runner all drive
// an Engine; none of them talks to the planner or the runtime directly.
//
// Contract: an Engine's statement methods are serialised by the engine
// itself (one statement at a time); jobs run in the background and are
// tracked in the job registry until they finish, fail or are stopped.
package engine
