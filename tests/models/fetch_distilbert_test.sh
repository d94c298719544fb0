#!/usr/bin/env bash
# Tests models/fetch-distilbert.sh against a local HTTP server on 127.0.0.1
# that serves fixture files in the hub's URL layout: a good download, a file
# whose sum does not match, a missing file, an upper-case pinned sum, and a
# server that accepts the connection but never responds.
#
# Usage: fetch_distilbert_test.sh REPOSITORY_ROOT
set -euo pipefail
# The local server must be reached directly, never through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

repo="$1"
script="${repo}/models/fetch-distilbert.sh"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "${server_pid}" ]]; then kill "${server_pid}" 2>/dev/null || true; fi
  rm -rf "${work}"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...
  local description="$1"; shift
  if "$@"; then echo "ok: ${description}"; else echo "FAILED: ${description}"; failures=$((failures + 1)); fi
}

# Fixtures: the tiny test model's config and weights, and the real vocabulary
# so that the script's built-in vocab.txt sum is checked too.
served="${work}/hub/distilbert/distilbert-base-uncased/resolve/main"
mkdir -p "${served}"
cp "${repo}/tests/data/distilbert-tiny/config.json" "${served}/config.json"
cp "${repo}/tests/data/distilbert-tiny/model.safetensors" "${served}/model.safetensors"
cp "${repo}/tests/data/vocab/bert-base-uncased-vocab.txt" "${served}/vocab.txt"
config_sum="$(sha256sum "${served}/config.json" | cut -d' ' -f1)"
weights_sum="$(sha256sum "${served}/model.safetensors" | cut -d' ' -f1)"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "${port}" --bind 127.0.0.1 --directory "${work}/hub" >"${work}/server.log" 2>&1 &
server_pid=$!
base_url="http://127.0.0.1:${port}"
for _ in $(seq 50); do
  if curl --silent --output /dev/null "${base_url}/"; then break; fi
  sleep 0.1
done

# 1. Every sum matches: the files arrive unchanged.
good="${work}/good"
check "download with matching sums succeeds" \
  env SYNESTHESIA_SHA256_CONFIG_JSON="${config_sum}" \
      SYNESTHESIA_SHA256_MODEL_SAFETENSORS="${weights_sum}" \
      "${script}" --base-url "${base_url}" --dest "${good}"
for file in config.json vocab.txt model.safetensors; do
  check "${file} is identical to the served file" cmp -s "${served}/${file}" "${good}/${file}"
done
check "no partial file is left" test -z "$(find "${good}" -name '*.part')"

# 2. The base URL also comes from the environment.
check "SYNESTHESIA_HF_BASE_URL sets the base URL" \
  env SYNESTHESIA_HF_BASE_URL="${base_url}" SYNESTHESIA_SHA256_CONFIG_JSON="${config_sum}" \
      SYNESTHESIA_SHA256_MODEL_SAFETENSORS="${weights_sum}" \
      "${script}" --dest "${work}/from-environment"

# 3. A corrupted weights file is rejected and deleted.
printf 'corrupted' >>"${served}/model.safetensors"
corrupt="${work}/corrupt"
set +e
env SYNESTHESIA_SHA256_CONFIG_JSON="${config_sum}" SYNESTHESIA_SHA256_MODEL_SAFETENSORS="${weights_sum}" \
  "${script}" --base-url "${base_url}" --dest "${corrupt}" 2>"${work}/corrupt.err"
corrupt_status=$?
set -e
check "a corrupted file makes the script fail" test "${corrupt_status}" -eq 1
check "the corrupted file is not kept" test ! -e "${corrupt}/model.safetensors"
check "the corrupted file leaves no partial file" test ! -e "${corrupt}/model.safetensors.part"
check "the error names the corrupted file" grep -q "model.safetensors has SHA-256" "${work}/corrupt.err"

# 4. A file missing on the server fails the download.
rm "${served}/config.json"
set +e
"${script}" --base-url "${base_url}" --dest "${work}/missing" 2>"${work}/missing.err"
missing_status=$?
set -e
check "a missing file makes the script fail" test "${missing_status}" -eq 1
check "the error names the missing URL" grep -q "config.json failed" "${work}/missing.err"
check "the error says the directory is incomplete" grep -q "is incomplete" "${work}/missing.err"

# 5. A pinned sum in upper case matches too.
cp "${repo}/tests/data/distilbert-tiny/config.json" "${served}/config.json"
cp "${repo}/tests/data/distilbert-tiny/model.safetensors" "${served}/model.safetensors"
check "an upper-case pinned sum is accepted" \
  env SYNESTHESIA_SHA256_CONFIG_JSON="${config_sum^^}" \
      SYNESTHESIA_SHA256_MODEL_SAFETENSORS="${weights_sum}" \
      "${script}" --base-url "${base_url}" --dest "${work}/upper-case"

# 6. A server that accepts the connection and never responds: the download
# fails after the stall limit instead of waiting forever. The outer timeout
# only stops a hanging script; it is far above the 2 s limit.
stall_port_file="${work}/stall.port"
python3 -c '
import socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(4)
open(sys.argv[1], "w").write(str(server.getsockname()[1]))
connections = []
end = time.time() + 60
while time.time() < end:
    server.settimeout(end - time.time())
    try:
        connections.append(server.accept()[0])
    except OSError:
        break
' "${stall_port_file}" &
stall_pid=$!
for _ in $(seq 50); do
  if [[ -s "${stall_port_file}" ]]; then break; fi
  sleep 0.1
done
set +e
SYNESTHESIA_FETCH_STALL_SECONDS=2 timeout 50 "${script}" \
  --base-url "http://127.0.0.1:$(cat "${stall_port_file}")" --dest "${work}/stalled" \
  2>"${work}/stalled.err"
stalled_status=$?
set -e
kill "${stall_pid}" 2>/dev/null || true
check "a stalled download fails by itself" test "${stalled_status}" -eq 1
check "the stalled download names the directory as incomplete" \
  grep -q "is incomplete" "${work}/stalled.err"

if [[ ${failures} -gt 0 ]]; then
  echo "${failures} check(s) failed"
  exit 1
fi
echo "all fetch-distilbert checks passed"
