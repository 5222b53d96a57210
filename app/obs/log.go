package obs

import (
	"io"
	"log/slog"
)

// NewLogger is the program's logger: text (key=value) by default, one
// JSON object a line with format "json" (KNS_LOG_FORMAT), for a log
// shipper.
func NewLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opt := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opt))
	}
	return slog.New(slog.NewTextHandler(w, opt))
}
