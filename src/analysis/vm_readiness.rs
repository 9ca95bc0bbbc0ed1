//! VM readiness: what in a VM's own configuration would stop vMotion (and so
//! stall DRS and maintenance mode on that VM), from its `.vmx`, its snapshots,
//! what its host reports, the hosts' storage/network facts and the fleet's CPU
//! groups. Pure: no I/O.
//!
//! Destinations of a host are the other hosts of its cluster (hosts without a
//! cluster: the other hosts without one). A datastore or LUN is judged only
//! against destinations whose facts are known.

use super::finding::{IntoKind, Severity};
use serde::Serialize;

use super::fleet::FleetAnalysis;
use super::vm_placement::{base_name, datastore_state, declare_datastore, judge, lun_state, Need};
use crate::mask::explain::{explain_with, Explanation};
use crate::mask::per_vm::{dependency_gaps, DependencyGap, GuestView};
use crate::model::facts::HostFacts;
use crate::model::vm::VmSource;
use crate::model::vmx::{Duplicate, Vmx};

/// A host as the VM checks see it.
#[derive(Debug, Clone, Default)]
pub struct HostContext {
    /// Its fleet-file name.
    pub name: String,
    /// Its cluster.
    pub cluster: Option<String>,
    /// Its storage/network facts.
    pub facts: HostFacts,
    /// Its CPU group (index into [`FleetAnalysis::groups`]), when collected.
    pub group: Option<usize>,
    /// Which kinds of facts its sources describe (declared hosts: the keys they
    /// give); what is not described is "unknown", never "absent".
    pub described: Described,
    /// Its ESXi release, where known (`vmware -vl`, or declared `esxi_version`).
    pub esxi: Option<crate::model::esxi_version::EsxiVersion>,
}

pub use super::vm_placement::{CanMove, Described, FactState, MoveVerdict};

pub use super::finding::{Finding, FindingKind};

/// Whether a VM can move from its host's CPU group to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMove {
    /// The destination group's label.
    pub to: String,
    /// The hosts of that group the VM could move to (its cluster's).
    pub hosts: Vec<String>,
    /// True when it can.
    pub movable: bool,
    /// Why (or why not).
    pub why: String,
}

/// A VM's own CPUID mask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmMask {
    /// Its `cpuid.*` / `featMask.vm.cpuid.*` lines, as written.
    pub lines: Vec<String>,
    /// What they mean.
    pub explanation: Explanation,
}

/// One VM's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmReport {
    /// Its name.
    pub name: String,
    /// Its `.vmx` (`[datastore] dir/vm.vmx` or a file path).
    pub path: String,
    /// Power state, where the host reports it.
    pub power_state: Option<String>,
    /// Errors and warnings, errors first.
    #[serde(serialize_with = "super::finding::as_vm")]
    pub findings: Vec<Finding>,
    /// Keys given twice in the `.vmx` (the last value is used).
    pub duplicate_keys: Vec<Duplicate>,
    /// Its CPUID mask, when it has one.
    pub mask: Option<VmMask>,
    /// Whether it can move to each other CPU group of the fleet (when known).
    pub cpu_moves: Vec<GroupMove>,
    /// Its virtual hardware version (`virtualHW.version`), when given.
    pub hardware_version: Option<u32>,
    /// Per destination of its host: whether it can move there and why not.
    pub destinations: Vec<MoveVerdict>,
}

impl VmReport {
    /// True when no destination is left (it blocks maintenance mode).
    pub fn fits_nowhere(&self) -> bool {
        !self.destinations.is_empty()
            && self
                .destinations
                .iter()
                .all(|d| d.verdict == super::vm_placement::CanMove::No)
    }
}

impl VmReport {
    /// True when something stops its move.
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// The VMs of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostVms {
    /// Host name.
    pub host: String,
    /// The hosts its VMs would move to (same cluster).
    pub destinations: Vec<String>,
    /// Its VMs.
    pub vms: Vec<VmReport>,
    /// The VMs that would block evacuating it (maintenance mode).
    pub blocking: Vec<String>,
    /// Why its VMs could not be listed, if they could not.
    pub error: Option<String>,
    /// Checks not made for its VMs and why (e.g. the hardware-version check
    /// where a destination's ESXi version is unknown), with how to declare it.
    pub not_checked: Vec<String>,
}

/// The VM readiness of a fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VmReadiness {
    /// Hosts with VMs to check, in fleet order.
    pub hosts: Vec<HostVms>,
    /// VMs read.
    pub vms: usize,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
    /// Facts not checked (unknown), per VM and device.
    pub not_checked: usize,
    /// Hosts whose VMs could not be listed.
    pub unreadable_hosts: usize,
}

