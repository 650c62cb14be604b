package shell

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStatusLineShowsSkippedRows runs an unbounded SELECT over a socket
// whose input has bad rows (skipped under 'format.ignore-parse-errors')
// and checks that the query's status line counts them.
func TestStatusLineShowsSkippedRows(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("1\nx\n2\ny\nz\n3\n4\n"))
		time.Sleep(10 * time.Second) // stays open: the source is unbounded
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ddl := "CREATE TABLE s (k BIGINT) WITH ('connector'='socket', 'hostname'='127.0.0.1', 'port'='" +
		strconv.Itoa(port) + "', 'format'='csv', 'format.ignore-parse-errors'='true');"
	s, out := newTestSession(t, ddl)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	s.Terminal = true // the live table with its status line
	s.Feed(ctx, "SELECT k FROM s LIMIT 3;")
	if !strings.Contains(out.String(), ", 3 bad rows skipped") {
		t.Fatalf("status line lacks the skipped rows:\n%s", out.String())
	}
}
