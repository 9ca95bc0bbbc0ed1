//! Builds the mask a plan asks for and verifies it against every member's own
//! leaves before anything is printed (`vmcompat mask`, the audit's HTML masks).
//! Pure: the leaves were collected by the sources.

use super::fleet::FleetHost;
use super::maskplan::{self, MaskPlan};
use crate::catalog::{self, FeatureSet};
use crate::cpuid::CpuLeaves;
use crate::mask::model::CpuidMask;
use crate::mask::{build, verify};

/// Why no mask is given for a plan.
#[derive(Debug, thiserror::Error)]
pub enum MaskRefusal {
    /// The mask would hide part of the x86-64 floor: never done (a request,
    /// not a bug: the user asked for groups that differ there).
    #[error("refused: the mask would hide {} (the floor of an x86-64 guest)", .0.names().join(" "))]
    FloorHidden(FeatureSet),
    /// The built mask failed its own verification: a vmcompat bug; the mask
    /// is withheld.
    #[error("mask withheld: {0}")]
    Withheld(String),
}

/// The mask for `plan` in the form `kind`, verified against the leaves of every
/// member (`leaves`, indexed as `hosts`) and the plan's destinations.
pub fn verified_mask(
    plan: &MaskPlan,
    hosts: &[FleetHost],
    leaves: &[CpuLeaves],
    kind: build::MaskKind,
) -> Result<CpuidMask, MaskRefusal> {
    let floor_hidden = plan.hide.intersection(&catalog::floor());
    if !floor_hidden.is_empty() {
        return Err(MaskRefusal::FloorHidden(floor_hidden));
    }
    let members: Vec<&CpuLeaves> = plan.members.iter().filter_map(|&i| leaves.get(i)).collect();
    let seen = plan
        .members
        .iter()
        .chain(&plan.destinations)
        .filter_map(|&i| hosts.get(i))
        .fold(FeatureSet::new(), |acc, h| acc.union(&h.cpu.features));
    let absent = catalog::guest_visible().difference(&seen);
    let mask = build::build_for(&plan.hide, &absent, kind);
    let destinations: Vec<FeatureSet> = plan
        .destinations
        .iter()
        .filter_map(|&d| hosts.get(d))
        .map(maskplan::visible)
        .collect();
    let exp = verify::Expectation {
        requested: &plan.requested,
        pending: &plan.firmware_pending,
        guest: &plan.guest,
        destinations: &destinations,
    };
    match verify::verify_plan(&mask, &members, &exp) {
        Ok(_) => Ok(mask),
        Err(verify::Failure::FloorHidden(s)) => Err(MaskRefusal::FloorHidden(s)),
        Err(e) => Err(MaskRefusal::Withheld(e.to_string())),
    }
}