/// Checks every VM. `inputs`: per host (by name), its VMs or why they could not
/// be read. `cpu`: the fleet's CPU analysis, when the hosts' CPUs are known.
pub fn check(
    hosts: &[HostContext],
    inputs: &[(String, Result<Vec<VmSource>, String>)],
    cpu: Option<&FleetAnalysis>,
) -> VmReadiness {
    let mut out = VmReadiness::default();
    let default_ctx = HostContext::default();
    for (host, vms) in inputs {
        let src = hosts
            .iter()
            .find(|h| &h.name == host)
            .unwrap_or(&default_ctx);
        let dests: Vec<&HostContext> = hosts
            .iter()
            .filter(|h| h.name != *host && h.cluster == src.cluster)
            .collect();
        let mut hv = HostVms {
            host: host.clone(),
            destinations: dests.iter().map(|h| h.name.clone()).collect(),
            vms: Vec::new(),
            blocking: Vec::new(),
            error: None,
            not_checked: Vec::new(),
        };
        match vms {
            Err(e) => {
                hv.error = Some(e.clone());
                out.unreadable_hosts += 1;
            }
            Ok(vms) => {
                hv.not_checked = super::vm_placement::host_not_checked(&dests, vms);
                for vm in vms {
                    let mut r = check_vm(vm, src, &dests, cpu);
                    super::vm_clustered::other_nodes(&mut r, vm, host, inputs, &dests);
                    out.vms += 1;
                    for f in &r.findings {
                        match f.severity {
                            Severity::Error => out.errors += 1,
                            Severity::Warning => out.warnings += 1,
                            Severity::NotChecked => out.not_checked += 1,
                        }
                    }
                    if r.blocks() {
                        hv.blocking.push(r.name.clone());
                    }
                    hv.vms.push(r);
                }
            }
        }
        out.hosts.push(hv);
    }
    out
}

/// A finding about the VM's own setting (state `present`); [`check_vm`] fills
/// in the VM, and the destinations of findings that name none.
pub(super) fn finding(
    severity: Severity,
    kind: impl IntoKind,
    device: Option<&str>,
    problem: String,
    fix: String,
) -> Finding {
    Finding {
        device: device.map(str::to_string),
        ..Finding::new(severity, kind.into_kind(), problem, fix)
    }
}

/// [`finding`] with a state other than `present`.
pub(super) fn finding_in(
    state: FactState,
    severity: Severity,
    kind: impl IntoKind,
    device: Option<&str>,
    problem: String,
    fix: String,
) -> Finding {
    Finding {
        state,
        ..finding(severity, kind, device, problem, fix)
    }
}

/// Checks one VM on host `src` whose possible destinations are `dests`.
pub fn check_vm(
    vm: &VmSource,
    src: &HostContext,
    dests: &[&HostContext],
    cpu: Option<&FleetAnalysis>,
) -> VmReport {
    let mut r = VmReport {
        name: vm.name.clone(),
        path: vm.path.clone(),
        power_state: vm.runtime.as_ref().and_then(|r| r.power_state.clone()),
        findings: Vec::new(),
        duplicate_keys: vm.vmx.duplicates.clone(),
        mask: None,
        cpu_moves: Vec::new(),
        hardware_version: super::vm_placement::hardware_version(&vm.vmx),
        destinations: Vec::new(),
    };
    if let Some(p) = &vm.problem {
        r.findings.push(finding_in(
            FactState::Unknown,
            Severity::Error,
            FindingKind::Unreadable,
            None,
            format!(
                "its configuration could not be read, so nothing can be said about its move: {p}"
            ),
            "correct the file at the line named (a .vmx holds key = \"value\" lines)".into(),
        ));
        if vm.vmx.entries().next().is_none() {
            finish(&mut r, dests);
            return r;
        }
    }
    let ctx = Ctx { vm, src, dests };
    network(&ctx, &mut r.findings);
    super::vm_placement::port_groups(&ctx, &mut r.findings);
    removable(&ctx, &mut r.findings);
    affinity(&vm.vmx, &mut r.findings);
    super::vm_clustered::shared_buses(&ctx, &mut r.findings);
    disks(&ctx, &mut r.findings);
    super::vm_placement::hardware(&ctx, r.hardware_version, &mut r.findings);
    snapshots(vm, &mut r.findings);
    heartbeat(vm, &mut r.findings);
    cpu_mask(&ctx, cpu, &mut r);
    finish(&mut r, dests);
    r
}

