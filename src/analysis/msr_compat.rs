//! MSR-based features across a fleet: which hosts of a cluster lack VMX
//! capabilities or ARCH_CAPABILITIES bits that others have, and where a source could
//! not show them. Semantics (as libvirt applies them under KVM):
//!
//! - ARCH_CAPABILITIES / CORE_CAPABILITIES bits are given to every guest: a
//!   destination lacking one the source has blocks every VM (libvirt refuses the
//!   migration: "missing features: mds-no").
//! - VMX capabilities are seen only by a VM that runs its own hypervisor (nested
//!   virtualization, `vmx` in the guest): a difference blocks only those VMs.
//! - A host whose source shows neither (a bare CPUID dump) makes the verdict say the
//!   MSR-based features were not compared.
//!
//! Hosts with equal MSR views are compared once, so large fleets cost little.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fleet::FleetHost;
use crate::decode::msr::MsrView;

/// One directional difference: VMs on `from` cannot move to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsrFinding {
    /// The cluster.
    pub cluster: Option<String>,
    /// Hosts the VM may run on (all with the same MSR view).
    pub from: Vec<String>,
    /// Destinations that lack the features (all with the same MSR view).
    pub to: Vec<String>,
    /// "VMX capabilities" or "ARCH_CAPABILITIES".
    pub family: &'static str,
    /// True for VMX capabilities: only VMs with nested virtualization are blocked.
    pub nested_only: bool,
    /// The features `to` lacks, libvirt names.
    pub missing: Vec<&'static str>,
    /// Where `from`'s and `to`'s facts came from.
    pub sources: (String, String),
}

/// Hosts of a cluster whose sources could not show MSR-based features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompared {
    /// The cluster.
    pub cluster: Option<String>,
    /// What was not compared ("VMX capabilities", "ARCH_CAPABILITIES").
    pub what: Vec<&'static str>,
    /// The hosts lacking them.
    pub hosts: Vec<String>,
}

/// The MSR-based comparison of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MsrReport {
    /// Every directional difference found.
    pub findings: Vec<MsrFinding>,
    /// Per cluster, what could not be compared and on which hosts.
    pub not_compared: Vec<NotCompared>,
}

impl MsrReport {
    /// The findings of one cluster.
    pub fn of_cluster<'a>(
        &'a self,
        cluster: Option<&'a str>,
    ) -> impl Iterator<Item = &'a MsrFinding> {
        self.findings
            .iter()
            .filter(move |f| f.cluster.as_deref() == cluster)
    }

    /// What one cluster could not compare.
    pub fn not_compared_in(&self, cluster: Option<&str>) -> Option<&NotCompared> {
        self.not_compared
            .iter()
            .find(|n| n.cluster.as_deref() == cluster)
    }

    /// True when some difference blocks VMs (nested ones included).
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// The families, in report order.
pub const VMX: &str = "VMX capabilities";
/// See [`VMX`].
pub const ARCH: &str = "ARCH_CAPABILITIES";

/// Compares the MSR-based features of every cluster's hosts.
pub fn compare(hosts: &[FleetHost]) -> MsrReport {
    let mut clusters: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, h) in hosts.iter().enumerate() {
        clusters.entry(h.cluster.as_deref()).or_default().push(i);
    }
    let mut report = MsrReport::default();
    for (cluster, members) in clusters {
        if members.len() < 2 {
            continue;
        }
        let cl = cluster.map(str::to_string);
        // What is relevant: VMX where a host has VT-x; ARCH_CAPABILITIES where a host
        // enumerates the MSR (leaf 7 EDX[29]) or a source showed it.
        let any_vmx = members
            .iter()
            .any(|&i| hosts[i].cpu.has(crate::catalog::id::VMX));
        let any_arch = members.iter().any(|&i| {
            hosts[i].cpu.has(crate::catalog::id::ARCH_CAPABILITIES)
                || hosts[i].cpu.msr.arch.is_some()
        });
        let mut what = Vec::new();
        let mut lacking: Vec<String> = Vec::new();
        let mut add = |w: &'static str, name: &str, what: &mut Vec<&'static str>| {
            if !what.contains(&w) {
                what.push(w);
            }
            if !lacking.iter().any(|n| n == name) {
                lacking.push(name.to_string());
            }
        };
        for &i in &members {
            let h = &hosts[i];
            if any_vmx && h.cpu.msr.vmx.is_none() {
                add(VMX, &h.name, &mut what);
            }
            if any_arch && h.cpu.msr.arch.is_none() {
                add(ARCH, &h.name, &mut what);
            }
        }
        if !what.is_empty() {
            what.sort_by_key(|w| if *w == VMX { 0 } else { 1 });
            report.not_compared.push(NotCompared {
                cluster: cl.clone(),
                what,
                hosts: lacking,
            });
        }
        let mut classes: BTreeMap<&MsrView, Vec<usize>> = BTreeMap::new();
        for &i in &members {
            classes.entry(&hosts[i].cpu.msr).or_default().push(i);
        }
        let classes: Vec<(&MsrView, Vec<usize>)> = classes.into_iter().collect();
        let names =
            |idx: &[usize]| -> Vec<String> { idx.iter().map(|&i| hosts[i].name.clone()).collect() };
        for (a, ai) in &classes {
            for (b, bi) in &classes {
                if a == b {
                    continue;
                }
                let same_vendor = hosts[ai[0]].cpu.vendor == hosts[bi[0]].cpu.vendor;
                if !same_vendor {
                    continue;
                }
                let from_vmx = ai
                    .iter()
                    .any(|&i| hosts[i].cpu.has(crate::catalog::id::VMX));
                // ARCH_CAPABILITIES counts for every VM; VMX capabilities only for
                // VMs with nested virtualization, and only from a host with VT-x.
                let families = [
                    (ARCH, false, a.arch.as_ref(), b.arch.as_ref()),
                    (
                        VMX,
                        true,
                        a.vmx.as_ref().filter(|_| from_vmx),
                        b.vmx.as_ref(),
                    ),
                ];
                for (family, nested_only, x, y) in families {
                    let (Some(x), Some(y)) = (x, y) else { continue };
                    let missing = x.missing_in(y);
                    if !missing.is_empty() {
                        report.findings.push(MsrFinding {
                            cluster: cl.clone(),
                            from: names(ai),
                            to: names(bi),
                            family,
                            nested_only,
                            missing,
                            sources: (x.source.clone(), y.source.clone()),
                        });
                    }
                }
            }
        }
    }
    report
}
