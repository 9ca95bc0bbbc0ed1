//! The non-CPU requirements of live migration, per cluster: shared storage
//! (by identity: device, VMFS UUID, NFS export, not display name), port-group
//! labels (case-sensitive, exact), and a vMotion VMkernel port on a fast enough
//! link. Pure: built from [`HostFacts`] only, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::finding::Severity;
pub use super::finding::{Finding, FindingKind};
use crate::model::facts::{FactsHost, FactsSource, HostFacts, StorageIdentity};

/// A check that could not be made because the sources do not describe the
/// fact (never a failure or a pass), and how to declare it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    /// The cluster (None: hosts without a cluster).
    pub cluster: Option<String>,
    /// What was not checked (`vMotion port`, `vMotion MTU`).
    pub subject: String,
    /// The hosts it was not checked for.
    pub hosts: Vec<String>,
    /// Why.
    pub message: String,
    /// How to make it checkable.
    pub action: String,
}

/// The storage/network part of the audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageNetworkReport {
    /// Which checks ran: `storage`, `network` or both.
    pub checks: Vec<String>,
    /// Hosts whose facts were checked.
    pub hosts_checked: Vec<String>,
    /// Hosts skipped because no facts are known for them (none declared, not
    /// read over SSH); left empty when no host has facts (see `hosts_total`).
    /// Hosts whose facts could not be read are `facts-unavailable` findings instead.
    pub skipped: Vec<String>,
    /// Hosts in the fleet.
    pub hosts_total: usize,
    /// The findings, errors first.
    #[serde(serialize_with = "super::finding::as_fleet")]
    pub findings: Vec<Finding>,
    /// Checks not made for some hosts (their sources do not say).
    pub not_checked: Vec<NotChecked>,
}

impl StorageNetworkReport {
    /// Number of error findings.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// Number of warning findings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// True when no host had any facts: the checks did not run.
    pub fn not_run(&self) -> bool {
        self.hosts_checked.is_empty()
    }
}

/// Below this vMotion link speed (Mb/s) a warning is given (vSphere asks for gigabit).
pub const MIN_VMOTION_MBPS: u32 = 1000;

/// Runs the storage checks (`storage`), the network checks (`network`), or both.
pub fn check(hosts: &[FactsHost], storage: bool, network: bool) -> StorageNetworkReport {
    let mut r = StorageNetworkReport::default();
    if storage {
        r.checks.push("storage".into());
    }
    if network {
        r.checks.push("network".into());
    }
    r.hosts_total = hosts.len();
    let mut clusters: BTreeMap<Option<&str>, Vec<(&str, &HostFacts)>> = BTreeMap::new();
    let mut without: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for h in hosts {
        if h.facts.is_none() {
            without
                .entry(h.cluster.as_deref())
                .or_default()
                .push(h.name.as_str());
        }
        match (&h.facts, &h.error) {
            (Some(f), _) => {
                r.hosts_checked.push(h.name.clone());
                for what in &f.not_read {
                    r.findings.push(facts_unavailable(
                        h,
                        format!("on {}, {what}; its other facts were checked", h.name),
                        "start the service or fix the command on the host, or declare \
                         the host's port_groups in the fleet file",
                    ));
                }
                clusters
                    .entry(h.cluster.as_deref())
                    .or_default()
                    .push((h.name.as_str(), f));
            }
            (None, Some(e)) => {
                r.findings.push(facts_unavailable(
                    h,
                    format!("storage/network facts of {} could not be read: {e}", h.name),
                    "fix the cause above, or declare the host's facts in the fleet file \
                     (luns, datastores, port_groups, vmotion)",
                ));
            }
            (None, None) => r.skipped.push(h.name.clone()),
        }
    }
    if r.hosts_checked.is_empty() {
        r.skipped.clear();
    }
    for (cluster, members) in &clusters {
        let cluster = cluster.map(str::to_string);
        // A declared host describes only the kinds of facts it lists: the
        // others are not compared (unknown, not absent).
        let describing = |kind: &str, has: fn(&HostFacts) -> bool, r: &mut StorageNetworkReport| {
            let (yes, no): (Vec<(&str, &HostFacts)>, Vec<_>) = members
                .iter()
                .copied()
                .partition(|(_, f)| f.source != Some(FactsSource::Declared) || has(f));
            if !yes.is_empty() && !no.is_empty() {
                let hosts: Vec<String> = no.iter().map(|(h, _)| h.to_string()).collect();
                r.not_checked.push(NotChecked {
                    cluster: cluster.clone(),
                    subject: kind.to_string(),
                    hosts: hosts.clone(),
                    message: format!(
                        "the {kind} of {} are not known (its declared facts list none), so they were not compared",
                        hosts.join(", ")
                    ),
                    action: format!("declare them in the fleet file ({}) or read the host over SSH", match kind {
                        "LUNs" => "luns = [...]",
                        "datastores" => "datastores = [...], nfs = [...]",
                        _ => "port_groups = [...]",
                    }),
                });
            }
            yes
        };
        if storage {
            let m = describing("LUNs", |f| !f.luns.is_empty(), &mut r);
            check_luns(&cluster, &m, &mut r.findings);
            let m = describing("datastores", |f| !f.datastores.is_empty(), &mut r);
            check_datastores(&cluster, &m, &mut r.findings);
        }
        if network {
            let m = describing("port groups", |f| !f.port_groups.is_empty(), &mut r);
            check_port_groups(&cluster, &m, &mut r.findings);
            let no_facts = without
                .get(&cluster.as_deref())
                .map_or(&[][..], Vec::as_slice);
            check_vmotion(&cluster, members, no_facts, &mut r);
        }
    }
    r.findings
        .sort_by(|a, b| (a.severity, &a.cluster, a.kind).cmp(&(b.severity, &b.cluster, b.kind)));
    r
}

