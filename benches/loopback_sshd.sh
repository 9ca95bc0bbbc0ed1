# Sourced by the SSH benchmarks (ssh_fleet.sh, stuck_optional_facts.sh): a user key
# and a host key, a known_hosts file for HOSTS loopback addresses from 127.0.0.10,
# and one sshd per PER_SSHD addresses on PORT, stopped when the script exits.
# Needs HOSTS, PORT, WORK and PER_SSHD set; LAB_PATH is the PATH the hosts'
# commands run with. Leaves the addresses in "$WORK/hosts.txt".

start_loopback_sshds() {
ssh-keygen -q -t ed25519 -N '' -f "$WORK/user_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
cp "$WORK/user_key.pub" "$WORK/authorized_keys"
chmod 644 "$WORK/authorized_keys"
HOSTKEY=$(cut -d' ' -f1,2 "$WORK/host_key.pub")

: > "$WORK/hosts.txt"; : > "$WORK/known_hosts"
for i in $(seq 0 $((HOSTS - 1))); do
  a="127.0.0.$((10 + i))"
  echo "$a" >> "$WORK/hosts.txt"
  echo "[$a]:$PORT $HOSTKEY" >> "$WORK/known_hosts"
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
n=0
while [ $n -lt "$HOSTS" ]; do
  cfg="$WORK/sshd_$n.conf"
  {
    echo "Port $PORT"
    sed -n "$((n + 1)),$((n + PER_SSHD))p" "$WORK/hosts.txt" | sed 's/^/ListenAddress /'
    echo "HostKey $WORK/host_key"
    echo "PidFile none"
    echo "AuthorizedKeysFile $WORK/authorized_keys"
    echo "UsePAM no"
    echo "StrictModes no"
    echo "PasswordAuthentication no"
    echo "KbdInteractiveAuthentication no"
    echo "MaxStartups 200"
    echo "LogLevel ERROR"
    echo "SetEnv PATH=$LAB_PATH"
  } > "$cfg"
  /usr/sbin/sshd -D -e -f "$cfg" 2>>"$WORK/sshd.log" &
  pids+=($!)
  n=$((n + PER_SSHD))
done
for a in $(cat "$WORK/hosts.txt"); do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/$a/$PORT") 2>/dev/null && break; sleep 0.05; done
done
}
