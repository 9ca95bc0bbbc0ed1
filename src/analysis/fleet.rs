//! The fleet: compatibility groups under a policy, the directional migration
//! matrix, per-vendor baselines and the weakest links. Pure functions, no I/O.

use serde::Serialize;

use crate::catalog::{self, FeatureSet};
use crate::decode::{Cpu, Vendor};

/// Which rules decide whether two hosts are compatible.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// What vSphere EVC does today: vendor must match, family may differ, every
    /// migration-relevant feature bit counts.
    #[default]
    Evc,
    /// The classic ESX 3 rules: vendor and family must match; only SSE3, NX/XD and
    /// VT-x/AMD-V are compared.
    Esx3,
}

/// The features compared under the ESX 3 policy (catalog names).
const ESX3_FEATURES: &[&str] = &["pni", "nx", "vmx", "svm"];

impl Policy {
    /// The features of `cpu` this policy compares.
    pub fn compared(self, cpu: &Cpu) -> FeatureSet {
        let all = cpu.compared_features();
        match self {
            Policy::Evc => all,
            Policy::Esx3 => ESX3_FEATURES
                .iter()
                .filter_map(|n| catalog::lookup(n))
                .filter(|id| all.contains(*id))
                .collect(),
        }
    }
}

/// One host as the fleet analysis sees it.
#[derive(Debug, Clone)]
pub struct FleetHost {
    /// The host's name in the fleet file.
    pub name: String,
    /// Its cluster, if the fleet file gives one.
    pub cluster: Option<String>,
    /// Its decoded CPU.
    pub cpu: Cpu,
}

/// What makes hosts interchangeable under a policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct GroupKey {
    vendor: Vendor,
    family: Option<u32>,
    features: FeatureSet,
}

/// A set of hosts with equal signatures under the policy.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Short label: A, B, C, ...
    pub label: String,
    /// A name that says what defines the group.
    pub name: String,
    /// The vendor of every member.
    pub vendor: Vendor,
    /// The display families of the members.
    pub families: Vec<u32>,
    /// The compared features every member has (members have exactly these).
    #[serde(serialize_with = "serialize_names")]
    pub features: FeatureSet,
    /// Indices into the host list.
    pub hosts: Vec<usize>,
}

fn serialize_names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// Can a VM powered on in one group move to another?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Yes, with no mask: the destination offers everything the source does.
    Yes,
    /// Yes once these features are hidden from the VM (closed under requirements).
    WithMask {
        /// The features the destination lacks.
        #[serde(serialize_with = "serialize_names")]
        missing: FeatureSet,
        /// What the mask must hide: `missing` plus every feature of the source that
        /// requires it.
        #[serde(serialize_with = "serialize_names")]
        hide: FeatureSet,
    },
    /// No mask helps.
    No {
        /// Why, in words (vendor, family, must-match features).
        reasons: Vec<String>,
    },
}

impl Verdict {
    /// "yes", "with mask" or "no".
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::WithMask { .. } => "with mask",
            Verdict::No { .. } => "no",
        }
    }
}

/// The whole fleet's CPU analysis.
#[derive(Debug, Clone, Serialize)]
pub struct FleetAnalysis {
    /// The policy used.
    pub policy: Policy,
    /// The groups, largest first.
    pub groups: Vec<Group>,
    /// For each host (by index), the label of its group.
    pub host_group: Vec<usize>,
    /// `matrix[i][j]`: can a VM move from group i to group j.
    pub matrix: Vec<Vec<Verdict>>,
    /// Per vendor: the features every host of that vendor has.
    pub baselines: Vec<VendorBaseline>,
    /// Hosts whose removal would raise their vendor's baseline, and the gain.
    pub weakest_links: Vec<WeakLink>,
}

