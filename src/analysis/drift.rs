//! Drift between two audits of one fleet (`vmcompat drift OLD NEW`): what changed
//! on each host (compared CPUID features gained or lost, microcode, BIOS,
//! kernel, QEMU and libvirt versions; hosts added or removed) and what that does
//! to each cluster: its common baseline raised or lowered (with its named
//! baseline, vSphere EVC mode and QEMU/libvirt model, from the same per-cluster
//! analysis `audit` runs), the old cluster mask re-verified against the new
//! dumps (with the same check `mask` runs before printing), and the moves that
//! were possible and no longer are (a VM started on one host that could go to
//! another before the change and cannot now). Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::audit::FailedHost;
use super::fleet::{self, FleetAnalysis, FleetHost, Verdict};
use super::maskplan::MaskPlan;
use crate::catalog::FeatureSet;
use crate::cpuid::{Completeness, CpuLeaves};
use crate::decode::Vendor;
use crate::mask::model::CpuidMask;
use crate::mask::verify;
use crate::model::fingerprint::{Field, Fingerprint};
use crate::model::policy::Policy;

/// One side of the comparison: a snapshot or a live collection.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The decoded hosts.
    pub hosts: &'a [FleetHost],
    /// Each host's first logical CPU (same order as `hosts`).
    pub leaves: &'a [CpuLeaves],
    /// Each host's fingerprint (same order).
    pub fingerprints: &'a [Fingerprint],
    /// Each host's dump completeness (same order).
    pub completeness: &'a [Completeness],
    /// Hosts that could not be collected.
    pub failed: &'a [FailedHost],
    /// The VMs on each host, where the side has a VM inventory.
    pub vms: &'a BTreeMap<String, Vec<String>>,
}

/// The old side's cluster mask (one per cluster and vendor, as `audit` and
/// `mask` make them), verified against the old dumps.
#[derive(Debug, Clone)]
pub struct OldMask {
    /// The cluster.
    pub cluster: Option<String>,
    /// The vendor of its hosts.
    pub vendor: Vendor,
    /// The plan the mask was built from.
    pub plan: MaskPlan,
    /// The mask.
    pub mask: CpuidMask,
}

/// Words and names for features, in catalog order.
fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// A fingerprint field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    /// Which field.
    pub field: Field,
    /// Its old value (`None`: not known then).
    pub old: Option<String>,
    /// Its new value (`None`: not known now).
    pub new: Option<String>,
}

/// What changed on one host present on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct HostDrift {
    /// The host.
    pub name: String,
    /// Its cluster (new side).
    pub cluster: Option<String>,
    /// Its cluster on the old side, when it moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_cluster: Option<String>,
    /// Compared features it has now and did not have.
    #[serde(serialize_with = "names")]
    pub gained: FeatureSet,
    /// Compared features it had and has no longer.
    #[serde(serialize_with = "names")]
    pub lost: FeatureSet,
    /// MSR-based features (VMX capabilities, ARCH_CAPABILITIES; libvirt's names)
    /// it has now and did not have, where both sides could show them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msr_gained: Vec<&'static str>,
    /// MSR-based features it had and has no longer, where both sides could show
    /// them (a VMX capability matters only to VMs with nested virtualization).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msr_lost: Vec<&'static str>,
    /// Fingerprint fields that changed (only those known on one side at least).
    pub versions: Vec<VersionChange>,
    /// The CPU itself changed (vendor, family, model or stepping): `old -> new`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_replaced: Option<String>,
    /// A caveat on the comparison (dumps of different completeness; a side
    /// where the host could not be collected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HostDrift {
    /// True when something changed.
    pub fn changed(&self) -> bool {
        !self.gained.is_empty()
            || !self.lost.is_empty()
            || !self.msr_gained.is_empty()
            || !self.msr_lost.is_empty()
            || !self.versions.is_empty()
            || self.cpu_replaced.is_some()
            || self.old_cluster.is_some()
            || self.note.is_some()
    }
}

/// A host present on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostPresence {
    /// The host.
    pub name: String,
    /// Its cluster.
    pub cluster: Option<String>,
}

