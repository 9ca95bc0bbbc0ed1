//! The CPU verdict of one VM: can the features its guest sees (through its own
//! mask, per-VM EVC included) be offered by another CPU group? Pure: no I/O.
//!
//! A running VM keeps the CPUID it was powered on with. Its guest sees the
//! features of its host's group through its mask ([`GuestView`]); it can move
//! to a group of the same vendor (and, under the ESX 3 policy, family) whose
//! features include all of those, when no must-match feature differs.

use super::fleet::{Group, Verdict};
use crate::catalog::FeatureSet;
use crate::mask::per_vm::GuestView;

/// Whether a VM whose guest sees `seen` (on group `from`) can move to `to`;
/// `verdict` is the fleet matrix's verdict from `from` to `to` (vendor, family
/// and must-match reasons come from it). Returns (movable, why), `why` naming
/// the features `to` lacks.
pub fn judge(view: &GuestView, seen: &FeatureSet, to: &Group, verdict: &Verdict) -> (bool, String) {
    let label = &to.label;
    match verdict {
        Verdict::No { reasons } => (false, reasons.join("; ")),
        Verdict::Yes => (true, "no mask needed".to_string()),
        Verdict::WithMask { missing, .. } => {
            let lacking = seen.difference(&to.features);
            match (lacking.is_empty(), view) {
                (true, GuestView::Grants { .. }) => (
                    true,
                    format!(
                        "its per-VM EVC mask grants none of what {label} lacks ({})",
                        missing.names().join(" ")
                    ),
                ),
                (true, _) => (
                    true,
                    format!(
                        "its mask hides what {label} lacks: {}",
                        missing.names().join(" ")
                    ),
                ),
                (false, GuestView::Grants { .. }) => (
                    false,
                    format!(
                        "{label} lacks {} which its per-VM EVC mask grants and the VM sees",
                        lacking.names().join(" ")
                    ),
                ),
                (false, _) => (
                    false,
                    format!(
                        "{label} lacks {} which the VM sees (its mask does not hide them)",
                        lacking.names().join(" ")
                    ),
                ),
            }
        }
    }
}
