#!/usr/bin/env bash
# The checks CI runs after scripts/test.sh's regular build and tests.
# It runs the unit, integration and fuzz-replay tests under AddressSanitizer
# with UndefinedBehaviorSanitizer and under ThreadSanitizer (CMake presets
# asan and tsan, each in its own build directory). Then it runs every
# libFuzzer target for FUZZ_SECONDS each. scripts/test.sh calls it when
# CI=true.
#
# Usage: scripts/ci-extra.sh
# Environment:
#   JOBS          parallel build and test jobs (default: number of cores)
#   FUZZ_SECONDS  run time of each fuzz target (default 30)
#   CI_EXTRA      space-separated subset of "asan tsan fuzz" (default: all)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-30}
steps=${CI_EXTRA:-asan tsan fuzz}
cd "$repo"

# ccache, when present, keeps rebuilds of the sanitizer trees short. Paths
# relative to the repository let clones in other folders share the cache.
if command -v ccache > /dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$repo}
fi

declare -A seconds_taken
for step in $steps; do
  started=$(date +%s)
  case "$step" in
    asan|tsan)
      cmake --preset "$step" > /dev/null
      cmake --build --preset "$step" --parallel "$jobs"
      ctest --preset "$step" --parallel "$jobs"
      ;;
    fuzz)
      scripts/fuzz.sh "$fuzz_seconds"
      ;;
    *)
      echo "unknown step '$step' in CI_EXTRA; use asan, tsan or fuzz" >&2
      exit 2
      ;;
  esac
  seconds_taken[$step]=$(( $(date +%s) - started ))
done

for step in $steps; do
  echo "ci-extra: $step took ${seconds_taken[$step]} s"
done
