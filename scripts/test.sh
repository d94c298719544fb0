#!/usr/bin/env bash
# Builds Synesthesia and runs the whole test suite through ctest.
#
# Usage (as root on Debian 12, from anywhere): scripts/test.sh
# Environment:
#   BUILD_DIR   build directory (default: build/ in the repository)
#   JOBS        parallel build and test jobs (default: number of cores)
#   CI          when "true", also runs scripts/ci-extra.sh: the tests under
#               AddressSanitizer and ThreadSanitizer, and the fuzzers
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
jobs=${JOBS:-$(nproc)}

"$repo/scripts/install-deps.sh" build runtime test fuzz

cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" --parallel "$jobs"
ctest --test-dir "$build_dir" --output-on-failure --parallel "$jobs"

if [[ "${CI:-}" == true ]]; then
  "$repo/scripts/ci-extra.sh"
fi
