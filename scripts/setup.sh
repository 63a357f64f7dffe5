#!/usr/bin/env bash
# Installs what Prongsai needs to build, run and test on Debian 12 (as root), skipping whatever is
# already there. Safe to run again. Usage: scripts/setup.sh [core|test|run]...
#   core  the Rust toolchain pieces every build needs (wasm32 target)
#   test  everything the test suite needs
#   run   everything the run command needs
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
      export PATH="$HOME/.cargo/bin:$PATH"
    else
      log "cargo is missing: install Rust with rustup (https://rustup.rs) and run this again"
      exit 1
    fi
  fi
}

# Debian packages, installed in one apt call when any is missing.
APT_PACKAGES=(pkg-config build-essential libssl-dev mold)
# The app (Tauri 2 on WebKitGTK), its font, and what drives it in tests.
APP_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev fonts-thai-tlwg)
# poppler-utils (pdftotext, pdffonts, pdftoppm) and LibreOffice Writer check the reports.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver chromium chromium-driver poppler-utils libreoffice-writer)
# PostgreSQL's server binaries for the tests' own throwaway clusters (testpg/): Debian's package
# would also make and start a cluster of its own, which nothing uses, so it is told not to. HAProxy
# in front of several server nodes (deploy/, tests/cluster.rs), each test running its own.
PG_PACKAGES=(postgresql-15 haproxy)

# Versions that must match Cargo.lock (wasm-bindgen) or are known to work here (tauri-driver).
WASM_BINDGEN_VERSION=0.2.130
TAURI_DRIVER_VERSION=2.1.0

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
      log "not root: install these Debian packages yourself: ${missing[*]}"
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

node_packages() {
  if ! command -v node >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  if [ ! -d tests/js/node_modules/@automerge/automerge-repo-storage-nodefs ]; then
    log "npm install (tests/js: the reference automerge-repo client and sync server)"
    # `npm ci` rejects this lock file over optional platform packages npm 11 leaves out of it.
    npm install --prefix tests/js --no-audit --no-fund --loglevel=error
  fi
}

wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

cargo_tools() {
  if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
    # Not --locked: its lock file names a crate version this registry does not have.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

test_tools() {
  if ! cargo install --list | grep -q "^tauri-driver v$TAURI_DRIVER_VERSION:"; then
    log "cargo install tauri-driver $TAURI_DRIVER_VERSION (about 2 minutes)"
    cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked --force
  fi
}

postgres_binaries() {
  if [ ! -x /usr/lib/postgresql/15/bin/initdb ] && [ "$(id -u)" -eq 0 ]; then
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/prongsai-no-main.conf
  fi
  apt_install "${PG_PACKAGES[@]}"
}

need_cargo
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(test)
for stage in "${stages[@]}"; do
  case "$stage" in
    core) wasm_target ;;
    test)
      apt_install "${APT_PACKAGES[@]}" "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
      postgres_binaries
      wasm_target
      cargo_tools
      test_tools
      node_packages
      ;;
    run)
      apt_install "${APT_PACKAGES[@]}" "${APP_PACKAGES[@]}" curl
      wasm_target
      cargo_tools
      ;;
    cluster) postgres_binaries ;;
    *) log "unknown stage $stage"; exit 2 ;;
  esac
done
