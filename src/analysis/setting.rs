//! What to set on each cluster: the vSphere EVC mode, the QEMU/libvirt named CPU
//! model with the flags to add or remove, and the Proxmox VE CPU type; for each,
//! what a VM sees and what it loses, and which guest operating systems would no
//! longer boot or install under it. Also the hosts that hold a cluster below the
//! next named baseline (the smallest set whose removal, replacement or
//! microcode/BIOS update raises it, each host with what lifts it).
//! Pure analysis over decoded CPUs; no I/O.
//!
//! Sources of the facts: the named baselines in `masks/` (EVC mode keys, and the
//! libvirt model each follows), `targets/proxmox.toml` (Proxmox's CPU types and
//! VM-level flags, from proxmox/qemu-server), `guests/guests.toml` (guest floors).

use std::sync::OnceLock;

use serde::Serialize;

use super::cpumodel;
use super::fleet::{FleetAnalysis, FleetHost};
use super::maskplan;
use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;
use crate::model::esxi_version::EsxiVersion;
use crate::model::policy::Policy;
use crate::shipped::baselines::{self, Baseline};
use crate::shipped::guests::{self, Broken, Guest};

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// The highest named baseline of `masks/` (each following a libvirt/QEMU model,
/// named like the EVC mode of its generation) that every host of `vendor` whose
/// common compared features are `features` supports. Group labels, the QEMU/libvirt
/// model and the Proxmox type follow it; the vSphere EVC mode itself comes from
/// VMware's own definitions ([`vmware_evc_mode`]).
pub fn evc_mode_for(vendor: Vendor, features: &FeatureSet) -> Option<&'static Baseline> {
    baselines::highest_for(vendor, features)
}

/// VMware's own EVC mode for hosts of `vendor` whose common compared features
/// are `features`: the highest mode of `evc/` they all support.
pub fn vmware_evc_mode(
    vendor: Vendor,
    features: &FeatureSet,
) -> Option<&'static crate::shipped::evc::EvcMode> {
    crate::shipped::evc::best_mode_for(vendor, &[*features])
}

/// A short spelling of an ESXi release for messages: `6.7`, `7.0 U2`.
pub fn short_release(v: &EsxiVersion) -> String {
    if v.update > 0 {
        format!("{}.{} U{}", v.major, v.minor, v.update)
    } else {
        format!("{}.{}", v.major, v.minor)
    }
}

/// True when ESXi release `v` knows EVC mode `m` (the mode was introduced in
/// `v` or earlier; `introduced` from `evc/<key>.toml`). A mode whose release
/// cannot be read is taken as known.
pub fn release_knows(v: &EsxiVersion, m: &crate::shipped::evc::EvcMode) -> bool {
    m.introduced_version()
        .map_or(true, |i| i <= (v.major, v.minor, v.update))
}

/// The oldest of the known releases `hosts` (host name, release) run, with
/// its host (the first such host in the list on a tie).
pub fn oldest_release(hosts: &[(String, EsxiVersion)]) -> Option<&(String, EsxiVersion)> {
    hosts
        .iter()
        .min_by_key(|(_, v)| (v.major, v.minor, v.update))
}

/// VMware's EVC mode for hosts of `vendor` whose common compared features are
/// `features`, when the hosts' ESXi releases are `releases` (host name,
/// release; hosts whose release is not known are left out): the highest mode
/// they all support that the oldest release knows, and, when that lowers the
/// mode the CPUs allow, why (`intel-icelake needs ESXi 7.0 U2; esx67 runs
/// 6.7`). Without releases it is [`vmware_evc_mode`].
pub fn vmware_evc_mode_for_releases(
    vendor: Vendor,
    features: &FeatureSet,
    releases: &[(String, EsxiVersion)],
) -> (
    Option<&'static crate::shipped::evc::EvcMode>,
    Option<String>,
) {
    let best = vmware_evc_mode(vendor, features);
    let (Some(best), Some((host, oldest))) = (best, oldest_release(releases)) else {
        return (best, None);
    };
    if release_knows(oldest, best) {
        return (Some(best), None);
    }
    let known = crate::shipped::evc::supported_by(vendor, features)
        .into_iter()
        .filter(|m| release_knows(oldest, m))
        .max_by_key(|m| m.rank);
    let why = format!(
        "{} needs {}; {host} runs {}",
        best.key,
        best.introduced,
        short_release(oldest)
    );
    let note = match known {
        Some(m) => format!(
            "{why}, so the mode offered is {} until every host runs {} or later",
            m.key, best.introduced
        ),
        None => format!("{why}, which knows no EVC mode these hosts support"),
    };
    (known, Some(note))
}

