// Package all registers every built-in connector (blackhole, datagen,
// filesystem, jdbc/mysql, kafka, memory, nexmark, print, socket): import it
// for its side effects.
package all
