//go:build race

package capture_test

import "time"

// liveDeadline bounds a live change's trip from the simulator to the
// store in tests: 5 s, the figure, checked without the race
// detector (scripts/test.sh runs those tests again without it); the
// detector slows vcsim about tenfold, so -race runs allow 4× that.
const liveDeadline = 20 * time.Second