/// What a VM sees in a cluster set to EVC mode `m`: the mode's features, plus the
/// speculation controls every host has (VMware passes them through when every
/// host's microcode has them: hypervisor-assisted guest mitigation, KB 52085).
fn evc_guest_view(m: &crate::shipped::evc::EvcMode, common: &FeatureSet) -> FeatureSet {
    let passed: FeatureSet = common
        .iter()
        .filter(|id| crate::shipped::evc::FIRMWARE_DEPENDENT.contains(id))
        .collect();
    m.features.union(&passed)
}

/// The QEMU/libvirt model a baseline follows (`follows = "libvirt Haswell-noTSX"`).
pub fn model_of(b: &Baseline) -> Option<&str> {
    b.follows.strip_prefix("libvirt ").map(str::trim)
}

/// The settings for one cluster (and vendor: a cluster of two vendors gets one
/// entry per vendor, and is not ready).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSetting {
    /// The cluster (`None`: hosts without a cluster).
    pub cluster: Option<String>,
    /// The vendor of these hosts.
    pub vendor: Vendor,
    /// Indices of the hosts.
    pub hosts: Vec<usize>,
    /// Labels of the groups.
    pub groups: Vec<String>,
    /// The compared features every host has.
    #[serde(serialize_with = "names")]
    pub common: FeatureSet,
    /// The compared features some host has.
    #[serde(serialize_with = "names")]
    pub union: FeatureSet,
    /// The vSphere EVC mode.
    pub evc: Option<Target>,
    /// The QEMU/libvirt named model with flags.
    pub model: Option<Target>,
    /// The Proxmox VE CPU type.
    pub proxmox: Option<Target>,
    /// The next named baseline and the hosts that block it.
    pub next: Option<NextBaseline>,
    /// Hosts whose dump is partial (`/proc/cpuinfo`, ESXi keyhole): conclusions
    /// about them rest on incomplete CPUID.
    pub partial_hosts: Vec<usize>,
    /// Firmware-dependent features the cluster's hosts differ in that a
    /// microcode/BIOS update brings to the hosts lacking them (the default mask of
    /// the cluster leaves them visible: [`maskplan::MaskPlan::firmware_pending`]).
    #[serde(serialize_with = "names")]
    pub firmware_pending: FeatureSet,
    /// The hosts to update, with what the update brings
    /// ([`maskplan::MaskPlan::firmware_advice`]).
    pub firmware_advice: Vec<maskplan::FirmwareAdvice>,
}

/// One setting on one target hypervisor, with what a VM sees and loses under it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What to set, as the target spells it (`intel-haswell`, `Haswell-noTSX`).
    pub name: String,
    /// Flags to add (`+flag`) or remove (`-flag`), in the target's spelling.
    pub flags: Vec<String>,
    /// The configuration line(s) to write.
    pub config: Vec<String>,
    /// A caveat, if any (a custom model needed, a name that is an approximation).
    pub note: Option<String>,
    /// Compared features a VM sees under it.
    #[serde(serialize_with = "names")]
    pub visible: FeatureSet,
    /// Features every host has that a VM does not see (the price of the setting),
    /// among those named CPU models carry ([`model_universe`]).
    #[serde(serialize_with = "names")]
    pub loses: FeatureSet,
    /// Features the newest hosts have that a VM does not see (among those named
    /// CPU models carry).
    #[serde(serialize_with = "names")]
    pub hidden_from_newest: FeatureSet,
    /// Guests that would no longer boot or install under it.
    pub guests_broken: Vec<Broken>,
}

/// What stands between a cluster and the next named baseline.
#[derive(Debug, Clone, Serialize)]
pub struct NextBaseline {
    /// The next baseline (EVC mode key).
    pub baseline: String,
    /// The smallest set of hosts whose removal, replacement or firmware update
    /// reaches it: the hosts that lack one of its features, each with what it
    /// lacks and what lifts it ([`BlockerAction`]). Every host must have all of a
    /// baseline's features, so this set is the unique minimum.
    pub blockers: Vec<Blocker>,
    /// What the cluster's VMs would gain once the hosts of action `Update` are
    /// updated and the others removed.
    #[serde(serialize_with = "names")]
    pub gain: FeatureSet,
}

