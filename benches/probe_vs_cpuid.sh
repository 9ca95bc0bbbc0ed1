#!/usr/bin/env bash
# vmcompat probe (every leaf, every logical CPU) against Todd Allen's `cpuid -r`
# on the same machine. Needs: hyperfine and cpuid (Debian packages of those names).
# Usage: benches/probe_vs_cpuid.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
for tool in hyperfine cpuid; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install $tool" >&2; exit 2; }
done
cargo build --release --quiet
bin=target/release/vmcompat
echo "machine: $(nproc) logical CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
hyperfine --warmup 10 --runs "$runs" -N \
  --export-markdown /tmp/probe_vs_cpuid.md \
  "cpuid -r" \
  "$bin probe -o /dev/null"
cat /tmp/probe_vs_cpuid.md
