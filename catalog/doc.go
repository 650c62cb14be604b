// Package catalog holds the definitions of tables and views that a session
// knows: their columns, time attributes (watermark, processing time),
// primary key, partition columns (PARTITIONED BY) and connector options.
// It holds no data.
//
// The sql binder reads it to resolve names; the engine adds to it on CREATE
// and removes on DROP; the planner reads connector options to build sources
// and sinks. A Catalog is not safe for concurrent mutation; the engine
// serialises statements.
package catalog
