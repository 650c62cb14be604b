package jdbc

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

// The lookup side of a lookup join (connectors.LookupSource):
//
//	SELECT ... FROM orders AS o JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.cust = c.id
//
// with customers a 'jdbc' / 'mysql' table. Each operator instance opens
// one connection and prepares `SELECT <physical columns> FROM <table>
// WHERE <key col> = ? [AND ...]`; every probe key that the cache does not
// hold runs it once, with the key values as bound parameters. The options
// are Flink's JDBC connector's:
//
//   - 'lookup.cache.max-rows' and 'lookup.cache.ttl' (both or neither; by
//     default there is no cache and every probe row queries the
//     database): the cache keeps the rows of at most max-rows keys per
//     operator instance (the least recently used key goes first) for ttl
//     after they were read ('10min', '30s', '500ms', or milliseconds);
//   - 'lookup.cache.caching-missing-key' (default 'true'): a key without
//     rows is cached too;
//   - 'lookup.max-retries' (default 3): how often a query that failed on a
//     lost or refused connection is retried (100 ms, 200 ms, ... apart)
//     before the job fails.
//
// Equality is the database's: a string key compares under the column's
// collation (case-insensitively for the usual *_ci collations), as in
// Flink. Nothing of the cache is checkpointed; a restored job starts with
// an empty cache.

// Lookup option keys.
const (
	optLookupMaxRows = "lookup.cache.max-rows"
	optLookupTTL     = "lookup.cache.ttl"
	optLookupMissing = "lookup.cache.caching-missing-key"
	optLookupRetries = "lookup.max-retries"
)

func lookupOptions() []connectors.OptionSpec {
	return []connectors.OptionSpec{
		{Key: optLookupMaxRows, Help: "lookup joins: cache the rows of at most this many keys per operator instance (with 'lookup.cache.ttl'; no cache by default)"},
		{Key: optLookupTTL, Help: "lookup joins: how long cached rows are used, e.g. '10min' (with 'lookup.cache.max-rows')"},
		{Key: optLookupMissing, Default: "true", Help: "lookup joins: also cache keys without rows"},
		{Key: optLookupRetries, Default: strconv.Itoa(defaultMaxRetries), Help: "lookup joins: retries of a lookup query that failed on a lost connection"},
	}
}

// lookupConfig is a table's parsed lookup options.
type lookupConfig struct {
	maxRows      int           // 0: no cache
	ttl          time.Duration // with maxRows
	cacheMissing bool
	retries      int
}

// parseLookupConfig reads t's lookup options; errors do not name the table.
func parseLookupConfig(t *catalog.Table) (lookupConfig, error) {
	c := lookupConfig{cacheMissing: true, retries: defaultMaxRetries}
	hasRows, hasTTL := t.HasOption(optLookupMaxRows), t.HasOption(optLookupTTL)
	if hasRows != hasTTL {
		return c, fmt.Errorf("set both '%s' and '%s' to cache lookups, or neither", optLookupMaxRows, optLookupTTL)
	}
	if hasRows {
		n, err := strconv.Atoi(strings.TrimSpace(t.Option(optLookupMaxRows)))
		if err != nil || n <= 0 {
			return c, fmt.Errorf("'%s' = '%s' is not a number of keys (> 0)", optLookupMaxRows, t.Option(optLookupMaxRows))
		}
		d, err := parseDuration(t.Option(optLookupTTL))
		if err != nil || d <= 0 {
			return c, fmt.Errorf("'%s' = '%s' is not a duration (> 0, e.g. '10min', '30s', '500ms')", optLookupTTL, t.Option(optLookupTTL))
		}
		c.maxRows, c.ttl = n, d
	}
	if t.HasOption(optLookupMissing) {
		b, err := strconv.ParseBool(strings.TrimSpace(t.Option(optLookupMissing)))
		if err != nil {
			return c, fmt.Errorf("'%s' = '%s': use 'true' or 'false'", optLookupMissing, t.Option(optLookupMissing))
		}
		c.cacheMissing = b
	}
	if t.HasOption(optLookupRetries) {
		n, err := strconv.Atoi(strings.TrimSpace(t.Option(optLookupRetries)))
		if err != nil || n < 0 {
			return c, fmt.Errorf("'%s' = '%s' is not a number (>= 0)", optLookupRetries, t.Option(optLookupRetries))
		}
		c.retries = n
	}
	return c, nil
}

// lookupClock is the clock of the cache's ttl (tests replace it).
var lookupClock = time.Now

