//! Storage and network facts of an ESXi host, from `esxcli` and `vim-cmd`
//! output gathered in one SSH round trip ([`super::script`]).

use std::collections::BTreeMap;

use super::script::{self, Part};
use super::table::{self, Row};
use crate::model::facts::{
    Datastore, FactsSource, HostFacts, Lun, Nic, PortGroup, StorageIdentity, VSwitch, VmotionPort,
};

/// (key, command) of everything read from an ESXi host.
pub const COMMANDS: [(&str, &str); 12] = [
    ("vmfs", "esxcli storage vmfs extent list"),
    ("nfs", "esxcli storage nfs list"),
    ("nfs41", "esxcli storage nfs41 list"),
    ("devices", "esxcli storage core device list"),
    ("vswitch", "esxcli network vswitch standard list"),
    (
        "portgroup",
        "esxcli network vswitch standard portgroup list",
    ),
    ("vmknic", "esxcli network ip interface list"),
    // Only used when the one above fails: its port-group column shows a
    // DVPort number, an NSX network UUID or N/A for ports not on a vSwitch.
    ("vmknic_cfg", "esxcfg-vmknic -l"),
    ("vmotion", "vim-cmd hostsvc/vmotion/netconfig_get"),
    ("nics", "esxcli network nic list"),
    // Optional (older builds or restricted shells): the vMotion port's address
    // and the ESXi release. Their failure only leaves those facts unknown.
    ("ipv4", "esxcli network ip interface ipv4 get"),
    ("version", "vmware -vl"),
];

/// The script run on the host.
pub fn script() -> String {
    script::build(&COMMANDS)
}

fn cmd(key: &str) -> &'static str {
    COMMANDS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("?", |(_, c)| *c)
}

/// Why facts could not be read: missing command, failed command, or bad output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactsError {
    /// A command is not installed.
    #[error("command missing: {0}")]
    Missing(String),
    /// The output is cut short, garbled, or a command failed.
    #[error("malformed output: {0}")]
    Malformed(String),
}

/// The text of part `key`, or why there is none.
pub fn part<'a>(
    parts: &'a BTreeMap<String, Part>,
    key: &str,
    command: &str,
) -> Result<&'a str, FactsError> {
    match parts.get(key) {
        Some(Part::Ok(t)) => Ok(t),
        Some(Part::Missing) => Err(FactsError::Missing(format!(
            "`{command}` is not installed on the host"
        ))),
        Some(Part::Failed(code, t)) => Err(FactsError::Malformed(format!(
            "`{command}` failed (exit status {code}): {}",
            crate::util::text::snippet(t, 160)
        ))),
        Some(Part::TimedOut(_)) => Err(FactsError::Malformed(format!(
            "`{command}` did not finish within {} s and was stopped",
            super::script::COMMAND_LIMIT_SECS
        ))),
        None => Err(FactsError::Malformed(format!("`{command}` did not run"))),
    }
}

fn bad(key: &str, msg: impl std::fmt::Display) -> FactsError {
    FactsError::Malformed(format!("`{}` output: {msg}", cmd(key)))
}

/// A table of part `key`; an empty output is an empty table.
fn dashed(parts: &BTreeMap<String, Part>, key: &str) -> Result<Vec<Row>, FactsError> {
    let t = part(parts, key, cmd(key))?;
    if t.trim().is_empty() {
        return Ok(Vec::new());
    }
    table::dashed(t).map_err(|m| bad(key, m))
}

fn records(parts: &BTreeMap<String, Part>, key: &str) -> Result<Vec<Row>, FactsError> {
    let t = part(parts, key, cmd(key))?;
    table::records(t).map_err(|m| bad(key, m))
}

/// A non-empty field of a row, else an error naming the command and column.
fn field<'a>(row: &'a Row, key: &str, col: &str) -> Result<&'a str, FactsError> {
    match row.get(col).map(String::as_str) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(bad(
            key,
            format!(
                "a row lacks `{col}` (row: {})",
                row.values().cloned().collect::<Vec<_>>().join(" | ")
            ),
        )),
    }
}

