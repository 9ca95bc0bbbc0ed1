//! The fleet: compatibility groups under a policy, the directional migration
//! matrix, per-vendor baselines and the weakest links. Pure functions, no I/O.

use serde::Serialize;

use crate::catalog::{self, id, FeatureId, FeatureSet};
use crate::decode::{Cpu, Vendor};
use crate::model::policy::Policy;

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

/// What makes hosts interchangeable under a policy. The cluster comes first:
/// live migration happens inside a cluster, so a group never spans two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct GroupKey {
    cluster: Option<String>,
    vendor: Vendor,
    family: Option<u32>,
    features: FeatureSet,
}

/// A set of hosts with equal signatures under the policy.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Identifier derived from content, the same for the same hosts whatever their
    /// order in the fleet file: `cluster/best-baseline` (`prod/haswell`), with a
    /// short hash of the feature set appended when two groups would share it.
    /// `--groups`, `--from` and `--to` take it.
    pub label: String,
    /// The cluster of every member (`None`: hosts the fleet file gives no cluster).
    pub cluster: Option<String>,
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
    /// Per cluster and vendor: the features every host of that vendor in the
    /// cluster has.
    pub baselines: Vec<VendorBaseline>,
    /// Hosts whose removal would raise their cluster's baseline, and the gain.
    pub weakest_links: Vec<WeakLink>,
}

/// The common baseline of the hosts of one vendor.
#[derive(Debug, Clone, Serialize)]
pub struct VendorBaseline {
    /// The cluster (`None`: hosts without a cluster).
    pub cluster: Option<String>,
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

/// A host that holds its cluster's baseline down.
#[derive(Debug, Clone, Serialize)]
pub struct WeakLink {
    /// Index of the host.
    pub host: usize,
    /// What the other hosts of its cluster (and vendor) would gain without it.
    #[serde(serialize_with = "serialize_names")]
    pub gain: FeatureSet,
}

impl FleetAnalysis {
    /// True when, inside every cluster, every group can reach every other (with
    /// masks where needed). Between clusters a "no" is information, not a failure.
    pub fn all_reachable(&self) -> bool {
        self.clusters()
            .iter()
            .all(|c| self.cluster_reachable(c.as_deref()))
    }

    /// True when every group of `cluster` can reach every other group of it.
    pub fn cluster_reachable(&self, cluster: Option<&str>) -> bool {
        self.cluster_blockers(cluster).is_empty()
    }

    /// The ordered pairs (from, to) of group indices inside `cluster` that no mask
    /// can bridge.
    pub fn cluster_blockers(&self, cluster: Option<&str>) -> Vec<(usize, usize)> {
        let idx = self.groups_of(cluster);
        let mut out = Vec::new();
        for &i in &idx {
            for &j in &idx {
                if matches!(self.matrix[i][j], Verdict::No { .. }) {
                    out.push((i, j));
                }
            }
        }
        out
    }

    /// The clusters, in group order (`None`: hosts without a cluster).
    pub fn clusters(&self) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = Vec::new();
        for g in &self.groups {
            if !out.contains(&g.cluster) {
                out.push(g.cluster.clone());
            }
        }
        out
    }

    /// Indices of the groups of `cluster`.
    pub fn groups_of(&self, cluster: Option<&str>) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&i| self.groups[i].cluster.as_deref() == cluster)
            .collect()
    }
}

/// A cluster's name for people: its name, or "(no cluster)".
pub fn cluster_display(cluster: Option<&str>) -> &str {
    cluster.unwrap_or("(no cluster)")
}

