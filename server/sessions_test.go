package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/api"
)

func sessionPost(t *testing.T, base, sid, script string) (*http.Response, error) {
	body, _ := json.Marshal(map[string]string{"statements": script})
	return http.Post(base+"/v1/sessions/"+sid+"/statements", "application/json", strings.NewReader(string(body)))
}

// A session keeps its tables between requests; a bounded SELECT answers
// with its rows; an unbounded one streams its changelog as JSON lines.
func TestSessionsAndStreamedSelect(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	var open struct {
		SessionID string `json:"session_id"`
	}
	if code := call(t, "POST", ts.URL+"/v1/sessions", "", "", &open); code != http.StatusOK || open.SessionID == "" {
		t.Fatalf("open session: %d %+v", code, open)
	}
	sid := open.SessionID

	resp, err := sessionPost(t, ts.URL, sid, `CREATE TABLE t (k BIGINT, v VARCHAR); INSERT INTO t VALUES (1, 'a'), (2, NULL), (1, 'c');`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	// A later request sees the table.
	resp, err = sessionPost(t, ts.URL, sid, `SELECT k, COUNT(*) AS c, MAX(v) AS m FROM t GROUP BY k ORDER BY k;`)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Error   string
		Results []api.StatementResult
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if res.Error != "" || len(res.Results) != 1 {
		t.Fatalf("bounded SELECT: %+v", res)
	}
	got := res.Results[0]
	if strings.Join(got.Columns, ",") != "k,c,m" || len(got.Rows) != 2 ||
		strings.Join(got.Rows[0], ",") != "1,2,c" || strings.Join(got.Rows[1], ",") != "2,1,NULL" {
		t.Fatalf("bounded SELECT rows: %+v", got)
	}

	// Unbounded, with LIMIT: the columns, 5 rows, the end.
	resp, err = sessionPost(t, ts.URL, sid, `CREATE TABLE g (x BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
SELECT x FROM g LIMIT 5;`)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	resp.Body.Close()
	// results of CREATE, columns, 5 rows, end
	if len(lines) != 8 || lines[1]["columns"] == nil || lines[2]["op"] != "+I" || lines[7]["end"] == nil {
		t.Fatalf("stream: %v", lines)
	}

	// Without LIMIT the stream goes on until the client leaves.
	resp, err = sessionPost(t, ts.URL, sid, `SELECT x FROM g;`)
	if err != nil {
		t.Fatal(err)
	}
	sc = bufio.NewScanner(resp.Body)
	rows := 0
	for rows < 3 && sc.Scan() {
		if strings.Contains(sc.Text(), `"op"`) {
			rows++
		}
	}
	resp.Body.Close()
	if rows != 3 {
		t.Fatalf("read %d streamed rows", rows)
	}

	if code := call(t, "DELETE", ts.URL+"/v1/sessions/"+sid, "", "", nil); code != http.StatusOK {
		t.Fatalf("close: %d", code)
	}
	if code := call(t, "POST", ts.URL+"/v1/sessions/"+sid+"/statements", "", `{"statements": "SELECT 1;"}`, nil); code != http.StatusNotFound {
		t.Fatalf("closed session answered %d", code)
	}
}
