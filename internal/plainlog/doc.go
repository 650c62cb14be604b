// Package plainlog is a log/slog handler for people at a terminal: each
// record is one line "LEVEL: message key=value ...", with the level
// spelled as the command line always spelled it (INFO, WARNING, ERROR),
// no timestamp, and no "job" attribute (messages that concern one of
// several jobs name it; the text and JSON handlers carry it). Embedded runs (the shell, -f, -e) log through it to
// standard error; `--log-format text|json` switches to slog's own
// handlers, and `streamsql server` uses those for its log file.
package plainlog
