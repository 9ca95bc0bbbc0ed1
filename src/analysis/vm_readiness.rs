//! VM readiness: what in a VM's own configuration would stop vMotion (and so
//! stall DRS and maintenance mode on that VM), from its `.vmx`, its snapshots,
//! what its host reports, the hosts' storage/network facts and the fleet's CPU
//! groups. Pure: no I/O.
//!
//! Destinations of a host are the other hosts of its cluster (hosts without a
//! cluster: the other hosts without one). A datastore or LUN is judged only
//! against destinations whose facts are known.

use serde::Serialize;

use super::fleet::FleetAnalysis;
use crate::facts::{Datastore, HostFacts, StorageIdentity};
use crate::mask::explain::{explain_with, Explanation};
use crate::mask::per_vm::{dependency_gaps, DependencyGap, GuestView};
use crate::vms::vmx::{Duplicate, Vmx};
use crate::vms::VmSource;

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
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// vMotion cannot proceed; DRS and maintenance mode will stall on this VM.
    Error,
    /// vMotion may proceed.
    Warning,
}

impl Severity {
    /// "error" or "warning".
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One thing about a VM that stops or may trouble its move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// What kind: `internal-network`, `host-device`, `local-image`, `cpu-affinity`,
    /// `shared-bus`, `clustered-disk`, `storage`, `rdm`, `snapshots`, `no-heartbeat`,
    /// `cpu`, `mask`, `mask-dependency`, `unreadable`.
    pub kind: &'static str,
    /// The device (`ethernet0`, `ide1:0`, `scsi0:1`), if one.
    pub device: Option<String>,
    /// What is wrong and why it matters.
    pub problem: String,
    /// What to change: the exact setting.
    pub fix: String,
}

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
    pub findings: Vec<Finding>,
    /// Keys given twice in the `.vmx` (the last value is used).
    pub duplicate_keys: Vec<Duplicate>,
    /// Its CPUID mask, when it has one.
    pub mask: Option<VmMask>,
    /// Whether it can move to each other CPU group of the fleet (when known).
    pub cpu_moves: Vec<GroupMove>,
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
        };
        match vms {
            Err(e) => {
                hv.error = Some(e.clone());
                out.unreadable_hosts += 1;
            }
            Ok(vms) => {
                for vm in vms {
                    let r = check_vm(vm, src, &dests, cpu);
                    out.vms += 1;
                    for f in &r.findings {
                        match f.severity {
                            Severity::Error => out.errors += 1,
                            Severity::Warning => out.warnings += 1,
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

fn finding(
    severity: Severity,
    kind: &'static str,
    device: Option<&str>,
    problem: String,
    fix: String,
) -> Finding {
    Finding {
        severity,
        kind,
        device: device.map(str::to_string),
        problem,
        fix,
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
    };
    if let Some(p) = &vm.problem {
        r.findings.push(finding(
            Severity::Error,
            "unreadable",
            None,
            format!(
                "its configuration could not be read, so nothing can be said about its move: {p}"
            ),
            "correct the file at the line named (a .vmx holds key = \"value\" lines)".into(),
        ));
        if vm.vmx.entries().next().is_none() {
            return r;
        }
    }
    let ctx = Ctx { vm, src, dests };
    network(&ctx, &mut r.findings);
    removable(&ctx, &mut r.findings);
    affinity(&vm.vmx, &mut r.findings);
    disks(&ctx, &mut r.findings);
    snapshots(vm, &mut r.findings);
    heartbeat(vm, &mut r.findings);
    cpu_mask(&ctx, cpu, &mut r);
    r.findings.sort_by_key(|f| f.severity);
    r
}

struct Ctx<'a> {
    vm: &'a VmSource,
    src: &'a HostContext,
    dests: &'a [&'a HostContext],
}

/// A device is connected at power-on unless `startConnected` (or `connected`) is FALSE.
fn connected(vmx: &Vmx, dev: &str) -> bool {
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
            out.push(finding(
                Severity::Error,
                "internal-network",
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
            out.push(finding(
                Severity::Warning,
                "internal-network",
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

fn find_ds<'a>(facts: &'a HostFacts, key: &str) -> Option<&'a Datastore> {
    facts.datastores.iter().find(|d| {
        d.name == key || matches!(&d.identity, StorageIdentity::Vmfs { uuid, .. } if uuid == key)
    })
}

fn facts_known(h: &HostContext) -> bool {
    h.facts.source.is_some() || !h.facts.datastores.is_empty() || !h.facts.luns.is_empty()
}

/// Can `dest` see datastore `key` of `src`? `None` when `dest`'s facts are unknown.
fn ds_visible(key: &str, src: &HostContext, dest: &HostContext) -> Option<bool> {
    if !facts_known(dest) {
        return None;
    }
    let s = find_ds(&src.facts, key);
    if s.is_some_and(|s| s.is_local) {
        return Some(false);
    }
    let d = match s {
        Some(s) if s.identity != StorageIdentity::Named => dest
            .facts
            .datastores
            .iter()
            .find(|d| d.identity == s.identity)
            .or_else(|| find_ds(&dest.facts, &s.name)),
        Some(s) => find_ds(&dest.facts, &s.name),
        None => find_ds(&dest.facts, key),
    };
    Some(d.is_some_and(|d| {
        !d.is_local
            && match s {
                Some(s) => {
                    s.identity == StorageIdentity::Named
                        || d.identity == StorageIdentity::Named
                        || s.identity == d.identity
                }
                None => true,
            }
    }))
}

/// Can `dest` see LUN `id`? `None` when `dest`'s facts are unknown.
fn lun_visible(id: &str, src: &HostContext, dest: &HostContext) -> Option<bool> {
    if !facts_known(dest) {
        return None;
    }
    let same = |l: &&crate::facts::Lun| l.id.eq_ignore_ascii_case(id);
    if src.facts.luns.iter().find(same).is_some_and(|l| l.is_local) {
        return Some(false);
    }
    Some(
        dest.facts
            .luns
            .iter()
            .find(same)
            .is_some_and(|l| !l.is_local),
    )
}

/// The destinations that cannot see it, when none of the known ones can
/// (`None`: some can, or nothing is known).
fn unreachable(c: &Ctx, visible: impl Fn(&HostContext) -> Option<bool>) -> Option<Vec<String>> {
    let known: Vec<(&str, bool)> = c
        .dests
        .iter()
        .filter_map(|d| visible(d).map(|v| (d.name.as_str(), v)))
        .collect();
    if known.is_empty() || known.iter().any(|(_, v)| *v) {
        return None;
    }
    Some(known.iter().map(|(n, _)| n.to_string()).collect())
}

/// "which esx02, esx03 cannot see", or (no destination's facts known, but the
/// source says it is local) "which is local to esx01".
fn unseen(names: &[String], src: &str) -> String {
    if names.is_empty() {
        format!("which is local to {src}")
    } else {
        format!("which {} cannot see", names.join(", "))
    }
}

/// True when the VM cannot carry a file on datastore `ds` to any known destination.
fn ds_pins(c: &Ctx, ds: &str) -> Option<Vec<String>> {
    if c.dests.is_empty() {
        return None;
    }
    let local_here = find_ds(&c.src.facts, ds).is_some_and(|d| d.is_local);
    match unreachable(c, |d| ds_visible(ds, c.src, d)) {
        Some(h) => Some(h),
        None if local_here => Some(Vec::new()),
        None => None,
    }
}

/// The present devices (`scsi0:1`, `sata0:0`, ...) of the given bus families, each
/// with its `deviceType` in lowercase (empty when the .vmx gives none).
fn present_devices(vmx: &Vmx, families: &[&str]) -> Vec<(String, String)> {
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
        let sev = if on {
            Severity::Error
        } else {
            Severity::Warning
        };
        let state = if on {
            "is connected"
        } else {
            "is configured (not connected)"
        };
        let consequence = if on {
            "vMotion refuses a VM attached to something only this host has"
        } else {
            "vMotion may proceed; connecting it would pin the VM"
        };
        if how == "device" {
            let shown = if vmx.flag(&format!("{dev}.clientDevice")) == Some(true) {
                "a client device (the drive of the vSphere client's machine)".to_string()
            } else if file.is_empty() {
                format!("a host device of {}", c.src.name)
            } else {
                format!("the host device {file} of {}", c.src.name)
            };
            out.push(finding(
                sev,
                "host-device",
                Some(&dev),
                format!("{dev} ({what}) {state} to {shown}: {consequence}"),
                if dev.starts_with("floppy") {
                    format!("disconnect it ({dev}.startConnected = \"FALSE\") or remove it ({dev}.present = \"FALSE\")")
                } else {
                    format!("disconnect it ({dev}.startConnected = \"FALSE\"), or use an ISO on shared storage ({dev}.deviceType = \"cdrom-image\", {dev}.fileName = \"[shared datastore] path.iso\")")
                },
            ));
            continue;
        }
        let Some(ds) = datastore_of(&file, c.vm.home_datastore.as_deref()) else {
            continue;
        };
        let Some(blind) = ds_pins(c, &ds) else {
            continue;
        };
        out.push(finding(
            sev,
            "local-image",
            Some(&dev),
            format!(
                "{dev} ({what}) {state} to the image {file} on datastore \"{ds}\", {}: {consequence}",
                unseen(&blind, &c.src.name)
            ),
            format!(
                "disconnect it ({dev}.startConnected = \"FALSE\"), or move the image to a datastore every host sees ({dev}.fileName = \"[shared datastore] {}\")",
                base_name(&file)
            ),
        ));
    }
}

/// The file name of a `fileName` value (after the last `/` or `]`).
fn base_name(f: &str) -> &str {
    f.rsplit(['/', ']']).next().unwrap_or(f).trim()
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
        "cpu-affinity",
        None,
        format!("CPU affinity is set (sched.cpu.affinity = \"{t}\"): vMotion refuses VMs pinned to physical CPUs"),
        "clear it: sched.cpu.affinity = \"all\" (or delete the line; Edit Settings > CPU > Scheduling Affinity: empty)".into(),
    ));
}

fn disks(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    for bus in vmx.devices("scsi").into_iter().filter(|d| !d.contains(':')) {
        if let Some(mode) = vmx.get(&format!("{bus}.sharedBus")) {
            let m = mode.trim().to_ascii_lowercase();
            if m == "virtual" || m == "physical" {
                out.push(finding(
                    Severity::Error,
                    "shared-bus",
                    Some(&bus),
                    format!("SCSI controller {bus} has bus sharing \"{m}\" (a guest cluster): vMotion is not supported for VMs sharing a SCSI bus"),
                    format!("{bus}.sharedBus = \"none\" (move the cluster to multi-writer disks on shared storage, or fail it over before maintenance)"),
                ));
            }
        }
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
            if let Some(blind) = unreachable(c, |d| lun_visible(id, c.src, d)) {
                out.push(finding(
                    Severity::Error,
                    "rdm",
                    Some(&dev),
                    format!("{dev} maps LUN {id} raw, {}: vMotion needs the LUN presented to the destination", unseen(&blind, &c.src.name)),
                    format!("present LUN {id} to every host of the cluster (zoning/masking), or replace the raw disk with a virtual disk on shared storage ({dev}.fileName = \"[shared datastore] vm/disk.vmdk\")"),
                ));
            }
            continue;
        }
        let Some(ds) = datastore_of(file, c.vm.home_datastore.as_deref()) else {
            continue;
        };
        let Some(blind) = ds_pins(c, &ds) else {
            continue;
        };
        let (kind, problem, fix) = if multi {
            (
                "clustered-disk",
                format!("{dev} is shared multi-writer (a guest cluster disk) on datastore \"{ds}\", {}: a clustered disk must be on shared storage to move", unseen(&blind, &c.src.name)),
                format!("move it to a datastore every host sees ({dev}.fileName = \"[shared datastore] {}\"), or stop sharing it ({dev}.sharing = \"none\")", base_name(file)),
            )
        } else if raw {
            (
                "rdm",
                format!("{dev} is a raw device mapping ({file}) on datastore \"{ds}\", {}", unseen(&blind, &c.src.name)),
                format!("keep the mapping file and its LUN on storage every host sees ({dev}.fileName = \"[shared datastore] {}\") and present the LUN to every host", base_name(file)),
            )
        } else {
            (
                "storage",
                format!("{dev} ({file}) is on datastore \"{ds}\", {}: vMotion without Storage vMotion needs shared storage", unseen(&blind, &c.src.name)),
                format!("Storage vMotion the disk to a datastore every host sees ({dev}.fileName = \"[shared datastore] {}\")", base_name(file)),
            )
        };
        out.push(finding(Severity::Error, kind, Some(&dev), problem, fix));
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
        "snapshots",
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
            "no-heartbeat",
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
                "mask",
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
    r.findings.push(finding(
        Severity::Error,
        "cpu",
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
        let visible: Vec<String> = g
            .visible
            .iter()
            .map(|(n, bit)| format!("{n} ({bit})"))
            .collect();
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
            "mask-dependency",
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
mod tests {
    use super::*;
    use crate::facts::{FactsSource, Lun, PortGroup, VSwitch};

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
        }
    }

    fn vm(text: &str) -> VmSource {
        VmSource {
            host: "a".into(),
            name: "vm".into(),
            path: "[ds] vm/vm.vmx".into(),
            home_datastore: Some("san1".into()),
            vmx: crate::vms::vmx::parse(text, "vm.vmx").expect("parses"),
            snapshots: None,
            runtime: None,
            problem: None,
        }
    }

    fn kinds(r: &VmReport) -> Vec<(Severity, &'static str)> {
        r.findings.iter().map(|f| (f.severity, f.kind)).collect()
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
        assert!(check_vm(&rdm, &a, &[&unknown], None).findings.is_empty());
        let c = host("c", vec![], &["naa.1"]);
        assert!(
            check_vm(&rdm, &a, &[&b, &c], None).findings.is_empty(),
            "c sees it"
        );
    }

    #[test]
    fn network_devices_affinity_and_runtime() {
        let a = host("a", vec![vmfs("san1", "u", false)], &[]);
        let b = host("b", vec![vmfs("san1", "u", false)], &[]);
        let mut v = vm("ethernet0.present = \"TRUE\"\nethernet0.networkName = \"VM Network\"\n\
ethernet1.present = \"TRUE\"\nethernet1.networkName = \"backup-isolated\"\nethernet1.connected = \"FALSE\"\n\
sched.cpu.affinity = \"ALL\"\nfloppy0.fileName = \"/dev/fd0\"\nsata0:0.present = \"TRUE\"\nsata0:0.deviceType = \"cdrom-raw\"\nsata0:0.startConnected = \"FALSE\"\n");
        v.runtime = Some(crate::vms::vmsd::Runtime {
            power_state: Some("poweredOn".into()),
            tools_status: Some("toolsNotRunning".into()),
            tools_running: None,
        });
        v.snapshots = Some(crate::vms::vmsd::Snapshots {
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
