#!/usr/bin/env bash
# CampaignEtl: the two commands.
#   ./run.sh               restore, build (Release), create the demo CRM when absent, run the nightly job once
#   ./run.sh test [args]   run every test; ends with the line "N passed, N failed"
#   ./run.sh <verb> ...    build, then pass the verb to the CLI (run, worker, status, audit verify, demo seed, bench export|soap|refill, sandbox serve)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cli=artifacts/bin/CampaignEtl/release/CampaignEtl.dll

build() {
  dotnet build CampaignEtl.sln -c Release -nologo -v quiet -clp:NoSummary >&2
}

run_tests() {
  local results
  results=$(mktemp -d)
  local status=0
  dotnet test --solution CampaignEtl.sln -c Release --results-directory "$results" --report-xunit-trx "$@" || status=$?
  # dotnet test's own summary is per project; the closing line counts every test of every project.
  local passed=0 failed=0 skipped=0 file p f s
  for file in "$results"/*.trx; do
    [ -e "$file" ] || continue
    p=$(grep -o '<Counters [^>]*' "$file" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$file" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    s=$(grep -o '<Counters [^>]*' "$file" | grep -o ' notExecuted="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done
  rm -rf "$results"
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the run broke before it could report (a build error or a crashed test host)
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  return "$status"
}

case "${1:-}" in
  "")
    build
    dotnet "$cli" demo seed --if-absent
    exec dotnet "$cli" run
    ;;
  test)
    shift
    run_tests "$@"
    ;;
  *)
    build
    exec dotnet "$cli" "$@"
    ;;
esac
