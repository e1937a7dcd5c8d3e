package aggregate

import (
	"context"
	"sync"
)

// pipeBatch is the number of rows handed from the scanning goroutine to
// the builder at once.
const pipeBatch = 512

// pipeScan runs scan in its own goroutine and feeds copies of its rows to
// add in the caller's goroutine, so decoding rows (the store's work,
// mostly in the database driver) and accumulating them (the builder's)
// use two cores. Rows reach add in scan order. scan's *T is only valid
// during its callback, hence the copies; add must not retain its
// argument.
func pipeScan[T any](ctx context.Context, scan func(ctx context.Context, fn func(*T) error) error, add func(*T)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []T, 4)
	free := make(chan []T, 6)
	var scanErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(full)
		buf := make([]T, 0, pipeBatch)
		send := func() error {
			select {
			case full <- buf:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case buf = <-free:
			default:
				buf = make([]T, 0, pipeBatch)
			}
			return nil
		}
		scanErr = scan(ctx, func(x *T) error {
			buf = append(buf, *x)
			if len(buf) == pipeBatch {
				return send()
			}
			return nil
		})
		if scanErr == nil && len(buf) > 0 {
			scanErr = send()
		}
	}()
	for b := range full {
		for i := range b {
			add(&b[i])
		}
		clear(b)
		select {
		case free <- b[:0]:
		default:
		}
	}
	wg.Wait()
	return scanErr
}