/// The old cluster mask checked against the new dumps.
#[derive(Debug, Clone, Serialize)]
pub struct MaskDrift {
    /// Labels of the old groups the mask was for.
    pub groups: Vec<String>,
    /// How many `cpuid.*` lines the mask has (0: the cluster needed none).
    pub lines: usize,
    /// Why it no longer verifies, in words naming hosts and features.
    pub problem: String,
    /// True when guests under it would now differ or see what some host lacks
    /// (migration breaks); false when it is only stricter than needed now.
    pub breaks_migration: bool,
}

/// Moves that were possible on the old side and are not now: a VM powered on
/// at any host of `from` can no longer go to any host of `to` without a (new)
/// mask. Hosts are listed together when they are alike on both sides (the same
/// group before and after), so a large cluster gives a few lines, not one per
/// pair of hosts.
#[derive(Debug, Clone, Serialize)]
pub struct LostMove {
    /// Where the VM was powered on.
    pub from: Vec<String>,
    /// Where it can no longer go.
    pub to: Vec<String>,
    /// What the destinations lack now (beyond what a mask already hid before).
    #[serde(serialize_with = "names")]
    pub lacks: FeatureSet,
    /// True when no mask can bridge the move now (vendor, family, must-match bits).
    pub no_mask_helps: bool,
    /// The VMs on the `from` hosts, as `host/vm` (from the fleet's VM inventory;
    /// empty when there is none).
    pub vms: Vec<String>,
}

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldNew<T> {
    /// On the old side.
    pub old: T,
    /// On the new side.
    pub new: T,
}

impl<T: PartialEq> OldNew<T> {
    /// True when the two differ.
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// What the change does to one cluster (one vendor of it).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterDrift {
    /// The cluster.
    pub cluster: Option<String>,
    /// The vendor of its hosts.
    pub vendor: Vendor,
    /// Hosts of the vendor in the cluster, old and new.
    pub hosts: OldNew<usize>,
    /// Features the common baseline lost.
    #[serde(serialize_with = "names")]
    pub lowered: FeatureSet,
    /// Features the common baseline gained.
    #[serde(serialize_with = "names")]
    pub raised: FeatureSet,
    /// The common baseline's size, old and new.
    pub baseline_features: OldNew<usize>,
    /// The named baseline (masks/) every host reaches, old and new.
    pub named_baseline: OldNew<Option<String>>,
    /// The vSphere EVC mode, old and new.
    pub evc_mode: OldNew<Option<String>>,
    /// The QEMU/libvirt named model, old and new.
    pub model: OldNew<Option<String>>,
    /// Flags of the QEMU/libvirt setting (`+hle`, `-svm`, in QEMU's spelling)
    /// that the new setting no longer has.
    pub model_flags_dropped: Vec<String>,
    /// Flags the new setting has that the old did not.
    pub model_flags_added: Vec<String>,
    /// The old cluster mask, where it no longer verifies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask: Option<MaskDrift>,
    /// Moves that were possible and are not now.
    pub lost_moves: Vec<LostMove>,
}

impl ClusterDrift {
    /// True when the change affects migration in this cluster: the baseline fell,
    /// the old mask breaks, or a move was lost.
    pub fn affects_migration(&self) -> bool {
        !self.lowered.is_empty()
            || self.mask.as_ref().is_some_and(|m| m.breaks_migration)
            || !self.lost_moves.is_empty()
    }

