package storetest

import (
	"context"
	"sync"
)

// CountdownContext returns a context that reports cancellation from the
// n-th call to its Err or Done methods on (the calls are counted together;
// n <= 0 means cancelled from the start): from that call on Err returns
// context.Canceled and the channel returned by Done (the same channel on
// every call) is closed. Values and the deadline come from parent; parent's
// own cancellation is not propagated.
//
// Called with n = 1, 2, 3, ... it makes a write fail at each point where the
// store looks at its context in turn, which is how the suite proves that a
// write failing midway leaves nothing behind, whatever the backend.
func CountdownContext(parent context.Context, n int) context.Context {
	c := &countdownCtx{Context: parent, left: n, done: make(chan struct{})}
	if n <= 0 {
		c.left = 0
		close(c.done)
	}
	return c
}

type countdownCtx struct {
	context.Context
	mu    sync.Mutex
	left  int
	calls int
	done  chan struct{}
}

// tick counts one call and reports whether the context is cancelled.
func (c *countdownCtx) tick() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.left > 0 {
		c.left--
		if c.left == 0 {
			close(c.done)
		}
	}
	return c.left == 0
}

func (c *countdownCtx) Done() <-chan struct{} {
	c.tick()
	return c.done
}

func (c *countdownCtx) Err() error {
	if c.tick() {
		return context.Canceled
	}
	return nil
}

// Calls returns how many times Err and Done were called.
func (c *countdownCtx) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func (c *countdownCtx) String() string { return "storetest.CountdownContext" }
