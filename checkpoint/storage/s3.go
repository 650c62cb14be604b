package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options says how to reach an S3-compatible object store. The engine
// fills it from Flink's keys: s3.endpoint, s3.access-key, s3.secret-key,
// s3.path.style.access and s3.region.
type S3Options struct {
	// Endpoint is the store's URL ("http://127.0.0.1:9000") or host[:port]
	// (HTTPS); empty means AWS ("s3.amazonaws.com").
	Endpoint string
	// AccessKey and SecretKey are static credentials; when both are empty
	// the credentials come from the environment (AWS_ACCESS_KEY_ID /
	// AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD) or
	// ~/.aws/credentials.
	AccessKey, SecretKey string
	// Region of the bucket; empty lets the client find it.
	Region string
	// PathStyle always addresses buckets as endpoint/bucket/key; without
	// it AWS endpoints get bucket.endpoint/key and other stores (MinIO)
	// endpoint/bucket/key.
	PathStyle bool
}

// S3 is Storage on a bucket of an S3-compatible object store, under a key
// prefix. S3 PUTs are atomic and durable once acknowledged, so Put writes
// an object in one request; object keys are the prefix, a slash and the
// storage path.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string // "" or ends without a slash
}

// NewS3 returns storage on bucket under prefix (may be empty). It checks
// that the bucket exists, so that a wrong endpoint, bucket or credential
// is reported when the job starts rather than at its first checkpoint.
func NewS3(bucket, prefix string, o S3Options) (*S3, error) {
	host, secure, err := s3Endpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	creds := credentials.NewStaticV4(o.AccessKey, o.SecretKey, "")
	if o.AccessKey == "" && o.SecretKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
		})
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: o.Region, BucketLookup: lookup})
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage s3://%s: %w", bucket, err)
	}
	s := &S3{client: client, bucket: bucket, prefix: strings.Trim(prefix, "/")}
	ok, err := client.BucketExists(context.Background(), bucket)
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage %s (endpoint %s): %w", s.Root(), host, err)
	}
	if !ok {
		return nil, fmt.Errorf("checkpoint storage %s: bucket %q does not exist (endpoint %s)", s.Root(), bucket, host)
	}
	return s, nil
}

// s3Endpoint splits an endpoint setting into the client's host and
// whether it speaks HTTPS.
func s3Endpoint(e string) (host string, secure bool, err error) {
	if e == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(e, "://") {
		return strings.TrimSuffix(e, "/"), true, nil
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("'s3.endpoint' = '%s' is not an http(s) URL or host:port", e)
	}
	return u.Host, u.Scheme == "https", nil
}

func (s *S3) Root() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + s.prefix
}

// key maps a storage path to its object key.
func (s *S3) key(p string) (string, error) {
	c, err := cleanPath(p)
	if err != nil {
		return "", err
	}
	if s.prefix == "" {
		return c, nil
	}
	return s.prefix + "/" + c, nil
}

// putOptions: the payload is checked by its Content-MD5 (every stored
// file also carries its own checksum) rather than signed chunk by chunk,
// which plain-HTTP endpoints would otherwise get (aws-chunked uploads,
// which not every S3-compatible store accepts for empty objects).
var putOptions = minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true, DisableContentSha256: true}

func (s *S3) Put(p string, data []byte) error {
	k, err := s.key(p)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(context.Background(), s.bucket, k, bytes.NewReader(data), int64(len(data)),
		putOptions)
	if err != nil {
		return fmt.Errorf("writing %s/%s: %w", s.Root(), strings.TrimPrefix(k, s.prefix+"/"), err)
	}
	return nil
}

func (s *S3) PutFile(p string, local string) error {
	k, err := s.key(p)
	if err != nil {
		return err
	}
	if _, err := s.client.FPutObject(context.Background(), s.bucket, k, local,
		putOptions); err != nil {
		return fmt.Errorf("uploading %s to %s/%s: %w", local, s.Root(), p, err)
	}
	return os.Remove(local)
}

// notFound turns the store's "no such key" into an error wrapping
// fs.ErrNotExist, as the Storage contract asks.
func (s *S3) notFound(p string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == 404 {
		return notExist("open", s.Root()+"/"+p)
	}
	return fmt.Errorf("%s/%s: %w", s.Root(), p, err)
}

func (s *S3) Get(p string) ([]byte, error) {
	rc, err := s.Open(p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, s.notFound(p, err)
	}
	return data, nil
}

func (s *S3) Open(p string) (io.ReadCloser, error) {
	k, err := s.key(p)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(context.Background(), s.bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.notFound(p, err)
	}
	// GetObject is lazy: Stat makes a missing object an error now.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.notFound(p, err)
	}
	return obj, nil
}

func (s *S3) Size(p string) (int64, error) {
	k, err := s.key(p)
	if err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(context.Background(), s.bucket, k, minio.StatObjectOptions{})
	if err != nil {
		return 0, s.notFound(p, err)
	}
	return info.Size, nil
}

// List returns the paths of the objects under prefix taken as a
// directory (prefix itself when it names an object), sorted.
func (s *S3) List(prefix string) ([]string, error) {
	dir, err := cleanPath(prefix)
	if err != nil {
		dir = "" // the whole storage
	}
	listPrefix := s.prefix
	if dir != "" {
		listPrefix = strings.TrimPrefix(s.prefix+"/"+dir, "/")
	}
	var out []string
	for obj := range s.client.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: listPrefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("listing %s/%s: %w", s.Root(), dir, obj.Err)
		}
		rel := obj.Key
		if s.prefix != "" {
			if !strings.HasPrefix(rel, s.prefix+"/") {
				continue
			}
			rel = rel[len(s.prefix)+1:]
		}
		if dir != "" && rel != dir && !strings.HasPrefix(rel, dir+"/") {
			continue // a sibling sharing the name's start (chk-1 vs chk-10)
		}
		out = append(out, rel)
	}
	sort.Strings(out)
	return out, nil
}

// Delete removes one object; S3 deletes are idempotent.
func (s *S3) Delete(p string) error {
	k, err := s.key(p)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(context.Background(), s.bucket, k, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.notFound(p, err), fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("deleting %s/%s: %w", s.Root(), p, err)
	}
	return nil
}

func (s *S3) DeletePrefix(prefix string) error {
	paths, err := s.List(prefix)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := s.Delete(p); err != nil {
			return err
		}
	}
	return nil
}
