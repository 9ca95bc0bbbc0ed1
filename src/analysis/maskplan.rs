//! What a mask must hide: for a set of groups to migrate freely among each other,
//! for one direction, or to bring hosts down to a named baseline. Pure analysis;
//! building and verifying the mask lines is `crate::mask`'s job.

use serde::Serialize;

use super::fleet::FleetAnalysis;
use crate::baselines::{self, Baseline};
use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;

/// The features to hide and the hosts the mask is for.
#[derive(Debug, Clone, Serialize)]
pub struct MaskPlan {
    /// The vendor of every host involved.
    pub vendor: Vendor,
    /// Labels of the groups involved.
    pub groups: Vec<String>,
    /// What the mask hides: the features some involved host has and the target
    /// lacks, closed under requirements (limited to features some host has).
    #[serde(serialize_with = "names")]
    pub hide: FeatureSet,
    /// What every guest will see afterwards (compared features).
    #[serde(serialize_with = "names")]
    pub guest: FeatureSet,
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
}

/// The must-match features among `hide`: a mask cannot hide them.
fn must_match(hide: &FeatureSet) -> Result<(), PlanError> {
    let must: Vec<&'static str> = hide
        .iter()
        .map(catalog::by_id)
        .filter(|d| d.class == catalog::Class::MustMatch)
        .map(|d| d.name)
        .collect();
    if must.is_empty() {
        Ok(())
    } else {
        Err(PlanError::MustMatch(must))
    }
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
        }
    }
}

fn group_index(a: &FleetAnalysis, label: &str) -> Result<usize, PlanError> {
    a.groups
        .iter()
        .position(|g| g.label.eq_ignore_ascii_case(label))
        .ok_or_else(|| PlanError::UnknownGroup(label.to_string()))
}

/// The groups to mask by default: every group, one plan per vendor.
pub fn default_selections(a: &FleetAnalysis) -> Vec<Vec<String>> {
    let mut by_vendor: Vec<(Vendor, Vec<String>)> = Vec::new();
    for g in &a.groups {
        match by_vendor.iter_mut().find(|(v, _)| *v == g.vendor) {
            Some((_, labels)) => labels.push(g.label.clone()),
            None => by_vendor.push((g.vendor, vec![g.label.clone()])),
        }
    }
    by_vendor.into_iter().map(|(_, l)| l).collect()
}

/// The mask that lets the chosen groups migrate freely among each other: hide
/// (union − intersection), closed under requirements.
pub fn for_groups(a: &FleetAnalysis, labels: &[String]) -> Result<MaskPlan, PlanError> {
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
    let (mut union, mut inter) = (FeatureSet::new(), None::<FeatureSet>);
    for &i in &idx {
        let f = a.groups[i].features;
        union = union.union(&f);
        inter = Some(inter.map_or(f, |x| x.intersection(&f)));
    }
    let inter = inter.unwrap_or_default();
    let hide = catalog::closure_of_dependents(&union.difference(&inter)).intersection(&union);
    must_match(&hide)?;
    Ok(MaskPlan {
        vendor,
        groups: idx.iter().map(|&i| a.groups[i].label.clone()).collect(),
        guest: union.difference(&hide),
        hide,
        members: idx
            .iter()
            .flat_map(|&i| a.groups[i].hosts.iter().copied())
            .collect(),
        destinations: Vec::new(),
        cannot_reach: Vec::new(),
    })
}

/// The mask for VMs of group `from` to move to group `to`: hide F(from) − F(to),
/// closed under requirements.
pub fn for_direction(a: &FleetAnalysis, from: &str, to: &str) -> Result<MaskPlan, PlanError> {
    let (f, t) = (group_index(a, from)?, group_index(a, to)?);
    let (gf, gt) = (&a.groups[f], &a.groups[t]);
    if gf.vendor != gt.vendor {
        return Err(PlanError::MixedVendors(vec![
            (gf.label.clone(), gf.vendor),
            (gt.label.clone(), gt.vendor),
        ]));
    }
    let hide = catalog::closure_of_dependents(&gf.features.difference(&gt.features))
        .intersection(&gf.features);
    must_match(&hide)?;
    Ok(MaskPlan {
        vendor: gf.vendor,
        groups: vec![gf.label.clone(), gt.label.clone()],
        guest: gf.features.difference(&hide),
        hide,
        members: gf.hosts.clone(),
        destinations: gt.hosts.clone(),
        cannot_reach: Vec::new(),
    })
}

/// The mask that brings the hosts of the chosen groups down to a named baseline;
/// hosts that cannot reach it are named, with what they lack.
pub fn for_baseline(
    a: &FleetAnalysis,
    labels: &[String],
    baseline: &Baseline,
) -> Result<MaskPlan, PlanError> {
    let idx: Vec<usize> = labels
        .iter()
        .map(|l| group_index(a, l))
        .collect::<Result<_, _>>()?;
    let vendor = idx.first().map_or(Vendor::Unknown, |&i| a.groups[i].vendor);
    if let Some(bv) = baseline.vendor.filter(|bv| *bv != vendor) {
        return Err(PlanError::BaselineVendor {
            baseline: baseline.name.clone(),
            baseline_vendor: bv,
            hosts_vendor: vendor,
        });
    }
    let target = baselines::required_of_host(baseline);
    let (mut members, mut cannot_reach) = (Vec::new(), Vec::new());
    let mut union = FeatureSet::new();
    for &g in &idx {
        for &h in &a.groups[g].hosts {
            let f = a.groups[g].features;
            if target.is_subset(&f) {
                members.push(h);
                union = union.union(&f);
            } else {
                cannot_reach.push((h, target.difference(&f).names()));
            }
        }
    }
    if members.is_empty() {
        return Err(PlanError::NobodyQualifies(baseline.name.clone()));
    }
    let mut hide = catalog::closure_of_dependents(&union.difference(&target)).intersection(&union);
    // A baseline that lacks a must-match feature (invariant TSC) does not hide it:
    // the hosts keep it, and must then agree on it.
    let must: FeatureSet = hide
        .iter()
        .filter(|id| catalog::by_id(*id).class == catalog::Class::MustMatch)
        .collect();
    hide = hide.difference(&must);
    for &g in &idx {
        let differs = must.difference(&a.groups[g].features);
        if !differs.is_empty() && a.groups[g].hosts.iter().any(|h| members.contains(h)) {
            return Err(PlanError::MustMatch(differs.names()));
        }
    }
    Ok(MaskPlan {
        vendor,
        groups: idx.iter().map(|&i| a.groups[i].label.clone()).collect(),
        guest: union.difference(&hide),
        hide,
        members,
        destinations: Vec::new(),
        cannot_reach,
    })
}
