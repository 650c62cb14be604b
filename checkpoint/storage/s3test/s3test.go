// Package s3test runs an in-process S3-compatible server on 127.0.0.1 for
// tests of the s3:// checkpoint storage (gofakes3 over memory).
package s3test

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// Server is a running fake S3 endpoint; it stops when the test ends.
type Server struct {
	URL string
}

// Start runs a server with the given buckets created.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	return &Server{URL: ts.URL}
}

// Options are the storage options that reach the server.
func (s *Server) Options() storage.S3Options {
	return storage.S3Options{Endpoint: s.URL, AccessKey: "test", SecretKey: "testsecret", Region: "us-east-1", PathStyle: true}
}

// Settings are the same as engine settings (SET keys).
func (s *Server) Settings() map[string]string {
	return map[string]string{
		"s3.endpoint": s.URL, "s3.access-key": "test", "s3.secret-key": "testsecret",
		"s3.region": "us-east-1", "s3.path.style.access": "true",
	}
}
