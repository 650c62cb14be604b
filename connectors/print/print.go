package print

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

var options = []connectors.OptionSpec{
	{Key: "print-identifier", Help: "prefix of every printed line"},
	{Key: "standard-error", Default: "false", Help: "print to standard error instead of standard output"},
}

func init() {
	connectors.Register(&connectors.Factory{Name: "print", Options: options, NewSink: newSink,
		Validate: func(t *catalog.Table) error {
			_, err := newSink(t, nil)
			return err
		}})
}

// outMu serializes the writes of every print sink.
var outMu sync.Mutex

type sink struct {
	t      *catalog.Table
	out    io.Writer
	ident  string
	colTyp []types.Type
}

func newSink(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "print", Options: options}); err != nil {
		return nil, err
	}
	s := &sink{t: t, ident: t.Option("print-identifier")}
	stderr := false
	if t.HasOption("standard-error") {
		var err error
		if stderr, err = format.ParseBoolOption(t.Option("standard-error")); err != nil {
			return nil, fmt.Errorf("table %s: option 'standard-error': %v", t.Name, err)
		}
	}
	switch {
	case stderr && env != nil && env.Stderr != nil:
		s.out = env.Stderr
	case stderr:
		s.out = os.Stderr
	case env != nil && env.Stdout != nil:
		s.out = env.Stdout
	default:
		s.out = os.Stdout
	}
	for _, c := range t.PhysicalColumns() {
		s.colTyp = append(s.colTyp, c.Type)
	}
	return s, nil
}

// AcceptsChangelog is true: every op is printed.
func (s *sink) AcceptsChangelog() bool { return true }

func (s *sink) Open(_ context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	prefix := s.ident
	if parallelism > 1 {
		if prefix != "" {
			prefix += ":"
		}
		prefix += strconv.Itoa(instance + 1)
	}
	if prefix != "" {
		prefix += "> "
	}
	return &writer{s: s, prefix: prefix}, nil
}

type writer struct {
	s      *sink
	prefix string
	buf    []byte
}

func (w *writer) Write(b *types.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if b.Width != len(w.s.colTyp) {
		return fmt.Errorf("table %s: batch width %d does not match the %d physical columns", w.s.t.Name, b.Width, len(w.s.colTyp))
	}
	buf := w.buf[:0]
	for i, op := range b.Ops {
		buf = append(buf, w.prefix...)
		buf = append(buf, op.String()...)
		buf = append(buf, '[')
		for j, v := range b.Row(i) {
			if j > 0 {
				buf = append(buf, ", "...)
			}
			buf = types.AppendRender(buf, v, w.s.colTyp[j])
		}
		buf = append(buf, "]\n"...)
	}
	w.buf = buf
	outMu.Lock()
	_, err := w.s.out.Write(buf)
	outMu.Unlock()
	if err != nil {
		return fmt.Errorf("table %s: printing: %v", w.s.t.Name, err)
	}
	return nil
}

func (w *writer) Flush() error { return nil }
func (w *writer) Close() error { w.buf = nil; return nil }
