// Package storage is where checkpoints and savepoints are written: a small
// object-store-like interface (whole-object writes that become visible
// atomically, reads, listing by prefix, deletes) with three
// implementations (Local: a directory; S3: a bucket of an S3-compatible
// object store, through minio-go; Memory: tests), OpenLocation to pick one
// from a state.checkpoints.dir setting, and the envelope every stored file carries (magic, kind,
// format version, CRC-32C checksum) so that damage is detected on read.
//
// Paths are slash-separated and relative to the storage root. Writers call
// Put; once Put returns nil the object is durable (Local: written,
// fsynced, renamed into place, directory fsynced; S3: acknowledged by the
// store, whose PUTs are atomic) and fully visible, never partly.
//
// Subpackage s3test runs an in-process S3 server (gofakes3) for tests.
package storage
