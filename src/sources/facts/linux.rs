//! Storage and network facts of a Linux/KVM host: SAN LUNs by WWN (`lsblk`,
//! else /dev/disk/by-id/wwn-*), shared file systems (NFS, Ceph, GlusterFS from
//! /proc/mounts), and Linux bridges, Open vSwitch bridges and libvirt networks
//! as the port groups. One SSH round trip ([`super::script`]).

use std::collections::BTreeMap;

use super::esxi::{part, FactsError};
use super::script::{self, Part};
use crate::model::facts::{
    Datastore, FactsSource, HostFacts, Lun, PortGroup, StorageIdentity, VSwitch,
};

/// (key, command) of everything read from a Linux host (`!`: shell code).
pub const COMMANDS: [(&str, &str); 8] = [
    ("lsblk", "lsblk -n -P -o NAME,WWN,TYPE,TRAN"),
    (
        "byid",
        "!for f in /dev/disk/by-id/wwn-*; do [ -e \"$f\" ] && echo \"${f##*/}\"; done; true",
    ),
    ("mounts", "cat /proc/mounts"),
    (
        "bridges",
        "!for b in /sys/class/net/*/bridge; do [ -d \"$b\" ] || continue; d=${b%/bridge}; printf '%s' \"${d##*/}\"; for i in $d/brif/*; do [ -e \"$i\" ] && printf ' %s' \"${i##*/}\"; done; echo; done; true",
    ),
    ("ovs", "ovs-vsctl --timeout=4 list-br"),
    (
        "virsh",
        "!command -v virsh >/dev/null 2>&1 || { echo '@@missing'; exit 0; }; \
         for s in /run/libvirt/libvirt-sock /run/libvirt/virtqemud-sock /run/libvirt/virtnetworkd-sock \
         /var/run/libvirt/libvirt-sock \"${XDG_RUNTIME_DIR:-/nonexistent}/libvirt/libvirt-sock\"; \
         do [ -S \"$s\" ] && exec virsh net-list --name; done; exit 125",
    ),
    // The QEMU and libvirt releases: which CPU models and feature names the
    // KVM-side settings may use (`--qemu-version`, `--libvirt-version`).
    (
        "qemu",
        "!command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo '@@missing'; exit 0; }; \
         qemu-system-x86_64 --version",
    ),
    // The daemon's own `--version` (virtqemud, else libvirtd): it answers without
    // a connection, where `virsh` may wait for one.
    (
        "libvirt",
        "!for d in virtqemud libvirtd; do command -v $d >/dev/null 2>&1 && exec $d --version; done; \
         echo '@@missing'",
    ),
];

/// `major.minor` of the first release number in a tool's `--version` text
/// (`QEMU emulator version 7.2.22 (Debian ...)` -> `7.2`, `9.0.0` -> `9.0`).
pub fn release_of(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .find_map(|w| {
            let mut it = w.split('.');
            let major: u32 = it.next()?.parse().ok()?;
            let minor: u32 = it.next()?.parse().ok()?;
            Some(format!("{major}.{minor}"))
        })
}

/// The script run on the host.
pub fn script() -> String {
    script::build(&COMMANDS)
}

/// Parses the script's whole output into facts.
pub fn parse(output: &str) -> Result<HostFacts, FactsError> {
    let parts = script::split(output, &COMMANDS).map_err(FactsError::Malformed)?;
    from_parts(&parts)
}

/// An optional part (Open vSwitch bridges, libvirt networks): absent, hung or
/// failed, it is noted in `not_read` and counts as empty; the other facts stand.
fn optional<'a>(
    parts: &'a BTreeMap<String, Part>,
    key: &str,
    cmd: &str,
    not_read: &mut Vec<String>,
) -> &'a str {
    let why = match parts.get(key) {
        Some(Part::Ok(t)) => return t,
        Some(Part::Missing) => return "",
        Some(Part::TimedOut(_)) => format!(
            "no answer within {} s (stopped)",
            super::script::COMMAND_LIMIT_SECS
        ),
        Some(Part::Failed(NO_DAEMON, _)) => {
            "no libvirt daemon socket (/run/libvirt/*-sock): no daemon runs".to_string()
        }
        Some(Part::Failed(code, t)) => {
            format!("exit status {code}: {}", crate::util::text::snippet(t, 120))
        }
        None => "did not run".to_string(),
    };
    not_read.push(format!("`{cmd}` not read: {why}"));
    ""
}

/// The exit status the `virsh` part gives when no libvirt daemon listens (then
/// `virsh` would wait instead of answering).
const NO_DAEMON: i32 = 125;

/// A WWN as ESXi names the same LUN (`0x6...` -> `naa.6...`), lower case.
pub fn normalize_wwn(w: &str) -> String {
    let w = w.trim().to_ascii_lowercase();
    match w.strip_prefix("0x") {
        Some(hex) => format!("naa.{hex}"),
        None => w,
    }
}

