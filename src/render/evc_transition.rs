//! `vms --evc-mode KEY` as text: per cluster, the hosts that cannot run the
//! mode, the VMs to power off first, the running VMs to power-cycle, and those
//! whose current features are not known.

use std::fmt::Write as _;

use crate::analysis::evc_transition::{EvcTransition, VmAction};
use crate::shipped::evc::EvcMode;

/// The report for every cluster.
pub fn render(mode: &EvcMode, ts: &[EvcTransition]) -> String {
    let wrap = super::wrap;
    let mut out = String::new();
    out.push_str(&wrap(
        &format!(
            "EVC mode {} ({}, {}; since {}): what it means for each cluster",
            mode.key, mode.label, mode.level, mode.introduced
        ),
        "",
    ));
    for t in ts {
        let _ = writeln!(
            out,
            "\nCluster {}:",
            t.cluster.as_deref().unwrap_or("(hosts without a cluster)")
        );
        let section = |out: &mut String, title: &str, list: &[VmAction], hosts: bool| {
            if list.is_empty() {
                return;
            }
            let _ = writeln!(out, "  {title}:");
            for a in list {
                let who = if hosts {
                    a.name.clone()
                } else {
                    format!("{} (on {})", a.name, a.host)
                };
                out.push_str(&wrap(&format!("{who}: {}", a.why), "    "));
            }
        };
        section(
            &mut out,
            "hosts that cannot run the mode",
            &t.hosts_not_qualifying,
            true,
        );
        section(
            &mut out,
            "power off first (they run with more than the mode)",
            &t.power_off_first,
            false,
        );
        section(
            &mut out,
            "power-cycle to pick the mode up",
            &t.power_cycle,
            false,
        );
        section(
            &mut out,
            "not known (check vCenter: VM > Summary > EVC mode)",
            &t.not_known,
            false,
        );
        if !t.unaffected.is_empty() {
            out.push_str(&wrap(
                &format!("nothing to do: {}", t.unaffected.join(", ")),
                "  ",
            ));
        }
        if t.hosts_not_qualifying.is_empty()
            && t.power_off_first.is_empty()
            && t.power_cycle.is_empty()
            && t.not_known.is_empty()
        {
            out.push_str("  every host can run it and no VM needs a power cycle\n");
        }
    }
    out
}

/// What `vms --evc-mode` prints: the mode and every cluster's transition.
pub struct EvcTransitions<'a> {
    /// The mode asked for.
    pub mode: &'a EvcMode,
    /// One per cluster.
    pub transitions: &'a [EvcTransition],
}

impl super::Report for EvcTransitions<'_> {
    fn text(&self) -> String {
        render(self.mode, self.transitions)
    }

    fn json(&self) -> String {
        super::json(&self.transitions)
    }
}
