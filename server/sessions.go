package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// session is a server-side SQL session: an engine whose tables and
// configuration outlive one request, and the setup statements run in it
// so far (recorded with each job it starts). Requests of one session run
// one at a time (mu). Sessions live in memory: a restarted server has
// none (its jobs are resumed from their records).
type session struct {
	mu    sync.Mutex
	eng   *engine.Engine
	setup []string
}

// openSession is POST /v1/sessions: {"session_id": "..."}.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request) {
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	if s.sessions == nil {
		s.sessions = map[string]*session{}
	}
	s.sessions[id] = &session{eng: s.newSession(nil, nil, nil)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"session_id": id})
}

func (s *Server) lookupSession(w http.ResponseWriter, r *http.Request) *session {
	id := r.PathValue("sid")
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	if sess == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no session %s (open one with POST /v1/sessions)", id))
	}
	return sess
}

// sessionSubmit is POST /v1/sessions/{sid}/statements.
func (s *Server) sessionSubmit(w http.ResponseWriter, r *http.Request) {
	if sess := s.lookupSession(w, r); sess != nil {
		s.run(w, r, sess)
	}
}

// closeSession is DELETE /v1/sessions/{sid}. The session's jobs keep
// running: the server owns them.
func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) {
	if sess := s.lookupSession(w, r); sess != nil {
		s.mu.Lock()
		delete(s.sessions, r.PathValue("sid"))
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"session_id": r.PathValue("sid"), "status": "closed"})
	}
}

// streamQuery answers a SELECT over an unbounded input with its
// changelog as JSON lines (Content-Type application/x-ndjson), each
// flushed as it is produced:
//
//	{"statement": 3, "columns": ["auction", "c"]}
//	{"op": "+I", "row": ["1", "5"]}
//	{"op": "-U", "row": ["1", "5"]}
//	...
//	{"end": "the client's LIMIT was reached"}    (or {"error": "..."})
//
// The query runs until the client goes away (the request's context is
// cancelled), a LIMIT without ORDER BY is reached, or it fails. Results
// of the statements before it come first, as one line:
// {"results": [...]}.
func (s *Server) streamQuery(w http.ResponseWriter, r *http.Request, eng *engine.Engine, q *sql.Query, n int, before []api.StatementResult) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	send := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	if len(before) > 0 {
		send(map[string]any{"results": before})
	}
	schema := q.Schema()
	var cols []string
	for _, c := range schema {
		cols = append(cols, c.Name)
	}
	send(map[string]any{"statement": n, "columns": cols})
	limit := q.StreamLimit()
	var sent int64
	errLimit := fmt.Errorf("limit")
	_, _, err := eng.RunQuery(r.Context(), q, func(op types.Op, row []types.Value) error {
		if limit >= 0 && sent >= limit {
			return errLimit
		}
		sent++
		return send(map[string]any{"op": op.String(), "row": renderRow(schema, row)})
	})
	switch {
	case err == errLimit || (err != nil && limit >= 0 && sent >= limit):
		send(map[string]string{"end": "LIMIT reached"})
	case err != nil && r.Context().Err() == nil:
		send(map[string]string{"error": err.Error()})
	case err == nil && r.Context().Err() == nil:
		send(map[string]string{"end": "the query ended"})
	}
}