/// A warning that (some of) one host's facts could not be read.
fn facts_unavailable(h: &FactsHost, message: String, action: &str) -> Finding {
    Finding {
        severity: Severity::Warning,
        kind: FindingKind::FactsUnavailable,
        cluster: h.cluster.clone(),
        subject: h.name.clone(),
        hosts: vec![h.name.clone()],
        problem: message,
        fix: action.into(),
        ..Default::default()
    }
}

fn cluster_words(c: &Option<String>) -> String {
    match c {
        Some(c) => format!("cluster {c:?}"),
        None => "the hosts without a cluster".into(),
    }
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

fn check_luns(cluster: &Option<String>, members: &[(&str, &HostFacts)], out: &mut Vec<Finding>) {
    if members.len() < 2 {
        return;
    }
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, f) in members {
        for l in f.luns.iter().filter(|l| !l.is_local) {
            seen.entry(l.id.as_str()).or_default().insert(name);
        }
    }
    for (id, have) in seen {
        let lack: Vec<String> = members
            .iter()
            .filter(|(n, f)| !have.contains(n) && !f.luns.iter().any(|l| l.id == id))
            .map(|(n, _)| n.to_string())
            .collect();
        if lack.is_empty() {
            continue;
        }
        let have: Vec<String> = have.iter().map(|s| s.to_string()).collect();
        out.push(Finding {
            severity: Severity::Error,
            kind: FindingKind::LunNotShared,
            cluster: cluster.clone(),
            subject: id.to_string(),
            hosts: lack.clone(),
            problem: format!(
                "LUN {id} is seen by {} but not by {} ({}): VMs on it cannot move there",
                list(&have),
                list(&lack),
                cluster_words(cluster)
            ),
            fix: format!(
                "present LUN {id} to {} (zoning/masking on the array, then rescan storage), \
                 or keep its VMs off those hosts",
                list(&lack)
            ),
            ..Default::default()
        });
    }
}

/// A datastore's identity for comparison (NFS paths without a trailing '/').
fn identity_key(id: &StorageIdentity, name: &str) -> String {
    match id {
        StorageIdentity::Vmfs { uuid, .. } => format!("VMFS {uuid}"),
        StorageIdentity::Nfs { server, path } => {
            let p = path.trim_end_matches('/');
            format!(
                "NFS {}:{}",
                server.to_ascii_lowercase(),
                if p.is_empty() { "/" } else { p }
            )
        }
        StorageIdentity::Other { fstype, source } => format!("{fstype} {source}"),
        StorageIdentity::Named => format!("datastore {name:?}"),
    }
}