func newLookup(t *catalog.Table, env *connectors.Env) (connectors.LookupSource, error) {
	cfg, err := parseConfig(t)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", t.Name, err)
	}
	lc, err := parseLookupConfig(t)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", t.Name, err)
	}
	return &lookupSource{t: t, env: env, cfg: cfg, lc: lc, cols: t.PhysicalColumns(), name: qualified(cfg.db, cfg.table)}, nil
}

// lookupSource looks rows of one database table up by key.
type lookupSource struct {
	t    *catalog.Table
	env  *connectors.Env
	cfg  *config
	lc   lookupConfig
	cols types.Schema // physical columns: the rows' layout
	name string       // `db`.`table`
}

func (s *lookupSource) Describe() string {
	cache := "no cache"
	if s.lc.maxRows > 0 {
		cache = fmt.Sprintf("cache of %d keys for %s", s.lc.maxRows, s.lc.ttl)
	}
	return "a SELECT per key from database table " + s.name + ", " + cache
}

func (s *lookupSource) errorf(cause error, format string, args ...any) error {
	return tableErrorf(s.cfg, s.t.Name, cause, format, args...)
}

func (s *lookupSource) warn(format string, args ...any) {
	warn(s.env, s.cfg, s.t.Name, format, args...)
}

// lookupSQL is the query of keyCols: SELECT every physical column WHERE
// each key column equals its parameter.
func (s *lookupSource) lookupSQL(keyCols []int) string {
	var cols, conds []string
	for _, c := range s.cols {
		cols = append(cols, quote(c.Name))
	}
	for _, k := range keyCols {
		conds = append(conds, quote(s.cols[k].Name)+" = ?")
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + s.name + " WHERE " + strings.Join(conds, " AND ")
}

// Open connects (retrying) and prepares the lookup query: a missing table
// or column fails here, at job start, naming the table.
func (s *lookupSource) Open(ctx context.Context, keyCols []int) (connectors.LookupReader, error) {
	if len(keyCols) == 0 {
		return nil, s.errorf(nil, "a lookup needs at least one key column")
	}
	for _, k := range keyCols {
		if k < 0 || k >= len(s.cols) {
			return nil, s.errorf(nil, "lookup key column %d is not one of its %d physical columns", k, len(s.cols))
		}
	}
	dc := s.cfg.driver.Clone()
	dc.Logger = driverLogger{s.warn}
	conn, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, s.errorf(err, "connection settings: %v", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(5 * time.Minute)
	r := &lookupReader{s: s, ctx: ctx, db: db, keyCols: keyCols, args: make([]any, len(keyCols))}
	if s.lc.maxRows > 0 {
		r.cache = map[string]*list.Element{}
		r.lru = list.New()
	}
	q := s.lookupSQL(keyCols)
	if err := r.retry("preparing the lookup query on "+s.name, func() error {
		st, err := db.PrepareContext(ctx, q)
		if err == nil {
			r.stmt = st
		}
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

// lookupReader is one operator instance's connection, statement and cache.
type lookupReader struct {
	s       *lookupSource
	ctx     context.Context
	db      *sql.DB
	stmt    *sql.Stmt
	keyCols []int
	args    []any
	keyBuf  []byte
	cache   map[string]*list.Element // key encoding -> element of lru (*cached)
	lru     *list.List               // most recently used first
	rows    [][]types.Value          // the last uncached result
}

type cached struct {
	key  string
	rows [][]types.Value
	at   time.Time
}

// retry runs fn as the reader's retrier does (1 + 'lookup.max-retries'
// attempts).
func (r *lookupReader) retry(what string, fn func() error) error {
	return retrier{ctx: r.ctx, retries: r.s.lc.retries, option: optLookupRetries, addr: r.s.cfg.addr,
		errorf: r.s.errorf, warn: r.s.warn}.run(what, func(context.Context) error { return fn() })
}

func (r *lookupReader) Lookup(key []types.Value) ([][]types.Value, error) {
	var k string
	if r.cache != nil {
		buf := r.keyBuf[:0]
		for _, v := range key {
			buf = types.AppendKey(buf, v)
		}
		r.keyBuf = buf
		if el, ok := r.cache[string(buf)]; ok {
			c := el.Value.(*cached)
			if lookupClock().Sub(c.at) < r.s.lc.ttl {
				r.lru.MoveToFront(el)
				return c.rows, nil
			}
			r.lru.Remove(el)
			delete(r.cache, c.key)
		}
		k = string(buf)
	}
	for i, v := range key {
		r.args[i] = arg(v)
	}
	var rows [][]types.Value
	if err := r.retry("looking up a key in "+r.s.name, func() error {
		var err error
		rows, err = r.query()
		return err
	}); err != nil {
		return nil, err
	}
	if r.cache == nil {
		r.rows = rows
		return rows, nil
	}
	if len(rows) > 0 || r.s.lc.cacheMissing {
		r.cache[k] = r.lru.PushFront(&cached{key: k, rows: rows, at: lookupClock()})
		for r.lru.Len() > r.s.lc.maxRows {
			old := r.lru.Back()
			r.lru.Remove(old)
			delete(r.cache, old.Value.(*cached).key)
		}
	}
	return rows, nil
}

// query runs the prepared statement with r.args and converts the rows.
func (r *lookupReader) query() ([][]types.Value, error) {
	res, err := r.stmt.QueryContext(r.ctx, r.args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	cols := r.s.cols
	dest := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	var out [][]types.Value
	for res.Next() {
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]types.Value, len(cols))
		for i, c := range cols {
			v, err := fromDB(dest[i], c.Type)
			if err != nil {
				return nil, permanent(r.s.errorf(nil, "column %s: %v", c.Name, err))
			}
			row[i] = v
		}
		out = append(out, row)
	}
	return out, res.Err()
}

func (r *lookupReader) Close() error {
	var err error
	if r.stmt != nil {
		err = r.stmt.Close()
	}
	if cerr := r.db.Close(); err == nil {
		err = cerr
	}
	r.cache, r.lru, r.rows = nil, nil, nil
	if err != nil && !errors.Is(err, context.Canceled) {
		return r.s.errorf(err, "closing the lookup connection: %v", err)
	}
	return nil
}

// fromDB converts a value read by the driver (int64, uint64, float32/64,
// []byte text, time.Time in UTC, bool or nil) into a value of type t.
func fromDB(v any, t types.Type) (types.Value, error) {
	switch x := v.(type) {
	case nil:
		return types.NullValue(), nil
	case []byte:
		return fromText(x, t)
	case string:
		return fromText([]byte(x), t)
	case int64:
		return fromInt(x, t)
	case uint64:
		if x > math.MaxInt64 {
			return fromText([]byte(strconv.FormatUint(x, 10)), t)
		}
		return fromInt(int64(x), t)
	case float64:
		return fromFloat(x, t)
	case float32:
		return fromFloat(float64(x), t)
	case bool:
		if t.Kind == types.KindBool {
			return types.BoolValue(x), nil
		}
		if x {
			return fromInt(1, t)
		}
		return fromInt(0, t)
	case time.Time:
		ms := x.UnixMilli()
		switch t.Kind {
		case types.KindTimestamp:
			return types.TimestampValue(ms), nil
		case types.KindDate:
			return types.DateValue(floorDiv(ms, 86400000)), nil
		case types.KindString:
			return types.StringValue(string(types.AppendTimestamp(nil, ms, 3))), nil
		}
	}
	return types.Value{}, fmt.Errorf("a %T from the database cannot be read as %s", v, t.Nullable())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func fromInt(x int64, t types.Type) (types.Value, error) {
	switch t.Kind {
	case types.KindInt:
		return types.IntValue(x), nil
	case types.KindInterval:
		return types.IntervalValue(x), nil
	case types.KindBool:
		return types.BoolValue(x != 0), nil
	case types.KindDouble:
		return types.DoubleValue(float64(x)), nil
	}
	return fromText([]byte(strconv.FormatInt(x, 10)), t)
}

func fromFloat(x float64, t types.Type) (types.Value, error) {
	if t.Kind == types.KindDouble {
		return types.DoubleValue(x), nil
	}
	return fromText(strconv.AppendFloat(nil, x, 'g', -1, 64), t)
}

func fromText(b []byte, t types.Type) (types.Value, error) {
	switch t.Kind {
	case types.KindString:
		return types.StringValue(string(b)), nil
	case types.KindInt:
		n, err := format.ParseInt(b, t)
		return types.IntValue(n), err
	case types.KindInterval:
		n, err := format.ParseInt(b, types.BigInt)
		return types.IntervalValue(n), err
	case types.KindDouble:
		f, err := format.ParseDouble(b)
		return types.DoubleValue(f), err
	case types.KindDecimal:
		u, err := format.ParseDecimal(b, t.Precision, t.Scale)
		return types.DecimalValue(u, t.Scale), err
	case types.KindBool:
		ok, err := format.ParseBool(b)
		return types.BoolValue(ok), err
	case types.KindTimestamp:
		ms, err := format.ParseTimestamp(b)
		return types.TimestampValue(ms), err
	case types.KindDate:
		d, err := format.ParseDate(b)
		return types.DateValue(d), err
	}
	return types.Value{}, fmt.Errorf("type %s cannot be read from a database", t.Nullable())
}
