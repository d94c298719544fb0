#!/usr/bin/env bash
# Installs the Debian packages of the given roles from scripts/debian-packages.txt.
#
# Usage: scripts/install-deps.sh ROLE [ROLE...]    (roles: build runtime test fuzz bench)
#        scripts/install-deps.sh --list ROLE...    (print the package names only)
#
# Runs apt-get as root; it is a no-op for packages already installed, so the
# README's commands can call it every time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list_file="$here/debian-packages.txt"

list_only=false
if [[ "${1:-}" == "--list" ]]; then
  list_only=true
  shift
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [--list] ROLE [ROLE...]   (roles: build runtime test fuzz bench)" >&2
  exit 2
fi

packages=()
while read -r package roles; do
  [[ -z "$package" || "$package" == \#* ]] && continue
  if [[ " $roles " =~ \ if-no-command=([^ ]+) ]] && command -v "${BASH_REMATCH[1]}" >/dev/null; then
    continue
  fi
  for wanted in "$@"; do
    if [[ " $roles " == *" $wanted "* ]]; then
      packages+=("$package")
      break
    fi
  done
done <"$list_file"

if $list_only; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages for roles '$*' are installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or with sudo) to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
