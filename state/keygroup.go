package state

// DefaultMaxParallelism is the default number of key groups.
const DefaultMaxParallelism = 128

// KeyGroupRange is the half-open range [Start, End) of key groups owned by
// one operator instance.
type KeyGroupRange struct {
	Start, End int
}

// Contains reports whether kg is in the range.
func (r KeyGroupRange) Contains(kg int) bool { return kg >= r.Start && kg < r.End }

// Len is the number of key groups in the range.
func (r KeyGroupRange) Len() int { return r.End - r.Start }

// RangeFor returns the key groups owned by instance of parallelism.
func RangeFor(maxParallelism, parallelism, instance int) KeyGroupRange {
	start := (instance*maxParallelism + parallelism - 1) / parallelism
	end := ((instance+1)*maxParallelism + parallelism - 1) / parallelism
	return KeyGroupRange{Start: start, End: end}
}

// KeyGroupOf maps a key hash to its key group.
func KeyGroupOf(hash uint64, maxParallelism int) int {
	// Final avalanche so that low bits of similar keys spread well.
	hash ^= hash >> 33
	hash *= 0xff51afd7ed558ccd
	hash ^= hash >> 33
	if m := uint64(maxParallelism); m != 0 && m&(m-1) == 0 {
		return int(hash & (m - 1)) // the same as %, without a division
	}
	return int(hash % uint64(maxParallelism))
}

// InstanceFor returns the instance that owns key group kg.
func InstanceFor(kg, maxParallelism, parallelism int) int {
	return kg * parallelism / maxParallelism
}

// Intersect returns the key groups in both r and o (empty when disjoint).
func (r KeyGroupRange) Intersect(o KeyGroupRange) KeyGroupRange {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	if s > e {
		e = s
	}
	return KeyGroupRange{Start: s, End: e}
}
