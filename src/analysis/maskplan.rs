//! What a mask must hide: for a set of groups to migrate freely among each other,
//! for one direction, or to bring hosts down to a named baseline. Pure analysis;
//! building and verifying the mask lines is `crate::mask`'s job.
//!
//! The rules (DESIGN.md, "Compatibility semantics"; the classes are the catalog's):
//! - capabilities some member lacks are hidden, with every feature that requires
//!   them through a catalog edge (edges real silicon obeys, `tests/catalog_edges.rs`);
//! - the floor of an x86-64 guest is never hidden: a request that would hide it is
//!   refused ([`PlanError::HidesFloor`]), a member that lacks it cannot join
//!   ([`PlanError::LacksFloor`]);
//! - firmware- or microcode-dependent bits the hosts differ in are left visible and
//!   the hosts to update are named ([`FirmwareAdvice`]), unless
//!   [`MaskOptions::hide_firmware`] asks to hide them (then the plan lists the
//!   protections guests lose);
//! - negative-sense bits are never hidden; where members differ the plan says in
//!   which direction it matters ([`NegativeSenseNote`]);
//! - non-migratable bits (invariant TSC) are always hidden, as libvirt and QEMU keep
//!   them from migratable guests;
//! - nested-only bits (SVM leaf 0x8000000A) are hidden where members differ and the
//!   plan says they matter only to VMs that run their own hypervisor.

use serde::Serialize;

use super::fleet::{FleetAnalysis, FleetHost};
use crate::catalog::{self, id, Class, FeatureId, FeatureSet};
use crate::decode::Vendor;
use crate::shipped::baselines::{self, Baseline};

/// What the user allows a mask to hide beyond the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaskOptions {
    /// Hide firmware- or microcode-dependent features the hosts differ in
    /// (`--hide-firmware-features`) instead of asking for the hosts to be updated.
    pub hide_firmware: bool,
}

/// A host whose firmware or microcode lacks what other hosts of the mask have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareAdvice {
    /// Index of the host.
    pub host: usize,
    /// The firmware-dependent features it lacks (canonical names).
    pub lacks: Vec<&'static str>,
}

/// A negative-sense bit the hosts differ in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NegativeSenseNote {
    /// The bit's canonical name.
    pub feature: &'static str,
    /// What a 1 means (the catalog's description).
    pub meaning: &'static str,
    /// Hosts that set it (the capability or old behaviour is absent there).
    pub set_on: Vec<usize>,
    /// Hosts that do not: a guest started there must not rely on the old
    /// behaviour if it may move to a host of `set_on`.
    pub clear_on: Vec<usize>,
}

