//! The fleet audit: every host's classic attributes, the CPU analysis, and the
//! hosts that could not be collected. Built from decoded data only (no I/O).

use serde::Serialize;

use super::fleet::{self, FleetAnalysis, FleetHost};
use crate::catalog::id;
use crate::cpuid::Completeness;
use crate::model::policy::Policy;

/// One row of the host table.
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    /// Host name.
    pub name: String,
    /// Cluster, if any.
    pub cluster: Option<String>,
    /// Label of the host's group (absent when collection failed).
    pub group: Option<String>,
    /// Maker (Intel, AMD, ...).
    pub vendor: Option<String>,
    /// Display family.
    pub family: Option<u32>,
    /// Display model.
    pub model: Option<u32>,
    /// Stepping.
    pub stepping: Option<u32>,
    /// Microarchitecture.
    pub microarchitecture: Option<String>,
    /// SSE3 present.
    pub sse3: Option<bool>,
    /// NX/XD present.
    pub nx: Option<bool>,
    /// VT-x / AMD-V present in CPUID.
    pub virtualization: Option<bool>,
    /// x86-64 psABI level.
    pub x86_64_level: Option<u8>,
    /// The newest named vendor baseline the host reaches.
    pub baseline: Option<String>,
    /// How complete the host's dump is.
    pub completeness: Option<Completeness>,
    /// The hypervisor the dump was taken under (a VM's view, not the silicon's).
    pub hypervisor: Option<String>,
    /// Why the host could not be collected.
    pub error: Option<String>,
}

/// A host that could not be collected.
#[derive(Debug, Clone)]
pub struct FailedHost {
    /// Host name.
    pub name: String,
    /// Cluster, if any.
    pub cluster: Option<String>,
    /// What went wrong.
    pub error: String,
}

/// Everything `vmcompat audit` reports about the CPUs of a fleet.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Fleet name.
    pub fleet: String,
    /// Hosts, collected ones first in fleet-file order, then failures.
    pub hosts: Vec<HostRow>,
    /// The CPU analysis of the collected hosts.
    pub cpu: FleetAnalysis,
    /// Labels of groups that contain a partial dump: their verdicts rest on it.
    pub groups_with_partial_dumps: Vec<String>,
    /// What to set on each cluster (per cluster and vendor), with the guests each
    /// setting would break and the hosts that hold the cluster below the next
    /// named baseline.
    pub settings: Vec<super::setting::ClusterSetting>,
    /// The guest operating systems the settings were checked against (keys).
    pub guests: Vec<String>,
    /// The storage/network checks (None when not run: `--only cpu`).
    pub storage_network: Option<super::storage_network::StorageNetworkReport>,
    /// Hosts unfit as they are whatever the others are (a VM, no VT-x/AMD-V,
    /// logical CPUs that differ): each counts against the verdict.
    pub host_blockers: Vec<super::host_blockers::HostBlockers>,
    /// MSR-based features (VMX capabilities, ARCH_CAPABILITIES) compared per
    /// cluster, and what could not be compared.
    pub msr: super::msr_compat::MsrReport,
    /// The target hypervisor of each cluster and why it was chosen (`--target`,
    /// the fleet file, or the hosts' sources).
    pub targets: Vec<crate::shipped::targets::Choice>,
    /// The QEMU/libvirt releases read from the hosts over SSH, when some were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases_learned: Option<String>,
}

impl AuditReport {
    /// Number of hosts that could not be collected.
    pub fn failures(&self) -> usize {
        self.hosts.iter().filter(|h| h.error.is_some()).count()
    }
}

/// Builds the audit from the collected hosts and the failures; each cluster's
/// settings are checked against `guests`.
pub fn audit(
    fleet: &str,
    hosts: &[FleetHost],
    failed: &[FailedHost],
    policy: Policy,
    guests: &[crate::shipped::guests::Guest],
) -> AuditReport {
    let cpu = fleet::analyze(hosts, policy);
    let settings = super::setting::settings(&cpu, hosts, guests);
    // Baselines qualify on compared features, which every member of a group
    // shares: one look-up per group, not per host.
    let group_baseline: Vec<Option<String>> = cpu
        .groups
        .iter()
        .map(|g| super::setting::evc_mode_for(g.vendor, &g.features).map(|b| b.name.clone()))
        .collect();
    let mut rows: Vec<HostRow> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let c = &h.cpu;
            HostRow {
                name: h.name.clone(),
                cluster: h.cluster.clone(),
                group: cpu.groups.get(cpu.host_group[i]).map(|g| g.label.clone()),
                vendor: Some(c.maker().to_string()),
                family: Some(c.signature.family),
                model: Some(c.signature.model),
                stepping: Some(c.signature.stepping),
                microarchitecture: c.microarchitecture.map(str::to_string),
                sse3: Some(c.has(id::PNI)),
                nx: Some(c.has(id::NX)),
                virtualization: Some(c.has_virtualization()),
                x86_64_level: Some(c.x86_64_level),
                baseline: group_baseline.get(cpu.host_group[i]).cloned().flatten(),
                completeness: Some(c.completeness),
                hypervisor: c
                    .hypervisor
                    .as_ref()
                    .map(|h| h.name.unwrap_or("unrecognized").to_string()),
                error: None,
            }
        })
        .collect();
    rows.extend(failed.iter().map(|f| HostRow {
        name: f.name.clone(),
        cluster: f.cluster.clone(),
        group: None,
        vendor: None,
        family: None,
        model: None,
        stepping: None,
        microarchitecture: None,
        sse3: None,
        nx: None,
        virtualization: None,
        x86_64_level: None,
        baseline: None,
        completeness: None,
        hypervisor: None,
        error: Some(f.error.clone()),
    }));
    let groups_with_partial_dumps = cpu
        .groups
        .iter()
        .filter(|g| {
            g.hosts
                .iter()
                .any(|&i| hosts[i].cpu.completeness.is_partial())
        })
        .map(|g| g.label.clone())
        .collect();
    AuditReport {
        fleet: fleet.to_string(),
        hosts: rows,
        cpu,
        groups_with_partial_dumps,
        settings,
        guests: guests.iter().map(|g| g.key.clone()).collect(),
        storage_network: None,
        host_blockers: Vec::new(),
        msr: super::msr_compat::compare(hosts),
        targets: Vec::new(),
        releases_learned: None,
    }
}