/// Groups the hosts (per cluster), builds the matrix, baselines and weakest links.
pub fn analyze(hosts: &[FleetHost], policy: Policy) -> FleetAnalysis {
    let mut by_key: std::collections::BTreeMap<GroupKey, Vec<usize>> = Default::default();
    for (i, h) in hosts.iter().enumerate() {
        let key = GroupKey {
            cluster: h.cluster.clone(),
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
                cluster: key.cluster,
                name: String::new(),
                vendor: key.vendor,
                families,
                features: key.features,
                hosts: members,
            }
        })
        .collect();
    for g in &mut groups {
        g.name = group_name(g, hosts, policy);
    }
    assign_labels(&mut groups, policy);
    // Content order: cluster, vendor, richest first, then the label (unique).
    groups.sort_by(|a, b| {
        (
            &a.cluster,
            a.vendor,
            std::cmp::Reverse(a.features.len()),
            &a.label,
        )
            .cmp(&(
                &b.cluster,
                b.vendor,
                std::cmp::Reverse(b.features.len()),
                &b.label,
            ))
    });
    let mut host_group = vec![0; hosts.len()];
    for (gi, g) in groups.iter().enumerate() {
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

/// The content part of a group's label: the best VMware EVC mode under the EVC
/// policy (`haswell`, `zen2`), the classic attributes under ESX 3
/// (`intel-f6-sse3-nx-vt`).
fn content_label(g: &Group, policy: Policy) -> String {
    let vendor = g.vendor.to_string().to_ascii_lowercase();
    match policy {
        // VMware's EVC modes name the generation and leave out the speculation
        // controls a microcode update brings, so the label does not drop to an
        // older generation on a host that only runs old microcode.
        Policy::Evc => match super::setting::vmware_evc_mode(g.vendor, &g.features) {
            Some(m) => m
                .key
                .strip_prefix(&format!("{vendor}-"))
                .unwrap_or(&m.key)
                .to_string(),
            // A KVM guest view lacks bits VMware's modes list (MONITOR): the
            // named baseline of `masks/` (libvirt's models) names the generation.
            None => match super::setting::evc_mode_for(g.vendor, &g.features) {
                Some(b) => b
                    .name
                    .strip_prefix(&format!("{vendor}-"))
                    .unwrap_or(&b.name)
                    .to_string(),
                None => format!("{vendor}-below-named"),
            },
        },
        Policy::Esx3 => {
            let has = |f: FeatureId| g.features.contains(f);
            let fam = g.families.first().copied().unwrap_or(0);
            format!(
                "{vendor}-f{fam:x}-{}-{}-{}",
                if has(id::PNI) { "sse3" } else { "nosse3" },
                if has(id::NX) { "nx" } else { "nonx" },
                if has(id::VMX) || has(id::SVM) {
                    "vt"
                } else {
                    "novt"
                }
            )
        }
    }
}

/// FNV-1a over the group's feature names, vendor and families: a hash that
/// depends on content only.
fn content_hash(g: &Group) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(g.vendor.to_string().as_bytes());
    for f in &g.families {
        eat(&f.to_le_bytes());
    }
    for n in g.features.names() {
        eat(n.as_bytes());
    }
    h
}

/// Gives every group a label from its content: `cluster/content`, and where two
/// groups would share one, a hash of their features appended (`~1a2b`, longer if
/// even that collides). Labels never repeat.
fn assign_labels(groups: &mut [Group], policy: Policy) {
    let base: Vec<String> = groups
        .iter()
        .map(|g| {
            let c = content_label(g, policy);
            match &g.cluster {
                Some(cl) => format!("{cl}/{c}"),
                None => c,
            }
        })
        .collect();
    for (i, g) in groups.iter_mut().enumerate() {
        g.label = base[i].clone();
    }
    for digits in [4usize, 8, 16] {
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for g in groups.iter() {
            *seen.entry(g.label.clone()).or_default() += 1;
        }
        if seen.values().all(|&n| n == 1) {
            return;
        }
        for (i, g) in groups.iter_mut().enumerate() {
            if seen.get(&g.label).copied().unwrap_or(0) > 1 || g.label != base[i] {
                let hash = format!("{:016x}", content_hash(g));
                g.label = format!("{}~{}", base[i], &hash[..digits]);
            }
        }
    }
}

/// "Intel family 6, Haswell-class: AVX2, no AVX-512"; under the ESX 3 policy
/// only what that policy compares ("Intel family 0x6: SSE3, NX/XD, VT-x").
fn group_name(g: &Group, hosts: &[FleetHost], policy: Policy) -> String {
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
    let has = |f: FeatureId| g.features.contains(f);
    if policy == Policy::Esx3 {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let virt = if g.vendor.is_amd_like() {
            "AMD-V"
        } else {
            "VT-x"
        };
        return format!(
            "{maker} family {families}: SSE3 {}, NX/XD {}, {virt} {}",
            yes_no(has(id::PNI)),
            yes_no(has(id::NX)),
            yes_no(has(id::VMX) || has(id::SVM))
        );
    }
    let simd = if has(id::AVX512F) {
        "AVX-512"
    } else if has(id::AVX2) {
        "AVX2, no AVX-512"
    } else if has(id::AVX) {
        "AVX, no AVX2"
    } else if has(id::SSE4_2) {
        "SSE4.2, no AVX"
    } else if has(id::PNI) {
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
        match out
            .iter_mut()
            .find(|b| b.vendor == g.vendor && b.cluster == g.cluster)
        {
            Some(b) => {
                b.differing = b
                    .differing
                    .union(&b.features.union(&g.features))
                    .difference(&b.features.intersection(&g.features));
                b.features = b.features.intersection(&g.features);
                b.hosts += g.hosts.len();
            }
            None => out.push(VendorBaseline {
                cluster: g.cluster.clone(),
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
            super::setting::evc_mode_for(b.vendor, &b.features).map(|n| n.name.clone());
    }
    out
}

/// A host lowers its cluster's baseline by the features every other host of that
/// cluster (and vendor) has and it lacks. Counting per group keeps this linear in hosts.
fn weakest_links(groups: &[Group], baselines: &[VendorBaseline]) -> Vec<WeakLink> {
    let mut out = Vec::new();
    for b in baselines {
        if b.hosts < 2 {
            continue;
        }
        let same = |g: &Group| g.vendor == b.vendor && g.cluster == b.cluster;
        let vendor_groups: Vec<&Group> = groups.iter().filter(|g| same(g)).collect();
        for g in groups {
            if !same(g) || g.hosts.len() > 1 {
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
