// Package storage is where checkpoints and savepoints are written: a small
// object-store-like interface (whole-object writes that become visible
// atomically, reads, listing by prefix, deletes) with a local-filesystem
// implementation, and the envelope every stored file carries (magic, kind,
// format version, CRC-32C checksum) so that damage is detected on read.
//
// Paths are slash-separated and relative to the storage root. Writers call
// Put; once Put returns nil the object is durable (written, fsynced,
// renamed into place, directory fsynced) and fully visible, never partly.
package storage