/// A host below the next baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    /// Index of the host.
    pub host: usize,
    /// The baseline's features it lacks.
    #[serde(serialize_with = "names")]
    pub missing: FeatureSet,
    /// The part of `missing` a microcode/BIOS update (or a BIOS setting) brings
    /// to this host ([`maskplan::update_brings`]: a twin in the cluster has it,
    /// or it is NX/XD or an Intel speculation control on a Sandy Bridge or later).
    #[serde(serialize_with = "names")]
    pub update_brings: FeatureSet,
    /// The part of `missing` that is firmware-dependent (catalog class
    /// `Class::Firmware`, or NX/XD) but not known to come with an update for this CPU: an
    /// update may bring it if the vendor shipped one, else the host must go.
    #[serde(serialize_with = "names")]
    pub firmware_unconfirmed: FeatureSet,
    /// What lifts the host to the next baseline.
    pub action: BlockerAction,
}

/// What lifts a blocking host to the next baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerAction {
    /// Every missing feature comes with a microcode/BIOS update: update the host.
    Update,
    /// Every missing feature is firmware-dependent, but an update is not known to
    /// bring some of them to this CPU: update if the vendor ships one, else
    /// remove or replace the host.
    UpdateOrReplace,
    /// Some missing feature is silicon: remove or replace the host.
    Replace,
}

/// Checks that `targets/proxmox.toml` parses (for the test suite).
pub fn proxmox_data_ok() -> Result<usize, String> {
    crate::shipped::targets::proxmox::data_ok()
}

/// The settings of every cluster (one entry per cluster and vendor), in the
/// order of `a.baselines`.
pub fn settings(a: &FleetAnalysis, hosts: &[FleetHost], guests: &[Guest]) -> Vec<ClusterSetting> {
    settings_with_releases(a, hosts, guests, &[])
}

/// [`settings`], where `releases[i]` is the ESXi release of `hosts[i]` where
/// known (shorter or `None`: not known): a cluster's vSphere EVC mode is never
/// one its oldest host's release does not know, and the setting's note says
/// so when that lowers it ([`vmware_evc_mode_for_releases`]).
pub fn settings_with_releases(
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    guests: &[Guest],
    releases: &[Option<EsxiVersion>],
) -> Vec<ClusterSetting> {
    settings_full(a, hosts, guests, releases, cpumodel::Versions::default())
}

