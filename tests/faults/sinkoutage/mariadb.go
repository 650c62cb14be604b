package sinkoutage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ServerAddr is the MariaDB (or MySQL) server of the test setup: root
// without a password.
const ServerAddr = "127.0.0.1:3306"

func openRoot(dbName string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", ServerAddr, dbName
	cfg.Timeout = 3 * time.Second
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// OwnDatabase creates a database of the test's own on the server
// (dropped at its end) and returns its name and a connection to it, or
// stops the test when the server is not reachable: it fails when the
// environment variable CI is set and skips otherwise (as the tests of
// connectors/jdbc do). Tests and benchmarks of this repository call it.
func OwnDatabase(tb testing.TB) (string, *sql.DB) {
	tb.Helper()
	root, err := openRoot("")
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = root.PingContext(ctx)
		cancel()
	}
	if err != nil {
		msg := fmt.Sprintf("MariaDB is not reachable on %s as root (%v); start it with `bash scripts/ensure-mariadb.sh`", ServerAddr, err)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg + " (CI is set: tests that need the server fail instead of skipping)")
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() { root.Close() })
	var b [6]byte
	rand.Read(b[:])
	name := "streamsql_outage_" + hex.EncodeToString(b[:])
	if _, err := root.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS " + name) })
	db, err := openRoot(name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return name, db
}