    /// True when anything about the cluster changed.
    pub fn changed(&self) -> bool {
        self.affects_migration()
            || !self.raised.is_empty()
            || self.mask.is_some()
            || self.named_baseline.changed()
            || self.evc_mode.changed()
            || self.model.changed()
            || !self.model_flags_dropped.is_empty()
            || !self.model_flags_added.is_empty()
            || self.hosts.changed()
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    /// The policy both sides were analysed under.
    pub policy: Policy,
    /// Hosts present on both sides that changed.
    pub hosts: Vec<HostDrift>,
    /// Hosts present on both sides with nothing changed.
    pub unchanged_hosts: usize,
    /// Hosts only on the new side.
    pub added: Vec<HostPresence>,
    /// Hosts only on the old side.
    pub removed: Vec<HostPresence>,
    /// Clusters (per vendor) that changed.
    pub clusters: Vec<ClusterDrift>,
    /// True when some change affects migration (exit 1).
    pub affects_migration: bool,
    /// True when nothing changed at all.
    pub unchanged: bool,
}

/// The fingerprint fields that differ, in report order.
pub fn version_changes(old: &Fingerprint, new: &Fingerprint) -> Vec<VersionChange> {
    Field::ALL
        .iter()
        .filter(|f| old.get(**f) != new.get(**f))
        .map(|f| VersionChange {
            field: *f,
            old: old.get(*f).map(str::to_string),
            new: new.get(*f).map(str::to_string),
        })
        .collect()
}

/// MSR-based features gained and lost between two views of one host, family by
/// family, only where both views show that family.
fn msr_changes(
    old: &crate::decode::msr::MsrView,
    new: &crate::decode::msr::MsrView,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut gained, mut lost) = (Vec::new(), Vec::new());
    for (o, n) in [(&old.vmx, &new.vmx), (&old.arch, &new.arch)] {
        if let (Some(o), Some(n)) = (o, n) {
            lost.extend(o.missing_in(n));
            gained.extend(n.missing_in(o));
        }
    }
    (gained, lost)
}

type ClusterKey = (Option<String>, Vendor);

