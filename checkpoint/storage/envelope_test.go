package storage

import (
	"bytes"
	"testing"
)

// TestSealReservedIsSeal: sealing in place gives the bytes Seal gives,
// and Open reads the payload back.
func TestSealReservedIsSeal(t *testing.T) {
	for _, payload := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("state"), 1000)} {
		want := Seal(KindState, 3, payload)
		buf := append(make([]byte, HeaderSize, HeaderSize+len(payload)), payload...)
		got := SealReserved(KindState, 3, buf)
		if !bytes.Equal(got, want) {
			t.Fatalf("payload of %d bytes: SealReserved differs from Seal", len(payload))
		}
		back, v, err := Open("p", got, KindState, 3)
		if err != nil || v != 3 || !bytes.Equal(back, payload) {
			t.Fatalf("Open: %v, version %d", err, v)
		}
	}
}
