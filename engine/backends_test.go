package engine

import (
	"testing"

	"github.com/streamsql/streamsql/state"
)

// TestPebbleCacheEntriesReachTheBackend: state.backend.pebble.cache.entries
// sizes the entry cache of each pebble backend; 0 turns it off.
func TestPebbleCacheEntriesReachTheBackend(t *testing.T) {
	for _, c := range []struct{ set, want int }{{0, 0}, {7, 7}, {state.DefaultCacheEntries, state.DefaultCacheEntries}} {
		b, err := newBackend(backendOptions{kind: "pebble", localDir: t.TempDir(), cacheEntries: c.set}, "op", 0, state.KeyGroupRange{Start: 0, End: 128})
		if err != nil {
			t.Fatal(err)
		}
		got := b.(state.EntryCache).EntryCacheEntries()
		b.Close()
		if got != c.want {
			t.Errorf("%s=%d: the backend keeps %d entries, want %d", CacheEntriesKey, c.set, got, c.want)
		}
	}
	conf := NewConfig()
	if err := conf.Set(CacheEntriesKey, "-1"); err == nil {
		t.Errorf("%s accepts -1", CacheEntriesKey)
	}
	if conf.Int(CacheEntriesKey) != state.DefaultCacheEntries {
		t.Errorf("%s defaults to %d", CacheEntriesKey, conf.Int(CacheEntriesKey))
	}
}
