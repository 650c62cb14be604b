// Package all registers every built-in connector (blackhole, datagen,
// filesystem, memory, print, socket): import it for its side effects.
package all
