package nexmarkoracle

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// Oracle is a private database on the server holding one dataset's
// events at a time.
type Oracle struct {
	db   *sql.DB
	conn *sql.Conn // one session: the oracle's settings apply to every query
	name string
}

// connect opens a pool to database dbName on the server as root.
func connect(dbName string) (*sql.DB, error) {
	cfg := testkit.MariaDBConfig(dbName)
	cfg.Timeout = 5 * time.Second
	return testkit.OpenMariaDB(cfg)
}

// Open creates a database of its own (streamsql_nexmark_oracle_<random>)
// with the Nexmark tables and the helper function ms_ts. Close drops it.
func Open() (*Oracle, error) {
	var tok [6]byte
	_, _ = rand.Read(tok[:])
	name := "streamsql_nexmark_oracle_" + hex.EncodeToString(tok[:])
	root, err := connect("test")
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	db, err := connect(name)
	if err != nil {
		return nil, err
	}
	o := &Oracle{db: db, name: name}
	o.conn, err = db.Conn(context.Background())
	if err != nil {
		o.Close()
		return nil, err
	}
	for _, s := range schemaSQL {
		if _, err := o.conn.ExecContext(context.Background(), s); err != nil {
			o.Close()
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return o, nil
}

// schemaSQL sets the session up and creates the tables. Strings compare
// byte-wise with no padding (utf8mb4_nopad_bin, as the engine compares
// them); every table keeps dateTime both as DATETIME(3) and as epoch
// milliseconds (ms; auction also expires_ms) for window arithmetic.
// ms_ts turns epoch milliseconds back into DATETIME(3) without any time
// zone.
var schemaSQL = []string{
	"SET SESSION time_zone = '+00:00', SESSION sql_mode = 'STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY,NO_ENGINE_SUBSTITUTION', SESSION div_precision_increment = 4",
	`CREATE TABLE person (id BIGINT NOT NULL, name VARCHAR(200) NOT NULL, emailAddress VARCHAR(200) NOT NULL,
  creditCard VARCHAR(200) NOT NULL, city VARCHAR(200) NOT NULL, state VARCHAR(200) NOT NULL,
  dateTime DATETIME(3) NOT NULL, ms BIGINT NOT NULL, extra VARCHAR(2000) NOT NULL, PRIMARY KEY (id))`,
	`CREATE TABLE auction (id BIGINT NOT NULL, itemName VARCHAR(200) NOT NULL, description VARCHAR(2000) NOT NULL,
  initialBid BIGINT NOT NULL, reserve BIGINT NOT NULL, dateTime DATETIME(3) NOT NULL, ms BIGINT NOT NULL,
  expires DATETIME(3) NOT NULL, expires_ms BIGINT NOT NULL, seller BIGINT NOT NULL, category BIGINT NOT NULL,
  extra VARCHAR(2000) NOT NULL, PRIMARY KEY (id))`,
	`CREATE TABLE bid (auction BIGINT NOT NULL, bidder BIGINT NOT NULL, price BIGINT NOT NULL,
  channel VARCHAR(200) NOT NULL, url VARCHAR(2000) NOT NULL, dateTime DATETIME(3) NOT NULL, ms BIGINT NOT NULL,
  extra VARCHAR(2000) NOT NULL, KEY (auction), KEY (bidder))`,
	`CREATE FUNCTION ms_ts(ms BIGINT) RETURNS DATETIME(3) DETERMINISTIC
  RETURN TIMESTAMP '1970-01-01 00:00:00' + INTERVAL ms * 1000 MICROSECOND`,
}

// Close drops the oracle's database.
func (o *Oracle) Close() error {
	if o.conn != nil {
		o.conn.Close()
	}
	_, err := o.db.Exec("DROP DATABASE IF EXISTS " + o.name)
	o.db.Close()
	return err
}

// formatMillis renders epoch milliseconds as DATETIME(3) text, UTC.
func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// Load replaces the tables' contents with the dataset's events, generated
// by the nexmark connector's generator: from its person, auction and bid
// tables, or (fromEvents) from its event table.
func (o *Oracle) Load(d Dataset, fromEvents bool) error {
	ctx := context.Background()
	for _, t := range []Table{Person, Auction, Bid} {
		gen := d.Generate
		if fromEvents {
			gen = d.GenerateFromEvents
		}
		rows, err := gen(t)
		if err != nil {
			return fmt.Errorf("generate %s: %w", t.Name, err)
		}
		if _, err := o.conn.ExecContext(ctx, "DELETE FROM "+t.Name); err != nil {
			return err
		}
		// the table's columns, with ms (and expires_ms) after each timestamp
		var cols []string
		for _, c := range t.Columns {
			cols = append(cols, c.Name)
			if c.Type.Kind == types.KindTimestamp {
				if c.Name == "dateTime" {
					cols = append(cols, "ms")
				} else {
					cols = append(cols, c.Name+"_ms")
				}
			}
		}
		const chunk = 200
		for start := 0; start < len(rows); start += chunk {
			end := min(start+chunk, len(rows))
			var b strings.Builder
			var args []any
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", t.Name, strings.Join(cols, ", "))
			for i, row := range rows[start:end] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(")
				for j, c := range t.Columns {
					if j > 0 {
						b.WriteString(", ")
					}
					v := row[j]
					if v.IsNull() {
						return fmt.Errorf("%s row %d: %s is NULL", t.Name, start+i, c.Name)
					}
					switch c.Type.Kind {
					case types.KindTimestamp:
						b.WriteString("?, ?")
						args = append(args, formatMillis(v.Millis()), v.Millis())
					case types.KindString:
						b.WriteString("?")
						args = append(args, v.Str())
					default:
						b.WriteString("?")
						args = append(args, v.Int())
					}
				}
				b.WriteString(")")
			}
			if _, err := o.conn.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("load %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// Query runs a MariaDB query and renders its rows by the sqllogictest
// type letters (see Render).
func (o *Oracle) Query(q, letters string) ([][]string, error) {
	return QueryRows(o.conn, q, letters)
}

// QueryRows runs q on conn and renders its rows by the sqllogictest type
// letters (one per column; see Render).
func QueryRows(conn *sql.Conn, q, letters string) ([][]string, error) {
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != len(letters) {
		return nil, fmt.Errorf("the query returns %d columns (%s), the type string %q has %d letters",
			len(cols), strings.Join(cols, ", "), letters, len(letters))
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make([]string, len(cols))
		for i, v := range vals {
			if r[i], err = Render(v, letters[i]); err != nil {
				return nil, fmt.Errorf("column %s: %w", cols[i], err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count runs a query that returns one integer.
func (o *Oracle) Count(q string) (int64, error) {
	var n sql.NullInt64
	err := o.conn.QueryRowContext(context.Background(), q).Scan(&n)
	return n.Int64, err
}
