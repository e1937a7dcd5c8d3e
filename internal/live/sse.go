package live

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// ErrUnavailable is returned by Serve when the hub cannot take a
// subscriber (closed, or the logs' heads are still unknown when the
// request ends).
var ErrUnavailable = errors.New("live: the stream is unavailable")

// Serve streams the subscription p to w as Server-Sent Events until the
// client goes, the hub closes or a write fails: "retry" first, then one
// event per message ("id: <cursor>", "event: <kind>", "data: <json>"), a
// comment every Heartbeat while idle. Each write must be accepted within
// WriteTimeout. It returns ErrUnavailable (nothing written) when the hub
// cannot subscribe; the caller answers 503.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, p SubscribeParams) error {
	ctx := r.Context()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	sub, err := h.Subscribe(sctx, p)
	cancel()
	if err != nil {
		return errors.Join(ErrUnavailable, err)
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 4096)
	flush := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
		return rc.Flush()
	}
	buf = append(buf, "retry: 3000\n\n"...)
	if flush() != nil {
		return nil
	}
	hb := time.NewTicker(h.o.Heartbeat)
	defer hb.Stop()
	for {
		m, err := sub.tryNext(ctx)
		if err != nil {
			return nil
		}
		if m != nil {
			buf = appendMessage(buf, m)
			if len(buf) < 32<<10 {
				continue // more may be queued: write them together
			}
		}
		if len(buf) > 0 {
			if flush() != nil {
				return nil
			}
			hb.Reset(h.o.Heartbeat)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-sub.notify:
		case <-hb.C:
			buf = append(buf, ": heartbeat\n\n"...)
		}
	}
}

func appendMessage(b []byte, m *Message) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, m.ID.Seq, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, m.ID.EventID, 10)
	b = append(b, "\nevent: "...)
	b = append(b, m.Kind...)
	b = append(b, "\ndata: "...)
	b = append(b, m.Data...)
	return append(b, "\n\n"...)
}
