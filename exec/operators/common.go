package operators

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// keying computes the key group and the state key of rows keyed by cols.
type keying struct {
	cols   []int
	kgs    state.KeyGroupRange
	maxPar int
}

func newKeying(ctx *exec.Context, cols []int) keying {
	mp := ctx.MaxParallelism
	if mp <= 0 {
		mp = state.DefaultMaxParallelism
	}
	return keying{cols: cols, kgs: ctx.KeyGroups, maxPar: mp}
}

// group returns the key group of row: the one the Hash edge routed it by.
// Rows without key columns all share one group; when the edge that feeds
// them is not a Hash edge on the empty key (e.g. Global, whose single
// instance owns every group anyway) the first owned group is used.
func (k *keying) group(row []types.Value) (int, error) {
	return k.groupOf(exec.HashKey(row, k.cols))
}

// groupOf is group for a row whose key hash (exec.HashKey) is h.
func (k *keying) groupOf(h uint64) (int, error) {
	kg := state.KeyGroupOf(h, k.maxPar)
	if k.kgs.Contains(kg) {
		return kg, nil
	}
	if len(k.cols) == 0 {
		return k.kgs.Start, nil
	}
	return 0, fmt.Errorf("row of key group %d reached the instance owning key groups [%d, %d): the input edge must hash on the key columns", kg, k.kgs.Start, k.kgs.End)
}

// groupOrStart is group for a row whose key group was checked before.
func (k *keying) groupOrStart(row []types.Value) int {
	kg, err := k.group(row)
	if err != nil {
		return k.kgs.Start
	}
	return kg
}

// appendKey appends the grouping encoding of row's key columns.
func (k *keying) appendKey(buf []byte, row []types.Value) []byte {
	for _, c := range k.cols {
		buf = types.AppendKey(buf, row[c])
	}
	return buf
}

// keyValues copies the key columns of row.
func (k *keying) keyValues(row []types.Value) []types.Value {
	if len(k.cols) == 0 {
		return nil
	}
	vals := make([]types.Value, len(k.cols))
	for i, c := range k.cols {
		vals[i] = row[c]
	}
	return vals
}

// sameKey reports whether the key values stored in an entry equal the key
// columns of row exactly as their state keys (types.AppendKey) would: same
// kind, same value, doubles bit for bit.
func (k *keying) sameKey(key, row []types.Value) bool {
	for i, c := range k.cols {
		a, b := key[i], row[c]
		if a.Kind() != b.Kind() {
			return false
		}
		switch a.Kind() {
		case types.KindString:
			if a.Str() != b.Str() {
				return false
			}
		case types.KindDecimal:
			if !types.Equal(a, b) {
				return false
			}
		default: // the payload is the value (NULL: 0; doubles: bits)
			if a.Int() != b.Int() {
				return false
			}
		}
	}
	return true
}

var hotSeed = maphash.MakeSeed()

// hotHash is a fast hash of row's key columns for operator-local indexes
// (not the key-group hash). Equal keys of one representation hash alike;
// two decimals of different scales may not, which costs a cache miss only.
func (k *keying) hotHash(row []types.Value) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, c := range k.cols {
		h = hotMix(h, row[c])
	}
	return h & hotHashMask
}

// hotHashKey is hotHash over stored key values.
func hotHashKey(key []types.Value) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, v := range key {
		h = hotMix(h, v)
	}
	return h & hotHashMask
}

// hotHashMask lets tests force hash collisions.
var hotHashMask = ^uint64(0)

func hotMix(h uint64, v types.Value) uint64 {
	x := uint64(v.Int())
	if v.Kind() == types.KindString {
		x = hotString(v.Str())
	}
	h = (h ^ x ^ uint64(v.Kind())<<58) * 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

func hotString(s string) uint64 { return maphash.String(hotSeed, s) }

// appendTime appends an order-preserving 8-byte encoding of t.
func appendTime(buf []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(t)^(1<<63))
}

// readTime decodes the last 8 bytes of key as written by appendTime.
func readTime(key []byte) int64 {
	return int64(binary.BigEndian.Uint64(key[len(key)-8:]) ^ (1 << 63))
}

// clock is an operator's event-time watermark. At a checkpoint it stores
// the watermark under every owned key group; after a restore (possibly at
// another parallelism) the watermark each key group had is kept for
// lateness decisions until the live watermark passes it, so that a row that
// was late before the restore is late after it.
type clock struct {
	wm          int64
	meta        state.KeyedMap[int64]
	kgs         state.KeyGroupRange
	restored    []int64 // by kg - kgs.Start; nil when none is ahead of wm
	restoredMax int64
}

const clockState = "watermark"

func (c *clock) open(ctx *exec.Context) error {
	c.wm = exec.MinWatermark
	c.kgs = ctx.KeyGroups
	m, err := state.NewKeyedMap[int64](ctx.State, clockState, int64Codec{})
	if err != nil {
		return err
	}
	c.meta = m
	c.restored = nil
	c.restoredMax = exec.MinWatermark
	m.Range(func(kg int, _ string, v int64) bool {
		if !c.kgs.Contains(kg) {
			return true
		}
		if c.restored == nil {
			c.restored = make([]int64, c.kgs.Len())
			for i := range c.restored {
				c.restored[i] = exec.MinWatermark
			}
		}
		c.restored[kg-c.kgs.Start] = v
		c.restoredMax = max(c.restoredMax, v)
		return true
	})
	return nil
}

// at returns the watermark that decides lateness in key group kg.
func (c *clock) at(kg int) int64 {
	if c.restored != nil {
		if r := c.restored[kg-c.kgs.Start]; r > c.wm {
			return r
		}
	}
	return c.wm
}

// advance moves the watermark forward; it reports false when wm is not newer.
func (c *clock) advance(wm int64) bool {
	if wm <= c.wm {
		return false
	}
	c.wm = wm
	if c.restored != nil && wm >= c.restoredMax {
		c.restored = nil
	}
	return true
}

// snapshot stores the watermark under every owned key group.
func (c *clock) snapshot() {
	if c.wm == exec.MinWatermark && c.restored == nil {
		return
	}
	for kg := c.kgs.Start; kg < c.kgs.End; kg++ {
		c.meta.Put(kg, nil, c.at(kg))
	}
}

// copyTo copies the stored watermarks into another backend.
func (c *clock) copyTo(dst state.Backend) error {
	out, err := state.NewKeyedMap[int64](dst, clockState, int64Codec{})
	if err != nil {
		return err
	}
	c.meta.Range(func(kg int, key string, v int64) bool {
		out.Put(kg, []byte(key), v)
		return true
	})
	return nil
}

// metricsOf returns ctx.Metrics, creating counters when the caller gave none.
func metricsOf(ctx *exec.Context) *exec.Metrics {
	if ctx.Metrics == nil {
		ctx.Metrics = &exec.Metrics{}
	}
	return ctx.Metrics
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
