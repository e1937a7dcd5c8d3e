// Package apibench is the API and web UI load benchmark (command
// examples/apibench): it captures a simulated vCenter of N VMs into a
// store, serves the API at /api/ and the pages (internal/web, over the
// same API in-process) at / on a loopback listener, and drives them with
// concurrent clients on the VM list (filtered, sorted, page 100), the VM
// detail, the quick search, the VM list page's own API query and the VM
// list page itself (HTML, 50 rows, gzip, as a signed-in browser), reporting
// requests per second, p50 and p99 and errors; then it times the same
// store calls in-process with the same concurrency, so the HTTP layer's
// (or the render's) share shows as a ratio, and each request alone with
// one client. Last, it can weigh the main pages (web.Weigh).
package apibench
