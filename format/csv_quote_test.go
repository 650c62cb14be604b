package format

import (
	"math/rand"
	"testing"
)

// hasAnyOf4 finds what a byte-by-byte scan finds, at every length and
// position, among bytes next to the ones it looks for (0x80 and up too).
func TestHasAnyOf4(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	alphabet := []byte{',', '"', '\n', '\r', 'a', 0, 0x2b, 0x2d, 0x21, 0x23, 0x0b, 0x0c, 0x0e, 0x80, 0xac, 0xff, ' '}
	for n := 0; n < 40; n++ {
		for range 500 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[r.Intn(len(alphabet))]
			}
			if r.Intn(2) == 0 { // mostly plain bytes, one special at most
				for i := range b {
					b[i] = alphabet[4+r.Intn(len(alphabet)-4)]
				}
				if n > 0 && r.Intn(2) == 0 {
					b[r.Intn(n)] = alphabet[r.Intn(4)]
				}
			}
			want := false
			for _, c := range b {
				want = want || c == ',' || c == '"' || c == '\n' || c == '\r'
			}
			if got := hasAnyOf4(b, ',', '"', '\n', '\r'); got != want {
				t.Fatalf("hasAnyOf4(%q) = %v, want %v", b, got, want)
			}
		}
	}
}