/// Fills in each finding's VM and (where it names none) its destinations,
/// decides per destination, adds a `no-destination` error when the findings
/// together leave no destination, and puts errors first.
pub(super) fn finish(r: &mut VmReport, dests: &[&HostContext]) {
    let all: Vec<String> = dests.iter().map(|d| d.name.clone()).collect();
    for f in &mut r.findings {
        f.vm = r.name.clone();
        if f.destinations.is_empty() && f.severity != Severity::NotChecked {
            f.destinations = all.clone();
            f.stops_move = f.severity == Severity::Error;
        }
    }
    r.findings.sort_by_key(|f| f.severity);
    r.destinations = super::vm_placement::verdicts(&r.findings, &all);
    let has_error = r.findings.iter().any(|f| f.severity == Severity::Error);
    if r.fits_nowhere() && !has_error {
        let why: Vec<String> = r
            .destinations
            .iter()
            .map(|d| format!("{}: {}", d.host, d.because.join("; ")))
            .collect();
        let mut f = finding_in(
            FactState::Absent,
            Severity::Error,
            FindingKind::NoDestination,
            None,
            format!(
                "it cannot move to any other host of its cluster, so maintenance mode would stall on it ({})",
                why.join(" | ")
            ),
            "fix one of the findings below for at least one destination (each names its setting)".into(),
        );
        f.vm = r.name.clone();
        f.destinations = all;
        f.stops_move = true;
        r.findings.insert(0, f);
    }
}

/// What the checks of one VM see.
pub(super) struct Ctx<'a> {
    /// The VM.
    pub vm: &'a VmSource,
    /// Its host.
    pub src: &'a HostContext,
    /// The hosts it could move to.
    pub dests: &'a [&'a HostContext],
}

/// A device is connected at power-on unless `startConnected` (or `connected`) is FALSE.
pub(super) fn connected(vmx: &Vmx, dev: &str) -> bool {
    vmx.flag(&format!("{dev}.startConnected")) != Some(false)
        && vmx.flag(&format!("{dev}.connected")) != Some(false)
}

fn network(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    for dev in vmx.devices("ethernet") {
        if vmx.flag(&format!("{dev}.present")) != Some(true) {
            continue;
        }
        let Some(label) = vmx.get(&format!("{dev}.networkName")) else {
            continue;
        };
        if !c.src.facts.is_internal_port_group(label) {
            continue;
        }
        let switch = c
            .src
            .facts
            .vswitch_of(label)
            .map_or_else(String::new, |s| format!(" (switch \"{}\")", s.name));
        if connected(vmx, &dev) {
            out.push(finding_in(
                FactState::Absent,
                Severity::Error,
                FindingKind::InternalNetwork,
                Some(&dev),
                format!(
                    "{dev} is connected to port group \"{label}\"{switch}, which has no uplinks on {}: the VM would lose that network anywhere else, so vMotion refuses it",
                    c.src.name
                ),
                format!(
                    "connect {dev} to a port group with uplinks ({dev}.networkName = \"<port group with uplinks>\"), or disconnect it ({dev}.startConnected = \"FALSE\", and untick Connected while it runs)"
                ),
            ));
        } else {
            out.push(finding_in(
                FactState::Absent,
                Severity::Warning,
                FindingKind::InternalNetwork,
                Some(&dev),
                format!(
                    "{dev} is on port group \"{label}\"{switch}, which has no uplinks, but not connected: vMotion may proceed; connecting it would pin the VM to {}",
                    c.src.name
                ),
                format!(
                    "move {dev} to a port group with uplinks ({dev}.networkName = \"<port group with uplinks>\") or remove the adapter ({dev}.present = \"FALSE\")"
                ),
            ));
        }
    }
}

