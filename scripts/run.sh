#!/usr/bin/env bash
# Builds Synesthesia and runs the server on the embedded default model
# (models/synesthesia-mini), listening on 127.0.0.1:50051 with metrics on
# http://127.0.0.1:9464/metrics. Extra arguments go to synesthesia-server,
# for example: scripts/run.sh --listen=0.0.0.0:50051
#
# Usage (as root on Debian 12, from anywhere): scripts/run.sh [SERVER FLAGS...]
# Environment:
#   BUILD_DIR   build directory (default: build/ in the repository)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}

"$repo/scripts/install-deps.sh" build runtime

cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" --parallel "$(nproc)" --target synesthesia-server synesthesia
exec "$build_dir/server/synesthesia-server" "$@"
