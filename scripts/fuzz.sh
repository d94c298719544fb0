#!/usr/bin/env bash
# Builds the libFuzzer binaries (clang, ASan and UBSan, preset "fuzz" in
# build-fuzz/) and runs each for a bounded time.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   SECONDS  run time of each target (default 30)
#   TARGET   tokenizer, safetensors, config, model_directory or request
#            (default: all five)
# Environment: JOBS (parallel build jobs, default: number of cores).
#
# New coverage goes to a scratch corpus, not into the repository. A crash
# input is written to tests/fuzz/<target>/crash-<sha1>, where the regular
# build's fuzz_replay_test replays it from then on: fix the bug, then commit
# the input as its regression test.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(tokenizer safetensors config model_directory request)
fi
jobs=${JOBS:-$(nproc)}

cd "$repo"
cmake --preset fuzz > /dev/null
cmake --build --preset fuzz --parallel "$jobs"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  echo "fuzzing $target for ${seconds}s"
  if ! build-fuzz/tests/fuzz/"fuzz_$target" \
      -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
      -artifact_prefix="tests/fuzz/$target/" \
      "$scratch/$target" "tests/fuzz/$target" 2>"$scratch/$target.log"; then
    tail -n 60 "$scratch/$target.log"
    echo "fuzz_$target failed; its input is in tests/fuzz/$target/" >&2
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$scratch/$target.log" || true
  fi
done
exit $status
