#!/usr/bin/env bash
# Runs every test of Prongsai, installing what the tests need first (Debian 12, as root).
# One build of the workspace serves every stage below.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
source scripts/env.sh
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Clippy lints our own crates while they compile (clippy-driver as the workspace's rustc wrapper,
# warnings are errors), so the workspace is built once instead of checked for clippy and then
# built again: with typst in the tree that saves minutes. Dependencies build with plain rustc.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$(dirname "$(rustup which cargo)")/clippy-driver}"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
[ -x "$RUSTC_WORKSPACE_WRAPPER" ] || rustup component add clippy

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*" >&2; }

# What the disk holds before and after the build, for when a machine runs short (one did).
disk() { df -h . | tail -1 | awk -v w="$1" '{print "disk " w ": " $4 " free of " $2}' >&2; }
disk "before the build"

step "format (our crates; the vendored copies keep upstream's formatting)"
cargo fmt --check -p prongsai-core -p prongsai-sync-server -p prongsai-client -p prongsai-report \
  -p prongsai-frontend -p prongsai-app -p prongsai-tests -p xtask -p prongsai-browser -p prongsai-testpg

step "frontend (Yew, wasm32, linted) into frontend/dist, before the app embeds it"
bash scripts/build-frontend.sh

step "core alone builds for the browser (wasm32, linted)"
cargo check -p prongsai-core --target wasm32-unknown-unknown --locked

step "the device's browser side in a JavaScript engine (wasm32 under Node: samod's repo runs and syncs there)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown -p prongsai-browser --locked

step "the device's IndexedDB store in a dedicated Worker of headless Chromium (the storage contract)"
CHROMEDRIVER="$(command -v chromedriver)" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown -p prongsai-client --test indexed_storage --locked

step "build and lint the workspace once (clippy, warnings are errors), for every test stage"
cargo build --workspace --all-targets --locked
disk "after the build"; du -sh target >&2

step "tests (under Xvfb: the app's webview needs a display)"
# The webview tests run one at a time (.config/nextest.toml); screenshots go to tests/artifacts/.
if cargo nextest --version >/dev/null 2>&1; then
  # There are no doc tests; nextest runs every other test.
  xvfb-run -a -s "-screen 0 1920x1080x24" cargo nextest run --workspace --locked --no-fail-fast
else
  xvfb-run -a -s "-screen 0 1920x1080x24" cargo test --workspace --locked --no-fail-fast -- --test-threads=1
fi
step "the server's tests again with its data in PostgreSQL (a throwaway cluster for each sample)"
if cargo nextest --version >/dev/null 2>&1; then
  # --workspace, as above: the same features, so nothing is built again.
  PRONGSAI_TEST_BACKEND=postgres xvfb-run -a -s "-screen 0 1920x1080x24" cargo nextest run --workspace \
    --locked --no-fail-fast -E 'package(prongsai-tests) & (binary(server) | binary(faults) | binary(operations))'
else
  PRONGSAI_TEST_BACKEND=postgres xvfb-run -a -s "-screen 0 1920x1080x24" cargo test -p prongsai-tests --locked \
    --no-fail-fast --test server --test faults --test operations -- --test-threads=1
fi
step "all tests passed"
