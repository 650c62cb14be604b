package storage

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// IsURL reports whether a checkpoint location is an object store URL
// (s3://bucket/prefix) rather than a local directory.
func IsURL(location string) bool {
	return strings.HasPrefix(location, "s3://") || strings.HasPrefix(location, "s3a://")
}

// OpenLocation returns the storage a state.checkpoints.dir or
// state.savepoints.dir setting names: s3://bucket[/prefix] (also s3a://,
// as Flink writes it) on an S3-compatible store reached with o, file:///dir
// or a plain path on the local filesystem.
func OpenLocation(location string, o S3Options) (Storage, error) {
	if IsURL(location) {
		bucket, prefix, err := splitS3(location)
		if err != nil {
			return nil, err
		}
		return NewS3(bucket, prefix, o)
	}
	if rest, ok := strings.CutPrefix(location, "file://"); ok {
		location = rest
	}
	return NewLocal(location)
}

// splitS3 parses s3://bucket/prefix.
func splitS3(location string) (bucket, prefix string, err error) {
	u, err := url.Parse(location)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("'%s' is not an s3://bucket/prefix location", location)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// JoinLocation appends a path element to a location: a slash join for
// URLs, a filesystem join for local directories.
func JoinLocation(location, elem string) string {
	if IsURL(location) {
		return strings.TrimSuffix(location, "/") + "/" + path.Clean(elem)
	}
	return filepath.Join(location, elem)
}
