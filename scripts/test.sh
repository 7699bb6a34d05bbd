#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run the whole suite.
# This is the README's second Quick start command, and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Emulators, servers and reference tools the tests run for real, one group per line.
APT_PACKAGES=(
  qemu-user-static nodejs  # foreign Linux arches; js/wasm
  file gcc libc6-dev       # file(1), the baseline inspect is compared with; the cgo and plain-C test binaries
  rpm gnupg openssh-client # gocross release: rpm -qip reads the .rpm; gpg and ssh-keygen sign and verify
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi

python -m pip install -q --disable-pip-version-check -e '.[test]'
python -m ruff check src tests benchmarks
python -m mypy
python -m pytest "$@"
