package storage

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
)

// parallelBytes is the size from which an envelope's checksum is computed,
// and a local file read, in pieces on up to GOMAXPROCS goroutines: a
// restore reads and checks state files of up to gigabytes before it can
// decode them.
var parallelBytes = 64 << 20

// pieces splits n bytes into up to GOMAXPROCS pieces of at least
// parallelBytes/2 each and returns their bounds (pieces+1 offsets).
func pieces(n int) []int {
	k := min(runtime.GOMAXPROCS(0), max(n/(parallelBytes/2), 1))
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = int(int64(n) * int64(i) / int64(k))
	}
	return bounds
}

// checksum returns the CRC-32C of b, computed in pieces in parallel when
// b is large and combined (combineChecksums).
func checksum(b []byte) uint32 {
	if len(b) < parallelBytes {
		return crc32.Checksum(b, castagnoli)
	}
	bounds := pieces(len(b))
	crcs := make([]uint32, len(bounds)-1)
	var wg sync.WaitGroup
	for i := range crcs {
		wg.Go(func() { crcs[i] = crc32.Checksum(b[bounds[i]:bounds[i+1]], castagnoli) })
	}
	wg.Wait()
	crc := crcs[0]
	for i := 1; i < len(crcs); i++ {
		crc = combineChecksums(crc, crcs[i], int64(bounds[i+1]-bounds[i]))
	}
	return crc
}

// readFile reads the file at name whole, in pieces in parallel when it is
// large (each piece's copy from the page cache, and the faulting in of
// its fresh memory, on a goroutine of its own). Checkpoint files are
// written once and renamed into place, so the size Stat gives is the
// file's; a file cut short since fails with io.EOF.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(parallelBytes) || size != int64(int(size)) {
		return io.ReadAll(f)
	}
	data := make([]byte, size)
	bounds := pieces(int(size))
	errs := make([]error, len(bounds)-1)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			piece := data[bounds[i]:bounds[i+1]]
			if n, err := f.ReadAt(piece, int64(bounds[i])); n < len(piece) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return data, nil
}
