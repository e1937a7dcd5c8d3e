#!/usr/bin/env bash
# Runs every test: gofmt, go vet, staticcheck, and go test -race over the whole module
# against memstore, a real SQLite file and a real PostgreSQL.
#
# When VINVENTORY_TEST_PG_DSN is unset it starts a throwaway PostgreSQL
# (scripts/pgtmp.sh) and stops it on exit, even when tests fail. The
# PostgreSQL suite is required here: a skipped PostgreSQL test fails the run.
#
# Extra arguments are passed to go test (e.g. scripts/test.sh -run Conformance).
set -euo pipefail
cd "$(dirname "$0")/.."

log_dir=$(mktemp -d /tmp/vinventory-test.XXXXXX)
cleanup() {
  if [ -n "${PGTMP_DIR:-}" ]; then scripts/pgtmp.sh stop "$PGTMP_DIR"; fi
  rm -rf "$log_dir"
}
trap cleanup EXIT

if [ -z "${VINVENTORY_TEST_PG_DSN:-}" ]; then
  echo "== starting a throwaway PostgreSQL"
  eval "$(scripts/pgtmp.sh start)"
fi
export VINVENTORY_TEST_PG_DSN
export VINVENTORY_TEST_REQUIRE_PG=1   # pgstore tests fail instead of skipping

# The report tests convert every workbook with LibreOffice when it is
# installed; install Debian's libreoffice-calc when we can (root + apt).
if ! command -v libreoffice >/dev/null 2>&1 && ! command -v soffice >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing libreoffice-calc (report tests convert workbooks with it)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends libreoffice-calc >"$log_dir/apt.log" 2>&1; then
      apt-get update >>"$log_dir/apt.log" 2>&1 || true
      apt-get install -y --no-install-recommends libreoffice-calc >>"$log_dir/apt.log" 2>&1 ||
        { echo "could not install libreoffice-calc; the LibreOffice report checks will skip"; tail -5 "$log_dir/apt.log"; }
    fi
  else
    echo "== LibreOffice not installed and not root: the LibreOffice report checks will skip"
  fi
fi

# The web UI tests drive Debian's headless chromium (chromedp); install it
# when we can. They fail instead of skipping here.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (browser tests of the web UI)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends chromium fonts-dejavu-core >"$log_dir/apt-chromium.log" 2>&1; then
      apt-get update >>"$log_dir/apt-chromium.log" 2>&1 || true
      apt-get install -y --no-install-recommends chromium fonts-dejavu-core >>"$log_dir/apt-chromium.log" 2>&1 ||
        { echo "could not install chromium"; tail -5 "$log_dir/apt-chromium.log"; }
    fi
  else
    echo "== chromium not installed and not root: the browser tests will fail (install chromium)"
  fi
fi
export VINVENTORY_TEST_REQUIRE_BROWSER=1   # browser tests fail instead of skipping

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './vendor/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet ./..."
go vet ./...

echo "== staticcheck ./... (pinned in go.mod's tool directive)"
go tool staticcheck ./...

echo "== go test -race ./..."
status=0
go test -race -count=1 -timeout 30m -v "$@" ./... >"$log_dir/test.log" 2>&1 || status=$?

# Package results, skips and failures (full output of failing tests).
grep -E '^(ok|FAIL|---|panic:|\?)|^\s+--- (FAIL|SKIP)' "$log_dir/test.log" | grep -vE '^\s*--- PASS' || true
# A package that hits the timeout prints which tests were running and every
# goroutine's stack; show its head here, since the tail below is mostly the
# packages that ran after it.
if grep -qE '^panic: test timed out' "$log_dir/test.log"; then
  echo "== timed out: running tests and the first goroutines"
  grep -A 250 -E '^panic: test timed out' "$log_dir/test.log"
fi
if [ "$status" -ne 0 ]; then
  echo "== failure output"
  grep -vE '^\s*(=== (RUN|PAUSE|CONT|NAME)|--- PASS)' "$log_dir/test.log" | tail -400
fi
echo "== live updates within 5 s, without the race detector (it slows vcsim about tenfold; -race runs allow 20 s)"
if ! go test -count=1 -timeout 10m -run '^(TestWatchMutations|TestWatchResyncs|TestLiveManager)$' -v ./capture ./internal/daemon >"$log_dir/latency.log" 2>&1; then
  status=1
  grep -vE '^\s*(=== (RUN|PAUSE|CONT|NAME))' "$log_dir/latency.log" | tail -60
fi
grep -E '^(ok|FAIL)|^\s*--- (PASS|FAIL)' "$log_dir/latency.log" || true
echo "== PostgreSQL: store/pgstore top-level tests, and other packages' tests on PostgreSQL"
awk '/^--- (PASS|FAIL|SKIP)/ { buf = buf $0 "\n" }
     /^(ok|FAIL)[ \t]/ { if ($2 ~ /store\/pgstore$/) printf "%s%s\n", buf, $0; buf = "" }' "$log_dir/test.log"
echo "postgres subtests elsewhere: $(grep -cE '^\s+--- PASS: .*/postgres' "$log_dir/test.log" || true) passed," \
  "$(grep -cE '^\s+--- (FAIL|SKIP): .*/postgres' "$log_dir/test.log" || true) failed or skipped"

echo "== end-to-end checks (README demo, two daemon replicas on PostgreSQL, LibreOffice conversion, the web UI in chromium)"
grep -E '^--- (PASS|FAIL|SKIP): (TestDemoCommand|TestReplicasPostgres|TestPostgresReplicas|TestLibreOffice|TestPipelineTwoDays|TestDaemonJobsCatchUp|TestBrowserPages|TestBrowserFlows) ' "$log_dir/test.log" || true

passed=$(grep -cE '^\s*--- PASS' "$log_dir/test.log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log_dir/test.log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log_dir/test.log" || true)
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$failed" -ne 0 ]; then
  # Last, so that it is in any excerpt of the end: what each failing test
  # printed (its own lines, 40 at most each), from the -race run.
  echo "== output of the failing tests"
  awk '/^=== (RUN|CONT|NAME|PAUSE) / { cur = $3; next }
       /^[ \t]*--- FAIL: / { if (!($3 in failed)) { failed[$3] = 1; order[++n] = $3 } }
       /^[ \t]*--- (PASS|FAIL|SKIP): / { next }
       cur != "" { if (lines[cur]++ < 40) out[cur] = out[cur] $0 "\n" }
       END { for (i = 1; i <= n; i++) { t = order[i]; if (t in out) printf "%s:\n%s", t, out[t] } }' "$log_dir/test.log" | head -120
fi
exit "$status"
