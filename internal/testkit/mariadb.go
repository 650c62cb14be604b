package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDBAddr is the MariaDB (or MySQL) server of the test setup: root
// without a password, as scripts/ensure-mariadb.sh provides it.
const MariaDBAddr = "127.0.0.1:3306"

// MariaDBConfig returns the driver configuration for root on MariaDBAddr
// and database dbName ("" for none): a 3 s connect timeout and no driver
// logging. Callers may change it before OpenMariaDB.
func MariaDBConfig(dbName string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", MariaDBAddr, dbName
	cfg.Timeout = 3 * time.Second
	cfg.Logger = &mysql.NopLogger{}
	return cfg
}

// OpenMariaDB opens a connection pool with cfg (no connection is made
// until the first use).
func OpenMariaDB(cfg *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

var (
	reachOnce sync.Once
	reachErr  error
)

// RequireMariaDB stops tb (see MariaDBUnreachable) unless the server on
// MariaDBAddr answers as root. The server is asked once per test binary;
// later calls reuse the answer.
func RequireMariaDB(tb testing.TB) {
	tb.Helper()
	reachOnce.Do(func() {
		db, err := OpenMariaDB(MariaDBConfig(""))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		reachErr = err
	})
	if reachErr != nil {
		MariaDBUnreachable(tb, reachErr)
	}
}

// MariaDBUnreachable stops tb because the server could not be reached
// (err): it fails tb when the environment variable CI is set (in CI the
// tests that need the server must run) and skips it otherwise. The
// message says how to start the server.
func MariaDBUnreachable(tb testing.TB, err error) {
	tb.Helper()
	msg := fmt.Sprintf("MariaDB is not reachable on %s as root (%v); start it with `bash scripts/ensure-mariadb.sh`", MariaDBAddr, err)
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + " (CI is set: tests that need the server fail instead of skipping)")
		return
	}
	tb.Skip(msg)
}

// OwnDatabase creates a database of tb's own on the server, named prefix
// followed by random hex digits, and returns its name and a connection
// pool to it; both the pool and the database go at the end of tb. open
// opens a pool to a database ("" for none); nil opens MariaDBConfig's.
// It stops tb as RequireMariaDB does when the server is not reachable,
// and fails it when the database cannot be created.
func OwnDatabase(tb testing.TB, prefix string, open func(dbName string) (*sql.DB, error)) (string, *sql.DB) {
	tb.Helper()
	if open == nil {
		open = func(dbName string) (*sql.DB, error) { return OpenMariaDB(MariaDBConfig(dbName)) }
	}
	RequireMariaDB(tb)
	root, err := open("")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { root.Close() })
	var b [8]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	if _, err := root.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	db, err := open(name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return name, db
}