/// [`settings_with_releases`], with the QEMU model, the libvirt element and the
/// Proxmox type written for the QEMU/libvirt releases `versions` by the planner
/// `mask --format qemu|libvirt|proxmox` uses ([`cpumodel`]).
pub fn settings_full(
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    guests: &[Guest],
    releases: &[Option<EsxiVersion>],
    versions: cpumodel::Versions,
) -> Vec<ClusterSetting> {
    a.baselines
        .iter()
        .map(|b| {
            let gi: Vec<usize> = (0..a.groups.len())
                .filter(|&i| a.groups[i].cluster == b.cluster && a.groups[i].vendor == b.vendor)
                .collect();
            let members: Vec<usize> = gi
                .iter()
                .flat_map(|&i| a.groups[i].hosts.iter().copied())
                .collect();
            let union = gi
                .iter()
                .fold(FeatureSet::new(), |u, &i| u.union(&a.groups[i].features));
            let common = b.features;
            // Under the ESX 3 policy only SSE3, NX/XD and VT-x/AMD-V are compared:
            // no EVC mode or CPU model follows from that.
            let evc_b = match a.policy {
                Policy::Evc => evc_mode_for(b.vendor, &common),
                Policy::Esx3 => None,
            };
            let target = |visible: FeatureSet| Target {
                name: String::new(),
                flags: Vec::new(),
                config: Vec::new(),
                note: None,
                loses: common.difference(&visible).intersection(&model_universe()),
                hidden_from_newest: union.difference(&visible).intersection(&model_universe()),
                guests_broken: guests::broken_by(guests, &visible),
                visible: visible.intersection(catalog::compared_classes()),
            };
            let known: Vec<(String, EsxiVersion)> = members
                .iter()
                .filter_map(|&h| Some((hosts[h].name.clone(), releases.get(h)?.clone()?)))
                .collect();
            let (evc_mode, evc_note) = match a.policy {
                Policy::Evc => vmware_evc_mode_for_releases(b.vendor, &common, &known),
                Policy::Esx3 => (None, None),
            };
            let evc = evc_mode.map(|m| Target {
                name: m.key.clone(),
                config: vec![format!("EVC mode key: {} ({})", m.key, m.label)],
                note: evc_note.clone(),
                ..target(evc_guest_view(m, &common))
            });
            let hidden = union.difference(&common);
            let empty = FeatureSet::new();
            let want = cpumodel::Want {
                vendor: b.vendor,
                guest: &common,
                where_present: &empty,
                hide: &hidden,
                cross_vendor: false,
            };
            let kvm = evc_b.and_then(|_| {
                cpumodel::plan_all(&want, versions, b.cluster.as_deref().unwrap_or("fleet")).ok()
            });
            let model = kvm.as_ref().and_then(|k| model_setting(k, &target));
            let proxmox = kvm.as_ref().and_then(|k| proxmox_setting(k, &target));
            let labels: Vec<String> = gi.iter().map(|&i| a.groups[i].label.clone()).collect();
            // The cluster's own default mask plan names the firmware updates; a
            // cluster no mask can serve (a member lacking floor features) has
            // that said elsewhere, and no advice here.
            let (firmware_pending, firmware_advice) =
                maskplan::for_groups(a, hosts, &labels, maskplan::MaskOptions::default())
                    .map_or_else(
                        |_| (FeatureSet::new(), Vec::new()),
                        |p| (p.firmware_pending, p.firmware_advice),
                    );
            let next = match a.policy {
                Policy::Evc => {
                    next_baseline(b.vendor, &common, &members, a, hosts, &firmware_advice)
                }
                Policy::Esx3 => None,
            };
            ClusterSetting {
                cluster: b.cluster.clone(),
                vendor: b.vendor,
                partial_hosts: members
                    .iter()
                    .copied()
                    .filter(|&h| hosts[h].cpu.completeness.is_partial())
                    .collect(),
                hosts: members,
                groups: labels,
                common,
                union,
                evc,
                model,
                proxmox,
                next,
                firmware_pending,
                firmware_advice,
            }
        })
        .collect()
}

/// The features named CPU models carry: the union of every shipped vendor
/// baseline (each following a libvirt model). Bits outside it (MONITOR, VMX, the
/// SVM sub-features, performance-monitoring and host-only bits) are not given to
/// migratable guests by the hypervisors, so they are neither added as flags nor
/// counted as a setting's loss.
pub fn model_universe() -> FeatureSet {
    static U: OnceLock<FeatureSet> = OnceLock::new();
    *U.get_or_init(|| {
        baselines::all()
            .unwrap_or_default()
            .iter()
            .filter(|b| b.vendor.is_some())
            .fold(FeatureSet::new(), |u, b| u.union(&b.features))
    })
}

/// The QEMU/libvirt setting from the shared planner: the QEMU model with its
/// flags, the `-cpu` option and the libvirt element.
fn model_setting(
    k: &cpumodel::KvmSettings,
    target: &dyn Fn(FeatureSet) -> Target,
) -> Option<Target> {
    let q = k.qemu.as_ref()?;
    let mut flags: Vec<String> = q
        .add
        .iter()
        .chain(&q.optional)
        .map(|f| format!("+{f}"))
        .collect();
    flags.extend(q.disable.iter().map(|f| format!("-{f}")));
    let mut config = vec![format!("QEMU: {}", q.qemu_arg())];
    let mut notes = vec![format!("for QEMU {}", q.version)];
    if let Some(l) = &k.libvirt {
        config.push("libvirt:".to_string());
        config.extend(l.libvirt_lines());
        notes[0].push_str(&format!(
            " and libvirt {} (--qemu-version, --libvirt-version)",
            l.version
        ));
    }
    notes.extend(q.version_note.iter().cloned());
    if !q.lost.is_empty() {
        notes.push(format!(
            "QEMU {} has no model or name for {}: VMs do not see them",
            q.table,
            q.lost.names().join(" ")
        ));
    }
    Some(Target {
        name: q.model.clone(),
        flags,
        config,
        note: Some(notes.join("; ")),
        ..target(q.visible)
    })
}

