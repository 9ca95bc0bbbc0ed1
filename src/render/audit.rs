//! The fleet audit as tables for people.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, ContentArrangement, Table};

use crate::analysis::audit::AuditReport;
use crate::analysis::fleet::Verdict;
use crate::catalog::FeatureSet;

fn mark(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "?",
    }
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(crate::render::width());
    t
}

/// Feature names, space separated.
pub fn names(set: &FeatureSet) -> String {
    set.names().join(" ")
}

/// Renders the whole audit.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::new();
    let a = &r.cpu;
    let _ = writeln!(
        out,
        "Fleet {:?}: {}, {} compatibility group(s) under the {} policy",
        r.fleet,
        super::count(r.hosts.len(), "host"),
        a.groups.len(),
        match a.policy {
            crate::model::policy::Policy::Evc => "EVC (vendor must match; every feature counts)",
            crate::model::policy::Policy::Esx3 =>
                "ESX 3 (vendor and family must match; SSE3, NX/XD, VT-x/AMD-V)",
        }
    );

    out.push_str("\nHosts\n");
    let mut t = table();
    t.set_header(vec![
        "Host",
        // The group label starts with the cluster ("prod/haswell").
        "Group",
        "Vendor",
        "Family",
        "Model",
        "SSE3",
        "NX/XD",
        "VT-x/AMD-V",
        "Microarchitecture",
        "Level",
        "Baseline",
        "Notes",
    ]);
    for h in &r.hosts {
        let notes: Vec<String> = host_notes(h)
            .into_iter()
            .map(|n| match n {
                HostNote::NotCollected(e) => format!("NOT COLLECTED: {e}"),
                HostNote::Source(s) => s.to_string(),
                HostNote::InsideVm(hv) => {
                    format!("dump taken inside a VM ({hv}): hypervisor's view")
                }
            })
            .collect();
        t.add_row(vec![
            Cell::new(&h.name),
            Cell::new(h.group.as_deref().unwrap_or("-")),
            Cell::new(h.vendor.as_deref().unwrap_or("?")),
            Cell::new(h.family.map_or("?".into(), |f| format!("0x{f:x}"))),
            Cell::new(h.model.map_or("?".into(), |m| format!("0x{m:x}"))),
            Cell::new(mark(h.sse3)),
            Cell::new(mark(h.nx)),
            Cell::new(mark(h.virtualization)),
            Cell::new(h.microarchitecture.as_deref().unwrap_or("-")),
            Cell::new(h.x86_64_level.map_or("?".into(), |l| format!("v{l}"))),
            Cell::new(h.baseline.as_deref().unwrap_or("-")),
            Cell::new(notes.join("; ")),
        ]);
    }
    let _ = writeln!(out, "{}", crate::render::fit(&t));

    for cl in a.clusters() {
        render_cluster(&mut out, r, cl.as_deref());
    }
    render_between_clusters(&mut out, r);

    if !r.host_blockers.is_empty() {
        out.push_str(
            "\nHost-level blockers (each host is unfit as it is, whatever the others are)\n",
        );
        for h in &r.host_blockers {
            for b in &h.blockers {
                let wrap = super::wrap;
                out.push_str(&wrap(&format!("{}: {}", h.host, b.problem()), "  "));
                out.push_str(&wrap(&format!("fix: {}", b.fix()), "    "));
            }
        }
    }

    let failures = r.failures();
    let blocked = r.host_blockers.len();
    let _ = writeln!(
        out,
        "\nCPU verdict: {}{}{}",
        if a.all_reachable() {
            "every cluster can live-migrate among its own hosts (with the settings above)"
        } else {
            "some cluster has hosts its VMs cannot reach (see \"not ready\" above)"
        },
        if blocked > 0 {
            format!("; {blocked} host(s) have host-level blockers (see above)")
        } else {
            String::new()
        },
        if failures > 0 {
            format!("; {failures} host(s) could not be collected, so the verdict is incomplete")
        } else {
            String::new()
        }
    );
    if let Some(line) = super::msr::fleet_line(&r.msr) {
        say(&mut out, 0, &line);
    }
    out
}

pub(crate) use super::say;

