#!/usr/bin/env bash
# Builds target/lambda/lambda.zip: the `bootstrap` of a provided.al2023 function, for x86_64 or
# arm64, optionally with the policies of policies/ beside it (then set the stack's PoliciesPath to
# /var/task/policies).
#
#   deploy/build-zip.sh x86_64|arm64 [--with-policies]
#
# With cargo-zigbuild on PATH (pip install cargo-zigbuild) the binary is linked against glibc
# 2.34, Amazon Linux 2023's, whatever the build machine has, and arm64 needs no cross compiler.
# Without it, cargo builds with the machine's own toolchain (for arm64: an aarch64 cross gcc).
set -euo pipefail

arch=${1:-}
with_policies=${2:-}
case "$arch" in
x86_64) target=x86_64-unknown-linux-gnu ;;
arm64) target=aarch64-unknown-linux-gnu ;;
*)
    echo "usage: $0 x86_64|arm64 [--with-policies]" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."

rustup target add "$target" >/dev/null 2>&1 || true
if command -v cargo-zigbuild >/dev/null; then
    cargo zigbuild --release --features lambda --bin bootstrap --target "$target.2.34"
else
    if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}
        export CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}
    fi
    cargo build --release --features lambda --bin bootstrap --target "$target"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
stage="$target_dir/lambda/$arch"
rm -rf "$stage" && mkdir -p "$stage"
cp "$target_dir/$target/release/bootstrap" "$stage/bootstrap"
if [ "$with_policies" = --with-policies ]; then
    cp -r policies "$stage/policies"
    find "$stage/policies" -name '*.test.yaml' -delete
fi
rm -f "$target_dir/lambda/lambda.zip"
(cd "$stage" && zip -qr9 ../lambda.zip .)
echo "$target_dir/lambda/lambda.zip ($arch)"
