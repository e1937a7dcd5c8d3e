package pgstore_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain makes a missing PostgreSQL visible: plain `go test ./...` hides
// skip messages of passing packages, so without VINVENTORY_TEST_PG_DSN this
// package runs no test at all and go test reports it as
// "[no tests to run]"; with -v the reason is printed. scripts/test.sh sets
// VINVENTORY_TEST_REQUIRE_PG, which turns a missing DSN into a failure.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("VINVENTORY_TEST_PG_DSN") == "" {
		if os.Getenv("VINVENTORY_TEST_REQUIRE_PG") != "" {
			fmt.Fprintln(os.Stderr, "pgstore: VINVENTORY_TEST_REQUIRE_PG is set but VINVENTORY_TEST_PG_DSN is empty")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "pgstore: PostgreSQL tests SKIPPED: set VINVENTORY_TEST_PG_DSN to a database the tests may create schemas in, or run scripts/test.sh (starts a throwaway PostgreSQL)")
		flag.Set("test.run", "^$")
		flag.Set("test.bench", "")
	}
	os.Exit(m.Run())
}