/// Compares two sides under `policy`; `old_masks` are the old side's cluster masks.
pub fn drift(old: &Side<'_>, new: &Side<'_>, policy: Policy, old_masks: &[OldMask]) -> DriftReport {
    let a_old = fleet::analyze(old.hosts, policy);
    let a_new = fleet::analyze(new.hosts, policy);
    let s_old = super::setting::settings(&a_old, old.hosts, &[]);
    let s_new = super::setting::settings(&a_new, new.hosts, &[]);
    let idx_old: HashMap<&str, usize> = index_by_name(old.hosts);
    let idx_new: HashMap<&str, usize> = index_by_name(new.hosts);

    // Hosts.
    let mut hosts = Vec::new();
    let mut unchanged_hosts = 0;
    for (j, h) in new.hosts.iter().enumerate() {
        let Some(&i) = idx_old.get(h.name.as_str()) else {
            continue;
        };
        let o = &old.hosts[i];
        let f_old = policy.compared(&o.cpu);
        let f_new = policy.compared(&h.cpu);
        let sig = |h: &FleetHost| {
            format!(
                "{} family 0x{:x} model 0x{:x} stepping 0x{:x}",
                h.cpu.maker(),
                h.cpu.signature.family,
                h.cpu.signature.model,
                h.cpu.signature.stepping
            )
        };
        let (so, sn) = (sig(o), sig(h));
        let (co, cn) = (
            old.completeness.get(i).copied(),
            new.completeness.get(j).copied(),
        );
        let note = (co != cn).then(|| {
            format!(
                "compared across sources of different completeness ({} then {}): \
                 features may differ because of the source",
                co.map_or("unknown", |c| c.describe()),
                cn.map_or("unknown", |c| c.describe())
            )
        });
        let (msr_gained, msr_lost) = msr_changes(&o.cpu.msr, &h.cpu.msr);
        let d = HostDrift {
            name: h.name.clone(),
            cluster: h.cluster.clone(),
            old_cluster: (o.cluster != h.cluster)
                .then(|| fleet::cluster_display(o.cluster.as_deref()).to_string()),
            gained: f_new.difference(&f_old),
            lost: f_old.difference(&f_new),
            msr_gained,
            msr_lost,
            versions: version_changes(
                old.fingerprints.get(i).unwrap_or(&Fingerprint::default()),
                new.fingerprints.get(j).unwrap_or(&Fingerprint::default()),
            ),
            cpu_replaced: (so != sn).then(|| format!("{so} -> {sn}")),
            note,
        };
        if d.changed() {
            hosts.push(d);
        } else {
            unchanged_hosts += 1;
        }
    }
    // A host collected on one side only is not compared, and says why.
    let failed_note =
        |f: &FailedHost, side: &str| format!("not compared: not collected in {side}: {}", f.error);
    for f in new.failed {
        if let Some(&i) = idx_old.get(f.name.as_str()) {
            hosts.push(not_compared(
                &old.hosts[i].name,
                f.cluster.clone(),
                failed_note(f, "NEW"),
            ));
        }
    }
    for f in old.failed {
        if idx_new.contains_key(f.name.as_str()) {
            hosts.push(not_compared(
                &f.name,
                f.cluster.clone(),
                failed_note(f, "OLD"),
            ));
        }
    }
    let known_old: BTreeSet<&str> = old
        .hosts
        .iter()
        .map(|h| h.name.as_str())
        .chain(old.failed.iter().map(|f| f.name.as_str()))
        .collect();
    let known_new: BTreeSet<&str> = new
        .hosts
        .iter()
        .map(|h| h.name.as_str())
        .chain(new.failed.iter().map(|f| f.name.as_str()))
        .collect();
    let presence = |name: &str, hosts: &[FleetHost], failed: &[FailedHost]| HostPresence {
        name: name.to_string(),
        cluster: hosts
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.cluster.clone())
            .or_else(|| {
                failed
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.cluster.clone())
            })
            .flatten(),
    };
    let added: Vec<HostPresence> = known_new
        .difference(&known_old)
        .map(|n| presence(n, new.hosts, new.failed))
        .collect();
    let removed: Vec<HostPresence> = known_old
        .difference(&known_new)
        .map(|n| presence(n, old.hosts, old.failed))
        .collect();

    // Clusters, per vendor.
    let mut keys: Vec<ClusterKey> = Vec::new();
    for b in a_old.baselines.iter().chain(&a_new.baselines) {
        let k = (b.cluster.clone(), b.vendor);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let lost_moves = lost_moves(old, new, &a_old, &a_new, &idx_old);
    let mut clusters = Vec::new();
    for key in keys {
        let bo = a_old
            .baselines
            .iter()
            .find(|b| b.cluster == key.0 && b.vendor == key.1);
        let bn = a_new
            .baselines
            .iter()
            .find(|b| b.cluster == key.0 && b.vendor == key.1);
        let empty = FeatureSet::new();
        let fo = bo.map_or(&empty, |b| &b.features);
        let fn_ = bn.map_or(&empty, |b| &b.features);
        // A cluster that appears or vanishes has no baseline to fall from.
        let (lowered, raised) = if bo.is_some() && bn.is_some() {
            (fo.difference(fn_), fn_.difference(fo))
        } else {
            (FeatureSet::new(), FeatureSet::new())
        };
        let setting = |s: &[super::setting::ClusterSetting]| {
            s.iter()
                .find(|s| s.cluster == key.0 && s.vendor == key.1)
                .map(|s| {
                    (
                        s.evc.as_ref().map(|t| t.name.clone()),
                        s.model.as_ref().map(|t| t.name.clone()),
                        s.model
                            .as_ref()
                            .map(|t| t.flags.clone())
                            .unwrap_or_default(),
                    )
                })
                .unwrap_or_default()
        };
        let (evc_o, model_o, flags_o) = setting(&s_old);
        let (evc_n, model_n, flags_n) = setting(&s_new);
        let minus = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|f| !b.contains(f)).cloned().collect()
        };
        let mask = old_masks
            .iter()
            .find(|m| m.cluster == key.0 && m.vendor == key.1)
            .and_then(|m| recheck_mask(m, new, &key));
        let moves: Vec<LostMove> = lost_moves
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, m)| m.clone())
            .collect();
        let c = ClusterDrift {
            cluster: key.0.clone(),
            vendor: key.1,
            hosts: OldNew {
                old: bo.map_or(0, |b| b.hosts),
                new: bn.map_or(0, |b| b.hosts),
            },
            lowered,
            raised,
            baseline_features: OldNew {
                old: fo.len(),
                new: fn_.len(),
            },
            named_baseline: OldNew {
                old: bo.and_then(|b| b.named_baseline.clone()),
                new: bn.and_then(|b| b.named_baseline.clone()),
            },
            evc_mode: OldNew {
                old: evc_o,
                new: evc_n,
            },
            model_flags_dropped: minus(&flags_o, &flags_n),
            model_flags_added: minus(&flags_n, &flags_o),
            model: OldNew {
                old: model_o,
                new: model_n,
            },
            mask,
            lost_moves: moves,
        };
        if c.changed() {
            clusters.push(c);
        }
    }
    // A host that lost an MSR-based feature (an ARCH_CAPABILITIES bit, a VMX
    // capability) no longer takes VMs that were started where it is present:
    // libvirt refuses such a migration.
    let affects_migration = clusters.iter().any(ClusterDrift::affects_migration)
        || hosts.iter().any(|h| !h.msr_lost.is_empty());
    let unchanged =
        hosts.is_empty() && added.is_empty() && removed.is_empty() && clusters.is_empty();
    DriftReport {
        policy,
        hosts,
        unchanged_hosts,
        added,
        removed,
        clusters,
        affects_migration,
        unchanged,
    }
}

