#!/usr/bin/env bash
# vCenter audit at scale: govmomi's vCenter simulator (tests/vcenter_sim) serving
# HOSTS hosts in 10 clusters and VMS VMs (copies of the three-cluster fixture's
# gold hosts and VMs), audited in full (CPU, storage/network, VM readiness) by
# the release binary. Prints wall time, peak memory and the HTTP round trips.
#
#   benches/vcenter.sh [HOSTS] [VMS]        (default 1000 10000; RUNS=3 audits)
#
# Needs golang-go and golang-github-vmware-govmomi-dev; the fixture is the one
# tests/vcenter.rs writes (target/vcenter_fixture.json), made here if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-1000}
VMS=${2:-10000}
export GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=${GOCACHE:-/tmp/gocache-vcenter}
go build -o target/vcenter_sim ./tests/vcenter_sim
[ -f target/vcenter_fixture.json ] || cargo test --release --test vcenter three_clusters >/dev/null
cargo build --release -q

work=$(mktemp -d)
mkfifo "$work/in"
started=$(date +%s.%N)
target/vcenter_sim -fixture target/vcenter_fixture.json -scale-hosts "$HOSTS" -scale-vms "$VMS" \
  -cert-dir "$work" <"$work/in" >"$work/sim.txt" &
sim=$!
exec 3>"$work/in"
trap 'exec 3>&-; kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -rf "$work"' EXIT
until grep -q '^READY' "$work/sim.txt"; do
  kill -0 $sim 2>/dev/null || { echo "simulator exited" >&2; exit 1; }
  sleep 0.5
done
printf 'simulator with %s hosts and %s VMs ready in %.1f s\n' "$HOSTS" "$VMS" \
  "$(echo "$(date +%s.%N) - $started" | bc)"
url=$(awk '/^URL/{print $2}' "$work/sim.txt")
thumb=$(awk '/^THUMBPRINT/{print $2}' "$work/sim.txt")
export VMCOMPAT_VCENTER_USER=auditor@vsphere.local
export VMCOMPAT_VCENTER_PASSWORD=$(python3 -c 'import json;print(json.load(open("target/vcenter_fixture.json"))["password"])')
for run in $(seq "${RUNS:-3}"); do
  set +e
  VMCOMPAT_TIMING=1 /usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' \
    target/release/vmcompat audit --vcenter "$url" --thumbprint "$thumb" >"$work/out.txt" 2>"$work/err.txt"
  code=$?
  set -e
  grep -E '^(vcenter:|timing:|wall )' "$work/err.txt" | sed "s/^/run $run: /"
  echo "run $run: exit $code, $(wc -c <"$work/out.txt") bytes of report"
done
