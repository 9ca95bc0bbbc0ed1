//! VM readiness as text (for `vmcompat vms` and the audit) and as HTML (the
//! audit report's VM section).

use std::fmt::Write as _;

use crate::analysis::finding::Severity;
use crate::analysis::vm_placement::{CanMove, MoveVerdict};
use crate::analysis::vm_readiness::{VmReadiness, VmReport};
use crate::render::esc;

/// The summary line.
pub fn summary(r: &VmReadiness) -> String {
    let blocked = r.hosts.iter().filter(|h| !h.blocking.is_empty()).count();
    format!(
        "VM readiness: {} VM(s) on {} host(s): {} error(s), {} warning(s), {} not checked; {} host(s) cannot be evacuated (maintenance mode would stall){}",
        r.vms,
        r.hosts.len(),
        r.errors,
        r.warnings,
        r.not_checked,
        blocked,
        if r.unreadable_hosts > 0 {
            format!("; the VMs of {} host(s) could not be read", r.unreadable_hosts)
        } else {
            String::new()
        }
    )
}

/// Word-wraps `text` to 80 columns: the first line after `first`, the others
/// indented by `indent` spaces. Words longer than a line stay whole.
pub fn wrap(first: &str, indent: usize, text: &str) -> String {
    const WIDTH: usize = 80;
    let mut out = String::from(first);
    let mut col = first.chars().count();
    // After a prefix ("fix:") the first word follows on the same line.
    let mut line_start = first.trim().is_empty();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        if !line_start && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            line_start = true;
        }
        if !line_start {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        line_start = false;
    }
    out
}

/// "esx02 (ide1:0 (datastore \"x\"))": a destination and why.
fn dest_why(d: &MoveVerdict) -> String {
    if d.because.is_empty() {
        d.host.clone()
    } else {
        format!("{} ({})", d.host, d.because.join(", "))
    }
}

/// The VM's destinations in one or two lines: where it can go, where not, and
/// where it was not checked.
fn destinations_text(out: &mut String, vm: &VmReport) {
    let of = |v: CanMove| -> Vec<&MoveVerdict> {
        vm.destinations.iter().filter(|d| d.verdict == v).collect()
    };
    let (yes, no, unknown) = (of(CanMove::Yes), of(CanMove::No), of(CanMove::NotChecked));
    if vm.fits_nowhere() {
        let why: Vec<String> = no.iter().map(|d| dest_why(d)).collect();
        let _ = writeln!(
            out,
            "{}",
            wrap(
                "    CANNOT MOVE to any other host of its cluster:",
                6,
                &why.join("; ")
            )
        );
        return;
    }
    if !no.is_empty() {
        let why: Vec<String> = no.iter().map(|d| dest_why(d)).collect();
        let _ = writeln!(out, "{}", wrap("    cannot move to:", 6, &why.join("; ")));
        if !yes.is_empty() {
            let names: Vec<&str> = yes.iter().map(|d| d.host.as_str()).collect();
            let _ = writeln!(out, "{}", wrap("    can move to:", 6, &names.join(", ")));
        }
    }
    if !unknown.is_empty() {
        let why: Vec<String> = unknown.iter().map(|d| dest_why(d)).collect();
        let _ = writeln!(out, "{}", wrap("    not checked for:", 6, &why.join("; ")));
    }
}

fn vm_text(out: &mut String, vm: &VmReport) {
    let state = vm
        .power_state
        .as_deref()
        .map_or_else(String::new, |p| format!(" ({p})"));
    let _ = writeln!(out, "  VM {}{state}  {}", vm.name, vm.path);
    destinations_text(out, vm);
    if vm.findings.is_empty() {
        let _ = writeln!(out, "    ok: nothing in its configuration stops vMotion");
    }
    for f in &vm.findings {
        let (tag, fix) = match f.severity {
            Severity::Error => ("ERROR", "fix:"),
            Severity::Warning => ("warning", "fix:"),
            Severity::NotChecked => ("not checked", "to check it:"),
        };
        let dev = f
            .device
            .as_deref()
            .map_or_else(String::new, |d| format!(" {d}"));
        let _ = writeln!(
            out,
            "{}",
            wrap(&format!("    {tag} [{}{dev}]", f.kind), 6, &f.problem)
        );
        let _ = writeln!(out, "{}", wrap(&format!("      {fix}"), 8, &f.fix));
    }
    for d in &vm.duplicate_keys {
        let _ = writeln!(
            out,
            "    note: {} is set twice (lines {} and {}); the last one (line {}) is used",
            d.key, d.first_line, d.line, d.line
        );
    }
    if let Some(m) = &vm.mask {
        let _ = writeln!(out, "    CPUID mask ({} line(s)):", m.lines.len());
        for l in &m.lines {
            let _ = writeln!(out, "      {l}");
        }
        let _ = writeln!(out, "    what it does:");
        for l in crate::render::mask::explanation(&m.explanation).lines() {
            if !l.trim().is_empty() {
                let _ = writeln!(out, "      {l}");
            }
        }
    }
    if vm.mask.is_some() || vm.cpu_moves.iter().any(|m| !m.movable) {
        for mv in &vm.cpu_moves {
            let line = format!(
                "to CPU group {}{}: {} ({})",
                mv.to,
                if mv.hosts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", mv.hosts.join(", "))
                },
                if mv.movable {
                    "can move"
                } else {
                    "cannot move"
                },
                mv.why
            );
            out.push_str(&crate::render::wrap(&line, "    "));
        }
    }
}

