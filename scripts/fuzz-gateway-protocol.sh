#!/usr/bin/env bash
# libFuzzer over the gateway framer + parser, for a bounded time.
#   scripts/fuzz-gateway-protocol.sh [SECONDS]   (default 60; `make fuzz` runs longer)
# Compiles only the three GatewayProtocol sources it needs with -sanitize=fuzzer,address
# (swiftc and clang's libFuzzer from the Swift toolchain), so `swift build` is untouched.
# New inputs go to a scratch corpus; crashes are written to .build-fuzz/ and fail the run.
set -euo pipefail
# Swift's own crash handler hides the fatalError message from libFuzzer's report.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build-fuzz
mkdir -p "$out/corpus"
src=Sources/GatewayProtocol
swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name GatewayFuzz \
    "$src/XMLFramer.swift" "$src/XMLParser.swift" "$src/GatewayErrors.swift" \
    Fuzz/GatewayProtocol/FuzzMain.swift -o "$out/gateway-protocol-fuzz"
# Seeds first (read-only, committed), the scratch corpus grows from them.
"$out/gateway-protocol-fuzz" "$out/corpus" Fuzz/corpus/gateway-protocol \
    -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    -dict=Fuzz/gateway-protocol.dict -artifact_prefix="$out/" -print_final_stats=1
