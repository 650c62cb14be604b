package state

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// patchListCodec is tailListCodec as a PatchCodec: its tails are the
// items appended, of which it reports grown (all or none) as growth.
type patchListCodec struct {
	tailListCodec
	grown bool
}

func (c patchListCodec) AppendPatch(b []byte, v *tlist) ([]byte, int, bool) {
	start := len(b)
	b, ok := c.AppendTail(b, v)
	if !c.grown {
		return b, 0, ok
	}
	return b, len(b) - start, ok
}

var _ PatchCodec[*tlist] = patchListCodec{}

// TestHeapPatchesVersionAndGrowth: a delta holding a PatchCodec's
// patches is a version 3 segment that restores; its patches count as
// growth only as far as the Codec says: patches as large as the base
// that are growth stay deltas, the same patches that replace what the
// chain holds bring a new full base (MaxDeltaRatio 0.5).
func TestHeapPatchesVersionAndGrowth(t *testing.T) {
	for _, grown := range []bool{true, false} {
		codec := patchListCodec{grown: grown}
		c := heapIncrConfig(HashMapOptions{MaxDeltas: 100, MaxDeltaRatio: 0.5})
		st := newStorage(t)
		b := newBackend(t, c, 0, all)
		km, err := NewKeyedMap[*tlist](b, "l", codec)
		if err != nil {
			t.Fatal(err)
		}
		m := listModel{}
		for k := 0; k < 20; k++ {
			kg, key := k%all.End, fmt.Sprint("k", k)
			v := &tlist{items: []string{strings.Repeat("first item of "+key, 10)}}
			km.Put(kg, []byte(key), v)
			m[mk(kg, key)] = slices.Clone(v.items)
		}
		h := snapshot(t, b, st, 1, false)
		b.CheckpointComplete(1)
		for id := int64(2); id <= 4; id++ {
			for k := 0; k < 20; k++ {
				kg, key := k%all.End, fmt.Sprint("k", k)
				v, _ := km.Get(kg, []byte(key))
				item := strings.Repeat(fmt.Sprintf("item %d of %s", id, key), 10)
				v.items = append(v.items, item)
				km.Put(kg, []byte(key), v)
				m[mk(kg, key)] = append(m[mk(kg, key)], item)
			}
			h = snapshot(t, b, st, id, false)
			b.CheckpointComplete(id)
			switch {
			case grown && len(h.Changelog) != int(id-1):
				t.Fatalf("growing patches, checkpoint %d: %d deltas, want %d", id, len(h.Changelog), id-1)
			case !grown && len(h.Changelog) > 1:
				t.Fatalf("replacing patches, checkpoint %d: %d deltas over the base, want a new base once they pass half of it", id, len(h.Changelog))
			}
			if len(h.Changelog) > 0 {
				puts, dels, appends, v := deltaKinds(t, st, h.Changelog[len(h.Changelog)-1])
				if v != changelogVersion || appends == 0 || puts+dels != 0 {
					t.Fatalf("grown %v, checkpoint %d: delta of %d values, %d deletions, %d appends, version %d", grown, id, puts, dels, appends, v)
				}
			}
			for _, rc := range restoreConfigs {
				_, rm := restoreLists(t, rc, st, all, []*Handle{h}, codec)
				checkLists(t, fmt.Sprintf("grown %v, checkpoint %d restored into %s", grown, id, rc.name), rm, m)
			}
		}
	}
}
