package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/streamsql/streamsql/api"
)

// Client is a connection to one server.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client of the server at base (e.g. http://127.0.0.1:8081);
// token, when not empty, is sent as a bearer token.
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{}}
}

// Error is an error the server answered with.
type Error struct {
	Status    int
	Msg       string
	Statement int // the failing statement of a request (0: none)
}

func (e *Error) Error() string { return e.Msg }

func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = strings.NewReader(string(data))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", c.base, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var e struct {
			Error     string `json:"error"`
			Statement int    `json:"statement"`
		}
		data, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("server %s answered %s", c.base, resp.Status)
		}
		return nil, &Error{Status: resp.StatusCode, Msg: e.Error, Statement: e.Statement}
	}
	return resp, nil
}

// getJSON decodes the answer of a request into out.
func (c *Client) getJSON(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// Session is a server-side session.
type Session struct {
	c  *Client
	ID string
}

// OpenSession opens a session.
func (c *Client) OpenSession(ctx context.Context) (*Session, error) {
	var out struct {
		SessionID string `json:"session_id"`
	}
	if err := c.getJSON(ctx, "POST", "/v1/sessions", nil, &out); err != nil {
		return nil, err
	}
	return &Session{c: c, ID: out.SessionID}, nil
}

// Close closes the session (its jobs keep running on the server).
func (s *Session) Close(ctx context.Context) error {
	var out map[string]any
	return s.c.getJSON(ctx, "DELETE", "/v1/sessions/"+s.ID, nil, &out)
}

// Stream receives the rows of a SELECT over an unbounded input: Columns
// once, then Row for each changelog row as it arrives.
type Stream interface {
	Columns(names []string)
	Row(op string, row []string)
}

// Run runs one statement. A SELECT over an unbounded input streams its
// rows to stream until it ends, the LIMIT is reached or ctx is cancelled
// (the server then stops it); its Result is empty.
func (s *Session) Run(ctx context.Context, statement string, stream Stream) (api.StatementResult, error) {
	resp, err := s.c.do(ctx, "POST", "/v1/sessions/"+s.ID+"/statements", api.SubmitRequest{Statements: statement})
	if err != nil {
		return api.StatementResult{}, err
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/x-ndjson" {
		var out struct {
			Results []api.StatementResult `json:"results"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return api.StatementResult{}, fmt.Errorf("server %s: %w", s.c.base, err)
		}
		if len(out.Results) == 0 {
			return api.StatementResult{}, nil
		}
		return out.Results[len(out.Results)-1], nil
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var line struct {
			Columns []string `json:"columns"`
			Op      string   `json:"op"`
			Row     []string `json:"row"`
			Error   string   `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return api.StatementResult{}, fmt.Errorf("server %s: %w", s.c.base, err)
		}
		switch {
		case line.Error != "":
			return api.StatementResult{}, &Error{Status: http.StatusOK, Msg: line.Error}
		case line.Columns != nil:
			stream.Columns(line.Columns)
		case line.Op != "":
			stream.Row(line.Op, line.Row)
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return api.StatementResult{}, fmt.Errorf("server %s: %w", s.c.base, err)
	}
	return api.StatementResult{}, nil
}

// Jobs lists the server's jobs.
func (c *Client) Jobs(ctx context.Context) ([]api.JobSummary, error) {
	var out struct {
		Jobs []api.JobSummary `json:"jobs"`
	}
	err := c.getJSON(ctx, "GET", "/v1/jobs", nil, &out)
	return out.Jobs, err
}

// Cluster is GET /v1/cluster: the servers of the server's cluster with
// the jobs each owns (a server without a cluster: itself alone, no name).
func (c *Client) Cluster(ctx context.Context) (api.ClusterView, error) {
	var out api.ClusterView
	err := c.getJSON(ctx, "GET", "/v1/cluster", nil, &out)
	return out, err
}

// StopJob stops a job, after a savepoint when savepoint is set (drain:
// firing every window first); it returns the savepoint's path.
func (c *Client) StopJob(ctx context.Context, id string, savepoint, drain bool) (string, error) {
	var out struct {
		Savepoint string `json:"savepoint"`
	}
	err := c.getJSON(ctx, "POST", "/v1/jobs/"+id+"/stop", api.StopRequest{Savepoint: savepoint, Drain: drain}, &out)
	return out.Savepoint, err
}

// TriggerSavepoint takes a savepoint of a running job.
func (c *Client) TriggerSavepoint(ctx context.Context, id string) (string, error) {
	var out struct {
		Savepoint string `json:"savepoint"`
	}
	err := c.getJSON(ctx, "POST", "/v1/jobs/"+id+"/savepoints", nil, &out)
	return out.Savepoint, err
}
