#!/usr/bin/env bash
# Runs the whole vitest suite and ends with one plain summary line,
# "tests: N passed, N failed, N skipped", that CI and people can read at a glance.
set -uo pipefail
results=$(mktemp)
trap 'rm -f "$results"' EXIT
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
if [ -s "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numPassedTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$results" || status=1
fi
exit $status
