//! Would a candidate host join the fleet, and at what cost? The pre-purchase and
//! CI-gate question. Pure analysis over decoded CPUs.

use serde::Serialize;

use super::fleet::{self, FleetHost, Verdict};
use crate::catalog::FeatureSet;
use crate::model::policy::Policy;

/// How a candidate fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// Joins the fleet without lowering anything.
    Fits,
    /// Joins, but the cluster's baseline drops (VMs lose features).
    LowersBaseline,
    /// Cannot join: another vendor, or a required baseline is not met.
    DoesNotFit,
}

impl Fit {
    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Fit::Fits => "fits without lowering anything",
            Fit::LowersBaseline => "fits only by lowering the cluster's baseline",
            Fit::DoesNotFit => "does not fit",
        }
    }
}

/// One direction between the candidate and an existing group.
#[derive(Debug, Clone, Serialize)]
pub struct Direction {
    /// Label of the existing group.
    pub group: String,
    /// Name of the existing group.
    pub group_name: String,
    /// Can VMs of the group move onto the candidate?
    pub onto_candidate: Verdict,
    /// Can VMs started on the candidate move onto the group?
    pub from_candidate: Verdict,
}

/// The answer for one candidate.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateCheck {
    /// The candidate's name (as given).
    pub candidate: String,
    /// The cluster it was judged for (`None`: hosts without a cluster, or the
    /// whole fleet when no cluster has its vendor).
    pub cluster: Option<String>,
    /// The group it joins as it is, or `None` when it forms a new one.
    pub joins_group: Option<String>,
    /// Every direction between it and each existing group.
    pub directions: Vec<Direction>,
    /// True when its vendor has hosts in the fleet at all.
    pub vendor_in_fleet: bool,
    /// Features the fleet's common baseline (of the candidate's vendor) would lose.
    #[serde(serialize_with = "names")]
    pub baseline_loss: FeatureSet,
    /// Features the candidate has beyond the cluster's baseline (unused by migrating VMs).
    #[serde(serialize_with = "names")]
    pub extra_features: FeatureSet,
    /// What a mask must hide so every group of the candidate's vendor, candidate
    /// included, can migrate freely.
    #[serde(serialize_with = "names")]
    pub hide_after: FeatureSet,
    /// The cluster's EVC mode (highest named vendor baseline) before the candidate.
    pub evc_mode_before: Option<String>,
    /// The cluster's EVC mode with the candidate in it.
    pub evc_mode_after: Option<String>,
    /// The required baseline's verdict, when one was asked for: (name, met, missing).
    pub requirement: Option<Requirement>,
    /// The overall answer.
    pub fit: Fit,
    /// Why, in one or two sentences.
    pub summary: String,
}

/// A required baseline and whether the candidate meets it.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// The baseline's name.
    pub name: String,
    /// Met?
    pub met: bool,
    /// Features the candidate lacks (or a vendor mismatch in words).
    pub missing: Vec<String>,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// Checks one candidate against the fleet. `requirement` is the outcome of a
/// `--require` baseline check, done by the caller with the baselines module.
pub fn check(
    fleet: &[FleetHost],
    candidate: &FleetHost,
    policy: Policy,
    requirement: Option<Requirement>,
) -> CandidateCheck {
    let before = fleet::analyze(fleet, policy);
    let mut with: Vec<FleetHost> = fleet.to_vec();
    with.push(candidate.clone());
    let after = fleet::analyze(&with, policy);
    let cand_group_after = &after.groups[after.host_group[fleet.len()]];
    let joins_group = (cand_group_after.hosts.len() > 1).then(|| {
        // Name the group in the fleet's own labelling (before adding the candidate).
        let member = cand_group_after.hosts.iter().find(|&&h| h < fleet.len());
        member.map_or_else(String::new, |&h| {
            before.groups[before.host_group[h]].label.clone()
        })
    });
    let cand_features = policy.compared(&candidate.cpu);
    let vendor = candidate.cpu.vendor;
    let directions: Vec<Direction> = before
        .groups
        .iter()
        .map(|g| {
            let cand = fleet::Group {
                label: "candidate".into(),
                cluster: None,
                name: candidate.name.clone(),
                vendor,
                families: vec![candidate.cpu.signature.family],
                features: cand_features,
                hosts: vec![],
            };
            Direction {
                group: g.label.clone(),
                group_name: g.name.clone(),
                onto_candidate: fleet::verdict(g, &cand, policy),
                from_candidate: fleet::verdict(&cand, g, policy),
            }
        })
        .collect();
    let baseline_before = before.baselines.iter().find(|b| b.vendor == vendor);
    let vendor_in_fleet = baseline_before.is_some();
    let (baseline_loss, extra_features) = match baseline_before {
        Some(b) => (
            b.features.difference(&cand_features),
            cand_features.difference(&b.features),
        ),
        None => (FeatureSet::new(), FeatureSet::new()),
    };
    let hide_after = after
        .baselines
        .iter()
        .find(|b| b.vendor == vendor)
        .map(|b| {
            crate::catalog::closure_of_dependents(&b.differing)
                .intersection(&b.features.union(&b.differing))
        })
        .unwrap_or_default();
    let requirement_failed = requirement.as_ref().is_some_and(|r| !r.met);
    let (fit, summary) = if !vendor_in_fleet {
        (
            Fit::DoesNotFit,
            format!(
                "no {} host is in the fleet: VMs can only cold-migrate between it and the others",
                candidate.cpu.maker()
            ),
        )
    } else if requirement_failed {
        (
            Fit::DoesNotFit,
            match &requirement {
                Some(r) => format!("the requirement {} is not met", r.name),
                None => "the requirement is not met".to_string(),
            },
        )
    } else if !baseline_loss.is_empty() {
        (
            Fit::LowersBaseline,
            format!(
                "adding it would take {} feature(s) away from the cluster's VMs: {}",
                baseline_loss.len(),
                baseline_loss.names().join(" ")
            ),
        )
    } else {
        (
            Fit::Fits,
            match &joins_group {
                Some(g) => format!("it joins group {g} as it is"),
                None => "it forms a new group that offers everything the cluster's baseline does"
                    .to_string(),
            },
        )
    };
    CandidateCheck {
        candidate: candidate.name.clone(),
        cluster: candidate.cluster.clone(),
        joins_group,
        directions,
        vendor_in_fleet,
        baseline_loss,
        extra_features,
        hide_after,
        evc_mode_before: baseline_before.and_then(|b| b.named_baseline.clone()),
        evc_mode_after: after
            .baselines
            .iter()
            .find(|b| b.vendor == vendor)
            .and_then(|b| b.named_baseline.clone()),
        requirement,
        fit,
        summary,
    }
}