/// A feature list after `heading`: on the same line when it is short, else
/// `long` (its `{n}` replaced by "N features") followed by one line per family
/// ([`crate::render::features::grouped`]) indented under it.
fn say_features(out: &mut String, indent: usize, heading: &str, long: &str, set: &FeatureSet) {
    use crate::render::features::{grouped, INLINE_MAX};
    if set.len() <= INLINE_MAX {
        say(out, indent, &format!("{heading} {}", names(set)));
        return;
    }
    let n = crate::render::count(set.len(), "feature");
    say(out, indent, &long.replace("{n}", &n));
    for line in grouped(set) {
        say(out, indent + 4, &line);
    }
}

fn host_name(r: &AuditReport, i: usize) -> &str {
    r.hosts.get(i).map_or("?", |h| h.name.as_str())
}

/// Up to `n` names, then "and N more".
fn some_names(set: &FeatureSet, n: usize) -> String {
    let all = set.names();
    if all.len() <= n {
        return all.join(" ");
    }
    format!("{} and {} more", all[..n].join(" "), all.len() - n)
}

/// One cluster: its groups, its matrix, what to set, what holds it back, verdict.
fn render_cluster(out: &mut String, r: &AuditReport, cluster: Option<&str>) {
    let a = &r.cpu;
    let idx = a.groups_of(cluster);
    let nhosts: usize = idx.iter().map(|&i| a.groups[i].hosts.len()).sum();
    say(
        out,
        0,
        &format!(
            "\n== Cluster {}: {nhosts} host(s), {} group(s) ==",
            crate::analysis::fleet::cluster_display(cluster),
            idx.len()
        ),
    );
    let mut t = table();
    t.set_header(vec!["Group", "Defined by", "Hosts"]);
    for &gi in &idx {
        let g = &a.groups[gi];
        let members: Vec<&str> = g.hosts.iter().map(|&i| host_name(r, i)).take(8).collect();
        let more = g.hosts.len().saturating_sub(members.len());
        let mut hosts = members.join(", ");
        if more > 0 {
            let _ = write!(hosts, " and {more} more");
        }
        t.add_row(vec![
            Cell::new(&g.label),
            Cell::new(&g.name),
            Cell::new(format!("{} ({hosts})", g.hosts.len())),
        ]);
    }
    let _ = writeln!(out, "{}", crate::render::fit(&t));
    let partial: Vec<&String> = r
        .groups_with_partial_dumps
        .iter()
        .filter(|l| idx.iter().any(|&i| &a.groups[i].label == *l))
        .collect();
    if !partial.is_empty() {
        say(
            out,
            0,
            &format!(
                "note: group(s) {} rest on partial dumps (/proc/cpuinfo or ESXi cpuFeature): \
             features the source cannot show count as absent",
                partial
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if idx.len() > 1 {
        out.push_str("Migration matrix (row: VM powered on in group; column: destination)\n");
        let mut t = table();
        let mut header = vec![Cell::new("from \\ to")];
        header.extend(idx.iter().map(|&i| Cell::new(&a.groups[i].label)));
        t.set_header(header);
        for &i in &idx {
            let mut cells = vec![Cell::new(&a.groups[i].label)];
            for &j in &idx {
                let (text, color) = match &a.matrix[i][j] {
                    Verdict::Yes => ("yes", Color::Green),
                    Verdict::WithMask { .. } => ("mask", Color::Yellow),
                    Verdict::No { .. } => ("NO", Color::Red),
                };
                cells.push(Cell::new(text).fg(color));
            }
            t.add_row(cells);
        }
        let _ = writeln!(out, "{}", crate::render::fit(&t));
        for &i in &idx {
            for &j in &idx {
                let (from, to) = (&a.groups[i].label, &a.groups[j].label);
                match &a.matrix[i][j] {
                    Verdict::Yes => {}
                    Verdict::WithMask { missing, hide } => {
                        say_features(
                            out,
                            2,
                            &format!("{from} -> {to}: with mask; {to} lacks:"),
                            &format!("{from} -> {to}: with mask; {to} lacks {{n}}:"),
                            missing,
                        );
                        if hide != missing {
                            say_features(
                                out,
                                6,
                                "the mask also hides what requires them:",
                                "the mask also hides {n} that require them:",
                                &hide.difference(missing),
                            );
                        }
                    }
                    Verdict::No { reasons } => {
                        say(
                            out,
                            2,
                            &format!("{from} -> {to}: NO: {}", reasons.join("; ")),
                        );
                    }
                }
            }
        }
    }
    super::msr::cluster_lines(out, &r.msr, cluster);
    for s in r
        .settings
        .iter()
        .filter(|s| s.cluster.as_deref() == cluster)
    {
        render_setting(out, r, s);
    }
    let verdict = cluster_verdict(r, cluster);
    say(
        out,
        0,
        &format!(
            "Verdict for cluster {}: {verdict}",
            crate::analysis::fleet::cluster_display(cluster)
        ),
    );
}

/// "ready", "ready with EVC mode X / model Y (loses ...)" or "not ready: ...",
/// amended by the MSR-based comparison ([`super::msr::amend_verdict`]).
pub fn cluster_verdict(r: &AuditReport, cluster: Option<&str>) -> String {
    super::msr::amend_verdict(cpuid_verdict(r, cluster), &r.msr, cluster)
}

/// The verdict on CPUID alone.
fn cpuid_verdict(r: &AuditReport, cluster: Option<&str>) -> String {
    let a = &r.cpu;
    let settings: Vec<&crate::analysis::setting::ClusterSetting> = r
        .settings
        .iter()
        .filter(|s| s.cluster.as_deref() == cluster)
        .collect();
    let partial = settings.iter().any(|s| !s.partial_hosts.is_empty());
    let caveat = if partial {
        " (rests on partial CPUID of some hosts)"
    } else {
        ""
    };
    if settings.len() > 1 {
        let vendors: Vec<String> = settings.iter().map(|s| s.vendor.to_string()).collect();
        return format!(
            "NOT ready: hosts of {} in one cluster; VMs can only cold-migrate between them \
             (split the cluster by vendor)",
            vendors.join(" and ")
        );
    }
    // Host-level blockers (a nested host, no VT-x/AMD-V, an odd CPU) make the
    // cluster not ready whatever its groups can do.
    let blocked: Vec<&str> = r
        .host_blockers
        .iter()
        .filter(|b| {
            r.hosts
                .iter()
                .any(|h| h.name == b.host && h.cluster.as_deref() == cluster)
        })
        .map(|b| b.host.as_str())
        .collect();
    if !blocked.is_empty() {
        return format!(
            "NOT ready: host-level blockers on {} (see \"Host-level blockers\")",
            blocked.join(", ")
        );
    }
    let blockers = a.cluster_blockers(cluster);
    if let Some(&(i, j)) = blockers.first() {
        let reason = match &a.matrix[i][j] {
            Verdict::No { reasons } => reasons.join("; "),
            _ => String::new(),
        };
        return format!(
            "NOT ready: {} -> {}: {reason}",
            a.groups[i].label, a.groups[j].label
        );
    }
    let Some(s) = settings.first() else {
        return "no host collected".into();
    };
    if a.groups_of(cluster).len() < 2 {
        if a.policy == crate::model::policy::Policy::Esx3 {
            return format!(
                "ready under the ESX 3 rules (same vendor and family; SSE3, NX/XD and \
                 VT-x/AMD-V agree){caveat}"
            );
        }
        return format!(
            "ready: every host offers the same CPU features, no setting needed{caveat}"
        );
    }
    let mut parts = Vec::new();
    if let Some(e) = &s.evc {
        parts.push(format!("EVC mode {}", e.name));
    }
    if let Some(m) = &s.model {
        parts.push(format!("model {}", m.name));
    }
    if parts.is_empty() {
        return format!(
            "ready with a mask (no named baseline fits; `vmcompat mask` writes it){caveat}"
        );
    }
    let price = s.evc.as_ref().or(s.model.as_ref());
    let loses = price.map(|t| t.loses).unwrap_or_default();
    let newest = price.map(|t| t.hidden_from_newest).unwrap_or_default();
    format!(
        "ready with {} (loses vs the hosts' common set: {}; VMs on the newest hosts \
         give up {} feature(s)){caveat}",
        parts.join(" / "),
        if loses.is_empty() {
            "nothing".to_string()
        } else {
            some_names(&loses, 8)
        },
        newest.len()
    )
}

fn render_setting(out: &mut String, r: &AuditReport, s: &crate::analysis::setting::ClusterSetting) {
    if r.cpu.policy == crate::model::policy::Policy::Esx3 {
        say(
            out,
            0,
            "What to set: under the ESX 3 policy only SSE3, NX/XD and VT-x/AMD-V are \
             compared, so no EVC mode or CPU model follows; run with --policy evc for them.",
        );
        return;
    }
    let level = crate::decode::x86_64_level(&s.common);
    say(
        out,
        0,
        &format!(
            "Common to all {} {} host(s): {} features, x86-64-v{level}",
            s.hosts.len(),
            s.vendor,
            s.common.len()
        ),
    );
    if !s.partial_hosts.is_empty() {
        say(
            out,
            2,
            &format!(
                "partial data: {} (features their source cannot show count as absent; \
             confirm with `vmcompat probe` on them)",
                s.partial_hosts
                    .iter()
                    .map(|&h| host_name(r, h))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let guests_note = if r.guests.is_empty() {
        String::new()
    } else {
        format!(" (guests checked: {})", r.guests.len())
    };
    say(out, 0, &format!("What to set{guests_note}:"));
    let targets = [
        ("vSphere EVC mode", &s.evc),
        ("QEMU/libvirt model", &s.model),
        ("Proxmox VE CPU type", &s.proxmox),
    ];
    if targets.iter().all(|(_, t)| t.is_none()) {
        say(
            out,
            2,
            "no named baseline fits these hosts; use `vmcompat mask` for an exact mask",
        );
    }
    let mut first = true;
    for (what, t) in targets {
        let Some(t) = t else { continue };
        let flags = if t.flags.is_empty() {
            String::new()
        } else {
            format!(" {}", t.flags.join(" "))
        };
        say(out, 2, &format!("{what}: {}{flags}", t.name));
        say(
            out,
            4,
            &format!(
                "a VM sees {} features (x86-64-v{}); vs the hosts' common set it loses: {}",
                t.visible.len(),
                crate::decode::x86_64_level(&t.visible),
                if t.loses.is_empty() {
                    "nothing".to_string()
                } else {
                    some_names(&t.loses, 10)
                }
            ),
        );
        if first && !t.hidden_from_newest.is_empty() && t.hidden_from_newest != t.loses {
            say(
                out,
                4,
                &format!(
                    "hidden from VMs on the newest hosts: {}",
                    some_names(&t.hidden_from_newest, 10)
                ),
            );
        }
        first = false;
        if let Some(n) = &t.note {
            say(out, 4, &format!("note: {n}"));
        }
        if what != "vSphere EVC mode" {
            for line in &t.config {
                let _ = writeln!(out, "    {}{line}", super::VERBATIM);
            }
        }
        if t.guests_broken.is_empty() {
            if !r.guests.is_empty() {
                say(
                    out,
                    4,
                    &format!(
                        "guests: all {} checked keep their CPU floor",
                        r.guests.len()
                    ),
                );
            }
        } else {
            for b in &t.guests_broken {
                say_features(
                    out,
                    4,
                    &format!("BREAKS guest {}: lacks", b.name),
                    &format!("BREAKS guest {}: lacks {{n}}:", b.name),
                    &b.missing,
                );
            }
        }
    }
    render_firmware_advice(out, r, s);
    if let Some(n) = &s.next {
        render_next(out, r, n);
    }
    let weak: Vec<_> = r
        .cpu
        .weakest_links
        .iter()
        .filter(|w| s.hosts.contains(&w.host))
        .filter(|w| {
            s.next.as_ref().map_or(true, |n| {
                !(n.blockers.len() == 1 && n.blockers[0].host == w.host)
            })
        })
        .collect();
    if !weak.is_empty() {
        out.push_str("Weakest links (removing the one host raises the common set)\n");
        for w in weak.iter().take(10) {
            say(
                out,
                2,
                &format!(
                    "{}: the others would gain {}",
                    host_name(r, w.host),
                    some_names(&w.gain, 12)
                ),
            );
        }
    }
}

/// The hosts of a cluster whose microcode/BIOS lacks firmware-dependent features
/// other hosts of the cluster have, and what the update brings.
fn render_firmware_advice(
    out: &mut String,
    r: &AuditReport,
    s: &crate::analysis::setting::ClusterSetting,
) {
    if s.firmware_advice.is_empty() {
        return;
    }
    say(
        out,
        0,
        &format!(
            "Firmware: the hosts differ in microcode/BIOS-dependent features ({}); \
             masks leave them visible, so update:",
            some_names(&s.firmware_pending, 8)
        ),
    );
    for a in s.firmware_advice.iter().take(10) {
        say(
            out,
            2,
            &format!(
                "update the microcode/BIOS of {}: brings {}",
                host_name(r, a.host),
                a.lacks.join(" ")
            ),
        );
    }
    if s.firmware_advice.len() > 10 {
        say(
            out,
            2,
            &format!("and {} more", s.firmware_advice.len() - 10),
        );
    }
}

/// "Held back: ...": the hosts below the next baseline, each with what lifts it
/// (a microcode/BIOS update, or removal/replacement), and what VMs would gain.
fn render_next(out: &mut String, r: &AuditReport, n: &crate::analysis::setting::NextBaseline) {
    use crate::analysis::setting::BlockerAction;
    let count = |a: BlockerAction| n.blockers.iter().filter(|b| b.action == a).count();
    let (update, maybe, replace) = (
        count(BlockerAction::Update),
        count(BlockerAction::UpdateOrReplace),
        count(BlockerAction::Replace),
    );
    let mut needs = Vec::new();
    if update > 0 {
        needs.push(format!("{update} host(s) updated (microcode/BIOS)"));
    }
    if maybe > 0 {
        needs.push(format!(
            "{maybe} host(s) updated if an update exists, else replaced"
        ));
    }
    if replace > 0 {
        needs.push(format!("{replace} host(s) removed or replaced"));
    }
    say(
        out,
        0,
        &format!(
            "Held back: the next baseline, {}, needs {}:",
            n.baseline,
            needs.join(", ")
        ),
    );
    for b in n.blockers.iter().take(10) {
        let host = host_name(r, b.host);
        let text = match b.action {
            BlockerAction::Update => format!(
                "update the microcode/BIOS of {host}: it lacks only {}, which the update brings",
                some_names(&b.missing, 8)
            ),
            BlockerAction::UpdateOrReplace => format!(
                "{host}: lacks {} (firmware-dependent): update its microcode/BIOS if its \
                 vendor ships one that brings {}, else remove or replace {host}",
                some_names(&b.missing, 8),
                if b.missing.len() == 1 { "it" } else { "them" }
            ),
            BlockerAction::Replace => {
                let mut t = format!(
                    "remove or replace {host}: lacks {}",
                    some_names(&b.missing, 8)
                );
                if !b.update_brings.is_empty() {
                    let _ = write!(
                        t,
                        " (an update brings {}, not the rest)",
                        some_names(&b.update_brings, 8)
                    );
                }
                t
            }
        };
        say(out, 2, &text);
    }
    if n.blockers.len() > 10 {
        say(out, 2, &format!("and {} more", n.blockers.len() - 10));
    }
    let how = if update == n.blockers.len() {
        "once they are updated"
    } else if update > 0 {
        "once they are updated or removed"
    } else {
        "without them"
    };
    say(
        out,
        2,
        &format!(
            "{how} the cluster's VMs would gain: {}",
            some_names(&n.gain, 12)
        ),
    );
}

/// Between clusters: information for cross-cluster vMotion and planning.
fn render_between_clusters(out: &mut String, r: &AuditReport) {
    let a = &r.cpu;
    let clusters = a.clusters();
    if clusters.len() < 2 {
        return;
    }
    out.push_str(
        "\nBetween clusters (information, not a failure: for cross-cluster vMotion and planning)\n",
    );
    for (x, cx) in clusters.iter().enumerate() {
        for cy in clusters.iter().skip(x + 1) {
            let gx = a.groups_of(cx.as_deref());
            let gy = a.groups_of(cy.as_deref());
            let (nx, ny) = (
                crate::analysis::fleet::cluster_display(cx.as_deref()),
                crate::analysis::fleet::cluster_display(cy.as_deref()),
            );
            let vx: Vec<_> = gx.iter().map(|&i| a.groups[i].vendor).collect();
            let vy: Vec<_> = gy.iter().map(|&i| a.groups[i].vendor).collect();
            if !vx.iter().any(|v| vy.contains(v)) {
                say(
                    out,
                    2,
                    &format!("{nx} <-> {ny}: the vendor differs: cold migration only"),
                );
                continue;
            }
            for (from, to, fg, tg) in [(nx, ny, &gx, &gy), (ny, nx, &gy, &gx)] {
                let mut yes = 0;
                let mut mask = 0;
                let mut no = 0;
                for &i in fg.iter() {
                    for &j in tg.iter() {
                        match a.matrix[i][j] {
                            Verdict::Yes => yes += 1,
                            Verdict::WithMask { .. } => mask += 1,
                            Verdict::No { .. } => no += 1,
                        }
                    }
                }
                say(out, 2, &format!("{from} -> {to}: {yes} group pair(s) as they are, {mask} with a mask, {no} not at all{}",
                    if mask > 0 {
                        " (`vmcompat mask --groups ...` with groups of both)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
}

/// The last lines of the audit: the verdict per cluster and over everything
/// checked (CPU, storage and network, VMs). A check that did not run is "not
/// checked", never "passed".
pub fn overall(r: &AuditReport, vm_errors: Option<usize>) -> String {
    let mut out = String::from("\nOverall\n");
    let mut ready = true;
    let mut unchecked = false;
    for cl in r.cpu.clusters() {
        let v = cluster_verdict(r, cl.as_deref());
        ready &= !v.starts_with("NOT");
        say(
            &mut out,
            2,
            &format!(
                "cluster {}: {v}",
                crate::analysis::fleet::cluster_display(cl.as_deref())
            ),
        );
    }
    match r.storage_network.as_ref() {
        None => {
            unchecked = true;
            out.push_str("  storage/network: not checked (--only cpu)\n")
        }
        Some(s) if s.not_run() => {
            unchecked = true;
            out.push_str("  storage/network: not checked (no host has storage/network facts)\n")
        }
        Some(s) if s.errors() > 0 => {
            ready = false;
            let _ = writeln!(out, "  storage/network: {} error(s)", s.errors());
        }
        Some(_) => out.push_str("  storage/network: no errors\n"),
    }
    match vm_errors {
        None => {
            unchecked = true;
            out.push_str(
                "  VM readiness: not checked (no VMs read: no vms_dir or ESXi host, or --only)\n",
            )
        }
        Some(0) => out.push_str("  VM readiness: no errors\n"),
        Some(n) => {
            ready = false;
            let _ = writeln!(out, "  VM readiness: {n} error(s)");
        }
    }
    if !r.host_blockers.is_empty() {
        ready = false;
        say(
            &mut out,
            2,
            &format!(
                "host-level blockers: {} host(s) ({})",
                r.host_blockers.len(),
                r.host_blockers
                    .iter()
                    .map(|h| h.host.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let failures = r.failures();
    if failures > 0 {
        ready = false;
        let _ = writeln!(out, "  {failures} host(s) not collected");
    }
    let nested_blocked = r.msr.findings.iter().any(|f| f.nested_only);
    let _ = writeln!(
        out,
        "Overall: {}{}",
        if ready && unchecked {
            "ready for what was checked (see \"not checked\" above)"
        } else if ready {
            "ready"
        } else {
            "NOT ready"
        },
        if ready && nested_blocked {
            "; NOT for VMs with nested virtualization (VMX capabilities differ, see above)"
        } else {
            ""
        }
    );
    out
}

/// The host-level blockers as an HTML section for the audit report, when any.
pub fn blockers_html(r: &AuditReport) -> Option<super::Section> {
    use super::esc;
    if r.host_blockers.is_empty() {
        return None;
    }
    let mut h = String::from(
        "<table id=\"host-blockers\"><thead><tr><th>Host</th><th>Blocker</th><th>Fix</th></tr></thead><tbody>\n",
    );
    for hb in &r.host_blockers {
        for b in &hb.blockers {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&hb.host),
                esc(&b.problem()),
                esc(b.fix())
            );
        }
    }
    h.push_str("</tbody></table>\n");
    Some(super::Section {
        title: "Host-level blockers".into(),
        html: h,
    })
}

/// The masks section of the HTML report: each verified VMX mask with its
/// plan; `complete` is false when some host could not be collected (then no
/// mask is computed, and the section says so).
pub fn masks_html(
    masks: &[(
        crate::analysis::maskplan::MaskPlan,
        crate::mask::verify::CheckedMask,
    )],
    hosts: &[crate::analysis::fleet::FleetHost],
    complete: bool,
) -> super::Section {
    let mut html = String::new();
    if complete {
        for (plan, mask) in masks {
            let vmx = super::mask::MaskFormat::Vmx;
            let text = super::mask::plan(plan, mask, hosts, vmx, false);
            html.push_str(&format!("<pre>{}</pre>\n", super::esc(&text)));
        }
    } else {
        html.push_str("<p class=\"note\">Not computed: some hosts could not be collected.</p>");
    }
    super::Section {
        title: "Masks (VMX lines that let each vendor's groups migrate freely)".into(),
        html,
    }
}

/// What the Notes column says about a host, in the text and the HTML report.
pub enum HostNote<'a> {
    /// It could not be collected (why).
    NotCollected(&'a str),
    /// Its dump is partial or a profile's (how complete it is).
    Source(&'static str),
    /// Its dump was taken inside a VM (the hypervisor's name).
    InsideVm(&'a str),
}

/// The notes of one host row, in the order both reports show them.
pub fn host_notes(h: &crate::analysis::audit::HostRow) -> Vec<HostNote<'_>> {
    let mut notes = Vec::new();
    if let Some(e) = &h.error {
        notes.push(HostNote::NotCollected(e));
    }
    if let Some(c) = h
        .completeness
        .filter(|c| c.is_partial() || *c == crate::cpuid::Completeness::FromProfile)
    {
        notes.push(HostNote::Source(c.describe()));
    }
    if let Some(hv) = &h.hypervisor {
        notes.push(HostNote::InsideVm(hv));
    }
    notes
}

/// One line per cluster naming its target hypervisor and why, and the QEMU/libvirt
/// releases learned over SSH; a blank line after.
pub fn targets(report: &AuditReport) -> String {
    if report.targets.is_empty() {
        return String::new();
    }
    let mut t: Vec<String> = report
        .targets
        .iter()
        .map(|c| {
            let who = match &c.cluster {
                Some(n) => format!("cluster {n}"),
                None => "hosts without a cluster".to_string(),
            };
            format!("target for {who}: {} ({})", c.target, c.why)
        })
        .collect();
    t.extend(report.releases_learned.iter().cloned());
    t.join("\n") + "\n\n"
}

/// What `vmcompat audit` prints: the target of each cluster, the CPU audit with
/// its storage/network section, then VM readiness when VMs were read, then the
/// overall verdict.
pub struct AuditOutput<'a> {
    /// The audit.
    pub report: &'a AuditReport,
    /// VM readiness, when some host has VMs to read.
    pub vms: Option<&'a crate::analysis::vm_readiness::VmReadiness>,
}

impl super::Report for AuditOutput<'_> {
    fn text(&self) -> String {
        let mut t = targets(self.report);
        t.push_str(&render(self.report));
        if let Some(sn) = &self.report.storage_network {
            t.push_str(&super::storage_network::render(sn));
        }
        if let Some(v) = self.vms {
            t.push('\n');
            t.push_str(&super::vms::render(v));
        }
        t.push_str(&overall(self.report, self.vms.map(|v| v.errors)));
        t
    }

    /// The audit's JSON with the VM readiness report under `"vms"`.
    fn json(&self) -> String {
        let Some(vms) = self.vms else {
            return super::json(self.report);
        };
        match (serde_json::to_value(self.report), serde_json::to_value(vms)) {
            (Ok(serde_json::Value::Object(mut m)), Ok(v)) => {
                m.insert("vms".into(), v);
                super::json(&serde_json::Value::Object(m))
            }
            _ => super::json(self.report),
        }
    }
}
