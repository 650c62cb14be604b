package blackhole

import (
	"context"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func init() {
	connectors.Register(&connectors.Factory{
		Name: "blackhole",
		NewSink: func(t *catalog.Table, _ *connectors.Env) (connectors.Sink, error) {
			if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "blackhole"}); err != nil {
				return nil, err
			}
			return sink{}, nil
		},
	})
}

type sink struct{}

// AcceptsChangelog is true: every op is discarded alike.
func (sink) AcceptsChangelog() bool { return true }

func (sink) Open(context.Context, int, int) (connectors.SinkWriter, error) { return writer{}, nil }

type writer struct{}

func (writer) Write(*types.Batch) error { return nil }
func (writer) Flush() error             { return nil }
func (writer) Close() error             { return nil }
