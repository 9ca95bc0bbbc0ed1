//! `vmcompat mask` output: a commented block per mask in the chosen format, the
//! explanation of mask lines, and what `--apply` did.

use std::fmt::Write as _;
use std::path::Path;

use super::wrap;
use crate::analysis::fleet::FleetHost;
use crate::analysis::maskplan::MaskPlan;
use crate::mask::explain::{BitExplanation, Explanation};
use crate::mask::verify::CheckedMask;
use crate::mask::{vmx, ApplyOutcome, ApplyStatus, Spelling};

/// How `vmcompat mask` prints a mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskFormat {
    /// VMware `cpuid.<leaf>.<reg> = "----:..."` lines.
    Vmx,
    /// VMware `featMask.vm.cpuid.<NAME> = "Val:0"` lines (hardware version 9 and later).
    Featmask,
    /// A libvirt domain `<cpu>` element.
    Libvirt,
    /// A QEMU `-cpu` option: a named, versioned model plus flags.
    Qemu,
    /// Proxmox VE: the VM's `cpu:` line, and a cpu-models.conf entry when needed.
    Proxmox,
    /// The plan and the lines as JSON.
    Json,
}

fn labels(bits: &[BitExplanation]) -> String {
    bits.iter()
        .map(|b| b.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Word-wraps `text` to lines of at most `width` characters (longer words stay whole).
fn wrap_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn feature_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            let desc =
                crate::catalog::lookup(n).map_or("", |id| crate::catalog::by_id(id).description);
            if desc.is_empty() {
                (*n).to_string()
            } else {
                format!("{n} ({desc})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The notes that head a mask: what it is for, what it hides and why, which hosts
/// to update, what it never hides, and whether it is verified for `format`.
pub fn notes(p: &MaskPlan, checked: &CheckedMask, hosts: &[FleetHost]) -> Vec<String> {
    let host_name = |i: usize| hosts.get(i).map_or("?", |h| h.name.as_str());
    let host_list = |v: &[usize]| {
        v.iter()
            .map(|&h| host_name(h))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let long = p.hide.len() > crate::render::features::INLINE_MAX;
    let mut notes = vec![format!(
        "vmcompat mask for {} group(s) {}: hides {} feature(s){}",
        p.vendor,
        p.groups.join(", "),
        p.hide.len(),
        if p.hide.is_empty() {
            String::new()
        } else if long {
            ":".to_string()
        } else {
            format!(": {}", p.hide.names().join(" "))
        }
    )];
    if long {
        // A long list: one indented note per family.
        for line in crate::render::features::grouped(&p.hide) {
            notes.push(format!("  {line}"));
        }
    }
    if !p.nested_hidden.is_empty() {
        notes.push(format!(
            "nested-only (they matter only to VMs that run their own hypervisor; other VMs \
             never use them): {}",
            p.nested_hidden.names().join(" ")
        ));
    }
    if !p.non_migratable_hidden.is_empty() {
        notes.push(format!(
            "kept from migratable guests, as libvirt and QEMU do: {} (not a reason to \
             split the hosts)",
            p.non_migratable_hidden.names().join(" ")
        ));
    }
    // Hosts that need the same update share one line.
    let mut updates: Vec<(&[&'static str], Vec<usize>)> = Vec::new();
    for a in &p.firmware_advice {
        match updates.iter_mut().find(|(l, _)| *l == a.lacks.as_slice()) {
            Some((_, hosts)) => hosts.push(a.host),
            None => updates.push((&a.lacks, vec![a.host])),
        }
    }
    for (lacks, on) in &updates {
        let how = if *lacks == ["nx"] {
            "enable NX/XD (execute disable) in the BIOS setup"
        } else {
            "update the BIOS/microcode (and check the BIOS settings)"
        };
        notes.push(format!(
            "update needed on {}: {how}; that brings {}",
            host_list(on),
            feature_list(lacks)
        ));
    }
    if !p.firmware_pending.is_empty() {
        notes.push(format!(
            "left visible on purpose (firmware/microcode-dependent, so hiding them would \
             take them from every guest): {}; until the hosts above are updated, VMs that \
             use them must stay on hosts that have them (--hide-firmware-features hides \
             them instead)",
            p.firmware_pending.names().join(" ")
        ));
    }
    if !p.firmware_hidden.is_empty() {
        notes.push(format!(
            "WARNING: --hide-firmware-features takes these from every guest of these \
             hosts: {}",
            feature_list(&p.firmware_hidden.names())
        ));
    }
    // Negative-sense bits set on the same hosts share one line.
    let mut negative: Vec<(&[usize], &[usize], Vec<String>)> = Vec::new();
    for n in &p.negative_sense {
        let what = format!("{} ({})", n.feature, n.meaning);
        match negative
            .iter_mut()
            .find(|(s, c, _)| *s == n.set_on.as_slice() && *c == n.clear_on.as_slice())
        {
            Some((_, _, list)) => list.push(what),
            None => negative.push((&n.set_on, &n.clear_on, vec![what])),
        }
    }
    for (set_on, clear_on, list) in &negative {
        notes.push(format!(
            "not hidden: {} set on {} and not on {}: a 1 says something is absent or \
             changed, so hiding it would lie to the guest; a VM started on {} that \
             relies on the old behaviour must not move to {}",
            list.join(", "),
            host_list(set_on),
            host_list(clear_on),
            host_list(clear_on),
            host_list(set_on)
        ));
    }
    for (h, missing) in &p.cannot_reach {
        notes.push(format!(
            "{} cannot reach this baseline (lacks {}): keep its VMs off the masked hosts, \
             update it if named above, or retire it",
            host_name(*h),
            missing.join(" ")
        ));
    }
    if p.hide.is_empty() {
        notes.push("nothing to hide: these hosts already agree".into());
    }
    let mut partial: Vec<(&str, Vec<&str>)> = Vec::new();
    for &h in p.members.iter().chain(&p.destinations) {
        let Some(host) = hosts.get(h) else { continue };
        if host.cpu.completeness.is_partial() {
            let what = host.cpu.completeness.describe();
            let what = what.strip_prefix("partial: ").unwrap_or(what);
            match partial.iter_mut().find(|(w, _)| *w == what) {
                Some((_, list)) => list.push(&host.name),
                None => partial.push((what, vec![&host.name])),
            }
        }
    }
    for (what, list) in &partial {
        notes.push(format!(
            "rests on partial data for {}: {what}; features such a source cannot show \
             are neither compared nor hidden",
            list.join(", ")
        ));
    }
    let pending = if p.firmware_pending.is_empty() {
        String::new()
    } else {
        " (apart from the firmware-dependent features above)".into()
    };
    if !checked.is_verified() {
        notes.push(format!(
            "NOT verified for this format: it has no name for {}, which stay visible to \
             guests; use --format vmx, which can hide every bit",
            checked.unexpressible.join(" ")
        ));
    } else if p.destinations.is_empty() {
        notes.push(format!(
            "verified: applied to all {} member host(s), every guest sees the same {} \
             features{pending}; no floor feature is hidden; what all hosts have is hidden \
             only where it requires a hidden feature",
            p.members.len(),
            p.guest.len()
        ));
    } else {
        notes.push(format!(
            "verified: VMs powered on at {} host(s) of {} see only features all {} host(s) \
             of {} have{pending}; no floor feature is hidden",
            p.members.len(),
            p.groups.first().map_or("", String::as_str),
            p.destinations.len(),
            p.groups.get(1).map_or("", String::as_str)
        ));
    }
    notes
}

/// The KVM-side setting a mask format prints, if it is one.
pub fn setting_of(format: MaskFormat) -> Option<super::cpumodel::Setting> {
    use super::cpumodel::Setting;
    match format {
        MaskFormat::Qemu => Some(Setting::Qemu),
        MaskFormat::Libvirt => Some(Setting::Libvirt),
        MaskFormat::Proxmox => Some(Setting::Proxmox),
        _ => None,
    }
}

/// One mask, with a header saying what it is for, verified against whom, which
/// hosts to update and which cannot reach a requested baseline. `#` comments in
/// VMX/QEMU forms, `<!-- -->` in libvirt's; notes wrapped for an 80-column terminal.
pub fn plan(
    p: &MaskPlan,
    checked: &CheckedMask,
    hosts: &[FleetHost],
    format: MaskFormat,
    compact: bool,
) -> String {
    plan_with(p, checked, hosts, format, compact, None)
}

/// [`plan`], with the QEMU/libvirt/Proxmox settings of the shared planner
/// (`crate::analysis::cpumodel`) for those formats.
pub fn plan_with(
    p: &MaskPlan,
    checked: &CheckedMask,
    hosts: &[FleetHost],
    format: MaskFormat,
    compact: bool,
    kvm: Option<&crate::analysis::cpumodel::KvmSettings>,
) -> String {
    let mut notes = notes(p, checked, hosts);
    if let Some(k) = kvm {
        if let Some(kind) = setting_of(format) {
            notes.extend(super::cpumodel::notes(kind, k));
        }
    }
    let mask = &checked.mask;
    let comment = |out: &mut String, open: &str, close: &str| {
        for n in &notes {
            // "--" may not appear inside an XML comment.
            let n = if open.starts_with("<!") {
                n.replace("--", "- -")
            } else {
                n.clone()
            };
            let n = n.as_str();
            // A note's own leading spaces (a grouped feature line) indent all its lines.
            let lead = &n[..n.len() - n.trim_start().len()];
            // Fits an 80-column terminal with the comment markers and the indent.
            let width = 78usize
                .saturating_sub(open.len() + close.len() + 2 + lead.len())
                .max(40);
            for (i, line) in wrap_lines(n, width).iter().enumerate() {
                let indent = if i == 0 { "" } else { "  " };
                let _ = writeln!(out, "{open}{lead}{indent}{line}{close}");
            }
        }
    };
    let mut out = String::new();
    match format {
        MaskFormat::Vmx | MaskFormat::Featmask => {
            comment(&mut out, "# ", "");
            let spelling = if compact {
                Spelling::Compact
            } else {
                Spelling::Colon
            };
            out.push_str(&vmx::render(mask, spelling));
        }
        MaskFormat::Libvirt | MaskFormat::Qemu | MaskFormat::Proxmox => {
            if format == MaskFormat::Libvirt {
                comment(&mut out, "<!-- ", " -->");
            } else {
                comment(&mut out, "# ", "");
            }
            match kvm {
                Some(k) => out.push_str(
                    &setting_of(format)
                        .map_or_else(String::new, |kind| super::cpumodel::body(kind, k)),
                ),
                None => out.push_str(match format {
                    MaskFormat::Libvirt => "<!-- no CPU model planned -->\n",
                    _ => "# no CPU model planned\n",
                }),
            }
        }
        MaskFormat::Json => {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                plan: &'a MaskPlan,
                verified: bool,
                unexpressible: &'a [&'static str],
                vmx: Vec<String>,
                notes: &'a [String],
                /// The QEMU model, libvirt element and Proxmox type.
                kvm: Option<&'a crate::analysis::cpumodel::KvmSettings>,
            }
            out.push_str(&super::json(&Out {
                plan: p,
                verified: checked.is_verified(),
                unexpressible: &checked.unexpressible,
                vmx: vmx::render_lines(mask, Spelling::Colon),
                notes: &notes,
                kvm,
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
    } else if e.complete_masks {
        out.push_str(&wrap(
            &format!(
                "\nPer-VM EVC (featureCompat.vm.completeMasks = \"TRUE\"): the guest sees \
                 only what the lines grant, and the basic x86-64 set (fpu, sse2, ...), \
                 where its host has them: {}",
                if e.granted.is_empty() {
                    "nothing more".into()
                } else {
                    e.granted.join(" ")
                }
            ),
            "",
        ));
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
    out.push_str(&dependency_gaps(&e.dependency_gaps, ""));
    out
}

/// Warnings for features a mask hides while it leaves visible what requires
/// them, each naming the bits; every line starts with `indent`.
pub fn dependency_gaps(gaps: &[crate::mask::per_vm::DependencyGap], indent: &str) -> String {
    let mut out = String::new();
    for g in gaps {
        let visible = g.visible_names();
        out.push_str(&wrap(
            &format!(
                "WARNING: the mask hides {} ({}) but leaves visible what requires it: {}. \
                 A guest that checks only those may use them and fault; hide them too, \
                 or stop hiding {}.",
                g.hidden,
                g.hidden_bit,
                visible.join(", "),
                g.hidden
            ),
            indent,
        ));
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