/// `KEY="value"` pairs of one `lsblk -P` line.
fn pairs(line: &str) -> Option<BTreeMap<&str, &str>> {
    let mut out = BTreeMap::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (k, after) = rest.split_once("=\"")?;
        let (v, tail) = after.split_once('"')?;
        out.insert(k.trim(), v);
        rest = tail.trim_start();
    }
    Some(out)
}

/// Un-escapes /proc/mounts octal escapes (`\040` is a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .map(|d| d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0')))
            .and_then(|v| u8::try_from(v).ok());
        if let Some(byte) = octal {
            out.push(byte);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds facts from the split parts.
pub fn from_parts(parts: &BTreeMap<String, Part>) -> Result<HostFacts, FactsError> {
    let mut f = HostFacts {
        source: Some(FactsSource::Linux),
        ..HostFacts::default()
    };
    let lsblk = match parts.get("lsblk") {
        Some(Part::Missing) => "",
        _ => part(parts, "lsblk", "lsblk")?,
    };
    for (n, line) in lsblk
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let p = pairs(line)
            .filter(|p| p.contains_key("NAME") && p.contains_key("TYPE"))
            .ok_or_else(|| {
                FactsError::Malformed(format!(
                    "`lsblk -P` output line {}: {:?} is not NAME=\"..\" TYPE=\"..\" pairs",
                    n + 1,
                    crate::util::text::snippet(line, 80)
                ))
            })?;
        let wwn = p.get("WWN").copied().unwrap_or("");
        let ty = p.get("TYPE").copied().unwrap_or("");
        if wwn.is_empty() || !(ty == "disk" || ty == "mpath") {
            continue;
        }
        let id = normalize_wwn(wwn);
        if f.luns.iter().any(|l| l.id == id) {
            continue;
        }
        let tran = p.get("TRAN").copied().unwrap_or("");
        // SAN transports (and multipath maps) are shared; SATA, NVMe, USB disks local.
        let shared = ty == "mpath" || matches!(tran, "fc" | "iscsi" | "fcoe" | "srp" | "ib");
        f.luns.push(Lun {
            id,
            display_name: p.get("NAME").map(|s| s.to_string()),
            is_local: !shared,
            is_shared: shared,
        });
    }
    if matches!(parts.get("lsblk"), Some(Part::Missing)) {
        // No lsblk: WWN links (transport unknown: counted as shared).
        for w in part(parts, "byid", "ls /dev/disk/by-id")?.lines() {
            let Some(hex) = w.trim().strip_prefix("wwn-") else {
                continue;
            };
            let id = normalize_wwn(hex.split("-part").next().unwrap_or(hex));
            if !f.luns.iter().any(|l| l.id == id) {
                f.luns.push(Lun {
                    id,
                    display_name: None,
                    is_local: false,
                    is_shared: true,
                });
            }
        }
    }
    let mounts = part(parts, "mounts", "cat /proc/mounts")?;
    if mounts.trim().is_empty() {
        return Err(FactsError::Malformed(
            "`cat /proc/mounts` printed nothing".into(),
        ));
    }
    for (n, line) in mounts
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 3 {
            return Err(FactsError::Malformed(format!(
                "`cat /proc/mounts` line {}: {:?} is not `source mountpoint type ...`",
                n + 1,
                crate::util::text::snippet(line, 80)
            )));
        }
        let (source, point, fstype) = (unescape(w[0]), unescape(w[1]), w[2]);
        let identity = match fstype {
            "nfs" | "nfs4" => {
                let (server, path) = source
                    .rsplit_once(":/")
                    .map_or((source.as_str(), "".to_string()), |(s, p)| {
                        (s, format!("/{p}"))
                    });
                StorageIdentity::Nfs {
                    server: server.trim_matches(['[', ']']).to_string(),
                    path,
                }
            }
            "ceph" | "glusterfs" | "fuse.glusterfs" | "fuse.ceph-fuse" | "cifs" | "ocfs2"
            | "gfs2" => StorageIdentity::Other {
                fstype: fstype.to_string(),
                source: source.clone(),
            },
            _ => continue,
        };
        f.datastores.push(Datastore {
            name: point,
            identity,
            is_local: false,
        });
    }
    for line in part(parts, "bridges", "ls /sys/class/net/*/bridge")?.lines() {
        let mut w = line.split_whitespace();
        let Some(name) = w.next() else { continue };
        let uplinks = w
            .filter(|i| !(i.starts_with("vnet") || i.starts_with("tap") || i.ends_with("-nic")))
            .map(str::to_string)
            .collect();
        f.vswitches.push(VSwitch {
            name: name.to_string(),
            uplinks,
        });
        f.port_groups.push(PortGroup {
            label: name.to_string(),
            vswitch: Some(name.to_string()),
            vlan: None,
        });
    }
    let mut not_read = Vec::new();
    for (key, cmd) in [
        ("ovs", "ovs-vsctl list-br"),
        ("virsh", "virsh net-list --name"),
    ] {
        let text = optional(parts, key, cmd, &mut not_read);
        if text.trim() == "@@missing" {
            continue;
        }
        for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if name.contains(char::is_whitespace) || name.contains(':') {
                return Err(FactsError::Malformed(format!(
                    "`{cmd}` output: {name:?} is not a network name"
                )));
            }
            if !f.port_groups.iter().any(|p| p.label == name) {
                f.port_groups.push(PortGroup {
                    label: name.to_string(),
                    vswitch: None,
                    vlan: None,
                });
            }
        }
    }
    f.not_read = not_read;
    // Optional and silent: a host without QEMU or libvirt is not a finding here.
    let version = |key: &str| match parts.get(key) {
        Some(Part::Ok(t)) => release_of(t),
        _ => None,
    };
    f.qemu_version = version("qemu");
    f.libvirt_version = version("libvirt");
    Ok(f)
}

