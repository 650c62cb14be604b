package storage_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/checkpoint/storage/s3test"
)

// Every Storage keeps the same contract; each test runs over all of them.
func storages(t *testing.T) map[string]storage.Storage {
	t.Helper()
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := s3test.Start(t, "ckpt")
	s3, err := storage.OpenLocation("s3://ckpt/jobs/a", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	bare, err := storage.OpenLocation("s3://ckpt", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]storage.Storage{"local": local, "memory": storage.NewMemory(), "s3": s3, "s3-bucket-root": bare}
}

func TestStorageContract(t *testing.T) {
	for name, st := range storages(t) {
		t.Run(name, func(t *testing.T) {
			for _, p := range []string{"job/chk-1/_metadata", "job/chk-1/op-0.state", "job/chk-10/_metadata", "job/shared/a.sst"} {
				if err := st.Put(p, []byte("data of "+p)); err != nil {
					t.Fatalf("Put %s: %v", p, err)
				}
			}
			got, err := st.Get("job/chk-1/_metadata")
			if err != nil || string(got) != "data of job/chk-1/_metadata" {
				t.Fatalf("Get = %q, %v", got, err)
			}
			rc, err := st.Open("job/shared/a.sst")
			if err != nil {
				t.Fatal(err)
			}
			all, _ := io.ReadAll(rc)
			rc.Close()
			if string(all) != "data of job/shared/a.sst" {
				t.Fatalf("Open read %q", all)
			}
			if n, err := st.Size("job/chk-1/op-0.state"); err != nil || n != int64(len("data of job/chk-1/op-0.state")) {
				t.Fatalf("Size = %d, %v", n, err)
			}
			for _, p := range []string{"job/chk-2/_metadata"} {
				if _, err := st.Get(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Get of a missing object: %v, want fs.ErrNotExist", err)
				}
				if _, err := st.Open(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Open of a missing object: %v, want fs.ErrNotExist", err)
				}
				if _, err := st.Size(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Size of a missing object: %v, want fs.ErrNotExist", err)
				}
			}
			list, err := st.List("job/chk-1")
			if want := []string{"job/chk-1/_metadata", "job/chk-1/op-0.state"}; err != nil || !reflect.DeepEqual(list, want) {
				t.Fatalf("List(job/chk-1) = %v, %v; want %v (not chk-10)", list, err, want)
			}
			list, _ = st.List("job")
			if len(list) != 4 {
				t.Fatalf("List(job) = %v", list)
			}
			// Put replaces an object whole.
			if err := st.Put("job/chk-1/_metadata", []byte("v2")); err != nil {
				t.Fatal(err)
			}
			if got, _ := st.Get("job/chk-1/_metadata"); string(got) != "v2" {
				t.Fatalf("after a second Put: %q", got)
			}
			// Empty objects and files are objects too.
			if err := st.Put("job/empty", nil); err != nil {
				t.Fatalf("Put of an empty object: %v", err)
			}
			emptyFile := filepath.Join(t.TempDir(), "empty.log")
			os.WriteFile(emptyFile, nil, 0o644)
			if err := st.PutFile("job/empty.log", emptyFile); err != nil {
				t.Fatalf("PutFile of an empty file: %v", err)
			}
			for _, p := range []string{"job/empty", "job/empty.log"} {
				if got, err := st.Get(p); err != nil || len(got) != 0 {
					t.Fatalf("Get %s = %q, %v", p, got, err)
				}
				st.Delete(p)
			}
			// PutFile moves a local file in.
			local := filepath.Join(t.TempDir(), "upload.sst")
			os.WriteFile(local, []byte("sst bytes"), 0o644)
			if err := st.PutFile("job/shared/b.sst", local); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(local); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("PutFile left the local file: %v", err)
			}
			if got, _ := st.Get("job/shared/b.sst"); string(got) != "sst bytes" {
				t.Fatalf("PutFile stored %q", got)
			}
			if err := st.Delete("job/shared/a.sst"); err != nil {
				t.Fatal(err)
			}
			if err := st.Delete("job/shared/a.sst"); err != nil {
				t.Fatalf("deleting a missing object: %v", err)
			}
			if err := st.DeletePrefix("job/chk-1"); err != nil {
				t.Fatal(err)
			}
			list, _ = st.List("job")
			if want := []string{"job/chk-10/_metadata", "job/shared/b.sst"}; !reflect.DeepEqual(list, want) {
				t.Fatalf("after deletes List(job) = %v, want %v", list, want)
			}
			if err := st.Put("", []byte("x")); err == nil {
				t.Fatal("Put of an empty path succeeded")
			}
		})
	}
}

func TestS3Prefixes(t *testing.T) {
	srv := s3test.Start(t, "ckpt")
	a, _ := storage.OpenLocation("s3://ckpt/jobs/a", srv.Options())
	b, _ := storage.OpenLocation("s3://ckpt/jobs/ab", srv.Options())
	a.Put("x/_metadata", []byte("a"))
	b.Put("x/_metadata", []byte("b"))
	if l, _ := a.List(""); !reflect.DeepEqual(l, []string{"x/_metadata"}) {
		t.Fatalf("List of prefix jobs/a sees %v", l)
	}
	if a.Root() != "s3://ckpt/jobs/a" {
		t.Fatalf("Root = %s", a.Root())
	}
}

func TestOpenLocationErrors(t *testing.T) {
	srv := s3test.Start(t, "ckpt")
	_, err := storage.OpenLocation("s3://missing/x", srv.Options())
	if err == nil || !strings.Contains(err.Error(), `bucket "missing" does not exist`) {
		t.Fatalf("missing bucket: %v", err)
	}
	o := srv.Options()
	o.Endpoint = "ftp://127.0.0.1:1"
	if _, err := storage.OpenLocation("s3://ckpt/x", o); err == nil || !strings.Contains(err.Error(), "s3.endpoint") {
		t.Fatalf("bad endpoint: %v", err)
	}
	if _, err := storage.OpenLocation("s3:///x", srv.Options()); err == nil || !strings.Contains(err.Error(), "s3://bucket/prefix") {
		t.Fatalf("no bucket: %v", err)
	}
	dir := t.TempDir()
	st, err := storage.OpenLocation("file://"+dir, storage.S3Options{})
	if err != nil || st.Root() != dir {
		t.Fatalf("file:// location: %v %v", st, err)
	}
}
