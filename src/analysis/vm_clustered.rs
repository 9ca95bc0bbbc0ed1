//! Clustered VMs (Windows failover clusters and the like: nodes sharing disks on
//! a shared SCSI bus) by configuration and version, as VMware documents them
//! ("Setup for Windows Server Failover Clustering", vSphere 6.0 and later):
//!
//! - cluster across boxes (`scsiN.sharedBus = "physical"`) on physical-mode
//!   RDMs, hardware version 11 or later, on ESXi 6.0 or later: vMotion is
//!   supported, with prerequisites (a warning naming them), never onto a host
//!   that runs another node of the cluster;
//! - cluster in a box (`sharedBus = "virtual"`), virtual-mode RDMs or shared
//!   virtual disks, hardware version 10 or older, or hosts older than ESXi 6.0
//!   (where no VM sharing a SCSI bus could move): errors, each with its reason.
//!
//! No fix turns bus sharing off: that takes the guest cluster's shared disk
//! away. Pure: no I/O.

use super::finding::Severity;
use super::vm_placement::{and_list, hardware_version, judge, Need};
use super::vm_readiness::{
    finding, finding_in, Ctx, FactState, Finding, FindingKind, HostContext, VmReport,
};
use crate::model::esxi_version::EsxiVersion;
use crate::model::vm::VmSource;

/// How a disk on a shared bus is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// A physical-mode (pass-through) RDM: `*-rdmp.vmdk` or a raw device.
    PhysicalRdm,
    /// A virtual-mode RDM: `*-rdm.vmdk`.
    VirtualRdm,
    /// A virtual disk.
    Vmdk,
}

fn shared_disks(c: &Ctx, bus: &str) -> Vec<(String, Shared, String)> {
    let vmx = &c.vm.vmx;
    let prefix = format!("{bus}:");
    super::vm_readiness::present_devices(vmx, &["scsi"])
        .into_iter()
        .filter(|(d, t)| d.starts_with(&prefix) && !t.contains("cdrom"))
        .filter_map(|(d, t)| {
            let file = vmx.get(&format!("{d}.fileName"))?.to_string();
            let lower = file.to_ascii_lowercase();
            let kind = if lower.ends_with("-rdmp.vmdk")
                || t == "rawdisk"
                || lower.starts_with("/vmfs/devices/disks/")
            {
                Shared::PhysicalRdm
            } else if lower.ends_with("-rdm.vmdk") {
                Shared::VirtualRdm
            } else {
                Shared::Vmdk
            };
            Some((d, kind, file))
        })
        .collect()
}

const KEEP: &str = "keep the bus sharing and the shared disks as they are (turning bus sharing off takes the guest cluster's shared disk away)";

