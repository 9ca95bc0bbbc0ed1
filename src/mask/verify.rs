//! The check a mask passes before it is printed as verified (DESIGN.md,
//! "Compatibility semantics"):
//!
//! - (a) applied to every member's CPUID, every guest sees the same guest-visible
//!   features (leaving out the firmware differences the plan leaves for host
//!   updates), and exactly what the plan promised;
//! - (b) no floor feature of an x86-64 guest is hidden;
//! - (c) nothing every member has is hidden, except through a catalog dependency
//!   edge from something the request asked to hide (or a non-migratable bit);
//! - and for one direction, every destination offers what the guest sees.
//!
//! Whether the output format can express every hidden feature (d) is the renderer's
//! knowledge; the command checks it and withholds "verified" when it cannot.

use std::fmt;

use crate::catalog::{self, Class, FeatureSet};
use crate::cpuid::{Completeness, CpuLeaves};
use crate::decode::decode_cpu;

use super::apply::apply;
use super::explain::hidden_features;
use super::model::CpuidMask;

/// A mask that passed its checks, with what the chosen format cannot express.
#[derive(Debug, Clone)]
pub struct CheckedMask {
    /// The mask lines.
    pub mask: CpuidMask,
    /// Hidden features the output format has no way to hide (libvirt and QEMU
    /// names are missing for them): they stay visible with that format, so the
    /// output does not say "verified".
    pub unexpressible: Vec<&'static str>,
}

impl CheckedMask {
    /// True when the mask is verified for what the chosen format prints.
    pub fn is_verified(&self) -> bool {
        self.unexpressible.is_empty()
    }
}

/// What the plan says the mask must achieve.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    /// What the request asked to hide (before the closure under requirements).
    pub requested: &'a FeatureSet,
    /// Firmware-dependent differences left visible on purpose (hosts to update).
    pub pending: &'a FeatureSet,
    /// What every member's guest must see (guest-visible features, less `pending`).
    pub guest: &'a FeatureSet,
    /// For one direction: the guest-visible features of each destination host.
    pub destinations: &'a [FeatureSet],
}

/// Why a mask fails its check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// There were no members to check the mask against.
    NoMembers,
    /// (b) The mask hides floor features.
    FloorHidden(FeatureSet),
    /// (a) A member's guest sees different features than member 0's.
    Differ {
        /// Index of the first member that differs.
        member: usize,
        /// Features only this member's guest sees.
        only_in_member: FeatureSet,
        /// Features only member 0's guest sees.
        only_in_first: FeatureSet,
    },
    /// (a) The guests agree, but not on what the plan promised.
    NotAsPlanned {
        /// Seen but not promised.
        extra: FeatureSet,
        /// Promised but not seen.
        missing: FeatureSet,
    },
    /// (c) Features every member has are hidden without an edge that requires it.
    CommonHidden(FeatureSet),
    /// A destination lacks features the guest sees.
    Destination {
        /// Index of the destination.
        index: usize,
        /// What it lacks.
        lacking: FeatureSet,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |s: &FeatureSet| s.names().join(" ");
        match self {
            Failure::NoMembers => f.write_str("the mask was checked against no hosts"),
            Failure::FloorHidden(s) => {
                write!(
                    f,
                    "the mask hides floor features of an x86-64 guest: {}",
                    n(s)
                )
            }
            Failure::Differ {
                member,
                only_in_member,
                only_in_first,
            } => write!(
                f,
                "the mask does not make member {member} agree with member 0 \
                 (only member {member} shows: {}; only member 0 shows: {})",
                n(only_in_member),
                n(only_in_first)
            ),
            Failure::NotAsPlanned { extra, missing } => write!(
                f,
                "guests would see {} beyond the plan and miss {}",
                n(extra),
                n(missing)
            ),
            Failure::CommonHidden(s) => write!(
                f,
                "the mask hides features every member has, with no dependency edge \
                 that requires it: {}",
                n(s)
            ),
            Failure::Destination { index, lacking } => write!(
                f,
                "destination {index} lacks {} that guests would see",
                n(lacking)
            ),
        }
    }
}

impl std::error::Error for Failure {}

/// The guest-visible features a guest sees on `cpu` through `mask`.
pub fn guest_visible(mask: &CpuidMask, cpu: &CpuLeaves) -> FeatureSet {
    decode_cpu(&apply(mask, cpu), Completeness::Full)
        .features
        .intersection(catalog::guest_visible())
}

/// Runs checks (a), (b), (c) and the destination check; returns what every
/// member's guest sees (less `pending`).
pub fn verify_plan(
    mask: &CpuidMask,
    members: &[&CpuLeaves],
    exp: &Expectation<'_>,
) -> Result<FeatureSet, Failure> {
    let floor = catalog::floor();
    let hidden = hidden_features(mask);
    let floor_hidden = hidden.intersection(&floor);
    if !floor_hidden.is_empty() {
        return Err(Failure::FloorHidden(floor_hidden));
    }
    let views: Vec<FeatureSet> = members
        .iter()
        .map(|cpu| guest_visible(mask, cpu).difference(exp.pending))
        .collect();
    let first = *views.first().ok_or(Failure::NoMembers)?;
    if let Some((member, v)) = views.iter().enumerate().find(|(_, v)| **v != first) {
        return Err(Failure::Differ {
            member,
            only_in_member: v.difference(&first),
            only_in_first: first.difference(v),
        });
    }
    // (b) again, on what guests see: no member loses a floor bit it has.
    for cpu in members {
        let host = decode_cpu(cpu, Completeness::Full).features;
        let lost = host
            .intersection(&floor)
            .difference(&guest_visible(mask, cpu));
        if !lost.is_empty() {
            return Err(Failure::FloorHidden(lost));
        }
    }
    if first != *exp.guest {
        return Err(Failure::NotAsPlanned {
            extra: first.difference(exp.guest),
            missing: exp.guest.difference(&first),
        });
    }
    // (c) What every member has and its guest does not see must be reachable by
    // dependency edges from what was asked, or be a non-migratable bit.
    let common = members
        .iter()
        .map(|cpu| {
            decode_cpu(cpu, Completeness::Full)
                .features
                .intersection(catalog::guest_visible())
        })
        .reduce(|a, b| a.intersection(&b))
        .unwrap_or_default();
    let allowed = catalog::closure_of_dependents(exp.requested)
        .union(&catalog::of_class(Class::NonMigratable));
    let unexplained = common.difference(&first).difference(&allowed);
    if !unexplained.is_empty() {
        return Err(Failure::CommonHidden(unexplained));
    }
    for (index, dest) in exp.destinations.iter().enumerate() {
        let lacking = first.difference(dest).difference(exp.pending);
        if !lacking.is_empty() {
            return Err(Failure::Destination { index, lacking });
        }
    }
    Ok(first)
}
