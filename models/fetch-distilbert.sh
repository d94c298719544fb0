#!/usr/bin/env bash
# Downloads distilbert-base-uncased (config.json, vocab.txt and
# model.safetensors) from the Hugging Face hub into a model directory and
# checks each file's SHA-256 sum against a pinned one. A file whose sum
# differs is deleted and the script stops with exit code 1; a file without a
# pinned sum is kept, with a warning that prints its sum. A stalled
# connection fails after SYNESTHESIA_FETCH_STALL_SECONDS (default 60) below
# 1 KB/s, and a connection attempt after 30 s.
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
#   SYNESTHESIA_FETCH_STALL_SECONDS  seconds below 1 KB/s before a download
#                                    fails (default 60)
# An empty expected sum means "not pinned": the file is kept and its sum is
# printed with a warning, so it can be pinned through the variable above.
# Sums may be written in upper or lower case.
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
    --dest|--base-url|--revision)
      if [[ $# -lt 2 || -z "$2" ]]; then
        echo "fetch-distilbert.sh: $1 needs a value; see --help" >&2
        exit 2
      fi
      case "$1" in
        --dest) dest="$2" ;;
        --base-url) base_url="$2" ;;
        --revision) revision="$2" ;;
      esac
      shift 2 ;;
    # Prints the header comment, which ends at the line before "set".
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-distilbert.sh: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done

declare -A expected_sums=(
  [config.json]="${SYNESTHESIA_SHA256_CONFIG_JSON-${default_config_sum}}"
  [vocab.txt]="${SYNESTHESIA_SHA256_VOCAB_TXT-${default_vocab_sum}}"
  [model.safetensors]="${SYNESTHESIA_SHA256_MODEL_SAFETENSORS-${default_weights_sum}}"
)

stall_seconds="${SYNESTHESIA_FETCH_STALL_SECONDS:-60}"

# Stops the script after a failed file; DEST may then hold the files
# fetched before it.
fail() {
  echo "error: $1" >&2
  echo "${dest} is incomplete; fix the cause and run the script again" >&2
  exit 1
}

mkdir -p "${dest}"
# vocab.txt first: it is small and pinned by default, so a wrong base URL or
# revision shows before the weights (about 270 MB) are fetched.
for file in vocab.txt config.json model.safetensors; do
  url="${base_url%/}/${model_id}/resolve/${revision}/${file}"
  partial="${dest}/${file}.part"
  echo "downloading ${url}"
  if ! curl --fail --location --silent --show-error --connect-timeout 30 \
      --speed-limit 1024 --speed-time "${stall_seconds}" --output "${partial}" "${url}"; then
    rm -f "${partial}"
    fail "downloading ${url} failed; check --base-url and --revision"
  fi

  actual="$(sha256sum "${partial}" | cut -d' ' -f1)"
  expected="${expected_sums[${file}],,}"
  if [[ -z "${expected}" ]]; then
    echo "warning: ${file} has no pinned SHA-256; its sum is ${actual}" >&2
  elif [[ "${actual}" != "${expected}" ]]; then
    rm -f "${partial}"
    fail "${file} has SHA-256 ${actual}, expected ${expected}; the file was deleted"
  fi
  mv -f "${partial}" "${dest}/${file}"
done

echo "distilbert-base-uncased is in ${dest}"