/// The features to hide and the hosts the mask is for.
#[derive(Debug, Clone, Serialize)]
pub struct MaskPlan {
    /// The vendor of every host involved.
    pub vendor: Vendor,
    /// Labels of the groups involved.
    pub groups: Vec<String>,
    /// What the mask hides: `requested` closed under requirements (limited to
    /// features some member has), plus non-migratable bits; never a floor bit,
    /// never a firmware-dependent bit unless asked.
    #[serde(serialize_with = "names")]
    pub hide: FeatureSet,
    /// What the request itself asks to hide, before the closure: features some
    /// member has and another member (or the destination, or the baseline) lacks.
    #[serde(serialize_with = "names")]
    pub requested: FeatureSet,
    /// What every guest will see afterwards (guest-visible features, leaving out
    /// the firmware differences of `firmware_pending`).
    #[serde(serialize_with = "names")]
    pub guest: FeatureSet,
    /// Firmware-dependent features the members differ in and the mask leaves
    /// visible: the hosts of `firmware_advice` must be updated before guests agree.
    #[serde(serialize_with = "names")]
    pub firmware_pending: FeatureSet,
    /// Firmware-dependent features hidden because the user asked: protections
    /// (or instructions) guests lose.
    #[serde(serialize_with = "names")]
    pub firmware_hidden: FeatureSet,
    /// Hosts to update, with what the update brings.
    pub firmware_advice: Vec<FirmwareAdvice>,
    /// Nested-only features hidden (they differ between members).
    #[serde(serialize_with = "names")]
    pub nested_hidden: FeatureSet,
    /// Non-migratable features hidden (kept from migratable guests).
    #[serde(serialize_with = "names")]
    pub non_migratable_hidden: FeatureSet,
    /// Negative-sense bits the hosts differ in (never hidden).
    pub negative_sense: Vec<NegativeSenseNote>,
    /// Indices of the hosts whose VMs get the mask.
    pub members: Vec<usize>,
    /// For a direction: the destination hosts (their features must cover the guest's).
    pub destinations: Vec<usize>,
    /// Hosts that cannot reach the requested baseline, with what they lack.
    pub cannot_reach: Vec<(usize, Vec<&'static str>)>,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A group label that does not exist.
    UnknownGroup(String),
    /// The chosen groups are of different vendors.
    MixedVendors(Vec<(String, Vendor)>),
    /// A baseline for another vendor than the hosts'.
    BaselineVendor {
        /// The baseline's name.
        baseline: String,
        /// Its vendor.
        baseline_vendor: Vendor,
        /// The hosts' vendor.
        hosts_vendor: Vendor,
    },
    /// No host of the selection reaches the baseline.
    NobodyQualifies(String),
    /// Features that must match differ between the hosts: no mask can hide them.
    MustMatch(Vec<&'static str>),
    /// The request would hide floor features of an x86-64 guest: refused.
    HidesFloor {
        /// What was asked (`baseline x86-64-v3`).
        request: String,
        /// The floor features it would hide.
        features: Vec<&'static str>,
    },
    /// A member lacks floor features the others have (and no firmware setting
    /// brings them): it cannot run the others' 64-bit guests.
    LacksFloor(Vec<(String, Vec<&'static str>)>),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::UnknownGroup(g) => {
                write!(f, "there is no group {g:?} (the audit lists the groups)")
            }
            PlanError::MixedVendors(v) => write!(
                f,
                "no mask can bridge vendors: {} (choose groups of one vendor with --groups)",
                v.iter()
                    .map(|(g, v)| format!("{g} is {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PlanError::BaselineVendor {
                baseline,
                baseline_vendor,
                hosts_vendor,
            } => write!(
                f,
                "baseline {baseline} is for {baseline_vendor} hosts; these are {hosts_vendor}"
            ),
            PlanError::NobodyQualifies(b) => write!(f, "no host reaches baseline {b}"),
            PlanError::MustMatch(names) => write!(
                f,
                "the hosts differ in features that must match on source and destination ({}): \
                 no mask can hide them; keep these hosts in separate clusters",
                names.join(" ")
            ),
            PlanError::HidesFloor { request, features } => write!(
                f,
                "refused: {request} would hide {} from the guest; these belong to the floor \
                 of every x86-64 CPU and no 64-bit guest boots without them",
                features.join(" ")
            ),
            PlanError::LacksFloor(hosts) => write!(
                f,
                "{}: the floor of an x86-64 guest, which a mask never hides; leave such \
                 hosts out with --groups (they cannot run the others' 64-bit guests)",
                hosts
                    .iter()
                    .map(|(h, l)| format!("{h} lacks {}", l.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// True when updating the host's firmware or microcode (or a BIOS setting) changes
/// the bit: the firmware-dependent class, and NX/XD, a floor bit BIOSes can disable.
pub fn firmware_fixable(id: FeatureId) -> bool {
    let def = catalog::by_id(id);
    def.class == Class::Firmware || def.name == "nx"
}

fn firmware_set() -> FeatureSet {
    catalog::guest_visible()
        .iter()
        .filter(|id| firmware_fixable(*id))
        .collect()
}

/// Intel speculation controls that microcode updates brought to every Intel core
/// from Sandy Bridge on (Intel, "Microcode Revision Guidance", 2018-2019, and the
/// MDS/L1TF/SSB advisories INTEL-SA-00088, -00115, -00161, -00233): a Sandy Bridge or
/// later host (it has AVX) that lacks one runs old microcode.
const INTEL_MICROCODE_SPEC: &[FeatureId] = &[
    id::SPEC_CTRL,
    id::INTEL_STIBP,
    id::SPEC_CTRL_SSBD,
    id::MD_CLEAR,
    id::FLUSH_L1D,
    id::ARCH_CAPABILITIES,
];

/// True when a firmware or microcode update (or a BIOS setting) can give `f` to
/// every host of `involved` that lacks it: NX/XD always (every x86-64 CPU has it; a
/// BIOS switches it off); otherwise each lacking host has a twin (same vendor,
/// family and model) among `involved` that has it, or it is an Intel speculation
/// control of [`INTEL_MICROCODE_SPEC`] on a Sandy Bridge or later core. A
/// firmware-dependent bit that only another CPU generation has (Zen 2 never
/// reports IBRS; Zen 3 does) is a difference of silicon, and masked as such.
pub fn update_brings(hosts: &[FleetHost], involved: &[usize], f: FeatureId) -> bool {
    if !firmware_fixable(f) {
        return false;
    }
    if catalog::by_id(f).name == "nx" {
        return true;
    }
    involved
        .iter()
        .filter(|&&h| !hosts[h].cpu.features.contains(f))
        .all(|&h| {
            let cpu = &hosts[h].cpu;
            let twin = involved.iter().any(|&o| {
                let other = &hosts[o].cpu;
                other.features.contains(f)
                    && other.vendor == cpu.vendor
                    && other.signature.family == cpu.signature.family
                    && other.signature.model == cpu.signature.model
            });
            twin || microcode_brings(cpu, f)
        })
}

/// True when a microcode or BIOS update (or a BIOS setting) is known to give `f`
/// to `cpu` from what the CPU itself shows, without a twin to compare with: NX/XD
/// (every x86-64 CPU has it; a BIOS switches it off), or an Intel speculation
/// control of [`INTEL_MICROCODE_SPEC`] on a Sandy Bridge or later core (it has AVX).
pub fn microcode_brings(cpu: &crate::decode::Cpu, f: FeatureId) -> bool {
    if f == id::NX {
        return true;
    }
    firmware_fixable(f)
        && cpu.vendor == Vendor::Intel
        && INTEL_MICROCODE_SPEC.contains(&f)
        && cpu.features.contains(id::AVX)
}

/// The guest-visible features of a host (what masks act on and verification compares).
pub fn visible(host: &FleetHost) -> FeatureSet {
    host.cpu.features.intersection(catalog::guest_visible())
}

fn group_index(a: &FleetAnalysis, label: &str) -> Result<usize, PlanError> {
    a.groups
        .iter()
        .position(|g| g.label.eq_ignore_ascii_case(label))
        .ok_or_else(|| PlanError::UnknownGroup(label.to_string()))
}

fn selection(a: &FleetAnalysis, labels: &[String]) -> Result<(Vec<usize>, Vendor), PlanError> {
    let idx: Vec<usize> = labels
        .iter()
        .map(|l| group_index(a, l))
        .collect::<Result<_, _>>()?;
    let vendor = idx.first().map_or(Vendor::Unknown, |&i| a.groups[i].vendor);
    if idx.iter().any(|&i| a.groups[i].vendor != vendor) {
        return Err(PlanError::MixedVendors(
            idx.iter()
                .map(|&i| (a.groups[i].label.clone(), a.groups[i].vendor))
                .collect(),
        ));
    }
    Ok((idx, vendor))
}

fn union_and_intersection<'a>(
    sets: impl Iterator<Item = FeatureSet> + 'a,
) -> (FeatureSet, FeatureSet) {
    let (mut union, mut inter) = (FeatureSet::new(), None::<FeatureSet>);
    for f in sets {
        union = union.union(&f);
        inter = Some(inter.map_or(f, |x| x.intersection(&f)));
    }
    (union, inter.unwrap_or_default())
}

/// Floor features some of `hosts` lack although `wanted` has them, that no firmware
/// setting brings: hosts that cannot take part.
fn lacking_floor(
    hosts: &[FleetHost],
    members: &[usize],
    wanted: &FeatureSet,
) -> Result<(), PlanError> {
    let floor = catalog::floor();
    let bad: Vec<(String, Vec<&'static str>)> = members
        .iter()
        .filter_map(|&h| {
            let lacks: FeatureSet = floor
                .intersection(wanted)
                .difference(&visible(&hosts[h]))
                .iter()
                .filter(|id| !firmware_fixable(*id))
                .collect();
            (!lacks.is_empty()).then(|| (hosts[h].name.clone(), lacks.names()))
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(PlanError::LacksFloor(bad))
    }
}

/// The parts of a plan every kind of request shares: from what some member has
/// (`union`) and what the request asks to hide (`requested`), what is hidden, what
/// is left for firmware updates, and the notes.
struct Core {
    hide: FeatureSet,
    requested: FeatureSet,
    firmware_pending: FeatureSet,
    firmware_hidden: FeatureSet,
    nested_hidden: FeatureSet,
    non_migratable_hidden: FeatureSet,
}

fn core(
    union: &FeatureSet,
    asked: &FeatureSet,
    hosts: &[FleetHost],
    involved: &[usize],
    opts: MaskOptions,
) -> Core {
    let floor = catalog::floor();
    let asked = asked.intersection(union);
    // Firmware-dependent bits a mask leaves alone unless asked: those an update
    // brings to every involved host that lacks them (which includes those every
    // involved host has: a baseline that lacks them does not take protections
    // away). Firmware-dependent bits that only another generation of silicon has
    // are capabilities here, and hidden like them.
    let firmware: FeatureSet = asked
        .intersection(&firmware_set())
        .iter()
        .filter(|f| update_brings(hosts, involved, *f))
        .collect();
    let common = involved
        .iter()
        .map(|&h| visible(&hosts[h]))
        .reduce(|a, b| a.intersection(&b))
        .unwrap_or_default();
    // The firmware differences left for the update; NX (floor and
    // firmware-dependent) stays one even when hiding is asked.
    let differing = firmware.difference(&common);
    let requested = if opts.hide_firmware {
        asked.difference(&floor)
    } else {
        asked.difference(&floor).difference(&firmware)
    };
    let mut hide = catalog::closure_of_dependents(&requested)
        .intersection(union)
        .difference(&floor);
    if !opts.hide_firmware {
        hide = hide.difference(&firmware);
    }
    let non_migratable_hidden = union.intersection(&catalog::of_class(Class::NonMigratable));
    hide = hide.union(&non_migratable_hidden);
    Core {
        requested,
        firmware_pending: if opts.hide_firmware {
            differing.intersection(&floor)
        } else {
            differing
        },
        firmware_hidden: hide.intersection(&firmware),
        nested_hidden: hide.intersection(&catalog::of_class(Class::NestedOnly)),
        non_migratable_hidden,
        hide,
    }
}

/// For each host, the firmware-dependent features of `pending` it lacks.
fn advice(hosts: &[FleetHost], on: &[usize], pending: &FeatureSet) -> Vec<FirmwareAdvice> {
    on.iter()
        .filter_map(|&h| {
            let lacks = pending.difference(&visible(&hosts[h]));
            (!lacks.is_empty()).then(|| FirmwareAdvice {
                host: h,
                lacks: lacks.names(),
            })
        })
        .collect()
}

/// Negative-sense bits that differ among `hosts` (indices into `all`).
fn negative_notes(all: &[FleetHost], hosts: &[usize]) -> Vec<NegativeSenseNote> {
    catalog::of_class(Class::NegativeSense)
        .iter()
        .filter_map(|id| {
            let (set_on, clear_on): (Vec<usize>, Vec<usize>) = hosts
                .iter()
                .partition(|&&h| all[h].cpu.features.contains(id));
            (!set_on.is_empty() && !clear_on.is_empty()).then(|| {
                let def = catalog::by_id(id);
                NegativeSenseNote {
                    feature: def.name,
                    meaning: def.description,
                    set_on,
                    clear_on,
                }
            })
        })
        .collect()
}

fn plan_from(
    vendor: Vendor,
    groups: Vec<String>,
    c: Core,
    union: &FeatureSet,
    hosts: &[FleetHost],
    members: Vec<usize>,
    destinations: Vec<usize>,
) -> MaskPlan {
    let involved: Vec<usize> = members.iter().chain(&destinations).copied().collect();
    MaskPlan {
        vendor,
        groups,
        guest: union.difference(&c.hide).difference(&c.firmware_pending),
        firmware_advice: advice(
            hosts,
            &involved,
            &c.firmware_pending.union(&c.firmware_hidden),
        ),
        negative_sense: negative_notes(hosts, &involved),
        hide: c.hide,
        requested: c.requested,
        firmware_pending: c.firmware_pending,
        firmware_hidden: c.firmware_hidden,
        nested_hidden: c.nested_hidden,
        non_migratable_hidden: c.non_migratable_hidden,
        members,
        destinations,
        cannot_reach: Vec::new(),
    }
}

/// The mask that lets the chosen groups migrate freely among each other: hide
/// what some member has and another lacks, closed under requirements, within the
/// rules of the module documentation.
pub fn for_groups(
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    labels: &[String],
    opts: MaskOptions,
) -> Result<MaskPlan, PlanError> {
    let (idx, vendor) = selection(a, labels)?;
    let members: Vec<usize> = idx
        .iter()
        .flat_map(|&i| a.groups[i].hosts.iter().copied())
        .collect();
    let (union, inter) = union_and_intersection(members.iter().map(|&h| visible(&hosts[h])));
    lacking_floor(hosts, &members, &union)?;
    let c = core(&union, &union.difference(&inter), hosts, &members, opts);
    let labels = idx.iter().map(|&i| a.groups[i].label.clone()).collect();
    Ok(plan_from(
        vendor,
        labels,
        c,
        &union,
        hosts,
        members,
        Vec::new(),
    ))
}

/// The mask for VMs of group `from` to move to group `to`: hide what some host of
/// `from` has and some host of `to` lacks, closed under requirements.
pub fn for_direction(
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    from: &str,
    to: &str,
    opts: MaskOptions,
) -> Result<MaskPlan, PlanError> {
    let (f, t) = (group_index(a, from)?, group_index(a, to)?);
    let (gf, gt) = (&a.groups[f], &a.groups[t]);
    if gf.vendor != gt.vendor {
        return Err(PlanError::MixedVendors(vec![
            (gf.label.clone(), gf.vendor),
            (gt.label.clone(), gt.vendor),
        ]));
    }
    let (union, _) = union_and_intersection(gf.hosts.iter().map(|&h| visible(&hosts[h])));
    let (_, dest) = union_and_intersection(gt.hosts.iter().map(|&h| visible(&hosts[h])));
    lacking_floor(hosts, &gt.hosts, &union)?;
    let involved: Vec<usize> = gf.hosts.iter().chain(&gt.hosts).copied().collect();
    let c = core(&union, &union.difference(&dest), hosts, &involved, opts);
    Ok(plan_from(
        gf.vendor,
        vec![gf.label.clone(), gt.label.clone()],
        c,
        &union,
        hosts,
        gf.hosts.clone(),
        gt.hosts.clone(),
    ))
}

/// The mask that brings the hosts of the chosen groups down to a named baseline;
/// hosts that cannot reach it are named, with what they lack. A baseline that
/// lacks floor features the hosts have is refused rather than hiding them.
pub fn for_baseline(
    a: &FleetAnalysis,
    hosts: &[FleetHost],
    labels: &[String],
    baseline: &Baseline,
    opts: MaskOptions,
) -> Result<MaskPlan, PlanError> {
    let (idx, vendor) = selection(a, labels)?;
    if let Some(bv) = baseline.vendor.filter(|bv| *bv != vendor) {
        return Err(PlanError::BaselineVendor {
            baseline: baseline.name.clone(),
            baseline_vendor: bv,
            hosts_vendor: vendor,
        });
    }
    let target = baselines::required_of_host(baseline);
    let (mut members, mut cannot_reach) = (Vec::new(), Vec::new());
    for &g in &idx {
        for &h in &a.groups[g].hosts {
            let f = visible(&hosts[h]);
            if target.is_subset(&f) {
                members.push(h);
            } else {
                cannot_reach.push((h, target.difference(&f).names()));
            }
        }
    }
    if members.is_empty() {
        return Err(PlanError::NobodyQualifies(baseline.name.clone()));
    }
    let (union, _) = union_and_intersection(members.iter().map(|&h| visible(&hosts[h])));
    // What the guest keeps: every feature the baseline lists (nested-only ones too,
    // which hosts are not required to have).
    let keep = baseline.features.intersection(catalog::guest_visible());
    let floor_hidden = union.difference(&keep).intersection(&catalog::floor());
    if !floor_hidden.is_empty() {
        return Err(PlanError::HidesFloor {
            request: format!("baseline {}", baseline.name),
            features: floor_hidden.names(),
        });
    }
    let c = core(&union, &union.difference(&keep), hosts, &members, opts);
    let labels = idx.iter().map(|&i| a.groups[i].label.clone()).collect();
    let mut plan = plan_from(vendor, labels, c, &union, hosts, members, Vec::new());
    // Hosts that miss the baseline only by firmware-dependent bits get advice too.
    for (h, lacks) in &cannot_reach {
        let fw: Vec<&'static str> = lacks
            .iter()
            .copied()
            .filter(|n| catalog::lookup(n).is_some_and(firmware_fixable))
            .collect();
        if !fw.is_empty() {
            plan.firmware_advice.push(FirmwareAdvice {
                host: *h,
                lacks: fw,
            });
        }
    }
    plan.cannot_reach = cannot_reach;
    Ok(plan)
}
