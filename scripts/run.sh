#!/usr/bin/env bash
# Runs Prongsai on the sample agency (อบต.ปากช่อง, 2565), installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
source scripts/env.sh
cargo run --locked --release -p prongsai-core --example sample_view
