# Sourced by the run and test scripts: one target directory and faster links for every stage.
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"
# Debian's gcc 12 links with mold when asked; the wasm target is untouched by this variable.
if command -v mold >/dev/null 2>&1; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
fi
