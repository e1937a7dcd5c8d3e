// Package apibench is the API load benchmark (command examples/apibench):
// it captures a simulated vCenter of N VMs into a store, serves the API
// over it on a loopback listener, and drives it with concurrent clients on
// the VM list (filtered, sorted, page 100), the VM detail and the quick
// search, reporting requests per second, p50 and p99 and errors; then it
// times the same store calls in-process with the same concurrency, so the
// HTTP layer's share shows as a ratio.
package apibench
