#!/usr/bin/env bash
# SSH fan-out benchmark: 200 simulated hosts on loopback sshd servers
# (127.0.0.10 .. 127.0.0.209, 16 addresses per sshd), concurrency 32, every tool
# running the same remote command, `cpuid -r`, through the same remote shell.
#
# Remote shell: a test user `vmcbench` whose login shell is /bin/sh (dash), with an
# empty home directory: dash run by sshd as `sh -c CMD` reads no rc files, so the
# start-up cost is small and the same for every tool. (vmcompat runs one small
# script around `cpuid -r`: `grep -m1 ^flags /proc/cpuinfo`, two `command -v`.)
#
# Measured per tool: wall time and the auditor's own CPU time (user+sys of the
# process and every child it waited for: ssh clients included), via getrusage.
# Anchors: `xargs -P 32 ssh` with the default kex and with curve25519-sha256,
# parallel-ssh (pool 32), Ansible ad-hoc `raw` with `-f 32`.
#
# Needs root (creates the user, /run/sshd), /usr/sbin/sshd, python3 with venv.
# Installs parallel-ssh and ansible-core into a venv under /tmp if absent.
# Usage: benches/ssh_fleet.sh [HOSTS] [JOBS] [ROUNDS]   (default 200 32 1)
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${1:-200}
JOBS=${2:-32}
ROUNDS=${3:-1}
PORT=${PORT:-42022}
WORK=/tmp/vmc-bench
VENV=/tmp/vmc-bench-venv
USER_NAME=vmcbench
PER_SSHD=16
BIN=${VMCOMPAT:-${CARGO_TARGET_DIR:-target}/release/vmcompat}

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
[ -x /usr/sbin/sshd ] || { echo "/usr/sbin/sshd missing (apt-get install openssh-server)" >&2; exit 2; }
command -v cpuid >/dev/null || { echo "cpuid missing (apt-get install cpuid)" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release
[ "$HOSTS" -le 200 ] || { echo "at most 200 hosts (127.0.0.10-209)" >&2; exit 2; }

rm -rf "$WORK"; mkdir -p "$WORK/home" /run/sshd
id "$USER_NAME" >/dev/null 2>&1 || useradd -M -d "$WORK/home" -s /bin/sh "$USER_NAME"
# '*': no password, but not locked (sshd without PAM refuses locked accounts).
usermod -d "$WORK/home" -s /bin/sh -p '*' "$USER_NAME"
chown "$USER_NAME" "$WORK/home"

LAB_PATH="/usr/bin:/bin"
. "$(dirname "$0")/loopback_sshd.sh"
start_loopback_sshds

# Tools.
if [ ! -x "$VENV/bin/pip" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/python" -c 'import pssh' 2>/dev/null || "$VENV/bin/pip" install -q parallel-ssh
[ -x "$VENV/bin/ansible" ] || "$VENV/bin/pip" install -q ansible-core

# vmcompat fleet file.
{
  echo '[fleet]'
  echo "known_hosts = \"$WORK/known_hosts\""
  echo "jobs = $JOBS"
  echo 'deadline = 60'
  while read -r a; do
    printf '\n[[host]]\nname = "%s"\nssh = "%s@%s:%s"\nidentity = "%s"\n' "$a" "$USER_NAME" "$a" "$PORT" "$WORK/user_key"
  done < "$WORK/hosts.txt"
} > "$WORK/fleet.toml"

# Ansible inventory.
{
  echo '[all]'
  while read -r a; do echo "$a ansible_port=$PORT"; done < "$WORK/hosts.txt"
} > "$WORK/inventory"

cat > "$WORK/pssh_run.py" <<EOF
import sys
from pssh.clients import ParallelSSHClient
hosts = open("$WORK/hosts.txt").read().split()
client = ParallelSSHClient(hosts, user="$USER_NAME", pkey="$WORK/user_key", port=$PORT,
                           pool_size=$JOBS, num_retries=1, timeout=30)
out = client.run_command("cpuid -r")
client.join(out)
bad = 0
for o in out:
    n = sum(1 for _ in o.stdout)
    if o.exit_code != 0 or n == 0:
        bad += 1
sys.exit(1 if bad else 0)
EOF

# Measure: wall, user+sys of the process and its waited-for children.
cat > "$WORK/measure.py" <<'EOF'
import os, resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2]
t = time.monotonic()
r = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
ok = "ok" if r.returncode in (0, 1) else f"exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}"
print(f"| {label} | {wall:.2f} | {ru.ru_utime + ru.ru_stime:.2f} | {ru.ru_utime:.2f} | {ru.ru_stime:.2f} | {ok} |", flush=True)
EOF

SSHOPTS="-o BatchMode=yes -o UserKnownHostsFile=$WORK/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -i $WORK/user_key -o IdentitiesOnly=yes -p $PORT -l $USER_NAME"
declare -A CMDS
CMDS[vmcompat-libssh2]="$BIN audit $WORK/fleet.toml --format json"
CMDS[vmcompat-openssh]="$BIN audit $WORK/fleet.toml --format json --ssh-backend openssh"
CMDS[xargs-ssh-default-kex]="xargs -P $JOBS -I{} ssh $SSHOPTS {} 'cpuid -r' < $WORK/hosts.txt"
CMDS[xargs-ssh-curve25519]="xargs -P $JOBS -I{} ssh $SSHOPTS -o KexAlgorithms=curve25519-sha256 {} 'cpuid -r' < $WORK/hosts.txt"
CMDS[parallel-ssh]="$VENV/bin/python $WORK/pssh_run.py"
CMDS[ansible-raw]="ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_SSH_ARGS='-o UserKnownHostsFile=$WORK/known_hosts -o ControlMaster=auto -o ControlPersist=60s' $VENV/bin/ansible all -i $WORK/inventory -u $USER_NAME --private-key $WORK/user_key -m raw -a 'cpuid -r' -f $JOBS"
ORDER="vmcompat-libssh2 vmcompat-openssh xargs-ssh-default-kex xargs-ssh-curve25519 parallel-ssh ansible-raw"

echo "hosts=$HOSTS jobs=$JOBS rounds=$ROUNDS nproc=$(nproc) $(ssh -V 2>&1) $($BIN --version)"
echo "| tool | wall s | client CPU s | user s | sys s | result |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for t in $ORDER; do
    python3 "$WORK/measure.py" "$t" "${CMDS[$t]}"
  done
done
echo
echo "Commands:"
for t in $ORDER; do echo "- $t: \`${CMDS[$t]}\`"; done
