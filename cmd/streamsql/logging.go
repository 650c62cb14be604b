package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/streamsql/streamsql/internal/plainlog"
)

// newLogger returns the logger of an embedded run (--log-format): plain
// lines for people, or slog's text or JSON records for log collectors.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "plain", "":
		return slog.New(plainlog.New(w)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want plain, text or json", format)
}
