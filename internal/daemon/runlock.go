package daemon

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// errLocked is returned by lockRun when another process holds the lock.
var errLocked = errors.New("locked")

// lockRun takes the run lock of a SQLite database: an exclusive lock on
// the file path+".run.lock", held until release. SQLite serves one node:
// two `run` processes on one file would contend for its single writer and
// share river's queue in it without river's multi-node guarantees (it has
// no LISTEN/NOTIFY there); the second one fails instead, naming the
// holder's pid. The operating system drops the lock when its process
// dies, so a crash never leaves a stale lock.
func lockRun(path string) (release func(), err error) {
	name := path + ".run.lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("another vinventoryd run (pid %s) is using %s; run one daemon per SQLite file, or use PostgreSQL for several replicas",
				strings.TrimSpace(string(holder)), path)
		}
		return nil, fmt.Errorf("run lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}
