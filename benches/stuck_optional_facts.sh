#!/usr/bin/env bash
# Stuck optional facts (issue 15): 200 simulated Linux hosts on loopback sshd
# servers (127.0.0.10 .. 127.0.0.209, 16 addresses per sshd) with `virsh`
# installed but no libvirt daemon (the fixture `virsh` never answers, as one
# without a daemon can), and `cpuid -r` served from tests/fixtures. Measures the
# default audit (CPU + storage/network facts) against `--only cpu`, with both SSH
# backends: wall time and the auditor's own CPU time (process + children).
#
# Bar: the default audit takes no more than 1.5x the `--only cpu` audit.
#
# Needs root (creates the user `vmcbench`, /run/sshd) and /usr/sbin/sshd.
# Usage: benches/stuck_optional_facts.sh [HOSTS] [JOBS]   (default 200 32)
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${1:-200}
JOBS=${2:-32}
PORT=${PORT:-42023}
WORK=/tmp/vmc-stuck
USER_NAME=vmcbench
PER_SSHD=16
BIN=${VMCOMPAT:-${CARGO_TARGET_DIR:-target}/release/vmcompat}
BIN=$(readlink -f "$BIN")

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
[ -x /usr/sbin/sshd ] || { echo "/usr/sbin/sshd missing (apt-get install openssh-server)" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release
[ "$HOSTS" -le 200 ] || { echo "at most 200 hosts (127.0.0.10-209)" >&2; exit 2; }

rm -rf "$WORK"; mkdir -p "$WORK/home" "$WORK/bin" /run/sshd
id "$USER_NAME" >/dev/null 2>&1 || useradd -M -d "$WORK/home" -s /bin/sh "$USER_NAME"
usermod -d "$WORK/home" -s /bin/sh -p '*' "$USER_NAME"
chown "$USER_NAME" "$WORK/home"
chmod 755 "$WORK" "$WORK/bin"

# The hosts' tools: cpuid -r from the fixture; virsh that never answers.
cp tests/fixtures/cpuid-r-epyc-kvm.txt "$WORK/bin/cpuid-r.txt"
printf '#!/bin/sh\nexec cat "${0%%/*}/cpuid-r.txt"\n' > "$WORK/bin/cpuid"
printf '#!/bin/sh\nexec sleep 3600\n' > "$WORK/bin/virsh"
chmod 755 "$WORK/bin/cpuid" "$WORK/bin/virsh"; chmod 644 "$WORK/bin/cpuid-r.txt"

LAB_PATH="$WORK/bin:/usr/bin:/bin"
. "$(dirname "$0")/loopback_sshd.sh"
start_loopback_sshds

{
  echo '[fleet]'
  echo "known_hosts = \"$WORK/known_hosts\""
  echo "jobs = $JOBS"
  echo 'deadline = 60'
  while read -r a; do
    printf '\n[[host]]\nname = "%s"\ncluster = "kvm"\nssh = "%s@%s:%s"\nidentity = "%s"\n' "$a" "$USER_NAME" "$a" "$PORT" "$WORK/user_key"
  done < "$WORK/hosts.txt"
} > "$WORK/fleet.toml"

cat > "$WORK/measure.py" <<'PY'
import resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2]
t = time.monotonic()
r = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
ok = "ok" if r.returncode in (0, 1) else f"exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}"
print(f"| {label} | {wall:.2f} | {ru.ru_utime + ru.ru_stime:.2f} | {ok} |", flush=True)
PY

echo "hosts=$HOSTS jobs=$JOBS nproc=$(nproc) $($BIN --version)"
echo "| run | wall s | client CPU s | result |"
echo "|---|---|---|---|"
for backend in libssh2 openssh; do
  python3 "$WORK/measure.py" "$backend --only cpu" "$BIN audit $WORK/fleet.toml --format json --only cpu --ssh-backend $backend"
  python3 "$WORK/measure.py" "$backend default" "$BIN audit $WORK/fleet.toml --format json --ssh-backend $backend"
done