#[cfg(test)]
mod release_tests {
    #[test]
    fn release_numbers_of_qemu_and_virsh() {
        assert_eq!(
            super::release_of(
                "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright"
            ),
            Some("7.2".into())
        );
        assert_eq!(super::release_of("9.0.0\n"), Some("9.0".into()));
        assert_eq!(super::release_of("no version here"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(parts: &[(&str, &str, &str)]) -> String {
        parts
            .iter()
            .map(|(k, t, s)| format!("@@vmcompat-begin {k}\n{t}@@vmcompat-end {k} {s}\n"))
            .collect()
    }

    #[test]
    fn parses_a_kvm_host() {
        let o = out(&[
            ("lsblk", "NAME=\"sda\" WWN=\"0x5000c500a1b2c3d4\" TYPE=\"disk\" TRAN=\"sata\"\nNAME=\"sdb\" WWN=\"0x600A0B80005AD3E2000002C34F3E8B2D\" TYPE=\"disk\" TRAN=\"fc\"\nNAME=\"sdc\" WWN=\"0x600a0b80005ad3e2000002c34f3e8b2d\" TYPE=\"disk\" TRAN=\"fc\"\nNAME=\"sr0\" WWN=\"\" TYPE=\"rom\" TRAN=\"sata\"\n", "0"),
            ("byid", "", "0"),
            ("mounts", "/dev/sda1 / ext4 rw 0 0\nfiler:/vol/vm\\040images /var/lib/libvirt/images nfs4 rw 0 0\n10.0.0.1,10.0.0.2:/ /mnt/ceph ceph rw 0 0\n", "0"),
            ("bridges", "br0 eno1 vnet0\nbr-int\n", "0"),
            ("ovs", "", "missing"),
            ("virsh", "default\nproduction\n", "0"),
            ("qemu", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n", "0"),
            ("libvirt", "virtqemud (libvirt) 9.0.0\n", "0"),
        ]);
        let f = parse(&o).unwrap();
        assert_eq!(f.qemu_version.as_deref(), Some("7.2"));
        assert_eq!(f.libvirt_version.as_deref(), Some("9.0"));
        assert_eq!(f.luns.len(), 2);
        assert!(f.luns[0].is_local);
        assert_eq!(f.luns[1].id, "naa.600a0b80005ad3e2000002c34f3e8b2d");
        assert!(f.luns[1].is_shared);
        assert_eq!(
            f.datastores[0].identity,
            StorageIdentity::Nfs {
                server: "filer".into(),
                path: "/vol/vm images".into()
            }
        );
        assert_eq!(f.datastores.len(), 2);
        let labels: Vec<&str> = f.port_groups.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["br0", "br-int", "default", "production"]);
        assert_eq!(unescape("a\\040b\\777c\\04"), "a b\\777c\\04");
        assert!(f.is_internal_port_group("br-int"));
        assert!(!f.is_internal_port_group("br0"));
    }

    #[test]
    fn garbled_and_truncated() {
        let good = out(&[
            ("lsblk", "", "missing"),
            (
                "byid",
                "wwn-0x600a0b80005ad3e2\nwwn-0x600a0b80005ad3e2-part1\n",
                "0",
            ),
            ("mounts", "/dev/sda1 / ext4 rw 0 0\n", "0"),
            ("bridges", "", "0"),
            ("ovs", "", "missing"),
            ("virsh", "", "missing"),
            ("qemu", "", "missing"),
            ("libvirt", "", "missing"),
        ]);
        let f = parse(&good).unwrap();
        assert_eq!(f.qemu_version, None);
        assert_eq!(f.luns.len(), 1);
        assert!(parse(&good[..good.len() / 2])
            .unwrap_err()
            .to_string()
            .contains("cut short"));
        let bad = good.replace("/dev/sda1 / ext4 rw 0 0", "%%%");
        assert!(parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("/proc/mounts"));
        let bad = good.replace(
            "@@vmcompat-end lsblk missing",
            "NAME=sda garbage\n@@vmcompat-end lsblk 0",
        );
        assert!(parse(&bad).unwrap_err().to_string().contains("lsblk"));
    }
}
