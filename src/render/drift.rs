//! `vmcompat drift` as text: hosts first (what changed on each), then clusters
//! (what that does to migration), then the verdict.

use crate::analysis::drift::{ClusterDrift, DriftReport, HostDrift, OldNew};
use crate::analysis::fleet::cluster_display;

/// What the two sides were, for the heading.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SideLabel {
    /// The path given.
    pub path: String,
    /// `snapshot` or `live`.
    pub kind: &'static str,
    /// The snapshot's date, or the time of the live collection.
    pub date: String,
    /// Hosts on the side (collected or failed).
    pub hosts: usize,
}

fn wrapped(prefix: &str, items: &[&str], out: &mut String) {
    let w = usize::from(crate::render::width()).max(40);
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    let mut body = String::new();
    crate::render::wrap_items(
        &items,
        " ",
        "      ",
        w.saturating_sub(prefix.len()),
        &mut body,
    );
    out.push_str(prefix);
    out.push_str(body.trim_start());
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("unknown")
}

fn host(h: &HostDrift, out: &mut String) {
    out.push_str(&format!(
        "  {} (cluster {})\n",
        h.name,
        cluster_display(h.cluster.as_deref())
    ));
    if let Some(c) = &h.old_cluster {
        out.push_str(&format!("    moved from cluster {c}\n"));
    }
    if let Some(c) = &h.cpu_replaced {
        out.push_str(&format!("    CPU replaced: {c}\n"));
    }
    if !h.lost.is_empty() {
        wrapped("    lost:   ", &h.lost.names(), out);
    }
    if !h.gained.is_empty() {
        wrapped("    gained: ", &h.gained.names(), out);
    }
    if !h.msr_lost.is_empty() {
        wrapped("    lost (MSR-based):   ", &h.msr_lost, out);
    }
    if !h.msr_gained.is_empty() {
        wrapped("    gained (MSR-based): ", &h.msr_gained, out);
    }
    for v in &h.versions {
        out.push_str(&format!(
            "    {}: {} -> {}\n",
            v.field.label(),
            opt(&v.old),
            opt(&v.new)
        ));
    }
    let firmware = h.versions.iter().any(|v| v.field.is_firmware());
    if (!h.lost.is_empty() || !h.gained.is_empty()) && firmware {
        out.push_str("    (the features changed with the microcode/BIOS)\n");
    }
    if let Some(n) = &h.note {
        out.push_str(&format!("    note: {n}\n"));
    }
}

fn pair(what: &str, v: &OldNew<Option<String>>, out: &mut String) {
    if v.changed() {
        out.push_str(&format!("  {what}: {} -> {}\n", opt(&v.old), opt(&v.new)));
    }
}

fn cluster(c: &ClusterDrift, out: &mut String) {
    out.push_str(&format!(
        "\n== Cluster {} ({}): {} ==\n",
        cluster_display(c.cluster.as_deref()),
        c.vendor.display_name(),
        if c.affects_migration() {
            "migration affected"
        } else {
            "changed, migration not affected"
        }
    ));
    if c.hosts.changed() {
        out.push_str(&format!("  hosts: {} -> {}\n", c.hosts.old, c.hosts.new));
    }
    if !c.lowered.is_empty() {
        wrapped(
            &format!(
                "  baseline LOWERED ({} -> {} features): VMs lose ",
                c.baseline_features.old, c.baseline_features.new
            ),
            &c.lowered.names(),
            out,
        );
    }
    if !c.raised.is_empty() {
        wrapped(
            &format!(
                "  baseline raised ({} -> {} features): VMs may gain ",
                c.baseline_features.old, c.baseline_features.new
            ),
            &c.raised.names(),
            out,
        );
    }
    pair("named baseline", &c.named_baseline, out);
    pair("vSphere EVC mode", &c.evc_mode, out);
    pair("QEMU/libvirt model", &c.model, out);
    if !c.model_flags_dropped.is_empty() {
        wrapped(
            "  QEMU/libvirt setting no longer has: ",
            &strs(&c.model_flags_dropped),
            out,
        );
    }
    if !c.model_flags_added.is_empty() {
        wrapped(
            "  QEMU/libvirt setting now adds: ",
            &strs(&c.model_flags_added),
            out,
        );
    }
    if let Some(m) = &c.mask {
        let what = if m.lines == 0 {
            "the cluster needed no mask before; now it does".to_string()
        } else {
            format!(
                "the cluster mask ({} cpuid line(s), for {}) no longer verifies",
                m.lines,
                m.groups.join(", ")
            )
        };
        out.push_str(&format!("  mask: {what}:\n    {}\n", m.problem));
    }
    if !c.lost_moves.is_empty() {
        out.push_str("  moves lost (a VM powered on at the first host(s) can no longer go to the second without a new mask):\n");
        for m in &c.lost_moves {
            let why = if m.no_mask_helps {
                "no mask helps now".to_string()
            } else {
                format!(
                    "{} lack{} {}",
                    if m.to.len() == 1 {
                        m.to[0].as_str()
                    } else {
                        "they"
                    },
                    if m.to.len() == 1 { "s" } else { "" },
                    m.lacks.names().join(" ")
                )
            };
            out.push_str(&format!(
                "    {} -> {}: {why}\n",
                hosts(&m.from),
                hosts(&m.to)
            ));
            if !m.vms.is_empty() {
                wrapped("      VMs there: ", &strs(&m.vms), out);
            }
        }
    }
}

/// Up to 8 host names, then how many more.
fn hosts(names: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut t = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        t.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    t
}

/// What `vmcompat drift` prints: both sides and the comparison (`--format json`
/// gives `{old, new, drift}`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DriftOutput {
    /// The OLD side.
    pub old: SideLabel,
    /// The NEW side.
    pub new: SideLabel,
    /// What changed.
    pub drift: DriftReport,
}

impl super::Text for DriftOutput {
    fn to_text(&self) -> String {
        render(&self.drift, &self.old, &self.new)
    }
}

/// Renders the report; `old` and `new` say what was compared.
pub fn render(r: &DriftReport, old: &SideLabel, new: &SideLabel) -> String {
    let mut out = format!(
        "Drift: OLD {} ({}, {}, {}) -> NEW {} ({}, {}, {})\n",
        old.path,
        old.kind,
        old.date,
        crate::render::count(old.hosts, "host"),
        new.path,
        new.kind,
        new.date,
        crate::render::count(new.hosts, "host")
    );
    out.push_str("\nHosts\n");
    for h in &r.hosts {
        host(h, &mut out);
    }
    for a in &r.added {
        out.push_str(&format!(
            "  added: {} (cluster {})\n",
            a.name,
            cluster_display(a.cluster.as_deref())
        ));
    }
    for a in &r.removed {
        out.push_str(&format!(
            "  removed: {} (cluster {})\n",
            a.name,
            cluster_display(a.cluster.as_deref())
        ));
    }
    out.push_str(&format!(
        "  unchanged: {}\n",
        crate::render::count(r.unchanged_hosts, "host")
    ));
    for c in &r.clusters {
        cluster(c, &mut out);
    }
    out.push_str(&format!(
        "\n{}\n",
        if r.unchanged {
            "Verdict: unchanged"
        } else if r.affects_migration {
            "Verdict: changes that affect migration (see the clusters above)"
        } else {
            "Verdict: changes that do not affect migration"
        }
    ));
    out
}