/// The common baseline of the hosts of one vendor.
#[derive(Debug, Clone, Serialize)]
pub struct VendorBaseline {
    /// The vendor.
    pub vendor: Vendor,
    /// How many hosts.
    pub hosts: usize,
    /// The intersection of their compared features.
    #[serde(serialize_with = "serialize_names")]
    pub features: FeatureSet,
    /// Features some but not all of these hosts have.
    #[serde(serialize_with = "serialize_names")]
    pub differing: FeatureSet,
    /// The x86-64 psABI level of the baseline (0: below v1).
    pub x86_64_level: u8,
    /// The newest named vendor baseline (from `masks/`) every host of the vendor reaches.
    pub named_baseline: Option<String>,
}

/// A host that holds its vendor's baseline down.
#[derive(Debug, Clone, Serialize)]
pub struct WeakLink {
    /// Index of the host.
    pub host: usize,
    /// What the other hosts of its vendor would gain without it.
    #[serde(serialize_with = "serialize_names")]
    pub gain: FeatureSet,
}

impl FleetAnalysis {
    /// True when every group can reach every other, with masks where needed.
    pub fn all_reachable(&self) -> bool {
        self.matrix
            .iter()
            .flatten()
            .all(|v| !matches!(v, Verdict::No { .. }))
    }
}