/// The Proxmox VE setting from the shared planner: a built-in type with VM-level
/// flags, or a custom model for cpu-models.conf.
fn proxmox_setting(
    k: &cpumodel::KvmSettings,
    target: &dyn Fn(FeatureSet) -> Target,
) -> Option<Target> {
    let p = k.proxmox.as_ref()?;
    let mut config = Vec::new();
    let note = p.custom_model.as_ref().map(|entry| {
        config.push("/etc/pve/virtual-guest/cpu-models.conf:".to_string());
        config.extend(entry.iter().cloned());
        format!(
            "{} needs flags a VM's own configuration may not set: a custom CPU model carries them",
            p.base
        )
    });
    config.push(format!("VM: cpu: {}", p.cpu_line));
    Some(Target {
        name: p
            .cpu_line
            .split(',')
            .next()
            .unwrap_or(&p.cpu_line)
            .to_string(),
        flags: p.flags.clone(),
        config,
        note,
        ..target(p.visible)
    })
}

/// The next named baseline above the cluster's, that some of its hosts reach:
/// the lowest-ranked one above the current whose qualifying hosts are not empty
/// (a generation beside the line, such as Bulldozer's FMA4/XOP for a Zen
/// cluster, is skipped when no host has it).
fn next_baseline(
    vendor: Vendor,
    common: &FeatureSet,
    members: &[usize],
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    firmware_advice: &[maskplan::FirmwareAdvice],
) -> Option<NextBaseline> {
    let current = evc_mode_for(vendor, common).map_or(0, |b| b.rank);
    let mut above: Vec<Baseline> = baselines::all()
        .ok()?
        .into_iter()
        .filter(|b| b.vendor == Some(vendor) && b.rank > current)
        .collect();
    above.sort_by_key(|b| b.rank);
    let features_of = |h: usize| a.groups[a.host_group[h]].features;
    for b in above {
        let need = baselines::required_of_host(&b);
        let blockers: Vec<Blocker> = members
            .iter()
            .filter_map(|&h| {
                let missing = need.difference(&features_of(h));
                (!missing.is_empty()).then(|| blocker(h, missing, members, hosts))
            })
            .collect();
        // Hosts of action `Update` stay, with everything the update brings them
        // (the baseline's missing bits and the cluster's other firmware differences).
        let updated = |h: usize| -> FeatureSet {
            firmware_advice
                .iter()
                .filter(|f| f.host == h)
                .flat_map(|f| f.lacks.iter().filter_map(|n| catalog::lookup(n)))
                .collect()
        };
        let remaining: Vec<FeatureSet> = members
            .iter()
            .filter_map(|&h| match blockers.iter().find(|x| x.host == h) {
                None => Some(features_of(h)),
                Some(x) if x.action == BlockerAction::Update => Some(
                    features_of(h)
                        .union(&x.update_brings)
                        .union(&updated(h).intersection(catalog::compared_classes())),
                ),
                Some(_) => None,
            })
            .collect();
        let Some(after) = remaining.into_iter().reduce(|x, y| x.intersection(&y)) else {
            continue;
        };
        return Some(NextBaseline {
            baseline: b.name.clone(),
            blockers,
            gain: after.difference(common),
        });
    }
    None
}

/// A host that lacks `missing` of the next baseline, with what an update brings
/// (judged among the cluster's `members`) and what lifts it.
fn blocker(host: usize, missing: FeatureSet, members: &[usize], hosts: &[FleetHost]) -> Blocker {
    let update_brings: FeatureSet = missing
        .iter()
        .filter(|&f| {
            // This host, and the members that have `f` (its possible twins).
            let involved: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&m| m == host || hosts[m].cpu.features.contains(f))
                .collect();
            maskplan::update_brings(hosts, &involved, f)
        })
        .collect();
    let firmware_unconfirmed: FeatureSet = missing
        .difference(&update_brings)
        .iter()
        .filter(|&f| maskplan::firmware_fixable(f))
        .collect();
    let action = if update_brings == missing {
        BlockerAction::Update
    } else if update_brings.union(&firmware_unconfirmed) == missing {
        BlockerAction::UpdateOrReplace
    } else {
        BlockerAction::Replace
    };
    Blocker {
        host,
        missing,
        update_brings,
        firmware_unconfirmed,
        action,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn proxmox_data_parses() {
        assert!(super::proxmox_data_ok().expect("targets/proxmox.toml") > 20);
    }
}