/// The shared-bus findings of one VM.
pub(super) fn shared_buses(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    let hw = hardware_version(vmx);
    for bus in vmx.devices("scsi").into_iter().filter(|d| !d.contains(':')) {
        let Some(mode) = vmx.get(&format!("{bus}.sharedBus")) else {
            continue;
        };
        let m = mode.trim().to_ascii_lowercase();
        if m != "virtual" && m != "physical" {
            continue;
        }
        let disks = shared_disks(c, &bus);
        let listed = if disks.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                disks
                    .iter()
                    .map(|(d, _, f)| format!("{d}: {f}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let error = |problem: String, fix: String| {
            finding(
                Severity::Error,
                FindingKind::SharedBus,
                Some(&bus),
                problem,
                fix,
            )
        };
        if m == "virtual" {
            out.push(error(
                format!("SCSI controller {bus} has bus sharing \"virtual\"{listed}: a cluster in a box, whose nodes share their disks on this host; vMotion is not supported for VMs sharing a virtual SCSI bus"),
                format!("{KEEP}. For maintenance: move the cluster's roles to a node that stays up, shut the nodes of the box down and migrate them together powered off; to move it live, rebuild it as a cluster across boxes on physical-mode RDMs (hardware version 11 or later, vSphere 6.0 or later)"),
            ));
            continue;
        }
        let old_way = format!("{KEEP}. For maintenance: fail the cluster's roles over to another node, shut this node down and migrate it powered off");
        if let Some((d, _, f)) = disks.iter().find(|x| x.1 == Shared::VirtualRdm) {
            out.push(error(
                format!("SCSI controller {bus} shares {d} ({f}), a virtual-mode RDM, across hosts (bus sharing \"physical\"): vMotion of a clustered VM is supported only with physical-mode (pass-through) RDMs"),
                format!("{old_way}; to move it live, re-present the shared LUN to every node as a physical-mode RDM (compatibility mode Physical) in a cluster maintenance window"),
            ));
            continue;
        }
        if let Some((d, _, f)) = disks.iter().find(|x| x.1 == Shared::Vmdk) {
            out.push(error(
                format!("SCSI controller {bus} shares {d} ({f}), a virtual disk, across hosts (bus sharing \"physical\"): vMotion of a clustered VM is supported only when its shared disks are physical-mode RDMs"),
                format!("{old_way}; to move it live, put the shared disks on physical-mode RDMs"),
            ));
            continue;
        }
        if let Some(h) = hw.filter(|&h| h < 11) {
            out.push(error(
                format!("SCSI controller {bus} shares physical-mode RDMs across hosts{listed} (a cluster across boxes), but the VM has hardware version {h}: vMotion of such VMs needs hardware version 11 or later (vSphere 6.0 and later)"),
                format!("{KEEP}. Fail the cluster's roles over, shut this node down and upgrade its compatibility to hardware version 11 or later (Actions > Compatibility > Upgrade VM Compatibility; virtualHW.version = \"11\" or later); it can then move live"),
            ));
            continue;
        }
        let old = |v: &EsxiVersion| !v.at_least(6, 0);
        if let Some(v) = c.src.esxi.as_ref().filter(|v| old(v)) {
            out.push(error(
                format!("SCSI controller {bus} shares disks across hosts{listed}, and {} runs {v}: before vSphere 6.0 no VM sharing a SCSI bus can move live", c.src.name),
                format!("{old_way}; after upgrading the hosts to ESXi 6.0 or later (and the VM to hardware version 11 or later) it can move live"),
            ));
            continue;
        }
        // Destinations older than 6.0 cannot take it.
        let states: Vec<(String, FactState, Option<String>)> = c
            .dests
            .iter()
            .map(|d| match d.esxi.as_ref() {
                Some(v) if old(v) => (
                    d.name.clone(),
                    FactState::Absent,
                    Some(format!("%H: {v}, older than 6.0")),
                ),
                _ => (d.name.clone(), FactState::Present, None),
            })
            .collect();
        judge(
            Need {
                kind: "shared-bus",
                device: Some(&bus),
                uses: "vSphere 6.0 or later".into(),
                subject: format!("SCSI controller {bus} shares physical-mode RDMs across hosts (a cluster across boxes)"),
                connected: true,
                lacks: ("is too old for", "are too old for"),
                consequence: "vMotion of clustered VMs needs ESXi 6.0 or later on both hosts",
                fix_absent: format!("{KEEP}; upgrade those hosts to ESXi 6.0 or later, or keep the node off them"),
                fix_disconnected: None,
                fix_unknown: String::new(),
            },
            &states,
            out,
        );
        if !states.is_empty() && states.iter().all(|x| x.1 == FactState::Absent) {
            continue;
        }
        let versions = versions_known(c.src, c.dests);
        let hw_text = hw.map_or_else(
            || "its hardware version is not given: it must be 11 or later".to_string(),
            |h| format!("hardware version {h}"),
        );
        let mut f = finding_in(
            FactState::Present,
            Severity::Warning,
            FindingKind::SharedBus,
            Some(&bus),
            format!(
                "SCSI controller {bus} shares physical-mode RDMs across hosts{listed}: a cluster across boxes ({hw_text}; {versions}). vMotion is supported since vSphere 6.0 when: the VM has hardware version 11 or later; the vMotion network is fast enough that the node's pause stays inside the guest cluster's heartbeat timeout (10 Gb/s recommended; VMware's failover-cluster guide raises SameSubnetThreshold to 10); the shared LUNs are presented to the destination; and the destination does not run another node of this cluster"
            ),
            format!("{KEEP}; keep a DRS VM-VM anti-affinity rule (separate virtual machines) over the cluster's nodes so that no two run on one host, and move one node at a time"),
        );
        f.uses = Some("physical-mode RDMs on a shared bus".into());
        out.push(f);
    }
}

/// "ESXi versions not known: the vSphere 6.0+ rule assumed" or "on ESXi ...".
fn versions_known(src: &HostContext, dests: &[&HostContext]) -> String {
    let all: Vec<&HostContext> = std::iter::once(src).chain(dests.iter().copied()).collect();
    let unknown: Vec<String> = all
        .iter()
        .filter(|h| h.esxi.is_none())
        .map(|h| h.name.clone())
        .collect();
    if unknown.is_empty() {
        format!(
            "{} runs {}",
            src.name,
            src.esxi
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        )
    } else {
        format!(
            "the ESXi version of {} is not known, so the rule of vSphere 6.0 and later is applied; declare esxi_version to apply the older rule where it holds",
            and_list(&unknown)
        )
    }
}

/// The disks a VM shares with others (LUN ids and `[datastore] path` of the
/// disks on its shared buses), for finding the other nodes of its cluster.
fn shared_keys(vm: &VmSource) -> Vec<String> {
    let vmx = &vm.vmx;
    let mut keys = Vec::new();
    for bus in vmx.devices("scsi").into_iter().filter(|d| !d.contains(':')) {
        let shared = vmx.get(&format!("{bus}.sharedBus")).is_some_and(|m| {
            matches!(
                m.trim().to_ascii_lowercase().as_str(),
                "virtual" | "physical"
            )
        });
        if !shared {
            continue;
        }
        let prefix = format!("{bus}:");
        for (d, _) in super::vm_readiness::present_devices(vmx, &["scsi"]) {
            if !d.starts_with(&prefix) {
                continue;
            }
            let Some(f) = vmx.get(&format!("{d}.fileName")) else {
                continue;
            };
            let f = f.trim();
            if let Some(id) = f.strip_prefix("/vmfs/devices/disks/") {
                keys.push(id.split(':').next().unwrap_or(id).to_ascii_lowercase());
            } else if f.starts_with('[') || f.starts_with("/vmfs/volumes/") {
                keys.push(f.to_string());
            }
        }
    }
    keys
}

/// Marks the destinations that run another node of the VM's guest cluster (a VM
/// of the fleet sharing one of its disks): it must never move there.
pub(super) fn other_nodes(
    r: &mut VmReport,
    vm: &VmSource,
    host: &str,
    inputs: &[(String, Result<Vec<VmSource>, String>)],
    dests: &[&HostContext],
) {
    let mine = shared_keys(vm);
    if mine.is_empty() {
        return;
    }
    let mut found = false;
    for (h, vms) in inputs {
        if h == host || !dests.iter().any(|d| &d.name == h) {
            continue;
        }
        let Ok(vms) = vms else { continue };
        for other in vms {
            if shared_keys(other).iter().any(|k| mine.contains(k)) {
                let mut f = finding_in(
                    FactState::Absent,
                    Severity::Warning,
                    FindingKind::ClusterNode,
                    None,
                    format!("{h} runs {}, another node of this VM's guest cluster (they share a disk): never move it there, two nodes on one host defeat the cluster", other.name),
                    "keep a DRS VM-VM anti-affinity rule (separate virtual machines) over the cluster's nodes".into(),
                );
                f.uses = Some(format!("a host without {}", other.name));
                f.destinations = vec![h.clone()];
                f.stops_move = true;
                r.findings.push(f);
                found = true;
            }
        }
    }
    if found {
        super::vm_readiness::finish(r, dests);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::vm_readiness::tests::kinds;
    use crate::analysis::vm_readiness::{check, Described};
    use crate::model::facts::{FactsSource, HostFacts, Lun};

    fn host(name: &str, esxi: Option<&str>) -> HostContext {
        HostContext {
            name: name.into(),
            cluster: Some("sql".into()),
            facts: HostFacts {
                source: Some(FactsSource::Declared),
                luns: vec![Lun {
                    id: "naa.6000c29a".into(),
                    display_name: None,
                    is_local: false,
                    is_shared: true,
                }],
                ..HostFacts::default()
            },
            group: None,
            described: Described {
                luns: true,
                ..Described::default()
            },
            esxi: esxi.map(|v| crate::model::esxi_version::parse(v).expect("version")),
        }
    }

    fn node(host: &str, name: &str, hw: u32) -> VmSource {
        let text = format!(
            "displayName = \"{name}\"\nvirtualHW.version = \"{hw}\"\nscsi1.present = \"TRUE\"\nscsi1.sharedBus = \"physical\"\nscsi1:0.present = \"TRUE\"\nscsi1:0.deviceType = \"rawDisk\"\nscsi1:0.fileName = \"/vmfs/devices/disks/naa.6000c29a\"\n"
        );
        let vmx = crate::model::vmx::parse(&text, "n.vmx").expect("parses");
        VmSource::new(host, name, &format!("[ds] {name}/{name}.vmx"), vmx)
    }

    #[test]
    fn never_onto_the_host_of_the_other_node() {
        let hosts = [host("a", None), host("b", None), host("c", None)];
        let inputs = vec![
            ("a".to_string(), Ok(vec![node("a", "n1", 19)])),
            ("b".to_string(), Ok(vec![node("b", "n2", 19)])),
        ];
        let r = check(&hosts, &inputs, None);
        let n1 = &r.hosts[0].vms[0];
        assert_eq!(
            kinds(n1),
            vec![
                (Severity::Warning, "shared-bus"),
                (Severity::Warning, "cluster-node")
            ]
        );
        let node_f = &n1.findings[1];
        assert_eq!(node_f.destinations, vec!["b".to_string()]);
        assert!(node_f.problem.contains("b runs n2"), "{}", node_f.problem);
        let v: Vec<(&str, crate::analysis::vm_readiness::CanMove)> = n1
            .destinations
            .iter()
            .map(|d| (d.host.as_str(), d.verdict))
            .collect();
        use crate::analysis::vm_readiness::CanMove;
        assert_eq!(v, vec![("b", CanMove::No), ("c", CanMove::Yes)]);
        // Two hosts only: the node has nowhere to go (maintenance mode stalls).
        let r = check(&hosts[..2], &inputs, None);
        let n1 = &r.hosts[0].vms[0];
        assert_eq!(n1.findings[0].kind, "no-destination");
        assert!(n1.blocks() && n1.fits_nowhere());
    }

    #[test]
    fn versions_decide_the_rule() {
        let inputs = vec![("a".to_string(), Ok(vec![node("a", "n1", 19)]))];
        let old = [host("a", Some("5.5.0")), host("b", Some("5.5.0"))];
        let r = check(&old, &inputs, None);
        let k = kinds(&r.hosts[0].vms[0]);
        assert!(k.contains(&(Severity::Error, "shared-bus")), "{k:?}");
        assert!(!k.contains(&(Severity::Warning, "shared-bus")), "{k:?}");
        let new = [host("a", Some("6.0.0")), host("b", Some("8.0.3"))];
        let inputs = vec![("a".to_string(), Ok(vec![node("a", "n1", 11)]))];
        let r = check(&new, &inputs, None);
        assert_eq!(
            kinds(&r.hosts[0].vms[0]),
            vec![(Severity::Warning, "shared-bus")]
        );
        let inputs = vec![("a".to_string(), Ok(vec![node("a", "n1", 10)]))];
        let r = check(&new, &inputs, None);
        let f = &r.hosts[0].vms[0].findings;
        assert_eq!(f[0].kind, "shared-bus");
        assert!(
            f[0].problem.contains("hardware version 10"),
            "{}",
            f[0].problem
        );
        assert!(!f[0].fix.contains("sharedBus"), "{}", f[0].fix);
    }
}