fn index_by_name(hosts: &[FleetHost]) -> HashMap<&str, usize> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect()
}

fn not_compared(name: &str, cluster: Option<String>, note: String) -> HostDrift {
    HostDrift {
        name: name.to_string(),
        cluster,
        old_cluster: None,
        gained: FeatureSet::new(),
        lost: FeatureSet::new(),
        msr_gained: Vec::new(),
        msr_lost: Vec::new(),
        versions: Vec::new(),
        cpu_replaced: None,
        note: Some(note),
    }
}

/// What a VM started on a host of group `from` cannot take to group `to`:
/// (features the destination lacks, no mask helps).
fn blocked(a: &FleetAnalysis, from: usize, to: usize) -> (FeatureSet, bool) {
    match &a.matrix[from][to] {
        Verdict::Yes => (FeatureSet::new(), false),
        Verdict::WithMask { missing, .. } => (*missing, false),
        Verdict::No { .. } => {
            let g = |i: usize| &a.groups[i].features;
            (g(from).difference(g(to)), true)
        }
    }
}

/// For the hosts of one cluster present on both sides (in that cluster on both):
/// moves possible before (or possible with less hidden) that now need a mask
/// hiding more, or that no mask bridges. Hosts in the same group on both sides
/// are alike, so the pairs are computed per class of such hosts, in time
/// proportional to the hosts plus the square of the classes.
fn lost_moves(
    old: &Side<'_>,
    new: &Side<'_>,
    a_old: &FleetAnalysis,
    a_new: &FleetAnalysis,
    idx_old: &HashMap<&str, usize>,
) -> Vec<(ClusterKey, LostMove)> {
    // Per cluster and vendor: classes (old group, new group) -> new host indices.
    type Classes = BTreeMap<(usize, usize), Vec<usize>>;
    let mut by_cluster: BTreeMap<ClusterKey, Classes> = BTreeMap::new();
    for (j, h) in new.hosts.iter().enumerate() {
        if let Some(&i) = idx_old.get(h.name.as_str()) {
            if old.hosts[i].cluster == h.cluster && old.hosts[i].cpu.vendor == h.cpu.vendor {
                by_cluster
                    .entry((h.cluster.clone(), h.cpu.vendor))
                    .or_default()
                    .entry((a_old.host_group[i], a_new.host_group[j]))
                    .or_default()
                    .push(j);
            }
        }
    }
    let mut out = Vec::new();
    for (key, classes) in by_cluster {
        for (&(go_s, gn_s), from) in &classes {
            // Destinations lost from this class, merged when they lack the same.
            let mut lost: Vec<(FeatureSet, bool, Vec<usize>)> = Vec::new();
            for (&(go_d, gn_d), to) in &classes {
                if (go_s, gn_s) == (go_d, gn_d) {
                    continue;
                }
                let (was, was_no) = blocked(a_old, go_s, go_d);
                let (now, now_no) = blocked(a_new, gn_s, gn_d);
                let more = now.difference(&was);
                let newly_impossible = now_no && !was_no;
                if more.is_empty() && !newly_impossible {
                    continue;
                }
                match lost.iter_mut().find(|(l, n, _)| *l == more && *n == now_no) {
                    Some((_, _, hosts)) => hosts.extend(to),
                    None => lost.push((more, now_no, to.clone())),
                }
            }
            let names = |v: &[usize]| -> Vec<String> {
                v.iter().map(|&j| new.hosts[j].name.clone()).collect()
            };
            let vms: Vec<String> = from
                .iter()
                .flat_map(|&j| {
                    let name = &new.hosts[j].name;
                    new.vms
                        .get(name)
                        .or_else(|| old.vms.get(name))
                        .into_iter()
                        .flatten()
                        .map(move |vm| format!("{name}/{vm}"))
                })
                .collect();
            for (lacks, no_mask_helps, mut to) in lost {
                to.sort_unstable();
                out.push((
                    key.clone(),
                    LostMove {
                        from: names(from),
                        to: names(&to),
                        lacks,
                        no_mask_helps,
                        vms: vms.clone(),
                    },
                ));
            }
        }
    }
    out
}

