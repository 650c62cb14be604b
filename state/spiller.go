package state

import (
	"fmt"
	"os"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// createSpillFile creates the temporary file a large state file spills
// to (a variable so that tests can make writes to it fail).
var createSpillFile = func(dir string) (*os.File, error) {
	return os.CreateTemp(dir, "streamsql-statefile-*.tmp")
}

// spillBuffers is how many chunk buffers a spiller lets circulate: one
// being written while the encoder fills the other.
const spillBuffers = 2

// spiller writes the chunks of a spilled state file to its temporary file
// on a goroutine of its own, in order, so that encoding the next chunk
// (a snapshot's synchronous phase, on the task's goroutine) does not wait
// for the write of the last one. It checksums the payload as it writes
// it, so that the file is sealed without being read back
// (storage.SealWritten). At most spillBuffers chunk buffers are in
// use: the encoder waits for a written chunk's buffer when both are taken.
//
// Calls, from the goroutine that owns the stateFileWriter: write for
// each chunk, then close once; then, from any one goroutine (the
// asynchronous phase of a snapshot), wait, after which the spiller's file
// and buffers belong to the caller. The file is removed by whoever calls
// remove: the store after moving it, or a discard.
type spiller struct {
	f    *os.File
	todo chan []byte   // chunks to write, in order; closed by close
	free chan []byte   // written chunks' buffers, for reuse
	done chan struct{} // closed once every chunk is written (or dropped after an error)
	// made counts the chunk buffers in circulation: the encoder's
	// first one, and those write allocated (owner's goroutine only).
	made int
	// err is the first write error (written by the goroutine, read after
	// done): later chunks are dropped, and only counted by the writer.
	err error
	// reserved is how many of the file's first bytes are not payload
	// (the header, written last) and not yet passed; crc is the payload's
	// checksum so far (storage.UpdateChecksum). Both belong to the
	// goroutine until done.
	reserved int
	crc      uint32
}

// startSpiller starts writing chunks to f, the first of which begins with
// storage.HeaderSize reserved bytes.
func startSpiller(f *os.File) *spiller {
	s := &spiller{
		f:        f,
		made:     1,
		reserved: storage.HeaderSize,
		todo:     make(chan []byte, 1),
		free:     make(chan []byte, spillBuffers),
		done:     make(chan struct{}),
	}
	go s.run()
	return s
}

func (s *spiller) run() {
	defer close(s.done)
	for chunk := range s.todo {
		if s.err == nil {
			if _, err := s.f.Write(chunk); err != nil {
				s.err = fmt.Errorf("spilling a state file to %s: %w", s.f.Name(), err)
			}
			payload := chunk[min(s.reserved, len(chunk)):]
			s.reserved -= len(chunk) - len(payload)
			s.crc = storage.UpdateChecksum(s.crc, payload)
		}
		s.free <- chunk[:0]
	}
}

// write hands chunk over to be written (the caller must not touch it
// afterwards) and returns an empty buffer of the same capacity for the
// next one.
func (s *spiller) write(chunk []byte) []byte {
	s.todo <- chunk
	select {
	case b := <-s.free:
		return b
	default:
	}
	if s.made < spillBuffers {
		s.made++
		return make([]byte, 0, cap(chunk))
	}
	return <-s.free
}

// close says that no chunk follows. It does not wait for the writes.
func (s *spiller) close() { close(s.todo) }

// wait waits until every chunk is written and returns the buffers the
// spiller holds (for reuse) and the first write error. s.crc is then the
// payload's checksum.
func (s *spiller) wait() ([][]byte, error) {
	<-s.done
	var bufs [][]byte
	for {
		select {
		case b := <-s.free:
			bufs = append(bufs, b)
		default:
			return bufs, s.err
		}
	}
}

// remove closes and removes the file.
func (s *spiller) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}