/// The datastore a `fileName` lives on: `[ds] path`, `/vmfs/volumes/ds/...`, or
/// (relative) the VM's home datastore. `None` for other absolute paths.
pub fn datastore_of(file: &str, home: Option<&str>) -> Option<String> {
    let f = file.trim();
    if let Some(rest) = f.strip_prefix('[') {
        return rest.split_once(']').map(|(ds, _)| ds.to_string());
    }
    if let Some(rest) = f.strip_prefix("/vmfs/volumes/") {
        return rest
            .split('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    }
    if f.starts_with('/') || f.is_empty() {
        return None;
    }
    home.map(str::to_string)
}

/// The present devices (`scsi0:1`, `sata0:0`, ...) of the given bus families, each
/// with its `deviceType` in lowercase (empty when the .vmx gives none).
pub(super) fn present_devices(vmx: &Vmx, families: &[&str]) -> Vec<(String, String)> {
    families
        .iter()
        .flat_map(|fam| vmx.devices(fam))
        .filter(|d| d.contains(':') && vmx.flag(&format!("{d}.present")) == Some(true))
        .map(|d| {
            let t = vmx
                .get(&format!("{d}.deviceType"))
                .unwrap_or("")
                .to_ascii_lowercase();
            (d, t)
        })
        .collect()
}

fn removable(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    let mut devs: Vec<(String, &'static str)> = Vec::new();
    for (dev, t) in present_devices(vmx, &["ide", "sata"]) {
        match t.as_str() {
            "atapi-cdrom" | "cdrom-raw" => devs.push((dev, "device")),
            "cdrom-image" => devs.push((dev, "image")),
            _ => {}
        }
    }
    for dev in vmx.devices("floppy") {
        if vmx.flag(&format!("{dev}.present")) == Some(false) {
            continue;
        }
        let t = vmx
            .get(&format!("{dev}.fileType"))
            .map(str::to_ascii_lowercase);
        let name = vmx.get(&format!("{dev}.fileName")).unwrap_or("");
        match t.as_deref() {
            Some("device") => devs.push((dev, "device")),
            Some("file") => devs.push((dev, "image")),
            None if name.starts_with("/dev/") => devs.push((dev, "device")),
            _ => {}
        }
    }
    for (dev, how) in devs {
        let what = if dev.starts_with("floppy") {
            "floppy"
        } else {
            "CD-ROM"
        };
        let file = vmx
            .get(&format!("{dev}.fileName"))
            .unwrap_or("")
            .to_string();
        let on = connected(vmx, &dev);
        if how == "device" {
            let client = vmx.flag(&format!("{dev}.clientDevice")) == Some(true);
            if client {
                // A client device not connected ties the VM to nothing.
                if on {
                    out.push(finding_in(
                        FactState::Absent,
                        Severity::Error,
                        FindingKind::HostDevice,
                        Some(&dev),
                        format!("{dev} ({what}) is connected to a client device (the drive of the vSphere client's machine): vMotion refuses a VM with a client device connected"),
                        format!("disconnect it in the remote console before the move (VM > Removable Devices > Disconnect), and keep it off at power-on ({dev}.startConnected = \"FALSE\")"),
                    ));
                }
                continue;
            }
            let shown = if file.is_empty() {
                format!("a host device of {}", c.src.name)
            } else {
                format!("the host device {file} of {}", c.src.name)
            };
            let (sev, problem, fix) = if on {
                (
                    Severity::Error,
                    format!("{dev} ({what}) is connected to {shown}: vMotion refuses a VM attached to something only this host has"),
                    if dev.starts_with("floppy") {
                        format!("disconnect it ({dev}.startConnected = \"FALSE\", and Disconnect while it runs) or remove it ({dev}.present = \"FALSE\")")
                    } else {
                        format!("disconnect it ({dev}.startConnected = \"FALSE\", and Disconnect while it runs), or use an ISO on shared storage ({dev}.deviceType = \"cdrom-image\", {dev}.fileName = \"[shared datastore] path.iso\")")
                    },
                )
            } else {
                (
                    Severity::Warning,
                    format!("{dev} ({what}) is configured (not connected) to {shown}: vMotion may proceed; connecting it would pin the VM"),
                    if dev.starts_with("floppy") {
                        format!("leave it disconnected until the VM has moved; to drop this warning remove it ({dev}.present = \"FALSE\")")
                    } else {
                        format!("leave it disconnected until the VM has moved; to drop this warning back it with a client device or an ISO on shared storage ({dev}.deviceType = \"cdrom-image\", {dev}.fileName = \"[shared datastore] path.iso\")")
                    },
                )
            };
            out.push(finding_in(
                FactState::Absent,
                sev,
                FindingKind::HostDevice,
                Some(&dev),
                problem,
                fix,
            ));
            continue;
        }
        let Some(ds) = datastore_of(&file, c.vm.home_datastore.as_deref()) else {
            continue;
        };
        if c.dests.is_empty() {
            continue;
        }
        let states = datastore_states(c, &ds);
        let base = base_name(&file);
        judge(
            Need {
                kind: "local-image",
                device: Some(&dev),
                uses: ds_words(&ds),
                subject: format!(
                    "{dev} ({what}) {} the image {file} on {}",
                    if on { "is connected to" } else { "holds" },
                    ds_words(&ds)
                ),
                connected: on,
                lacks: ("cannot see", "cannot see"),
                consequence: "vMotion refuses a VM attached to an image the destination cannot see",
                fix_absent: format!("disconnect it ({dev}.startConnected = \"FALSE\", and Disconnect while it runs), or move the image to a datastore every host sees ({dev}.fileName = \"[shared datastore] {base}\")"),
                fix_disconnected: Some(format!("leave it disconnected until the VM has moved, or move the image to a datastore every host sees before connecting it ({dev}.fileName = \"[shared datastore] {base}\")")),
                fix_unknown: declare_datastore(&ds, &dev, &file),
            },
            &states,
            out,
        );
    }
}

/// `datastore "name"`, or `the VMFS volume with UUID ...` for a UUID path.
fn ds_words(ds: &str) -> String {
    if super::vm_placement::looks_like_vmfs_uuid(ds) {
        format!("the VMFS volume with UUID {ds}")
    } else {
        format!("datastore \"{ds}\"")
    }
}

/// Each destination's state for datastore `ds`.
fn datastore_states(c: &Ctx, ds: &str) -> Vec<(String, FactState, Option<String>)> {
    c.dests
        .iter()
        .map(|d| {
            let (s, n) = datastore_state(ds, c.src, d, c.dests);
            (d.name.clone(), s, n)
        })
        .collect()
}

fn affinity(vmx: &Vmx, out: &mut Vec<Finding>) {
    let Some(v) = vmx.get("sched.cpu.affinity") else {
        return;
    };
    let t = v.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("all") {
        return;
    }
    out.push(finding(
        Severity::Error,
        FindingKind::CpuAffinity,
        None,
        format!("CPU affinity is set (sched.cpu.affinity = \"{t}\"): vMotion refuses VMs pinned to physical CPUs"),
        "clear it: sched.cpu.affinity = \"all\" (or delete the line; Edit Settings > CPU > Scheduling Affinity: empty)".into(),
    ));
}

fn disks(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    if c.dests.is_empty() {
        return;
    }
    for (dev, t) in present_devices(vmx, &["scsi", "sata", "nvme", "ide"]) {
        if t.contains("cdrom") {
            continue;
        }
        let Some(file) = vmx.get(&format!("{dev}.fileName")) else {
            continue;
        };
        let lower = file.to_ascii_lowercase();
        let raw = t == "rawdisk" || lower.ends_with("-rdm.vmdk") || lower.ends_with("-rdmp.vmdk");
        if !raw && !lower.ends_with(".vmdk") {
            continue;
        }
        let multi = vmx
            .get(&format!("{dev}.sharing"))
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("multi-writer"));
        if let Some(id) = file.strip_prefix("/vmfs/devices/disks/") {
            let id = id.split(':').next().unwrap_or(id);
            let states: Vec<_> = c
                .dests
                .iter()
                .map(|d| {
                    let (s, n) = lun_state(id, c.src, d);
                    (d.name.clone(), s, n)
                })
                .collect();
            judge(
                Need {
                    kind: "rdm",
                    device: Some(&dev),
                    uses: format!("LUN {id}"),
                    subject: format!("{dev} maps LUN {id} raw"),
                    connected: true,
                    lacks: ("cannot see", "cannot see"),
                    consequence: "vMotion needs the LUN presented to the destination",
                    fix_absent: format!("present LUN {id} to every host of the cluster (zoning/masking, then rescan storage), or replace the raw disk with a virtual disk on shared storage ({dev}.fileName = \"[shared datastore] vm/disk.vmdk\")"),
                    fix_disconnected: None,
                    fix_unknown: format!("declare the destination's shared LUNs (luns = [\"{id}\", ...]) or read it over SSH (esxi = \"root@HOST\"; `esxcli storage core device list`)"),
                },
                &states,
                out,
            );
            continue;
        }
        let Some(ds) = datastore_of(file, c.vm.home_datastore.as_deref()) else {
            continue;
        };
        let states = datastore_states(c, &ds);
        let base = base_name(file);
        let (kind, subject, consequence, fix) = if multi {
            (
                "clustered-disk",
                format!("{dev} is shared multi-writer (a guest cluster disk) on {}", ds_words(&ds)),
                "a clustered disk must be on storage every node's host sees to move",
                format!("move it to a datastore every host sees ({dev}.fileName = \"[shared datastore] {base}\"), with the guest cluster's other nodes"),
            )
        } else if raw {
            (
                "rdm",
                format!("{dev} is a raw device mapping ({file}) on {}", ds_words(&ds)),
                "vMotion needs the mapping file and its LUN on the destination",
                format!("keep the mapping file and its LUN on storage every host sees ({dev}.fileName = \"[shared datastore] {base}\") and present the LUN to every host"),
            )
        } else {
            (
                "storage",
                format!("{dev} ({file}) is on {}", ds_words(&ds)),
                "vMotion without Storage vMotion needs shared storage",
                format!("Storage vMotion the disk to a datastore every host sees ({dev}.fileName = \"[shared datastore] {base}\")"),
            )
        };
        judge(
            Need {
                kind,
                device: Some(&dev),
                uses: ds_words(&ds),
                subject,
                connected: true,
                lacks: ("cannot see", "cannot see"),
                consequence,
                fix_absent: fix,
                fix_disconnected: None,
                fix_unknown: declare_datastore(&ds, &dev, file),
            },
            &states,
            out,
        );
    }
}

fn snapshots(vm: &VmSource, out: &mut Vec<Finding>) {
    let from_vmsd = vm.snapshots.as_ref().map_or(0, |s| s.count);
    let from_vmx = vm
        .vmx
        .get("snapshot.numSnapshots")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let n = from_vmsd.max(from_vmx);
    if n == 0 {
        return;
    }
    let names = vm
        .snapshots
        .as_ref()
        .filter(|s| !s.names.is_empty())
        .map_or_else(String::new, |s| format!(" ({})", s.names.join(", ")));
    out.push(finding(
        Severity::Warning,
        FindingKind::Snapshots,
        None,
        format!("{n} snapshot(s){names}: vMotion may proceed, but slower, and snapshots on local storage pin the VM"),
        "delete or consolidate them (Snapshot Manager > Delete All; snapshot.numSnapshots in the .vmsd becomes 0)".into(),
    ));
}

fn heartbeat(vm: &VmSource, out: &mut Vec<Finding>) {
    let Some(rt) = &vm.runtime else { return };
    if rt.is_off() {
        return;
    }
    if let Some(why) = rt.no_heartbeat() {
        out.push(finding(
            Severity::Warning,
            FindingKind::NoHeartbeat,
            None,
            format!("{why} (host reports toolsStatus {}, toolsRunningStatus {}): no heartbeat, so HA and DRS cannot see the guest and vMotion cannot quiesce it",
                rt.tools_status.as_deref().unwrap_or("?"), rt.tools_running.as_deref().unwrap_or("?")),
            "install or start VMware Tools in the guest (Linux: open-vm-tools, systemctl enable --now vmtoolsd)".into(),
        ));
    }
}

fn cpu_mask(c: &Ctx, cpu: Option<&FleetAnalysis>, r: &mut VmReport) {
    let mask = match c.vm.vmx.mask() {
        Ok(m) => m,
        Err(e) => {
            r.findings.push(finding(
                Severity::Error,
                FindingKind::Mask,
                None,
                format!("a CPUID mask line is malformed, and VMware refuses to power on or move the VM: {e}"),
                "correct or delete that line (`vmcompat mask --explain FILE` shows what each line means)".into(),
            ));
            return;
        }
    };
    let complete =
        c.vm.vmx
            .flag("featureCompat.vm.completeMasks")
            .unwrap_or(false);
    if !mask.is_empty() {
        let mut entries: Vec<_> = c
            .vm
            .vmx
            .entries()
            .filter(|e| crate::mask::vmx::classify_key(&e.key) != crate::mask::vmx::KeyKind::Other)
            .collect();
        entries.sort_by_key(|e| e.line);
        r.mask = Some(VmMask {
            lines: entries
                .iter()
                .map(|e| format!("{} = \"{}\"", e.key, e.value))
                .collect(),
            // The dependency gaps become findings below, judged on the host.
            explanation: Explanation {
                dependency_gaps: Vec::new(),
                ..explain_with(&mask, complete)
            },
        });
    }
    let (Some(cpu), Some(g)) = (cpu, c.src.group) else {
        if !mask.is_empty() {
            // No CPU known: judge the mask alone (Intel meaning of VMware's names).
            let view = GuestView::of(&mask, complete, crate::decode::Vendor::Intel);
            mask_gaps(&dependency_gaps(&view, None), &mut r.findings);
        }
        return;
    };
    let Some(row) = cpu.matrix.get(g) else { return };
    let Some(from) = cpu.groups.get(g) else {
        return;
    };
    // What the guest sees on its host: the group's features through its mask.
    let view = GuestView::of(&mask, complete, from.vendor);
    let seen = view.visible(&from.features);
    mask_gaps(
        &dependency_gaps(&view, Some(&from.features)),
        &mut r.findings,
    );
    for (h, verdict) in row.iter().enumerate() {
        if h == g {
            continue;
        }
        let Some(to) = cpu.groups.get(h) else {
            continue;
        };
        let (movable, why) = super::vm_cpu::judge(&view, &seen, to, verdict);
        r.cpu_moves.push(GroupMove {
            to: to.label.clone(),
            hosts: c
                .dests
                .iter()
                .filter(|d| d.group == Some(h))
                .map(|d| d.name.clone())
                .collect(),
            movable,
            why,
        });
    }
    // Evacuation: every destination with a known CPU is in a group the VM cannot reach.
    let dest_groups: Vec<usize> = c.dests.iter().filter_map(|d| d.group).collect();
    if dest_groups.is_empty() || dest_groups.contains(&g) {
        return;
    }
    let reachable = |h: usize| {
        r.cpu_moves
            .iter()
            .any(|m| m.movable && cpu.groups.get(h).is_some_and(|x| x.label == m.to))
    };
    if dest_groups.iter().any(|&h| reachable(h)) {
        return;
    }
    let from = cpu.groups.get(g).map_or("?", |x| x.label.as_str());
    let to: Vec<String> = dest_groups
        .iter()
        .filter_map(|&h| cpu.groups.get(h).map(|x| x.label.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    r.findings.push(finding_in(
        FactState::Absent,
        Severity::Error,
        FindingKind::Cpu,
        None,
        format!(
            "every other host of {} has a CPU of group {} that lacks features this VM sees (it runs on group {from})",
            c.src.name,
            to.join(", ")
        ),
        format!(
            "power the VM off and give it the mask `vmcompat mask FLEET --from {from} --to {}` prints (vmcompat mask FLEET --from {from} --to {} --apply VM.vmx)",
            to.first().map_or("?", String::as_str),
            to.first().map_or("?", String::as_str)
        ),
    ));
}

/// A warning per feature the VM's mask hides while it leaves visible what
/// requires it (part of the VM's CPU verdict).
fn mask_gaps(gaps: &[DependencyGap], out: &mut Vec<Finding>) {
    for g in gaps {
        let visible = g.visible_names();
        let lines: Vec<String> = g
            .visible
            .iter()
            .filter_map(|(n, _)| crate::catalog::lookup(n))
            .map(|id| match crate::mask::featmask_for(id) {
                Some(f) => format!("{} = \"{}\"", f.key(), f.value_text()),
                None => crate::mask::per_vm::bit_name(id),
            })
            .collect();
        out.push(finding(
            Severity::Warning,
            FindingKind::MaskDependency,
            None,
            format!(
                "its mask hides {} ({}) but leaves visible what requires it: {}; a guest that checks only those may use them and fault",
                g.hidden,
                g.hidden_bit,
                visible.join(", ")
            ),
            format!(
                "hide them too ({}), or stop hiding {}",
                lines.join(", "),
                g.hidden
            ),
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::facts::{Datastore, FactsSource, Lun, PortGroup, StorageIdentity, VSwitch};

    fn vmfs(name: &str, uuid: &str, local: bool) -> Datastore {
        Datastore {
            name: name.into(),
            identity: StorageIdentity::Vmfs {
                uuid: uuid.into(),
                devices: vec![],
            },
            is_local: local,
        }
    }

    fn host(name: &str, datastores: Vec<Datastore>, luns: &[&str]) -> HostContext {
        HostContext {
            name: name.into(),
            cluster: Some("c".into()),
            facts: HostFacts {
                source: Some(FactsSource::Esxi),
                datastores,
                luns: luns
                    .iter()
                    .map(|id| Lun {
                        id: id.to_string(),
                        display_name: None,
                        is_local: false,
                        is_shared: true,
                    })
                    .collect(),
                vswitches: vec![
                    VSwitch {
                        name: "vSwitch0".into(),
                        uplinks: vec!["vmnic0".into()],
                    },
                    VSwitch {
                        name: "vSwitch1".into(),
                        uplinks: vec![],
                    },
                ],
                port_groups: vec![
                    PortGroup {
                        label: "VM Network".into(),
                        vswitch: Some("vSwitch0".into()),
                        vlan: None,
                    },
                    PortGroup {
                        label: "backup-isolated".into(),
                        vswitch: Some("vSwitch1".into()),
                        vlan: None,
                    },
                ],
                ..HostFacts::default()
            },
            group: None,
            described: Described::default(),
            esxi: None,
        }
    }

    fn vm(text: &str) -> VmSource {
        let vmx = crate::model::vmx::parse(text, "vm.vmx").expect("parses");
        VmSource {
            home_datastore: Some("san1".into()),
            ..VmSource::new("a", "vm", "[ds] vm/vm.vmx", vmx)
        }
    }

    /// Each finding's severity and kind (for the VM-readiness tests).
    pub(crate) fn kinds(r: &VmReport) -> Vec<(Severity, &'static str)> {
        r.findings
            .iter()
            .map(|f| (f.severity, f.kind.name()))
            .collect()
    }

    #[test]
    fn datastores_by_identity_not_name() {
        // "san1" is the same VMFS volume on both; "datastore1" is a local disk on
        // each host that happens to share its default name; "nfs" differs by uuid.
        let a = host(
            "a",
            vec![
                vmfs("san1", "5f1-aaa", false),
                vmfs("datastore1", "5f1-loc-a", true),
                vmfs("vol2", "5f1-x", false),
            ],
            &["naa.1"],
        );
        let b = host(
            "b",
            vec![
                vmfs("san1-renamed", "5f1-aaa", false),
                vmfs("datastore1", "5f1-loc-b", true),
                vmfs("vol2", "5f1-other", false),
            ],
            &[],
        );
        let r = check_vm(
            &vm("scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"vm.vmdk\"\nscsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"/vmfs/volumes/5f1-aaa/vm/b.vmdk\"\n"),
            &a,
            &[&b],
            None,
        );
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        for (file, kind) in [
            ("[datastore1] vm/c.vmdk", "storage"),
            ("[vol2] vm/c.vmdk", "storage"),
        ] {
            let r = check_vm(
                &vm(&format!(
                    "scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"{file}\"\n"
                )),
                &a,
                &[&b],
                None,
            );
            assert_eq!(kinds(&r), vec![(Severity::Error, kind)], "{file}");
        }
        // A raw LUN b does not see; a destination with unknown facts is not judged.
        let rdm = vm("scsi0:1.present = \"TRUE\"\nscsi0:1.deviceType = \"rawDisk\"\nscsi0:1.fileName = \"/vmfs/devices/disks/NAA.1:1\"\n");
        assert_eq!(
            kinds(&check_vm(&rdm, &a, &[&b], None)),
            vec![(Severity::Error, "rdm")]
        );
        let unknown = HostContext {
            name: "c".into(),
            ..HostContext::default()
        };
        // Nothing is known about c's LUNs: not checked (before issue 14: no finding).
        let r = check_vm(&rdm, &a, &[&unknown], None);
        assert_eq!(kinds(&r), vec![(Severity::NotChecked, "rdm")]);
        assert_eq!(r.findings[0].state, FactState::Unknown);
        assert_eq!(r.findings[0].destinations, vec!["c".to_string()]);
        assert!(!r.blocks());
        // c sees it: the VM can move to c, not to b (a warning, not an error).
        let c = host("c", vec![], &["naa.1"]);
        let r = check_vm(&rdm, &a, &[&b, &c], None);
        assert_eq!(kinds(&r), vec![(Severity::Warning, "rdm")]);
        assert_eq!(r.findings[0].destinations, vec!["b".to_string()]);
        assert!(r.findings[0].stops_move && !r.blocks() && !r.fits_nowhere());
        let v: Vec<(&str, CanMove)> = r
            .destinations
            .iter()
            .map(|d| (d.host.as_str(), d.verdict))
            .collect();
        assert_eq!(v, vec![("b", CanMove::No), ("c", CanMove::Yes)]);
    }

    #[test]
    fn network_devices_affinity_and_runtime() {
        let a = host("a", vec![vmfs("san1", "u", false)], &[]);
        let b = host("b", vec![vmfs("san1", "u", false)], &[]);
        let mut v = vm("ethernet0.present = \"TRUE\"\nethernet0.networkName = \"VM Network\"\n\
ethernet1.present = \"TRUE\"\nethernet1.networkName = \"backup-isolated\"\nethernet1.connected = \"FALSE\"\n\
sched.cpu.affinity = \"ALL\"\nfloppy0.fileName = \"/dev/fd0\"\nsata0:0.present = \"TRUE\"\nsata0:0.deviceType = \"cdrom-raw\"\nsata0:0.startConnected = \"FALSE\"\n");
        v.runtime = Some(crate::model::vmsd::Runtime {
            power_state: Some("poweredOn".into()),
            tools_status: Some("toolsNotRunning".into()),
            tools_running: None,
        });
        v.snapshots = Some(crate::model::vmsd::Snapshots {
            count: 1,
            names: vec!["x".into()],
        });
        let r = check_vm(&v, &a, &[&b], None);
        assert_eq!(
            kinds(&r),
            vec![
                (Severity::Error, "host-device"),
                (Severity::Warning, "internal-network"),
                (Severity::Warning, "host-device"),
                (Severity::Warning, "snapshots"),
                (Severity::Warning, "no-heartbeat"),
            ]
        );
        assert!(r.findings[0]
            .fix
            .contains("floppy0.startConnected = \"FALSE\""));
        assert!(r.blocks());
    }

    #[test]
    fn datastore_paths() {
        assert_eq!(
            datastore_of("[ds 1] a/b.iso", None).as_deref(),
            Some("ds 1")
        );
        assert_eq!(
            datastore_of("/vmfs/volumes/u-1/a.iso", None).as_deref(),
            Some("u-1")
        );
        assert_eq!(datastore_of("a.iso", Some("home")).as_deref(), Some("home"));
        assert_eq!(
            datastore_of("/usr/lib/vmware/isoimages/linux.iso", Some("h")),
            None
        );
        assert_eq!(datastore_of("[unclosed", None), None);
        assert_eq!(base_name("[ds] a/b.iso"), "b.iso");
        assert_eq!(base_name("[ds] b.iso"), "b.iso");
    }
}
