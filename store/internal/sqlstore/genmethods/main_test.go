package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedMethodsCurrent fails when a backend's methods.go is stale:
// run `go generate ./store/...` after changing a store interface.
func TestGeneratedMethodsCurrent(t *testing.T) {
	for _, pkg := range []string{"sqlitestore", "pgstore"} {
		want, err := Generate(pkg, storeDir())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "..", pkg, "methods.go")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./store/...", path)
		}
	}
}
