//! The one-host report as a table for people.

use comfy_table::{presets::UTF8_BORDERS_ONLY, Cell, ContentArrangement, Table};

use crate::analysis::host::HostReport;

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "unknown".into(), |v| v.to_string())
}

/// Renders the report: a key/value table, then CPU consistency, then warnings.
pub fn table(r: &HostReport) -> String {
    let s = &r.summary;
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(crate::render::width());
    let identical = if r.consistency.identical() {
        "yes (APIC IDs aside)".to_string()
    } else {
        "NO (see below)".to_string()
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Source", r.source.clone()),
        ("Completeness", r.completeness.describe().to_string()),
        ("Firmware and software", fingerprint(&r.fingerprint)),
        ("Logical CPUs read", r.consistency.logical_cpus.to_string()),
        ("All CPUs identical", identical),
        ("Vendor", format!("{} ({})", s.vendor, s.vendor_string)),
        ("Brand", s.brand.clone().unwrap_or_else(|| "(none)".into())),
        (
            "Family / model / stepping",
            format!(
                "0x{:x} / 0x{:x} / 0x{:x}  (decimal {} / {} / {})",
                s.family, s.model, s.stepping, s.family, s.model, s.stepping
            ),
        ),
        (
            "Signature (leaf 1 EAX)",
            format!(
                "{}: base family 0x{:x}, ext family 0x{:x}, base model 0x{:x}, ext model 0x{:x}",
                s.signature,
                s.raw_fields.base_family,
                s.raw_fields.ext_family,
                s.raw_fields.base_model,
                s.raw_fields.ext_model
            ),
        ),
        ("Processor type", s.processor_type.to_string()),
        ("Microarchitecture", opt(s.microarchitecture)),
        (
            "Cores / threads per package",
            format!(
                "{} / {}",
                opt(s.cores_per_package),
                opt(s.threads_per_package)
            ),
        ),
        ("Hybrid (P/E cores)", yes_no(s.hybrid).into()),
        ("Highest SSE/AVX level", s.simd.into()),
        ("NX/XD (execute disable)", yes_no(s.nx).into()),
        ("Long mode (64-bit)", yes_no(s.long_mode).into()),
        (s.virtualization, s.virtualization_state.describe().into()),
        (
            "Supports 64-bit VMs",
            format!(
                "{} — {}",
                yes_no(s.supports_64bit_vms),
                s.supports_64bit_vms_reason
            ),
        ),
        (
            "Hypervisor present",
            s.hypervisor
                .clone()
                .unwrap_or_else(|| "no (bare metal)".into()),
        ),
        ("x86-64 level", s.x86_64_level.clone()),
        (
            "Nearest named baseline",
            s.nearest_baseline
                .clone()
                .unwrap_or_else(|| "none reached".into()),
        ),
        (
            "Next baseline blocked by",
            s.next_baseline.as_ref().map_or_else(
                || "(none: the newest baseline is reached)".into(),
                |(name, missing)| {
                    next_blocked(
                        name,
                        missing,
                        &s.next_baseline_update_brings,
                        &s.next_baseline_firmware_unconfirmed,
                    )
                },
            ),
        ),
        (
            "VMware EVC mode (highest)",
            s.vmware_evc_mode
                .clone()
                .unwrap_or_else(|| "none reached".into()),
        ),
        (
            "Next EVC mode blocked by",
            s.next_vmware_evc_mode.as_ref().map_or_else(
                || "(none: the newest mode is reached)".into(),
                |(key, missing)| format!("{key}: lacks {}", missing.join(" ")),
            ),
        ),
        (
            "Max leaf (basic / extended)",
            format!(
                "{} / {}",
                s.max_basic_leaf,
                opt(s.max_extended_leaf.as_deref())
            ),
        ),
        ("Features", format!("{} named", r.features.len())),
    ];
    if r.consistency.groups.len() > 1 {
        let groups = r
            .consistency
            .groups
            .iter()
            .map(|g| {
                let label = g.core_type.map_or_else(|| "untyped".into(), |c| c.label());
                format!("{label}: {} CPUs", g.cpus.len())
            })
            .collect::<Vec<_>>()
            .join(", ");
        rows.insert(3, ("Core types", groups));
    }
    for (k, v) in rows {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    }
    let mut out = crate::render::fit(&t);
    out.push('\n');
    if !r.consistency.identical() {
        out.push_str("\nLogical CPUs that differ from the first CPU of their core type:\n");
        for d in &r.consistency.differences {
            let cpus = d
                .cpus
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.push_str(&format!("  leaf {} {}: CPU {cpus}\n", d.key, d.reg));
        }
    }
    if !s.warnings.is_empty() {
        out.push('\n');
        for w in &s.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
    }
    out.push_str("\nFeatures:\n");
    for line in crate::render::features::grouped_names(&r.features) {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// The fingerprint on one line per fact: `microcode 0xde; BIOS Dell Inc. 2.19.0
/// (03/14/2024); kernel 6.1.0-18-amd64; QEMU 7.2.22; libvirt 9.0.0`, with
/// "unknown" for each fact the source could not read.
pub fn fingerprint(fp: &crate::model::Fingerprint) -> String {
    if fp.is_unknown() {
        return "unknown (the source records no microcode, BIOS, kernel, QEMU or libvirt \
                version)"
            .into();
    }
    let u = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let bios = match (&fp.bios_vendor, &fp.bios_version, &fp.bios_date) {
        (None, None, None) => "unknown".to_string(),
        (vendor, version, date) => {
            let mut b = [vendor, version]
                .iter()
                .filter_map(|v| v.as_deref())
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(d) = date {
                b.push_str(&format!(" ({d})"));
            }
            b.trim().to_string()
        }
    };
    format!(
        "microcode {}; BIOS {bios}; kernel {}; QEMU {}; libvirt {}",
        u(&fp.microcode),
        u(&fp.kernel),
        u(&fp.qemu),
        u(&fp.libvirt)
    )
}

/// "intel-nehalem: lacks spec_ctrl (a microcode/BIOS update brings it)": what the
/// host lacks for the next baseline, and which of it a firmware update brings.
fn next_blocked(name: &str, missing: &[&str], brings: &[&str], unconfirmed: &[&str]) -> String {
    let mut t = format!("{name}: lacks {}", missing.join(" "));
    let it = |v: &[&str]| if v.len() == 1 { "it" } else { "them" };
    if !brings.is_empty() && brings.len() == missing.len() {
        t.push_str(&format!(" (a microcode/BIOS update brings {})", it(brings)));
    } else if !brings.is_empty() {
        t.push_str(&format!(
            " (a microcode/BIOS update brings {}, not the rest)",
            brings.join(" ")
        ));
    }
    if !unconfirmed.is_empty() && unconfirmed.len() == missing.len() {
        t.push_str(&format!(
            " (firmware-dependent: a microcode/BIOS update may bring {})",
            it(unconfirmed)
        ));
    } else if !unconfirmed.is_empty() {
        t.push_str(&format!(
            " ({} firmware-dependent: a microcode/BIOS update may bring {})",
            unconfirmed.join(" "),
            it(unconfirmed)
        ));
    }
    t
}

impl super::Text for HostReport {
    fn to_text(&self) -> String {
        table(self)
    }
}
