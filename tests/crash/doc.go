// Package crash holds the crash test driven from outside: a bounded job
// runs as a separate streamsql process, is killed with SIGKILL at random
// points, is restarted with --restore latest each time, and its final
// output must equal an uninterrupted run's, byte for byte after sorting.
package crash