/// Groups the hosts, builds the matrix, baselines and weakest links.
pub fn analyze(hosts: &[FleetHost], policy: Policy) -> FleetAnalysis {
    let mut by_key: std::collections::BTreeMap<GroupKey, Vec<usize>> = Default::default();
    for (i, h) in hosts.iter().enumerate() {
        let key = GroupKey {
            vendor: h.cpu.vendor,
            family: (policy == Policy::Esx3).then_some(h.cpu.signature.family),
            features: policy.compared(&h.cpu),
        };
        by_key.entry(key).or_default().push(i);
    }
    let mut groups: Vec<Group> = by_key
        .into_iter()
        .map(|(key, members)| {
            let mut families: Vec<u32> = members
                .iter()
                .map(|&i| hosts[i].cpu.signature.family)
                .collect();
            families.sort_unstable();
            families.dedup();
            Group {
                label: String::new(),
                name: String::new(),
                vendor: key.vendor,
                families,
                features: key.features,
                hosts: members,
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        (a.vendor, std::cmp::Reverse(a.features.len()), &a.hosts).cmp(&(
            b.vendor,
            std::cmp::Reverse(b.features.len()),
            &b.hosts,
        ))
    });
    let mut host_group = vec![0; hosts.len()];
    for (gi, g) in groups.iter_mut().enumerate() {
        g.label = group_label(gi);
        g.name = group_name(g, hosts);
        for &h in &g.hosts {
            host_group[h] = gi;
        }
    }
    let matrix = groups
        .iter()
        .map(|from| groups.iter().map(|to| verdict(from, to, policy)).collect())
        .collect();
    let baselines = vendor_baselines(&groups);
    let weakest_links = weakest_links(&groups, &baselines);
    FleetAnalysis {
        policy,
        groups,
        host_group,
        matrix,
        baselines,
        weakest_links,
    }
}

/// A, B, ..., Z, AA, AB, ...
fn group_label(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// "Intel family 6, Haswell-class: AVX2, no AVX-512".
fn group_name(g: &Group, hosts: &[FleetHost]) -> String {
    let families = g
        .families
        .iter()
        .map(|f| format!("0x{f:x}"))
        .collect::<Vec<_>>()
        .join("/");
    let first = g.hosts.first().map(|&i| &hosts[i].cpu);
    let maker = first.map_or(g.vendor.display_name(), |c| c.maker());
    let mut uarchs: Vec<&str> = g
        .hosts
        .iter()
        .filter_map(|&i| hosts[i].cpu.microarchitecture)
        .collect();
    uarchs.sort_unstable();
    uarchs.dedup();
    let class = match uarchs.as_slice() {
        [] => String::new(),
        [one] => format!(", {one}-class"),
        [a, .., b] => format!(", {a}…{b}-class"),
    };
    let has = |n: &str| catalog::lookup(n).is_some_and(|id| g.features.contains(id));
    let simd = if has("avx512f") {
        "AVX-512"
    } else if has("avx2") {
        "AVX2, no AVX-512"
    } else if has("avx") {
        "AVX, no AVX2"
    } else if has("sse4_2") {
        "SSE4.2, no AVX"
    } else if has("pni") {
        "SSE3, no SSE4.2"
    } else {
        "no SSE3"
    };
    format!("{maker} family {families}{class}: {simd}")
}

/// Can a VM powered on in `from` move to `to` under `policy`?
pub fn verdict(from: &Group, to: &Group, policy: Policy) -> Verdict {
    let mut reasons = Vec::new();
    if from.vendor != to.vendor {
        reasons.push(format!(
            "vendor differs ({} vs {}): cold migration only, no mask can bridge vendors",
            from.vendor, to.vendor
        ));
    }
    if policy == Policy::Esx3 && from.families != to.families {
        reasons.push(format!(
            "family differs (0x{:x} vs 0x{:x}) and the ESX 3 policy requires equal families",
            from.families.first().copied().unwrap_or(0),
            to.families.first().copied().unwrap_or(0)
        ));
    }
    let must_match: Vec<&str> = from
        .features
        .union(&to.features)
        .difference(&from.features.intersection(&to.features))
        .iter()
        .map(catalog::by_id)
        .filter(|d| d.class == catalog::Class::MustMatch)
        .map(|d| d.name)
        .collect();
    if !must_match.is_empty() {
        reasons.push(format!(
            "must-match features differ ({}): a mask cannot hide them",
            must_match.join(" ")
        ));
    }
    if !reasons.is_empty() {
        return Verdict::No { reasons };
    }
    let missing = from.features.difference(&to.features);
    if missing.is_empty() {
        Verdict::Yes
    } else {
        // Hide what the destination lacks and, of what the source has, everything
        // that requires it; bits no source host has need no mask.
        Verdict::WithMask {
            missing,
            hide: catalog::closure_of_dependents(&missing).intersection(&from.features),
        }
    }
}

fn vendor_baselines(groups: &[Group]) -> Vec<VendorBaseline> {
    let mut out: Vec<VendorBaseline> = Vec::new();
    for g in groups {
        match out.iter_mut().find(|b| b.vendor == g.vendor) {
            Some(b) => {
                b.differing = b
                    .differing
                    .union(&b.features.union(&g.features))
                    .difference(&b.features.intersection(&g.features));
                b.features = b.features.intersection(&g.features);
                b.hosts += g.hosts.len();
            }
            None => out.push(VendorBaseline {
                vendor: g.vendor,
                hosts: g.hosts.len(),
                features: g.features,
                differing: FeatureSet::new(),
                x86_64_level: 0,
                named_baseline: None,
            }),
        }
    }
    for b in &mut out {
        b.x86_64_level = crate::decode::x86_64_level(&b.features);
        b.named_baseline =
            crate::baselines::highest_for(b.vendor, &b.features).map(|n| n.name.clone());
    }
    out
}

/// A host lowers its vendor's baseline by the features every other host of that
/// vendor has and it lacks. Counting per group keeps this linear in hosts.
fn weakest_links(groups: &[Group], baselines: &[VendorBaseline]) -> Vec<WeakLink> {
    let mut out = Vec::new();
    for b in baselines {
        if b.hosts < 2 {
            continue;
        }
        let vendor_groups: Vec<&Group> = groups.iter().filter(|g| g.vendor == b.vendor).collect();
        for g in groups {
            if g.vendor != b.vendor || g.hosts.len() > 1 {
                // A group of two or more: removing one member leaves the other, with
                // the same features, so the baseline cannot rise.
                continue;
            }
            let others = vendor_groups
                .iter()
                .filter(|o| !std::ptr::eq(**o, g))
                .fold(None::<FeatureSet>, |acc, o| {
                    Some(acc.map_or(o.features, |a| a.intersection(&o.features)))
                });
            let Some(others) = others else { continue };
            let gain = others.difference(&g.features);
            if !gain.is_empty() {
                for &h in &g.hosts {
                    out.push(WeakLink { host: h, gain });
                }
            }
        }
    }
    out.sort_by_key(|w| std::cmp::Reverse(w.gain.len()));
    out
}
