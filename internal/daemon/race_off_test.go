//go:build !race

package daemon

import "time"

// liveDeadline bounds a live change's trip from the simulator to the
// store in tests: 5 s, the figure (see race_on_test.go).
const liveDeadline = 5 * time.Second
