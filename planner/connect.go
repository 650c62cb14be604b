package planner

import (
	"context"
	"io"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func (b *builder) factory(t *catalog.Table) (*connectors.Factory, error) {
	name := connectorName(t)
	f := connectors.Lookup(name)
	if f == nil {
		return nil, connectors.UnknownConnectorError(t.Name, name)
	}
	if !t.IsMemory() {
		if err := connectors.ValidateOptions(t, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (b *builder) newSource(t *catalog.Table) (connectors.Source, error) {
	f, err := b.factory(t)
	if err != nil {
		return nil, err
	}
	if f.NewSource == nil {
		return nil, errorf("table %s: connector '%s' cannot be read (it is a sink only)", t.Name, f.Name)
	}
	src, err := f.NewSource(t, b.env)
	if err != nil {
		return nil, tableError(t, err)
	}
	return src, nil
}

// newSink builds the sink of t and reports whether it accepts a changelog.
func (b *builder) newSink(t *catalog.Table) (connectors.Sink, bool, error) {
	f, err := b.factory(t)
	if err != nil {
		return nil, false, err
	}
	if f.NewSink == nil {
		return nil, false, errorf("table %s: connector '%s' cannot be written (it is a source only)", t.Name, f.Name)
	}
	s, err := f.NewSink(t, b.env)
	if err != nil {
		return nil, false, tableError(t, err)
	}
	accepts := false
	if c, ok := s.(connectors.ChangelogSink); ok {
		accepts = c.AcceptsChangelog()
	}
	return s, accepts, nil
}

// valuesSource serves the constant rows of a VALUES clause as one split.
type valuesSource struct {
	rows [][]types.Value
}

type valuesSplit struct{}

func (valuesSplit) ID() string { return "values" }

func (s *valuesSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{valuesSplit{}}, nil
}
func (s *valuesSource) Bounded() bool { return true }
func (s *valuesSource) OpenSplit(_ context.Context, _ connectors.Split, pos []byte) (connectors.SplitReader, error) {
	r := &valuesReader{rows: s.rows}
	if len(pos) == 8 {
		for i := 0; i < 8; i++ {
			r.next = r.next<<8 | int(pos[i])
		}
	}
	return r, nil
}

type valuesReader struct {
	rows [][]types.Value
	next int
}

func (r *valuesReader) Next(_ context.Context, b *types.Batch) error {
	if r.next >= len(r.rows) {
		return io.EOF
	}
	for r.next < len(r.rows) && b.Len() < cap(b.Ops) {
		b.Append(types.Insert, r.rows[r.next])
		r.next++
	}
	return nil
}

func (r *valuesReader) Position() []byte {
	n := uint64(r.next)
	return []byte{byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func (r *valuesReader) Close() error { return nil }

// tableError names the table in a connector error unless the connector
// already did.
func tableError(t *catalog.Table, err error) error {
	if strings.HasPrefix(err.Error(), "table "+t.Name+":") {
		return &Error{Msg: err.Error()}
	}
	return errorf("table %s: %v", t.Name, err)
}