/// Re-verifies the old cluster mask against the new dumps of the cluster's hosts
/// (all of them, added ones included): `None` when it still verifies.
fn recheck_mask(m: &OldMask, new: &Side<'_>, key: &ClusterKey) -> Option<MaskDrift> {
    let members: Vec<usize> = new
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.cluster == key.0 && h.cpu.vendor == key.1)
        .map(|(j, _)| j)
        .collect();
    let leaves: Vec<&CpuLeaves> = members.iter().filter_map(|&j| new.leaves.get(j)).collect();
    if leaves.is_empty() || leaves.len() != members.len() {
        return None;
    }
    let exp = verify::Expectation {
        requested: &m.plan.requested,
        pending: &m.plan.firmware_pending,
        guest: &m.plan.guest,
        destinations: &[],
    };
    let name = |k: usize| {
        members
            .get(k)
            .and_then(|&j| new.hosts.get(j))
            .map_or("?", |h| h.name.as_str())
    };
    let n = |s: &FeatureSet| s.names().join(" ");
    let (problem, breaks_migration) = match verify::verify_plan(&m.mask, &leaves, &exp) {
        Ok(_) => return None,
        Err(verify::Failure::Differ {
            member,
            only_in_member,
            only_in_first,
        }) => {
            let mut p = format!(
                "under it, guests on {} and {} no longer see the same CPU:",
                name(0),
                name(member)
            );
            if !only_in_first.is_empty() {
                p.push_str(&format!(" only {} shows {};", name(0), n(&only_in_first)));
            }
            if !only_in_member.is_empty() {
                p.push_str(&format!(" only {} shows {};", name(member), n(&only_in_member)));
            }
            (p.trim_end_matches(';').to_string(), true)
        }
        Err(verify::Failure::NotAsPlanned { extra, missing }) => {
            let mut p = String::from("guests no longer see what the mask was made for:");
            if !missing.is_empty() {
                p.push_str(&format!(" they lose {};", n(&missing)));
            }
            if !extra.is_empty() {
                p.push_str(&format!(" they would see {} beyond it;", n(&extra)));
            }
            (p.trim_end_matches(';').to_string(), true)
        }
        Err(verify::Failure::CommonHidden(s)) => (
            format!(
                "it hides {} that every host of the cluster now has: stricter than needed (re-run `vmcompat mask`)",
                n(&s)
            ),
            false,
        ),
        Err(e) => (e.to_string(), true),
    };
    Some(MaskDrift {
        groups: m.plan.groups.clone(),
        lines: m.mask.registers.len(),
        problem,
        breaks_migration,
    })
}

#[cfg(test)]
mod tests {
    use super::msr_changes;
    use crate::decode::msr::{MsrView, Shown};

    fn arch(present: &[&'static str]) -> Option<Shown> {
        Some(Shown {
            source: "KVM feature MSRs (/dev/kvm)".into(),
            present: present.iter().copied().collect(),
            coverage: ["mds-no", "taa-no", "rdctl-no"].into_iter().collect(),
        })
    }

    #[test]
    fn msr_features_lost_and_gained_only_where_both_sides_show_them() {
        let old = MsrView {
            arch: arch(&["mds-no", "rdctl-no"]),
            ..Default::default()
        };
        let new = MsrView {
            arch: arch(&["rdctl-no", "taa-no"]),
            ..Default::default()
        };
        assert_eq!(msr_changes(&old, &new), (vec!["taa-no"], vec!["mds-no"]));
        // A side that cannot show the family (a bare CPUID dump) is no change.
        assert_eq!(
            msr_changes(&old, &MsrView::default()),
            (Vec::new(), Vec::new())
        );
    }
}
