#!/usr/bin/env bash
# Installs the pinned colour-name packages (package.json, package-lock.json)
# with npm into a temporary folder and exports them to train.csv and
# xkcd.csv beside this script. Needs node and npm, and the npm registry.
set -euo pipefail

data_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT

cp "${data_dir}/package.json" "${data_dir}/package-lock.json" "${work_dir}/"
(cd "${work_dir}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
node "${data_dir}/export.mjs" "${work_dir}/node_modules" "${data_dir}"
