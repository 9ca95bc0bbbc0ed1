//! `vmcompat mask` output: a commented block per mask in the chosen format, the
//! explanation of mask lines, and what `--apply` did.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::fleet::FleetHost;
use crate::analysis::maskplan::MaskPlan;
use crate::cli::MaskFormat;
use crate::mask::explain::{BitExplanation, Explanation};
use crate::mask::{vmx, ApplyOutcome, ApplyStatus, CpuidMask, Spelling};

fn labels(bits: &[BitExplanation]) -> String {
    bits.iter()
        .map(|b| b.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One mask, with a header saying what it is for, verified against whom, and which
/// hosts cannot reach a requested baseline. `#` comments in VMX/QEMU forms,
/// `<!-- -->` in libvirt's.
pub fn plan(
    p: &MaskPlan,
    mask: &CpuidMask,
    hosts: &[FleetHost],
    format: MaskFormat,
    compact: bool,
) -> String {
    let host_name = |i: usize| hosts.get(i).map_or("?", |h| h.name.as_str());
    let mut notes = vec![format!(
        "vmcompat mask for {} group(s) {}: hides {} feature(s){}",
        p.vendor,
        p.groups.join(", "),
        p.hide.len(),
        if p.hide.is_empty() {
            String::new()
        } else {
            format!(": {}", p.hide.names().join(" "))
        }
    )];
    if p.destinations.is_empty() {
        notes.push(format!(
            "verified: applied to all {} member host(s), every guest sees the same {} features",
            p.members.len(),
            p.guest.len()
        ));
    } else {
        notes.push(format!(
            "verified: VMs powered on at {} host(s) of {} see only features all {} host(s) of {} have",
            p.members.len(),
            p.groups.first().map_or("", String::as_str),
            p.destinations.len(),
            p.groups.get(1).map_or("", String::as_str)
        ));
    }
    for (h, missing) in &p.cannot_reach {
        notes.push(format!(
            "{} cannot reach this baseline (lacks {}): keep its VMs off the masked hosts or retire it",
            host_name(*h),
            missing.join(" ")
        ));
    }
    if p.hide.is_empty() {
        notes.push("nothing to hide: these hosts already agree".into());
    }
    let mut out = String::new();
    match format {
        MaskFormat::Vmx | MaskFormat::Featmask => {
            for n in &notes {
                let _ = writeln!(out, "# {n}");
            }
            let spelling = if compact {
                Spelling::Compact
            } else {
                Spelling::Colon
            };
            out.push_str(&vmx::render(mask, spelling));
        }
        MaskFormat::Libvirt => {
            for n in &notes {
                let _ = writeln!(out, "<!-- {} -->", n.replace("--", "- -"));
            }
            out.push_str(&super::libvirt::host_model(&p.hide));
        }
        MaskFormat::Qemu => {
            for n in &notes {
                let _ = writeln!(out, "# {n}");
            }
            out.push_str(&super::qemu::host(&p.hide));
            out.push('\n');
        }
        MaskFormat::Json => {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                plan: &'a MaskPlan,
                vmx: Vec<String>,
                notes: &'a [String],
            }
            out.push_str(&super::json(&Out {
                plan: p,
                vmx: vmx::render_lines(mask, Spelling::Colon),
                notes: &notes,
            }));
        }
    }
    out.push('\n');
    out
}

/// What each line of a mask hides, forces, requires.
pub fn explanation(e: &Explanation) -> String {
    let mut out = String::new();
    for r in &e.registers {
        let _ = writeln!(
            out,
            "{}{}",
            r.key,
            if r.amd_only { " (AMD hosts only)" } else { "" }
        );
        for (what, bits) in [
            ("hides (guest sees 0)", &r.hides),
            ("forces (guest sees 1)", &r.forces),
            ("requires the host to have", &r.requires),
            ("requires the host to lack", &r.forbids),
            ("must agree on source and destination", &r.must_agree),
            ("hidden, but must agree", &r.hidden_must_agree),
            ("not checked", &r.unchecked),
        ] {
            if !bits.is_empty() {
                let _ = writeln!(out, "  {what}: {}", labels(bits));
            }
        }
    }
    for f in &e.featmasks {
        let _ = writeln!(
            out,
            "{}: {:?} {} ({})",
            f.key,
            f.effect,
            f.value,
            f.feature.unwrap_or("no catalog feature")
        );
    }
    if e.registers.is_empty() && e.featmasks.is_empty() {
        out.push_str("no cpuid.* or featMask.* lines found\n");
    } else {
        let _ = writeln!(
            out,
            "\nHidden from the guest: {}",
            if e.hidden.is_empty() {
                "nothing".into()
            } else {
                e.hidden.join(" ")
            }
        );
    }
    out
}

/// One line saying what `--apply` did to the file.
pub fn applied(path: &Path, o: &ApplyOutcome) -> String {
    match o.status {
        ApplyStatus::Unchanged => format!(
            "{}: already carries this mask; nothing written",
            path.display()
        ),
        ApplyStatus::Written => {
            let mut out = format!(
                "{}: mask written ({} line(s) added, {} replaced or removed); the original is saved as {}",
                path.display(),
                o.added.len(),
                o.removed.len(),
                o.backup
                    .as_ref()
                    .map_or_else(|| "(no backup)".into(), |b| b.display().to_string())
            );
            for l in &o.removed {
                out.push_str(&format!("\n  - {l}"));
            }
            for l in &o.added {
                out.push_str(&format!("\n  + {l}"));
            }
            out.push_str(
                "\nThe VM must be powered off for this to count: a running VM keeps its CPUID \
                 and may write its .vmx back. Power it off, then reload the file \
                 (vim-cmd vmsvc/reload VMID, or unregister and re-register it) before powering on.",
            );
            out
        }
    }
}
