//go:build !unix

package daemon

import "os"

// Without flock the run lock is not enforced.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
