#!/usr/bin/env bash
# Downloads distilbert-base-uncased (config.json, vocab.txt and
# model.safetensors) from the Hugging Face hub into a model directory and
# checks each file's SHA-256 sum. A file whose sum differs is deleted and the
# script exits 1; nothing unchecked is left under its final name.
#
# Usage: models/fetch-distilbert.sh [--dest DIR] [--base-url URL] [--revision REV]
#   --dest DIR       target directory (default: models/distilbert-base-uncased)
#   --base-url URL   hub address (default: $SYNESTHESIA_HF_BASE_URL, else
#                    https://huggingface.co); files come from
#                    URL/distilbert/distilbert-base-uncased/resolve/REV/FILE
#   --revision REV   branch, tag or commit (default: main)
# Environment:
#   SYNESTHESIA_HF_BASE_URL          as --base-url
#   SYNESTHESIA_SHA256_CONFIG_JSON   expected sum of config.json
#   SYNESTHESIA_SHA256_VOCAB_TXT     expected sum of vocab.txt
#   SYNESTHESIA_SHA256_MODEL_SAFETENSORS  expected sum of model.safetensors
# An empty expected sum means "not pinned": the file is kept and its sum is
# printed with a warning, so it can be pinned through the variable above.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${repo_dir}/models/distilbert-base-uncased"
base_url="${SYNESTHESIA_HF_BASE_URL:-https://huggingface.co}"
revision="main"
model_id="distilbert/distilbert-base-uncased"

# vocab.txt is byte-identical to tests/data/vocab/bert-base-uncased-vocab.txt,
# whose sum this is.
default_vocab_sum="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
# NOTE: no published SHA-256 of config.json or model.safetensors could be
# found or computed offline, so both are unpinned by default; pin them with
# the environment variables after a first download you trust.
default_config_sum=""
default_weights_sum=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    --base-url) base_url="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-distilbert.sh: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done

declare -A expected_sums=(
  [config.json]="${SYNESTHESIA_SHA256_CONFIG_JSON-${default_config_sum}}"
  [vocab.txt]="${SYNESTHESIA_SHA256_VOCAB_TXT-${default_vocab_sum}}"
  [model.safetensors]="${SYNESTHESIA_SHA256_MODEL_SAFETENSORS-${default_weights_sum}}"
)

mkdir -p "${dest}"
status=0
for file in config.json vocab.txt model.safetensors; do
  url="${base_url%/}/${model_id}/resolve/${revision}/${file}"
  partial="${dest}/${file}.part"
  echo "downloading ${url}"
  if ! curl --fail --location --silent --show-error --output "${partial}" "${url}"; then
    rm -f "${partial}"
    echo "error: downloading ${url} failed" >&2
    exit 1
  fi

  actual="$(sha256sum "${partial}" | cut -d' ' -f1)"
  expected="${expected_sums[${file}]}"
  if [[ -z "${expected}" ]]; then
    echo "warning: ${file} has no pinned SHA-256; its sum is ${actual}" >&2
  elif [[ "${actual}" != "${expected}" ]]; then
    rm -f "${partial}"
    echo "error: ${file} has SHA-256 ${actual}, expected ${expected}; the file was deleted" >&2
    status=1
    continue
  fi
  mv -f "${partial}" "${dest}/${file}"
done

if [[ ${status} -eq 0 ]]; then
  echo "distilbert-base-uncased is in ${dest}"
fi
exit "${status}"