fn flag(v: Option<&String>) -> Option<bool> {
    match v.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

/// Parses the script's whole output into facts.
pub fn parse(output: &str) -> Result<HostFacts, FactsError> {
    let parts = script::split(output, &COMMANDS).map_err(FactsError::Malformed)?;
    from_parts(&parts)
}

/// Builds facts from the split parts.
pub fn from_parts(parts: &BTreeMap<String, Part>) -> Result<HostFacts, FactsError> {
    let mut f = HostFacts {
        source: Some(FactsSource::Esxi),
        ..HostFacts::default()
    };
    // Devices.
    for r in records(parts, "devices")? {
        let id = field(&r, "devices", "")?.to_string();
        if !r.contains_key("Display Name") && !r.contains_key("Is Local") {
            return Err(bad(
                "devices",
                format!("device {id} has no `Display Name` or `Is Local`"),
            ));
        }
        let is_local = flag(r.get("Is Local")).unwrap_or(false);
        f.luns.push(Lun {
            display_name: r.get("Display Name").cloned().filter(|s| !s.is_empty()),
            is_shared: flag(r.get("Is Shared Clusterwide")).unwrap_or(!is_local),
            is_local,
            id,
        });
    }
    // VMFS volumes: one row per extent.
    let mut vmfs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in dashed(parts, "vmfs")? {
        let name = field(&r, "vmfs", "Volume Name")?.to_string();
        let uuid = field(&r, "vmfs", "VMFS UUID")?.to_string();
        let dev = field(&r, "vmfs", "Device Name")?.to_string();
        vmfs.entry((name, uuid)).or_default().push(dev);
    }
    for ((name, uuid), devices) in vmfs {
        let is_local = devices
            .iter()
            .all(|d| f.luns.iter().any(|l| &l.id == d && l.is_local));
        f.datastores.push(Datastore {
            name,
            identity: StorageIdentity::Vmfs { uuid, devices },
            is_local,
        });
    }
    // NFS 3 (`Host`) and NFS 4.1 (`Host(s)`: the server addresses, comma-separated).
    for (key, host_col) in [("nfs", "Host"), ("nfs41", "Host(s)")] {
        for r in dashed(parts, key)? {
            f.datastores.push(Datastore {
                name: field(&r, key, "Volume Name")?.to_string(),
                identity: StorageIdentity::Nfs {
                    server: field(&r, key, host_col)?.to_string(),
                    path: field(&r, key, "Share")?.to_string(),
                },
                is_local: false,
            });
        }
    }
    // Network.
    for r in records(parts, "vswitch")? {
        let name = r.get("Name").cloned().unwrap_or_else(|| r[""].clone());
        let uplinks = r
            .get("Uplinks")
            .ok_or_else(|| bad("vswitch", format!("switch {name} has no `Uplinks` line")))?;
        f.vswitches.push(VSwitch {
            name,
            uplinks: uplinks
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    for r in dashed(parts, "portgroup")? {
        f.port_groups.push(PortGroup {
            // Labels are compared exactly: keep the label untrimmed where the
            // table allows (cells are trimmed; trailing spaces survive only in
            // declared facts).
            label: field(&r, "portgroup", "Name")?.to_string(),
            vswitch: Some(field(&r, "portgroup", "Virtual Switch")?.to_string()),
            vlan: r.get("VLAN ID").and_then(|v| v.parse().ok()),
        });
    }
    for r in dashed(parts, "nics")? {
        let name = field(&r, "nics", "Name")?.to_string();
        let speed = r.get("Speed").map(|s| s.trim_end_matches("Mbps").trim());
        let speed_mbps = match speed {
            None | Some("") | Some("N/A") => None,
            Some(s) => Some(
                s.parse::<u32>()
                    .map_err(|_| bad("nics", format!("speed {s:?} of {name} is not a number")))?,
            ),
        };
        f.nics.push(Nic {
            name,
            speed_mbps,
            link_up: r.get("Link Status").map(|s| s.eq_ignore_ascii_case("up")),
        });
    }
    // A VMkernel port on the vMotion TCP/IP stack carries vMotion without the
    // tag `netconfig_get` reports, so it counts when none is selected.
    let selected = match vmotion_vnic(part(parts, "vmotion", cmd("vmotion"))?)? {
        Some(v) => Some(v),
        None => records(parts, "vmknic").ok().and_then(|rows| {
            rows.iter()
                .find(|r| {
                    r.get("Netstack Instance").is_some_and(|n| n == "vmotion")
                        && flag(r.get("Enabled")) != Some(false)
                })
                .and_then(|r| r.get("Name").or(r.get("")).cloned())
        }),
    };
    // vmk -> the standard vSwitch it lives on (None: a distributed switch).
    let mut mtu = None;
    let mut netstack = None;
    let portset: Option<String> = match (&selected, records(parts, "vmknic")) {
        (None, _) => None,
        (Some(vmk), Ok(rows)) => {
            let row = rows
                .iter()
                .find(|r| r.get("Name").or(r.get("")).is_some_and(|n| n == vmk));
            mtu = row
                .and_then(|r| r.get("MTU"))
                .and_then(|m| m.trim().parse().ok());
            netstack = row
                .and_then(|r| r.get("Netstack Instance"))
                .filter(|n| !n.is_empty())
                .cloned();
            row.and_then(|r| r.get("Portset")).cloned()
        }
        (Some(vmk), Err(e)) => {
            let text = part(parts, "vmknic_cfg", cmd("vmknic_cfg")).map_err(|_| e)?;
            let col = "Port Group/DVPort/Opaque Network";
            let rows = table::by_header(text, &["Interface", col, "IP Family"])
                .map_err(|m| bad("vmknic_cfg", m))?;
            rows.iter()
                .find(|r| r.get("Interface") == Some(vmk))
                .and_then(|r| r.get(col))
                .and_then(|pg| f.port_groups.iter().find(|p| &p.label == pg))
                .and_then(|p| p.vswitch.clone())
        }
    };
    let speed_mbps = portset
        .and_then(|ps| f.vswitches.iter().find(|v| v.name == ps))
        .and_then(|sw| uplink_speed(&sw.uplinks, &f.nics));
    let (ipv4, prefix_len, gateway) = selected
        .as_deref()
        .map_or((None, None, None), |vmk| vmk_ipv4(parts, vmk));
    f.vmotion = selected.map(|vmk| VmotionPort {
        vmk,
        speed_mbps,
        mtu,
        netstack,
        ipv4,
        prefix_len,
        gateway,
    });
    f.esxi_version = match parts.get("version") {
        Some(Part::Ok(t)) => crate::model::esxi_version::parse_vmware_vl(t).ok(),
        _ => None,
    };
    Ok(f)
}

/// Address, prefix length and gateway of `vmk` from `esxcli network ip
/// interface ipv4 get` (a dashed table: Name, IPv4 Address, IPv4 Netmask, ...,
/// Gateway); all `None` when the command failed or the row is absent.
fn vmk_ipv4(
    parts: &BTreeMap<String, Part>,
    vmk: &str,
) -> (
    Option<std::net::Ipv4Addr>,
    Option<u8>,
    Option<std::net::Ipv4Addr>,
) {
    let Some(Part::Ok(t)) = parts.get("ipv4") else {
        return (None, None, None);
    };
    let Ok(rows) = table::dashed(t) else {
        return (None, None, None);
    };
    let Some(r) = rows
        .iter()
        .find(|r| r.get("Name").is_some_and(|n| n == vmk))
    else {
        return (None, None, None);
    };
    let ip = |col: &str| {
        r.get(col)
            .and_then(|v| v.trim().parse::<std::net::Ipv4Addr>().ok())
    };
    let prefix = ip("IPv4 Netmask").and_then(|m| {
        let bits = u32::from(m);
        // A netmask is ones then zeros.
        (bits.leading_ones() + bits.trailing_zeros() == 32).then(|| bits.leading_ones() as u8)
    });
    let gw = ip("Gateway").filter(|g| !g.is_unspecified());
    (ip("IPv4 Address"), prefix, gw)
}

/// The fastest linked-up uplink's speed (else the fastest of all).
fn uplink_speed(uplinks: &[String], nics: &[Nic]) -> Option<u32> {
    let of: Vec<&Nic> = nics.iter().filter(|n| uplinks.contains(&n.name)).collect();
    of.iter()
        .filter(|n| n.link_up == Some(true))
        .filter_map(|n| n.speed_mbps)
        .max()
        .or_else(|| of.iter().filter_map(|n| n.speed_mbps).max())
}

/// The vMotion VMkernel port from `vim-cmd hostsvc/vmotion/netconfig_get`:
/// `selectedVnic = 'vim.host.VirtualNic:VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk1'`,
/// or `<unset>` when none is enabled.
pub fn vmotion_vnic(text: &str) -> Result<Option<String>, FactsError> {
    if !text.contains("NetConfig") && !text.contains("selectedVnic") {
        return Err(bad(
            "vmotion",
            format!(
                "no vMotion NetConfig found in {:?}",
                crate::util::text::snippet(text, 80)
            ),
        ));
    }
    let Some(line) = text
        .lines()
        .find(|l| l.trim_start().starts_with("selectedVnic"))
    else {
        // Some builds omit unset members.
        return Ok(None);
    };
    if line.contains("<unset>") || line.contains("null") {
        return Ok(None);
    }
    let vmk = line.split(|c: char| !c.is_ascii_alphanumeric()).rfind(|w| {
        w.len() > 3 && w.starts_with("vmk") && w[3..].bytes().all(|b| b.is_ascii_digit())
    });
    match vmk {
        Some(v) => Ok(Some(v.to_string())),
        None => Err(bad("vmotion", format!("no vmkN in {:?}", line.trim()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixture text modeled on real `esxcli` output (widths follow the data).
    pub(crate) fn sample() -> String {
        let parts = [
            ("vmfs", " Volume Name  VMFS UUID                            Extent Number  Device Name                           Partition\n -----------  -----------------------------------  -------------  ------------------------------------  ---------\n SAN LUN (1)  53d6343f-65f9ea4e-602b-508789ad4756              0  naa.600605b008de55301b682f19bee11ef3          1\n local-ds     53d58476-2724a720-198f-508789ad4756              0  mpx.vmhba0:C0:T0:L0                           3\n", 0),
            ("nfs", "Volume Name  Host      Share           Accessible  Mounted  Read-Only   isPE  Hardware Acceleration\n-----------  --------  --------------  ----------  -------  ---------  -----  ---------------------\nISO store    10.0.0.5  /export/iso           true     true      false  false  Not Supported\n", 0),
            ("nfs41", "Volume Name  Host(s)              Share        Accessible  Mounted  Read-Only  Security   isPE  Hardware Acceleration\n-----------  -------------------  -----------  ----------  -------  ---------  --------  -----  ---------------------\nbackup41     10.0.0.7,10.0.0.8    /backup            true     true      false  AUTH_SYS  false  Not Supported\n", 0),
            ("devices", "naa.600605b008de55301b682f19bee11ef3\n   Display Name: DGC Fibre Channel Disk (naa.600605b008de55301b682f19bee11ef3)\n   Is Local: false\n   Is Shared Clusterwide: true\n\nmpx.vmhba0:C0:T0:L0\n   Display Name: Local Disk (mpx.vmhba0:C0:T0:L0)\n   Is Local: true\n   Is Shared Clusterwide: false\n", 0),
            ("vswitch", "vSwitch0\n   Name: vSwitch0\n   Uplinks: vmnic0\n   Portgroups: VM Network, Management Network (1)\n\nvSwitch1\n   Name: vSwitch1\n   Uplinks: vmnic1\n   Portgroups: vMotion\n\nvSwitchInternal\n   Name: vSwitchInternal\n   Beacon Required By: \n   Uplinks: \n   Portgroups: Lab only\n", 0),
            ("portgroup", "Name                    Virtual Switch   Active Clients  VLAN ID\n----------------------  ---------------  --------------  -------\nManagement Network (1)  vSwitch0                      1       28\nVM Network              vSwitch0                      1        0\nvMotion                 vSwitch1                      1       23\nLab only                vSwitchInternal               0        0\n", 0),
            ("vmknic", "vmk0\n   Name: vmk0\n   Enabled: true\n   Portset: vSwitch0\n   Portgroup: Management Network (1)\n\nvmk1\n   Name: vmk1\n   Enabled: true\n   Portset: vSwitch1\n   Portgroup: vMotion\n   Netstack Instance: vmotion\n   MTU: 9000\n\n vmk2\n Name: vmk2\n Portset: DvsPortset-0\n Portgroup: N/A\n VDS Port: 16\n", 0),
            ("vmotion", "(vim.host.VMotionSystem.NetConfig) {\n   candidateVnic = (vim.host.VirtualNic) [\n   ],\n   selectedVnic = 'vim.host.VirtualNic:VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk1'\n}\n", 0),
            ("nics", "Name    PCI Device    Driver  Admin Status  Link Status  Speed  Duplex  MAC Address         MTU  Description\n------  ------------  ------  ------------  -----------  -----  ------  -----------------  ----  -----------\nvmnic0  0000:03:00.0  ixgben  Up            Up           10000  Full    a4:bf:01:4e:37:14  1500  Intel(R) Ethernet Controller X540-AT2\nvmnic1  0000:03:00.1  igbn    Up            Up             100  Half    a4:bf:01:4e:37:15  1500  Intel(R) I350 Gigabit Network Connection\n", 0),
        ];
        let mut out: String = parts
            .iter()
            .map(|(k, t, s)| format!("@@vmcompat-begin {k}\n{t}@@vmcompat-end {k} {s}\n"))
            .collect();
        if !out.contains("begin ipv4") {
            out.push_str("@@vmcompat-begin ipv4\nName  IPv4 Address   IPv4 Netmask   IPv4 Broadcast  Address Type  Gateway      DHCP DNS\n----  -------------  -------------  --------------  ------------  -----------  --------\nvmk0  93.115.27.203  255.255.255.0  93.115.27.255   STATIC        93.115.27.1     false\nvmk1  10.0.50.11     255.255.255.0  10.0.50.255     STATIC        10.0.50.1       false\n@@vmcompat-end ipv4 0\n");
        }
        if !out.contains("begin version") {
            out.push_str("@@vmcompat-begin version\nVMware ESXi 7.0.3 build-21424296\nVMware ESXi 7.0 Update 3\n@@vmcompat-end version 0\n");
        }
        if !out.contains("vmknic_cfg") {
            out.push_str("@@vmcompat-begin vmknic_cfg\n@@vmcompat-end vmknic_cfg missing\n");
        }
        out
    }

    #[test]
    fn parses_a_realistic_host() {
        let f = parse(&sample()).unwrap();
        assert_eq!(f.luns.len(), 2);
        assert!(f.luns[1].is_local);
        let ds: Vec<(&str, bool)> = f
            .datastores
            .iter()
            .map(|d| (d.name.as_str(), d.is_local))
            .collect();
        assert_eq!(
            ds,
            vec![
                ("SAN LUN (1)", false),
                ("local-ds", true),
                ("ISO store", false),
                ("backup41", false)
            ]
        );
        assert_eq!(
            f.datastores[3].identity,
            StorageIdentity::Nfs {
                server: "10.0.0.7,10.0.0.8".into(),
                path: "/backup".into()
            }
        );
        assert_eq!(
            f.datastores[2].identity,
            StorageIdentity::Nfs {
                server: "10.0.0.5".into(),
                path: "/export/iso".into()
            }
        );
        let labels: Vec<&str> = f.port_groups.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Management Network (1)",
                "VM Network",
                "vMotion",
                "Lab only"
            ]
        );
        assert_eq!(f.port_groups[0].vlan, Some(28));
        assert!(f.is_internal_port_group("Lab only"));
        assert!(!f.is_internal_port_group("vMotion"));
        assert_eq!(
            f.vmotion,
            Some(VmotionPort {
                vmk: "vmk1".into(),
                speed_mbps: Some(100),
                mtu: Some(9000),
                netstack: Some("vmotion".into()),
                ipv4: Some(std::net::Ipv4Addr::new(10, 0, 50, 11)),
                prefix_len: Some(24),
                gateway: Some(std::net::Ipv4Addr::new(10, 0, 50, 1)),
            })
        );
        assert_eq!(f.nics[0].speed_mbps, Some(10000));
        let v = f.esxi_version.expect("vmware -vl read");
        assert_eq!((v.major, v.minor, v.update), (7, 0, 3));
        // Both optional parts may fail without losing the other facts.
        let s = sample()
            .replace("@@vmcompat-end ipv4 0", "@@vmcompat-end ipv4 1")
            .replace("@@vmcompat-end version 0", "@@vmcompat-end version missing");
        let f = parse(&s).expect("still parses");
        assert_eq!(f.esxi_version, None);
        assert_eq!(f.vmotion.as_ref().and_then(|v| v.ipv4), None);
        assert_eq!(f.vmotion.and_then(|v| v.mtu), Some(9000));
        // No vMotion tag selected, but vmk1 is on the vMotion TCP/IP stack: it is
        // the vMotion port.
        let s = sample().replace(
            "'vim.host.VirtualNic:VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk1'",
            "<unset>",
        );
        let f = parse(&s).expect("parses");
        assert_eq!(
            f.vmotion.map(|v| (v.vmk, v.netstack)),
            Some(("vmk1".to_string(), Some("vmotion".to_string())))
        );
    }

    #[test]
    fn vmotion_on_a_distributed_switch_has_no_known_speed() {
        let s = sample().replace("VirtualNic-vmk1'", "VirtualNic-vmk2'");
        let f = parse(&s).unwrap();
        assert_eq!(
            f.vmotion,
            Some(VmotionPort {
                vmk: "vmk2".into(),
                speed_mbps: None,
                ..VmotionPort::default()
            })
        );
    }

    #[test]
    fn esxcfg_vmknic_when_esxcli_ip_interface_list_fails() {
        let cfg = "Interface  Port Group/DVPort/Opaque Network        IP Family IP Address       Enabled\n\
                   vmk0       Management Network (1)                  IPv4      172.31.0.82      true\n\
                   vmk1       vMotion                                 IPv4      10.9.0.1         true\n\
                   vmk2       16                                      IPv4      15.1.1.1         true\n";
        let s = sample().replace(
            "@@vmcompat-end vmknic 0",
            "Error: hostd not reachable\n@@vmcompat-end vmknic 1",
        ) + &format!("@@vmcompat-begin vmknic_cfg\n{cfg}@@vmcompat-end vmknic_cfg 0\n");
        let f = parse(&s).unwrap();
        assert_eq!(f.vmotion.and_then(|v| v.speed_mbps), Some(100));
        let s2 = s.replace("VirtualNic-vmk1'", "VirtualNic-vmk2'");
        let f = parse(&s2).unwrap();
        assert_eq!(
            f.vmotion.map(|v| (v.vmk, v.speed_mbps)),
            Some(("vmk2".into(), None))
        );
        // Both failing: the esxcli error is reported.
        let s3 = s.replace(
            "@@vmcompat-end vmknic_cfg 0",
            "@@vmcompat-end vmknic_cfg missing",
        );
        assert!(parse(&s3)
            .unwrap_err()
            .to_string()
            .contains("esxcli network ip interface list"));
    }

    #[test]
    fn no_vmotion_port_and_missing_commands() {
        assert_eq!(
            vmotion_vnic("(vim.host.VMotionSystem.NetConfig) {\n   selectedVnic = <unset>\n}\n"),
            Ok(None)
        );
        assert!(vmotion_vnic("Segmentation fault\n").is_err());
        let s = sample().replace("@@vmcompat-end nics 0", "@@vmcompat-end nics missing");
        let e = parse(&s).unwrap_err();
        assert!(e.to_string().contains("esxcli network nic list"), "{e}");
    }

    #[test]
    fn truncated_and_garbled_outputs_are_errors() {
        let s = sample();
        for cut in [s.len() / 3, s.len() / 2, s.len() - 30] {
            let mut c = cut;
            while !s.is_char_boundary(c) {
                c -= 1;
            }
            let e = parse(&s[..c]).unwrap_err();
            assert!(e.to_string().contains("cut short"), "{e}");
        }
        let g = s.replace(
            "vMotion                 vSwitch1                      1       23",
            "vMotion xx",
        );
        let e = parse(&g).unwrap_err().to_string();
        assert!(e.contains("portgroup list"), "{e}");
        let g = s.replace("   Uplinks: vmnic1\n", "");
        assert!(parse(&g).unwrap_err().to_string().contains("Uplinks"));
        let g = s.replace("10000  Full", "fast!  Full");
        assert!(parse(&g).is_err());
        assert!(parse("").is_err());
        assert!(parse("\u{0}\u{1}garbage").is_err());
    }
}
