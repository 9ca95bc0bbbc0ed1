//! The fleet audit as one self-contained HTML file: no network, no external
//! assets, readable on screen and on paper.

pub use super::{esc, Section};
use std::fmt::Write as _;

use super::audit::HostNote;
use crate::analysis::audit::AuditReport;
use crate::analysis::fleet::Verdict;
use crate::catalog::{self, FeatureSet};

/// Past this many compatibility groups the report summarizes the matrix per
/// row and leaves out the per-pair reasons and the feature table, so a fleet of
/// 500 distinct CPUs stays under 2 MB.
pub const BIG_FLEET: usize = 40;

const STYLE: &str = r#"
:root { --yes:#1b7f3b; --mask:#b7791f; --no:#c53030; --ink:#1a202c; --muted:#4a5568; --line:#cbd5e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 2px solid var(--line); padding-bottom: .25rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.verdict { padding: .75rem 1rem; border-radius: 6px; font-weight: 600; margin: 1rem 0; }
.verdict.good { background: #e6f4ea; border-left: 6px solid var(--yes); }
.verdict.bad { background: #fdecea; border-left: 6px solid var(--no); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
/* Narrow windows (800 px): a table wider than the page scrolls inside its own box
   instead of widening the page; long words and names wrap rather than overflow. */
@media screen { table { display: block; max-width: 100%; overflow-x: auto; } }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
td:first-child { white-space: nowrap; }
p, li, .verdict { overflow-wrap: break-word; }
th { background: #edf2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.matrix td.cell { text-align: center; font-weight: 600; color: #fff; min-width: 4.5rem; }
.cell.yes { background: var(--yes); } .cell.with-mask { background: var(--mask); } .cell.no { background: var(--no); }
.feat td.has { background: #c6f6d5; text-align: center; } .feat td.lacks { background: #fed7d7; text-align: center; }
.legend span { display: inline-block; padding: .1rem .5rem; margin-right: .5rem; color: #fff; border-radius: 3px; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f7fafc; border: 1px solid var(--line); padding: .75rem; overflow-x: auto; white-space: pre-wrap; }
.note { color: var(--muted); }
.err { color: var(--no); font-weight: 600; }
ul.blockers li { margin: .2rem 0; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  .matrix td.cell, .legend span, .feat td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; } table, pre { break-inside: avoid; }
}
"#;

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

fn names(set: &FeatureSet) -> String {
    set.names().join(" ")
}

/// Renders the audit as a complete HTML document.
pub fn render(r: &AuditReport, extra: &[Section]) -> String {
    let a = &r.cpu;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>vmcompat audit: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&r.fleet)
    );
    let _ = writeln!(
        h,
        "<h1>Fleet {}</h1><p class=\"sub\">{} · {} compatibility group(s) · policy {} · vmcompat {}</p>",
        esc(&r.fleet),
        super::count(r.hosts.len(), "host"),
        a.groups.len(),
        match a.policy {
            crate::model::policy::Policy::Evc => "EVC",
            crate::model::policy::Policy::Esx3 => "ESX 3",
        },
        env!("CARGO_PKG_VERSION")
    );
    let failures = r.failures();
    let sn_errors = r.storage_network.as_ref().map_or(0, |s| s.errors());
    let blocked = r.host_blockers.len();
    let good = a.all_reachable() && failures == 0 && sn_errors == 0 && blocked == 0;
    let _ = writeln!(
        h,
        "<div class=\"verdict {}\" id=\"verdict\">{}{}{}</div>",
        if good { "good" } else { "bad" },
        if a.all_reachable() {
            "CPU: inside every cluster every group can reach every other (with the settings listed below)."
        } else {
            "CPU: in some cluster, groups cannot reach each other: see the red cells and the cluster verdicts."
        },
        if failures > 0 {
            format!(" {failures} host(s) could not be collected: the verdict is incomplete.")
        } else if sn_errors > 0 {
            format!(" Storage/network: {sn_errors} error(s), listed below.")
        } else {
            String::new()
        },
        if blocked > 0 {
            format!(" {blocked} host(s) with host-level blockers, listed below.")
        } else {
            String::new()
        }
    );

    h.push_str("<h2>Hosts</h2><table id=\"hosts\"><thead><tr><th>Host</th><th>Cluster</th><th>Group</th><th>Vendor</th><th>Family</th><th>Model</th><th>SSE3</th><th>NX/XD</th><th>VT-x/AMD-V</th><th>Microarchitecture</th><th>Level</th><th>Baseline</th><th>Notes</th></tr></thead><tbody>\n");
    for host in &r.hosts {
        let notes: Vec<String> = super::audit::host_notes(host)
            .into_iter()
            .map(|n| match n {
                HostNote::NotCollected(e) => {
                    format!("<span class=\"err\">not collected: {}</span>", esc(e))
                }
                HostNote::Source(s) => esc(s),
                HostNote::InsideVm(hv) => {
                    format!(
                        "dump taken inside a VM ({}): the hypervisor's view",
                        esc(hv)
                    )
                }
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&host.name),
            esc(host.cluster.as_deref().unwrap_or("-")),
            esc(host.group.as_deref().unwrap_or("-")),
            esc(host.vendor.as_deref().unwrap_or("?")),
            host.family.map_or("?".into(), |f| format!("0x{f:x}")),
            host.model.map_or("?".into(), |m| format!("0x{m:x}")),
            yes_no(host.sse3),
            yes_no(host.nx),
            yes_no(host.virtualization),
            esc(host.microarchitecture.as_deref().unwrap_or("-")),
            host.x86_64_level.map_or("?".into(), |l| format!("v{l}")),
            esc(host.baseline.as_deref().unwrap_or("-")),
            notes.join("<br>")
        );
    }
    h.push_str("</tbody></table>\n");

    h.push_str("<h2>Compatibility groups</h2><table id=\"groups\"><thead><tr><th>Group</th><th>Defined by</th><th>Hosts</th></tr></thead><tbody>\n");
    for g in &a.groups {
        let members: Vec<String> = g
            .hosts
            .iter()
            .filter_map(|&i| r.hosts.get(i).map(|x| esc(&x.name)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} ({})</td></tr>",
            esc(&g.label),
            esc(&g.name),
            g.hosts.len(),
            members.join(", ")
        );
    }
    h.push_str("</tbody></table>\n");

    h.push_str("<h2>Migration matrix</h2><p class=\"legend\"><span style=\"background:var(--yes)\">yes</span><span style=\"background:var(--mask)\">with mask</span><span style=\"background:var(--no)\">no</span> Row: group where the VM was powered on; column: destination. Hover a cell for what blocks it; the list below says the same.</p>\n");
    // Live migration stays inside a cluster: one matrix per cluster (a matrix of
    // every group of a big fleet against every other was most of the report).
    let mut blockers = String::new();
    // A big fleet of distinct CPUs (hundreds of groups) made a 23 MB report: the
    // reasons of every pair, twice. Past BIG_FLEET groups the cells are bare,
    // and each row gets a one-line summary instead of one line per pair.
    let big = a.groups.len() > BIG_FLEET;
    let clusters = a.clusters();
    for (ci, cl) in clusters.iter().enumerate() {
        let idx = a.groups_of(cl.as_deref());
        if clusters.len() > 1 {
            let _ = writeln!(
                h,
                "<h3>Cluster {}</h3>",
                esc(crate::analysis::fleet::cluster_display(cl.as_deref()))
            );
        }
        let _ = write!(
            h,
            "<table class=\"matrix\"{}><thead><tr><th>from \\ to</th>",
            if ci == 0 { " id=\"matrix\"" } else { "" }
        );
        for &gi in &idx {
            let g = &a.groups[gi];
            let _ = write!(h, "<th title=\"{}\">{}</th>", esc(&g.name), esc(&g.label));
        }
        h.push_str("</tr></thead><tbody>\n");
        for &i in &idx {
            let row: Vec<&Verdict> = idx.iter().map(|&j| &a.matrix[i][j]).collect();
            if big {
                let _ = write!(h, "<tr><th>{}</th>", esc(&a.groups[i].label));
                let (mut yes, mut mask, mut no) = (0, 0, 0);
                for v in &row {
                    let class = match v {
                        Verdict::Yes => {
                            yes += 1;
                            "yes"
                        }
                        Verdict::WithMask { .. } => {
                            mask += 1;
                            "with-mask"
                        }
                        Verdict::No { .. } => {
                            no += 1;
                            "no"
                        }
                    };
                    let _ = write!(h, "<td class=\"cell {class}\">{}</td>", v.word());
                }
                h.push_str("</tr>\n");
                let _ = writeln!(
                    blockers,
                    "<li><b>{}</b>: reaches {yes} group(s) as is, {mask} with a mask, {no} not at all</li>",
                    esc(&a.groups[i].label)
                );
                continue;
            }
            let from = &a.groups[i].label;
            let _ = write!(
                h,
                "<tr><th title=\"{}\">{}</th>",
                esc(&a.groups[i].name),
                esc(from)
            );
            for (&j, v) in idx.iter().zip(row.iter().copied()) {
                let to = &a.groups[j].label;
                let (class, why) = match v {
                    Verdict::Yes => ("yes", String::new()),
                    Verdict::WithMask { missing, hide } => (
                        "with-mask",
                        format!(
                            "{to} lacks: {}; the mask hides: {}",
                            names(missing),
                            names(hide)
                        ),
                    ),
                    Verdict::No { reasons } => ("no", reasons.join("; ")),
                };
                let _ = write!(
                    h,
                    "<td class=\"cell {class}\" data-from=\"{}\" data-to=\"{}\" data-state=\"{class}\" title=\"{}\">{}</td>",
                    esc(from),
                    esc(to),
                    esc(&why),
                    v.word()
                );
                if !why.is_empty() {
                    let _ = writeln!(
                        blockers,
                        "<li><b>{} → {}</b> ({}): {}</li>",
                        esc(from),
                        esc(to),
                        v.word(),
                        esc(&why)
                    );
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
    }
    if !blockers.is_empty() {
        let _ = writeln!(h, "<ul class=\"blockers\" id=\"blockers\">{blockers}</ul>");
    }

    // Features that differ between groups of the same vendor: where groups differ.
    let mut differing = FeatureSet::new();
    for b in &a.baselines {
        differing = differing.union(&b.differing);
    }
    if big && !differing.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Features by group</h2><p class=\"note\">{} groups are too many for a table of \
             the {} features that differ (and for the reasons of every pair above): \
             <code>vmcompat audit --format json</code> gives them all, and \
             <code>vmcompat diff A B</code> any two hosts.</p>",
            a.groups.len(),
            differing.len()
        );
    } else if !differing.is_empty() {
        h.push_str("<h2>Features by group</h2><p class=\"note\">Only the features that differ between groups are shown.</p><table class=\"feat\" id=\"features\"><thead><tr><th>Feature</th><th>What it is</th>");
        for g in &a.groups {
            let _ = write!(h, "<th>{}</th>", esc(&g.label));
        }
        h.push_str("</tr></thead><tbody>\n");
        for id in differing.iter() {
            let d = catalog::by_id(id);
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td>",
                esc(d.name),
                esc(d.description)
            );
            for g in &a.groups {
                if g.features.contains(id) {
                    h.push_str("<td class=\"has\">✓</td>");
                } else {
                    h.push_str("<td class=\"lacks\">–</td>");
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
    }

    h.push_str("<h2>Clusters</h2><ul id=\"clusters\">");
    for cl in a.clusters() {
        let _ = write!(
            h,
            "<li><b>{}</b>: {}</li>",
            esc(crate::analysis::fleet::cluster_display(cl.as_deref())),
            esc(&super::audit::cluster_verdict(r, cl.as_deref()))
        );
    }
    h.push_str("</ul>\n");
    h.push_str("<h2>Baselines</h2><ul>");
    for b in &a.baselines {
        let _ = write!(
            h,
            "<li><b>{} {}</b>: {}, {} common features, named baseline {}, {}</li>",
            esc(crate::analysis::fleet::cluster_display(
                b.cluster.as_deref()
            )),
            esc(b.vendor.display_name()),
            super::count(b.hosts, "host"),
            b.features.len(),
            esc(b.named_baseline.as_deref().unwrap_or("none reached")),
            if b.x86_64_level == 0 {
                "below x86-64-v1".to_string()
            } else {
                format!("x86-64-v{}", b.x86_64_level)
            }
        );
    }
    h.push_str("</ul>\n");
    if !a.weakest_links.is_empty() {
        h.push_str("<h3>Weakest links</h3><ul>");
        for w in &a.weakest_links {
            let name = r.hosts.get(w.host).map_or("?", |x| x.name.as_str());
            let _ = write!(
                h,
                "<li><b>{}</b>: without it the others would gain <code>{}</code></li>",
                esc(name),
                esc(&names(&w.gain))
            );
        }
        h.push_str("</ul>\n");
    }
    for s in extra {
        let _ = write!(h, "<h2>{}</h2>\n{}\n", esc(&s.title), s.html);
    }
    h.push_str("</body></html>\n");
    h
}