/// The VM readiness report as text: per host, the VMs that would block
/// evacuating it first, with the reason and the fix for each.
pub fn render(r: &VmReadiness) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", wrap("", 2, &summary(r)));
    for h in &r.hosts {
        let _ = writeln!(out);
        let dests = if h.destinations.is_empty() {
            "no other host in its cluster".to_string()
        } else {
            format!("destinations: {}", h.destinations.join(", "))
        };
        if let Some(e) = &h.error {
            let _ = writeln!(out, "Host {} ({dests}): VMs could not be read: {e}", h.host);
            continue;
        }
        let verdict = if h.blocking.is_empty() {
            "maintenance mode can evacuate every VM".to_string()
        } else {
            format!(
                "maintenance mode would stall on {} VM(s): {}",
                h.blocking.len(),
                h.blocking.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "{}",
            wrap(
                "",
                2,
                &format!(
                    "Host {} ({dests}): {} VM(s); {verdict}",
                    h.host,
                    h.vms.len()
                )
            )
        );
        for n in &h.not_checked {
            let _ = writeln!(out, "{}", wrap("  not checked:", 4, n));
        }
        let mut vms: Vec<&VmReport> = h.vms.iter().collect();
        vms.sort_by_key(|v| (!v.fits_nowhere(), !v.blocks(), v.findings.is_empty()));
        for vm in vms {
            vm_text(&mut out, vm);
        }
    }
    out
}

/// The VM readiness section of the HTML report.
pub fn html(r: &VmReadiness) -> crate::render::Section {
    let mut h = String::new();
    let _ = writeln!(h, "<p>{}</p>", esc(&summary(r)));
    for host in &r.hosts {
        let _ = writeln!(h, "<h3>{}</h3>", esc(&host.host));
        if let Some(e) = &host.error {
            let _ = writeln!(h, "<p class=\"err\">VMs could not be read: {}</p>", esc(e));
            continue;
        }
        for n in &host.not_checked {
            let _ = writeln!(h, "<p class=\"note\">Not checked: {}</p>", esc(n));
        }
        if host.blocking.is_empty() {
            let _ = writeln!(
                h,
                "<p>Maintenance mode can evacuate every VM ({}).</p>",
                host.vms.len()
            );
        } else {
            let _ = writeln!(
                h,
                "<p class=\"err\">Maintenance mode would stall on: {}</p>",
                esc(&host.blocking.join(", "))
            );
        }
        let _ = writeln!(h, "<table><tr><th>VM</th><th>Severity</th><th>Device</th><th>Problem</th><th>Fix</th></tr>");
        for vm in &host.vms {
            for f in &vm.findings {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    esc(&vm.name),
                    match f.severity {
                        Severity::Error => "err",
                        Severity::Warning | Severity::NotChecked => "note",
                    },
                    f.severity.word(),
                    esc(f.device.as_deref().unwrap_or("")),
                    esc(&f.problem),
                    esc(&f.fix)
                );
            }
            if let Some(m) = &vm.mask {
                let moves: Vec<String> = vm
                    .cpu_moves
                    .iter()
                    .map(|mv| format!("{}: {}", mv.to, if mv.movable { "yes" } else { "no" }))
                    .collect();
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>mask</td><td></td><td><pre>{}</pre></td><td>{}</td></tr>",
                    esc(&vm.name),
                    esc(&m.lines.join("\n")),
                    esc(&moves.join(", "))
                );
            }
        }
        let _ = writeln!(h, "</table>");
    }
    crate::render::Section {
        title: "VM readiness (what would stop each VM from moving)".into(),
        html: h,
    }
}

impl super::Text for VmReadiness {
    fn to_text(&self) -> String {
        render(self)
    }
}
