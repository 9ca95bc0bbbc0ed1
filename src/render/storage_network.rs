//! The storage/network section of the audit: text for the table output, HTML
//! for the report.

use std::fmt::Write as _;

use crate::analysis::finding::Severity;
use crate::analysis::storage_network::StorageNetworkReport;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "warning",
        Severity::NotChecked => "not checked",
    }
}

/// The section as text.
pub fn render(r: &StorageNetworkReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nStorage and network ({} checks)",
        r.checks.join(" and ")
    );
    if r.not_run() {
        let _ = writeln!(
            out,
            "  Not run: none of the {} host(s) has storage/network facts. Declare them in the fleet file \
             (luns, datastores, nfs, port_groups, vmotion) or read them over SSH (ssh/esxi hosts).",
            r.hosts_total
        );
    } else {
        let _ = writeln!(
            out,
            "  {} host(s) checked: {}",
            r.hosts_checked.len(),
            r.hosts_checked.join(", ")
        );
    }
    const SHOWN: usize = 10;
    if !r.skipped.is_empty() {
        let more = r.skipped.len().saturating_sub(SHOWN);
        let _ = writeln!(
            out,
            "  Skipped (no storage/network facts declared or read): {}{}",
            r.skipped[..r.skipped.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    for f in &r.findings {
        let cluster = f
            .cluster
            .as_deref()
            .map_or_else(|| "no cluster".to_string(), |c| format!("cluster {c}"));
        let _ = writeln!(
            out,
            "\n  {} [{}] {} ({cluster}; hosts: {})",
            severity(f.severity),
            f.kind,
            f.subject,
            f.hosts.join(", ")
        );
        let _ = writeln!(out, "    {}", f.problem);
        let _ = writeln!(out, "    Fix: {}", f.fix);
    }
    for n in &r.not_checked {
        let cluster = n
            .cluster
            .as_deref()
            .map_or_else(|| "no cluster".to_string(), |c| format!("cluster {c}"));
        let _ = writeln!(
            out,
            "\n  not checked [{}] ({cluster}; hosts: {})",
            n.subject,
            n.hosts.join(", ")
        );
        let _ = writeln!(out, "    {}", n.message);
        let _ = writeln!(out, "    To check it: {}", n.action);
    }
    if !r.not_run() && r.findings.is_empty() {
        let vmotion_unknown = r.not_checked.iter().any(|n| n.subject == "vMotion port");
        let _ = writeln!(
            out,
            "  No findings: storage and port groups match{}",
            if !r.checks.iter().any(|c| c == "network") {
                "."
            } else if vmotion_unknown {
                "; vMotion not checked (see above)."
            } else {
                ", vMotion is ready."
            }
        );
    }
    // A tally of checks that did not run would read as a pass: only when some ran.
    if !r.not_run() {
        let _ = writeln!(
            out,
            "\nStorage/network: {} error(s), {} warning(s), {} not checked",
            r.errors(),
            r.warnings(),
            r.not_checked.len()
        );
    }
    out
}

/// The section as HTML (escaped).
pub fn html(r: &StorageNetworkReport) -> super::Section {
    use super::esc;
    let mut h = String::new();
    if r.not_run() {
        h.push_str("<p class=\"note\">Not run: no host has storage/network facts.</p>\n");
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Skipped (no storage/network facts): {}</p>",
            esc(&r.skipped.join(", "))
        );
    }
    if !r.findings.is_empty() {
        h.push_str("<table><tr><th>Severity</th><th>Kind</th><th>Cluster</th><th>Subject</th><th>Hosts</th><th>Finding</th><th>Fix</th></tr>\n");
        for f in &r.findings {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                severity(f.severity),
                esc(f.kind.name()),
                esc(f.cluster.as_deref().unwrap_or("")),
                esc(&f.subject),
                esc(&f.hosts.join(", ")),
                esc(&f.problem),
                esc(&f.fix)
            );
        }
        h.push_str("</table>\n");
    } else if !r.not_run() {
        h.push_str("<p>No findings.</p>\n");
    }
    for n in &r.not_checked {
        let _ = writeln!(
            h,
            "<p class=\"note\">Not checked ({}): {} To check it: {}</p>",
            esc(&n.subject),
            esc(&n.message),
            esc(&n.action)
        );
    }
    super::Section {
        title: format!(
            "Storage and network: {} error(s), {} warning(s)",
            r.errors(),
            r.warnings()
        ),
        html: h,
    }
}

/// What `audit --only storage|network` prints: the fleet and its facts checks.
pub struct FactsOnly<'a> {
    /// The fleet's name.
    pub fleet: &'a str,
    /// How many hosts it has.
    pub hosts: usize,
    /// The checks' result.
    pub report: &'a StorageNetworkReport,
}

impl super::Report for FactsOnly<'_> {
    fn text(&self) -> String {
        format!(
            "Fleet {:?}: {}\n{}",
            self.fleet,
            super::count(self.hosts, "host"),
            render(self.report)
        )
    }

    fn json(&self) -> String {
        super::json(&serde_json::json!({
            "fleet": self.fleet,
            "storage_network": self.report,
        }))
    }
}
