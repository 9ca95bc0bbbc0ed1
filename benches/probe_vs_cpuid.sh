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
hyperfine --warmup 50 --runs "$runs" -N \
  --export-markdown /tmp/probe_vs_cpuid.md --export-json /tmp/probe_vs_cpuid.json \
  "cpuid -r" \
  "$bin probe -o /dev/null"
cat /tmp/probe_vs_cpuid.md
# Medians too: one slow outlier (a VM's scheduler) moves a mean of 3 ms a lot.
python3 -c 'import json; r=json.load(open("/tmp/probe_vs_cpuid.json"))["results"]; [print("median %-40s %.2f ms" % (x["command"], x["median"]*1e3)) for x in r]'

