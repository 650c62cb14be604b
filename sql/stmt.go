package sql

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Stmt is a compiled statement. The set of statement types is closed: the
// engine switches over the types below.
type Stmt interface {
	// Piece returns the statement's text and position in the script.
	Piece() Piece
	stmt()
}

// At records where a statement came from; every statement type embeds it.
type At struct{ P Piece }

// Piece implements Stmt.
func (a At) Piece() Piece { return a.P }
func (At) stmt()          {}

// CreateTable is CREATE TABLE. Table is fully built (columns, watermark,
// PROCTIME column, primary key, WITH options in written order, DDL text).
type CreateTable struct {
	At
	Table       *catalog.Table
	IfNotExists bool
}

// CreateView is CREATE VIEW; View.Columns is the bound query's output.
type CreateView struct {
	At
	View        *catalog.View
	IfNotExists bool
}

// DropTable is DROP TABLE [IF EXISTS] name.
type DropTable struct {
	At
	Name     string
	IfExists bool
}

// DropView is DROP VIEW [IF EXISTS] name.
type DropView struct {
	At
	Name     string
	IfExists bool
}

// Insert is INSERT INTO Table <query>. Query's output has exactly the
// table's physical columns (catalog.Table.PhysicalColumns), in order and
// with their types: implicit casts are applied, and columns missing from an
// INSERT column list are NULL. INSERT ... VALUES gives a plan.Values.
//
// Replace is set by REPLACE INTO and INSERT OR REPLACE INTO (in-memory
// tables only): each new row first removes the table's rows with the same
// primary key, as MySQL's REPLACE does; without a primary key it appends
// like INSERT.
type Insert struct {
	At
	Table   *catalog.Table
	Query   plan.Node
	Replace bool
}

// Delete is DELETE FROM Table [WHERE Where] on an in-memory table: the
// rows for which Where is TRUE are removed (every row when Where is nil).
// Where is bound over Table.PhysicalColumns.
type Delete struct {
	At
	Table *catalog.Table
	Where expr.Expr
}

// Assignment is one `column = expr` of UPDATE: Expr, bound over the
// table's physical columns and cast to the column's type, gives the new
// value of physical column Col.
type Assignment struct {
	Col  int
	Expr expr.Expr
}

// Update is UPDATE Table SET col = expr, ... [WHERE Where] on an in-memory
// table. Every assignment reads the row as it was before the update; when
// a column is assigned more than once the last assignment wins.
type Update struct {
	At
	Table *catalog.Table
	Set   []Assignment
	Where expr.Expr
}

// CreateIndex is CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table
// (col, ...). Indexes have no effect on how streamsql runs queries: the
// engine records the name (so that DROP INDEX can check it) and nothing
// else; UNIQUE is not enforced.
type CreateIndex struct {
	At
	Name, Table string
	IfNotExists bool
	nameAt      int
}

// Duplicate is the error for an index name that exists already, located
// at the name.
func (s *CreateIndex) Duplicate() error {
	return s.P.errAt(ErrDuplicate, s.nameAt, "index '"+s.Name+"' already exists", "use CREATE INDEX IF NOT EXISTS to ignore it")
}

// DropIndex is DROP INDEX [IF EXISTS] name [ON table].
type DropIndex struct {
	At
	Name     string
	IfExists bool
	nameAt   int
}

// Unknown is the error for an index name that does not exist, located at
// the name.
func (s *DropIndex) Unknown() error {
	return s.P.errAt(ErrUnknownTable, s.nameAt, "unknown index '"+s.Name+"'", "use DROP INDEX IF EXISTS to ignore a missing index")
}

// OrderKey is one ORDER BY key of a top-level query: an output column.
type OrderKey struct {
	Col  int
	Desc bool
}

// Query is a SELECT (possibly a set operation). OrderBy and Limit are only
// set for a top-level SELECT. With OrderBy, Plan's root is a plan.Sort:
// over a bounded input it plans to nothing and whoever prints the result
// sorts the collected rows and keeps the first Limit; over an unbounded
// input the planner makes it a Top-N (with Limit) or a temporal sort.
// Without OrderBy, a printer of an unbounded result stops after Limit rows
// (StreamLimit). Limit is -1 when absent. The last Hidden columns of
// Plan's output are ORDER BY expressions the select list does not have
// (`SELECT a FROM t ORDER BY b + 1`): they are sorted by and then dropped
// by whoever prints the result (Width, Schema).
type Query struct {
	At
	Plan    plan.Node
	OrderBy []OrderKey
	Limit   int64
	Hidden  int
}

// Width is the number of columns of the query's result (Plan's output
// without the Hidden sort columns).
func (q *Query) Width() int { return len(q.Plan.Schema()) - q.Hidden }

// Schema is the schema of the query's result (without the Hidden sort
// columns).
func (q *Query) Schema() types.Schema { return q.Plan.Schema()[:q.Width()] }

// StreamLimit is the number of rows after which a printer of the query's
// unbounded (streamed) result stops, -1 for none: Limit without ORDER BY.
// With ORDER BY the plan's Top-N itself keeps the first Limit rows, as a
// changelog.
func (q *Query) StreamLimit() int64 {
	if len(q.OrderBy) > 0 {
		return -1
	}
	return q.Limit
}

// Set is SET 'key' = 'value'. SET alone (list the settings) has Key "".
type Set struct {
	At
	Key, Value string
}

// Reset is RESET 'key'; RESET alone (reset every key) has Key "".
type Reset struct {
	At
	Key string
}

// ShowTables is SHOW TABLES (tables and views).
type ShowTables struct{ At }

// ShowCreateTable is SHOW CREATE TABLE name (or SHOW CREATE VIEW name).
type ShowCreateTable struct {
	At
	Name string
}

// Describe is DESCRIBE name / DESC name (a table or a view).
type Describe struct {
	At
	Name string
}

// ShowJobs is SHOW JOBS, or with Full SHOW FULL JOBS (every column).
type ShowJobs struct {
	At
	Full bool
}

// ShowCluster is SHOW CLUSTER: the servers of the cluster that the
// server running the statement belongs to, with the jobs each owns. Only a
// server knows its cluster; the embedded engine answers that it is not
// part of one.
type ShowCluster struct{ At }

// ShowFunctions is SHOW FUNCTIONS: every function with its signature.
type ShowFunctions struct{ At }

// StopJob is STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN].
type StopJob struct {
	At
	JobID     string
	Savepoint bool
	Drain     bool
}

// TriggerSavepoint is TRIGGER SAVEPOINT 'id': take a savepoint of a running
// job without stopping it.
type TriggerSavepoint struct {
	At
	JobID string
}

// Explain is EXPLAIN <statement> (EXPLAIN PLAN FOR is accepted too).
// With Rules (EXPLAIN RULES, EXPLAIN PLAN WITH RULES FOR) the output shows
// the logical plan after each optimizer rule that changed it.
type Explain struct {
	At
	Stmt  Stmt
	Rules bool
}

// Help is HELP.
type Help struct{ At }

// Quit is QUIT or EXIT.
type Quit struct{ At }