fn check_datastores(
    cluster: &Option<String>,
    members: &[(&str, &HostFacts)],
    out: &mut Vec<Finding>,
) {
    // identity -> (host -> name)
    let mut by_id: BTreeMap<String, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    // name -> identity -> hosts
    let mut by_name: BTreeMap<&str, BTreeMap<String, BTreeSet<&str>>> = BTreeMap::new();
    for (host, f) in members {
        for d in f.datastores.iter().filter(|d| !d.is_local) {
            let key = identity_key(&d.identity, &d.name);
            by_id
                .entry(key.clone())
                .or_default()
                .entry(host)
                .or_default()
                .insert(d.name.as_str());
            by_name
                .entry(d.name.as_str())
                .or_default()
                .entry(key)
                .or_default()
                .insert(host);
        }
    }
    for (key, hosts) in &by_id {
        let names: BTreeSet<&str> = hosts.values().flatten().copied().collect();
        let shown = names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(" / ");
        if members.len() >= 2 {
            let lack: Vec<String> = members
                .iter()
                .filter(|(n, _)| !hosts.contains_key(n))
                .map(|(n, _)| n.to_string())
                .collect();
            if !lack.is_empty() {
                let have: Vec<String> = hosts.keys().map(|s| s.to_string()).collect();
                out.push(Finding {
                    severity: Severity::Error,
                    kind: FindingKind::DatastoreNotShared,
                    cluster: cluster.clone(),
                    subject: format!("{shown} ({key})"),
                    hosts: lack.clone(),
                    problem: format!(
                        "datastore {shown} ({key}) is mounted on {} but not on {} ({}): VMs \
                         stored there cannot move to them without Storage vMotion",
                        list(&have),
                        list(&lack),
                        cluster_words(cluster)
                    ),
                    fix: format!("mount {key} on {} under the name {shown}", list(&lack)),
                    ..Default::default()
                });
            }
        }
        if names.len() > 1 {
            let detail = names
                .iter()
                .map(|n| {
                    let hs: Vec<&str> = hosts
                        .iter()
                        .filter(|(_, ns)| ns.contains(n))
                        .map(|(h, _)| *h)
                        .collect();
                    format!("{n:?} on {}", hs.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
            out.push(Finding {
                severity: Severity::Error,
                kind: FindingKind::DatastoreNameMismatch,
                cluster: cluster.clone(),
                subject: key.clone(),
                hosts: hosts.keys().map(|s| s.to_string()).collect(),
                problem: format!(
                    "the same storage ({key}) is mounted under different names: {detail}; \
                     vCenter sees different datastores and refuses to migrate between them"
                ),
                fix: "unmount and remount it under one name on every host (for NFS also \
                         the same server spelling and path)"
                    .into(),
                ..Default::default()
            });
        }
    }
    for (name, ids) in &by_name {
        if ids.len() < 2 {
            continue;
        }
        let detail = on_hosts(ids.iter().map(|(k, hs)| (k, hs.iter().copied())));
        let hosts: BTreeSet<&str> = ids.values().flatten().copied().collect();
        out.push(Finding {
            severity: Severity::Error,
            kind: FindingKind::DatastoreIdentityConflict,
            cluster: cluster.clone(),
            subject: name.to_string(),
            hosts: hosts.iter().map(|s| s.to_string()).collect(),
            problem: format!(
                "datastore name {name:?} points at different storage: {detail}; a VM's files \
                 under [{name}] are not the same files on the other hosts"
            ),
            fix: format!(
                "rename one of them, or mount the same export/volume as {name:?} everywhere"
            ),
            ..Default::default()
        });
    }
}

fn check_port_groups(
    cluster: &Option<String>,
    members: &[(&str, &HostFacts)],
    out: &mut Vec<Finding>,
) {
    // normalized -> spelling -> hosts
    let mut labels: BTreeMap<String, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for (host, f) in members {
        for p in &f.port_groups {
            labels
                .entry(p.label.trim().to_lowercase())
                .or_default()
                .entry(p.label.as_str())
                .or_default()
                .insert(host);
        }
    }
    for spellings in labels.values() {
        let all: BTreeSet<&str> = spellings.values().flatten().copied().collect();
        // The spelling most hosts use (ties: the first in order) names the port group.
        let main = spellings
            .iter()
            .max_by_key(|(s, hs)| (hs.len(), std::cmp::Reverse(**s)))
            .map(|(s, _)| *s)
            .unwrap_or_default();
        if spellings.len() > 1 {
            let detail = on_hosts(
                spellings
                    .iter()
                    .map(|(s, hs)| (format!("{s:?}"), hs.iter().copied())),
            );
            let others: Vec<String> = spellings
                .iter()
                .filter(|(s, _)| **s != main)
                .flat_map(|(_, hs)| hs.iter().map(|h| h.to_string()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            out.push(Finding {
                severity: Severity::Error,
                kind: FindingKind::PortGroupLabelMismatch,
                cluster: cluster.clone(),
                subject: main.to_string(),
                hosts: all.iter().map(|s| s.to_string()).collect(),
                problem: format!(
                    "port-group labels differ only by case or whitespace: {detail} (labels are \
                     case-sensitive: VMs on one cannot migrate to the other; almost always a typo)"
                ),
                fix: format!(
                    "rename the port group on {} to exactly {main:?}",
                    list(&others)
                ),
                ..Default::default()
            });
        }
        if members.len() >= 2 {
            let lack: Vec<String> = members
                .iter()
                .filter(|(n, _)| !all.contains(n))
                .map(|(n, _)| n.to_string())
                .collect();
            if !lack.is_empty() {
                out.push(Finding {
                    severity: Severity::Error,
                    kind: FindingKind::PortGroupMissing,
                    cluster: cluster.clone(),
                    subject: main.to_string(),
                    hosts: lack.clone(),
                    problem: format!(
                        "port group {main:?} exists on {} but not on {} ({}): VMs attached to it \
                         cannot migrate there",
                        list(&all.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                        list(&lack),
                        cluster_words(cluster)
                    ),
                    fix: format!("create port group {main:?} (same VLAN) on {}", list(&lack)),
                    ..Default::default()
                });
            }
        }
    }
}

/// The vMotion network of one cluster: a VMkernel port enabled for vMotion on
/// every vSphere host, its link speed, one MTU, one TCP/IP stack, one subnet
/// (or a routed vMotion stack). A cluster is a vSphere cluster when some host
/// is read from ESXi or declares a vMotion port. There, a host whose declared
/// network (`port_groups`) has no `vmotion` port lacks one (an error); a host
/// that declares no network facts, or has none, is "not checked". Where no
/// host has vMotion facts, vMotion is "not checked" for the cluster.
fn check_vmotion(
    cluster: &Option<String>,
    members: &[(&str, &HostFacts)],
    no_facts: &[&str],
    r: &mut StorageNetworkReport,
) {
    let out = &mut r.findings;
    let vsphere = members
        .iter()
        .any(|(_, f)| f.source == Some(FactsSource::Esxi) || f.vmotion.is_some());
    let candidates: Vec<String> = members
        .iter()
        .filter(|(_, f)| f.source != Some(FactsSource::Linux))
        .map(|(h, _)| h.to_string())
        .chain(no_facts.iter().map(|h| h.to_string()))
        .collect();
    let declare = "declare it in the fleet file (vmotion = { vmk = \"vmk1\", speed_mbps = 10000, mtu = 9000 }) or read the host over SSH (esxi = \"root@HOST\")";
    if !vsphere {
        if !candidates.is_empty()
            && members
                .iter()
                .any(|(_, f)| f.source != Some(FactsSource::Linux))
        {
            r.not_checked.push(NotChecked {
                cluster: cluster.clone(),
                subject: "vMotion port".into(),
                hosts: candidates,
                message: format!(
                    "vMotion not checked in {}: no host's facts describe a VMkernel port enabled for vMotion",
                    cluster_words(cluster)
                ),
                action: format!("for each host, {declare}"),
            });
        }
        return;
    }
    let mut unknown: Vec<String> = Vec::new();
    for (host, f) in members {
        if f.source == Some(FactsSource::Linux) {
            continue;
        }
        match &f.vmotion {
            None if f.source == Some(FactsSource::Declared) && f.port_groups.is_empty() => {
                unknown.push(host.to_string());
            }
            None => out.push(Finding {
                severity: Severity::Error,
                kind: FindingKind::NoVmotionPort,
                cluster: cluster.clone(),
                subject: host.to_string(),
                hosts: vec![host.to_string()],
                problem: format!(
                    "{host} has no VMkernel port enabled for vMotion{}: no VM can migrate to or from it",
                    if f.source == Some(FactsSource::Declared) {
                        " (its declared network has port groups but no `vmotion` port)"
                    } else {
                        ""
                    }
                ),
                fix: format!(
                    "enable vMotion on a VMkernel port of {host} (vSphere Client: Configure > \
                     VMkernel adapters > Edit > vMotion, or `esxcli network ip interface tag add -i vmkN -t VMotion`)"
                ),
                ..Default::default()
            }),
            Some(v) => {
                if let Some(speed) = v.speed_mbps.filter(|&s| s < MIN_VMOTION_MBPS) {
                    out.push(Finding {
                        severity: Severity::Warning,
                        kind: FindingKind::SlowVmotionLink,
                        cluster: cluster.clone(),
                        subject: format!("{host} {}", v.vmk),
                        hosts: vec![host.to_string()],
                        problem: format!(
                            "the vMotion port {} of {host} runs at {speed} Mb/s{}; vSphere asks for at \
                             least 1000 Mb/s: migrations will be slow and may time out",
                            v.vmk,
                            if speed == 0 { " (link down)" } else { "" }
                        ),
                        fix: format!(
                            "give {} of {host} a gigabit (or faster) uplink, or check the NIC's \
                             cabling and negotiated speed",
                            v.vmk
                        ),
                        ..Default::default()
                    });
                }
            }
        }
    }
    unknown.extend(no_facts.iter().map(|h| h.to_string()));
    if !unknown.is_empty() {
        r.not_checked.push(NotChecked {
            cluster: cluster.clone(),
            subject: "vMotion port".into(),
            hosts: unknown.clone(),
            message: format!(
                "the vMotion port of {} is not known (not checked): {} no vMotion facts",
                unknown.join(", "),
                if unknown.len() == 1 {
                    "it has"
                } else {
                    "they have"
                }
            ),
            action: format!("for {}, {declare}", unknown.join(", ")),
        });
    }
    let ports: Vec<(&str, &crate::model::facts::VmotionPort)> = members
        .iter()
        .filter_map(|(h, f)| f.vmotion.as_ref().map(|v| (*h, v)))
        .collect();
    check_vmotion_mtu(cluster, &ports, r);
    check_vmotion_stack_and_subnet(cluster, &ports, &mut r.findings);
}

/// "9000 on esx-01, esx-02; 1500 on esx-03", highest value first.
fn by_value<K: Ord + std::fmt::Display>(m: &BTreeMap<K, Vec<&str>>) -> String {
    on_hosts(m.iter().rev().map(|(k, hs)| (k, hs.iter().copied())))
}

/// "A on esx-01, esx-02; B on esx-03": each value with the hosts that have it.
fn on_hosts<'h, K: std::fmt::Display, H: Iterator<Item = &'h str>>(
    values: impl Iterator<Item = (K, H)>,
) -> String {
    values
        .map(|(k, hs)| format!("{k} on {}", hs.collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn check_vmotion_mtu(
    cluster: &Option<String>,
    ports: &[(&str, &crate::model::facts::VmotionPort)],
    r: &mut StorageNetworkReport,
) {
    let mut mtus: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for (h, v) in ports {
        if let Some(m) = v.mtu {
            mtus.entry(m).or_default().push(h);
        }
    }
    if mtus.len() > 1 {
        let hosts: Vec<String> = ports
            .iter()
            .filter(|(_, v)| v.mtu.is_some())
            .map(|(h, _)| h.to_string())
            .collect();
        let (&max, _) = mtus.iter().next_back().expect("two MTUs");
        r.findings.push(Finding {
            severity: Severity::Warning,
            kind: FindingKind::VmotionMtuMismatch,
            cluster: cluster.clone(),
            subject: "vMotion MTU".into(),
            hosts,
            problem: format!(
                "the vMotion ports' MTUs differ ({}): large frames from the {max}-byte side are \
                 dropped or fragmented on the way to the smaller one, so migrations between them \
                 stall part-way or fail with a timeout",
                by_value(&mtus)
            ),
            fix: format!(
                "set one MTU on every vMotion VMkernel port of {} and on the switches between \
                 them (`esxcli network ip interface set -i vmk1 -m {max}`, the vSwitch with \
                 `esxcli network vswitch standard set -v vSwitchN -m {max}`), or {} everywhere",
                cluster_words(cluster),
                mtus.keys().next().copied().unwrap_or(1500)
            ),
            ..Default::default()
        });
    }
    let unknown: Vec<String> = ports
        .iter()
        .filter(|(_, v)| v.mtu.is_none())
        .map(|(h, _)| h.to_string())
        .collect();
    if !mtus.is_empty() && !unknown.is_empty() {
        r.not_checked.push(NotChecked {
            cluster: cluster.clone(),
            subject: "vMotion MTU".into(),
            hosts: unknown.clone(),
            message: format!(
                "the MTU of the vMotion port of {} is not known, so MTU consistency was not checked for it",
                unknown.join(", ")
            ),
            action: "declare it (vmotion = { ..., mtu = 9000 }) or read the host over SSH (esxcli network ip interface list gives it)".into(),
        });
    }
}

fn check_vmotion_stack_and_subnet(
    cluster: &Option<String>,
    ports: &[(&str, &crate::model::facts::VmotionPort)],
    out: &mut Vec<Finding>,
) {
    let mut stacks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (h, v) in ports {
        if let Some(n) = v.netstack.as_deref() {
            stacks.entry(n).or_default().push(h);
        }
    }
    if stacks.len() > 1 {
        out.push(Finding {
            severity: Severity::Warning,
            kind: FindingKind::VmotionStackMismatch,
            cluster: cluster.clone(),
            subject: "vMotion TCP/IP stack".into(),
            hosts: stacks.values().flatten().map(|h| h.to_string()).collect(),
            problem: format!(
                "the vMotion ports are on different TCP/IP stacks ({}): each stack has its own \
                 routes and gateway, so ports on different stacks reach each other only where both \
                 are routed, and migrations between them can fail",
                by_value(&stacks)
            ),
            fix: "put every host's vMotion port on the same stack: the vMotion TCP/IP stack \
                     (`esxcli network ip interface add -i vmkN -N vmotion`) on every host, or the \
                     default stack on every host"
                .into(),
            ..Default::default()
        });
    }
    let mut nets: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (h, v) in ports {
        if let (Some(ip), Some(p)) = (v.ipv4, v.prefix_len) {
            let mask = if p == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(p))
            };
            let net = std::net::Ipv4Addr::from(u32::from(ip) & mask);
            nets.entry(format!("{net}/{p}")).or_default().push(h);
        }
    }
    if nets.len() > 1 {
        let members: Vec<&str> = nets.values().flatten().copied().collect();
        let routed = members.iter().all(|h| {
            ports.iter().any(|(n, v)| {
                n == h && v.netstack.as_deref() == Some("vmotion") && v.gateway.is_some()
            })
        });
        if !routed {
            out.push(Finding {
                severity: Severity::Warning,
                kind: FindingKind::VmotionSubnetMismatch,
                cluster: cluster.clone(),
                subject: "vMotion subnet".into(),
                hosts: members.iter().map(|h| h.to_string()).collect(),
                problem: format!(
                    "the vMotion ports are on different subnets ({}) and vMotion is not routed \
                     (the vMotion TCP/IP stack with a gateway on every host): traffic between \
                     them has no route of its own, so migrations fail or take the management \
                     network",
                    on_hosts(nets.iter().map(|(n, hs)| (n, hs.iter().copied())))
                ),
                fix: "put the vMotion ports on one subnet (one VLAN), or use the vMotion \
                         TCP/IP stack with a default gateway on every host (routed vMotion)"
                    .into(),
                ..Default::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Datastore, Lun, PortGroup, VmotionPort};

    fn host(name: &str, f: HostFacts) -> FactsHost {
        FactsHost {
            name: name.into(),
            cluster: Some("prod".into()),
            facts: Some(f),
            error: None,
        }
    }

    fn esxi(luns: &[&str], pgs: &[&str], vmotion: Option<u32>) -> HostFacts {
        HostFacts {
            source: Some(FactsSource::Esxi),
            luns: luns
                .iter()
                .map(|l| Lun {
                    id: l.to_string(),
                    display_name: None,
                    is_local: l.starts_with("mpx"),
                    is_shared: true,
                })
                .collect(),
            port_groups: pgs
                .iter()
                .map(|p| PortGroup {
                    label: p.to_string(),
                    vswitch: None,
                    vlan: None,
                })
                .collect(),
            vmotion: vmotion.map(|s| VmotionPort {
                vmk: "vmk1".into(),
                speed_mbps: Some(s),
                ..VmotionPort::default()
            }),
            ..HostFacts::default()
        }
    }

    fn kinds(r: &StorageNetworkReport) -> Vec<(FindingKind, String, Vec<String>)> {
        r.findings
            .iter()
            .map(|f| (f.kind, f.subject.clone(), f.hosts.clone()))
            .collect()
    }

    #[test]
    fn the_four_classic_problems() {
        let hosts = vec![
            host(
                "a",
                esxi(
                    &["naa.1", "mpx.local"],
                    &["Production", "vMotion"],
                    Some(10000),
                ),
            ),
            host(
                "b",
                esxi(&["naa.1"], &["production ", "vMotion"], Some(10000)),
            ),
            host("c", esxi(&[], &["Production", "vMotion"], None)),
            host("d", esxi(&["naa.1"], &["Production"], Some(100))),
        ];
        let r = check(&hosts, true, true);
        let k = kinds(&r);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(
            k.contains(&(FindingKind::LunNotShared, "naa.1".into(), s(&["c"]))),
            "{k:?}"
        );
        assert!(
            k.contains(&(
                FindingKind::PortGroupLabelMismatch,
                "Production".into(),
                s(&["a", "b", "c", "d"])
            )),
            "{k:?}"
        );
        assert!(
            k.contains(&(FindingKind::PortGroupMissing, "vMotion".into(), s(&["d"]))),
            "{k:?}"
        );
        assert!(
            k.contains(&(FindingKind::NoVmotionPort, "c".into(), s(&["c"]))),
            "{k:?}"
        );
        assert!(
            k.contains(&(FindingKind::SlowVmotionLink, "d vmk1".into(), s(&["d"]))),
            "{k:?}"
        );
        assert_eq!(r.findings.len(), 5, "{k:?}");
        assert_eq!((r.errors(), r.warnings()), (4, 1));
        let mm = r
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::PortGroupLabelMismatch)
            .unwrap();
        assert!(
            mm.problem.contains("\"production \" on b"),
            "{}",
            mm.problem
        );
        assert!(
            mm.fix.contains("on b to exactly \"Production\""),
            "{}",
            mm.fix
        );
        // Storage only: no network findings.
        let r = check(&hosts, true, false);
        assert!(r
            .findings
            .iter()
            .all(|f| f.kind == FindingKind::LunNotShared));
    }

    #[test]
    fn datastores_compare_by_identity() {
        let nfs = |name: &str, server: &str, path: &str| Datastore {
            name: name.into(),
            identity: StorageIdentity::Nfs {
                server: server.into(),
                path: path.into(),
            },
            is_local: false,
        };
        let with = |ds: Vec<Datastore>| HostFacts {
            source: Some(FactsSource::Esxi),
            datastores: ds,
            vmotion: Some(VmotionPort {
                vmk: "vmk1".into(),
                speed_mbps: None,
                ..VmotionPort::default()
            }),
            ..HostFacts::default()
        };
        let hosts = vec![
            host(
                "a",
                with(vec![
                    nfs("iso", "filer", "/vol/iso"),
                    nfs("vms", "filer", "/vol/vms"),
                ]),
            ),
            host(
                "b",
                with(vec![
                    nfs("ISO-store", "filer", "/vol/iso/"),
                    nfs("vms", "filer2", "/vol/vms"),
                ]),
            ),
        ];
        let r = check(&hosts, true, true);
        let k: Vec<FindingKind> = r.findings.iter().map(|f| f.kind).collect();
        assert!(k.contains(&FindingKind::DatastoreNameMismatch), "{k:?}");
        assert!(k.contains(&FindingKind::DatastoreIdentityConflict), "{k:?}");
        // "vms" differs in identity: each export is missing on the other host.
        assert_eq!(
            k.iter()
                .filter(|k| **k == FindingKind::DatastoreNotShared)
                .count(),
            2,
            "{k:?}"
        );
    }

    #[test]
    fn hosts_without_facts_are_skipped_and_said_so() {
        let hosts = vec![
            FactsHost {
                name: "x".into(),
                cluster: None,
                facts: None,
                error: None,
            },
            FactsHost {
                name: "y".into(),
                cluster: None,
                facts: None,
                error: Some("esxcli missing".into()),
            },
        ];
        let r = check(&hosts, true, true);
        assert!(r.not_run());
        assert!(
            r.skipped.is_empty(),
            "none has facts: no list, only the count"
        );
        assert_eq!(r.hosts_total, 2);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].kind, FindingKind::FactsUnavailable);
        assert_eq!(r.errors(), 0);
    }
}
