//! The one-host report (the boot-free successor of VMware's cupid.iso): what a
//! host is, what it can run, and whether every logical CPU agrees.

use serde::Serialize;

use crate::catalog::{self, id};
use crate::cpuid::{Completeness, RawDump};
use crate::decode::{self, consistency::CpuGroup, Consistency, Cpu};

/// Whether hardware virtualization (VT-x / AMD-V) is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VirtState {
    /// CPUID reports it and the kernel's flags show it: firmware enabled it.
    Enabled,
    /// CPUID reports it but the kernel's flags lack it: firmware disabled it.
    DisabledByFirmware,
    /// CPUID reports it; whether firmware enabled it cannot be known from here.
    PresentFirmwareUnknown,
    /// CPUID does not report it (absent, or hidden by a hypervisor).
    NotReported,
}

impl VirtState {
    /// Words for the report.
    pub fn describe(self) -> &'static str {
        match self {
            VirtState::Enabled => "yes, enabled by firmware",
            VirtState::DisabledByFirmware => {
                "present, but DISABLED by firmware (enable it in the BIOS/UEFI setup)"
            }
            VirtState::PresentFirmwareUnknown => {
                "yes (whether firmware enabled it is not visible from CPUID)"
            }
            VirtState::NotReported => "no",
        }
    }
}

/// Everything `vmcompat report` says about one host.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    /// Where the dump came from.
    pub source: String,
    /// How complete the dump is, and what that means.
    pub completeness: Completeness,
    /// Microcode, BIOS, kernel, QEMU and libvirt versions, as far as the source
    /// read them (absent keys: unknown).
    pub fingerprint: crate::model::Fingerprint,
    /// Whether every logical CPU is identical (APIC IDs aside), per core type.
    pub consistency: Consistency,
    /// The decoded first logical CPU of each core type (one entry on non-hybrid parts).
    #[serde(skip)]
    pub cpus: Vec<Cpu>,
    /// Summary facts, for the first core type (the P-cores on hybrid parts when present).
    pub summary: Summary,
    /// Canonical names of every catalog feature the summarized CPU reports.
    pub features: Vec<&'static str>,
}

/// The headline facts of a host.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Vendor name.
    pub vendor: String,
    /// Leaf-0 vendor string.
    pub vendor_string: String,
    /// Display family.
    pub family: u32,
    /// Display model.
    pub model: u32,
    /// Stepping.
    pub stepping: u32,
    /// Raw leaf 1 EAX.
    pub signature: String,
    /// Base and extended fields, as the SDM names them.
    pub raw_fields: RawFields,
    /// Processor type (EAX[13:12]) in words.
    pub processor_type: &'static str,
    /// Brand string.
    pub brand: Option<String>,
    /// Microarchitecture, where known.
    pub microarchitecture: Option<&'static str>,
    /// Cores per package.
    pub cores_per_package: Option<u32>,
    /// Threads per package.
    pub threads_per_package: Option<u32>,
    /// Hybrid (P/E cores).
    pub hybrid: bool,
    /// Highest SSE/AVX level.
    pub simd: &'static str,
    /// NX/XD (execute disable).
    pub nx: bool,
    /// Long mode (64-bit).
    pub long_mode: bool,
    /// "VT-x" or "AMD-V".
    pub virtualization: &'static str,
    /// Its state.
    pub virtualization_state: VirtState,
    /// Whether the host can run 64-bit VMs, with the reason.
    pub supports_64bit_vms: bool,
    /// Why (or why not).
    pub supports_64bit_vms_reason: String,
    /// Hypervisor under which the dump was taken, if any.
    pub hypervisor: Option<String>,
    /// x86-64 psABI level, "x86-64-vN" (or "none").
    pub x86_64_level: String,
    /// The newest named vendor baseline (EVC-style, from `masks/`) the host reaches.
    pub nearest_baseline: Option<String>,
    /// The next baseline up and the features the host lacks for it.
    pub next_baseline: Option<(String, Vec<&'static str>)>,
    /// The features of `next_baseline` the host lacks that a microcode/BIOS
    /// update (or a BIOS setting) brings to this CPU
    /// ([`super::maskplan::microcode_brings`]).
    pub next_baseline_update_brings: Vec<&'static str>,
    /// The features of `next_baseline` the host lacks that are firmware-dependent
    /// but not known to come with an update for this CPU.
    pub next_baseline_firmware_unconfirmed: Vec<&'static str>,
    /// The highest VMware EVC mode (from `evc/`) the host can run, as
    /// `key (label, level)`: what vSphere would report as its maxEVCModeKey.
    pub vmware_evc_mode: Option<String>,
    /// The next VMware EVC mode of its vendor and the features the host lacks for it.
    pub next_vmware_evc_mode: Option<(String, Vec<&'static str>)>,
    /// Highest basic leaf.
    pub max_basic_leaf: String,
    /// Highest extended leaf.
    pub max_extended_leaf: Option<String>,
    /// Warnings a reader must see (hypervisor view, partial dump, corrections).
    pub warnings: Vec<String>,
}

/// The raw signature fields.
#[derive(Debug, Clone, Serialize)]
pub struct RawFields {
    /// EAX[11:8]
    pub base_family: u32,
    /// EAX[27:20]
    pub ext_family: u32,
    /// EAX[7:4]
    pub base_model: u32,
    /// EAX[19:16]
    pub ext_model: u32,
}

/// Builds the report for a dump. `None` for a dump with no CPUs (readers refuse those).
pub fn host_report(dump: &RawDump) -> Option<HostReport> {
    let consistency = decode::compare_cpus(dump);
    let cpus: Vec<Cpu> = consistency
        .groups
        .iter()
        .filter_map(|g: &CpuGroup| {
            let first = g.cpus.first()?;
            let leaves = dump.cpus.iter().find(|c| c.index == *first)?;
            Some(decode::decode_cpu(leaves, dump.completeness))
        })
        .collect();
    let primary = cpus
        .iter()
        .find(|c| c.core_type == Some(decode::CoreType::Performance))
        .or_else(|| cpus.first())?;
    let summary = summarize(primary, dump, &consistency);
    let features = primary.features.names();
    Some(HostReport {
        source: format!(
            "{} ({})",
            dump.provenance.origin,
            dump.provenance.kind.describe()
        ),
        completeness: dump.completeness,
        fingerprint: dump.fingerprint.clone(),
        consistency,
        summary,
        features,
        cpus,
    })
}

/// Whether VT-x/AMD-V is usable on `cpu`: `os_flags` is the kernel's flag list
/// when the source read it (Linux drops `vmx` when firmware locked VT-x off).
pub fn virt_state(cpu: &Cpu, os_flags: Option<&[String]>) -> VirtState {
    if !cpu.has_virtualization() {
        return VirtState::NotReported;
    }
    // The kernel's flag is the catalog's canonical name.
    let flag = catalog::by_id(if cpu.vendor.is_amd_like() {
        id::SVM
    } else {
        id::VMX
    })
    .name;
    match os_flags {
        Some(flags) if !flags.iter().any(|f| f == flag) => VirtState::DisabledByFirmware,
        // Linux clears `vmx` when firmware locked VT-x off, so its presence means
        // enabled; it shows `svm` whatever firmware did, so that tells nothing.
        Some(_) if flag == catalog::by_id(id::VMX).name => VirtState::Enabled,
        _ => VirtState::PresentFirmwareUnknown,
    }
}

/// 64-bit guests need long mode, and on Intel VT-x (VMware's binary translation
/// never ran 64-bit guests on Intel without it); on AMD, long mode of revision E
/// or later (family 0xF model >= 0x20, or any later family) or AMD-V.
fn supports_64bit(cpu: &Cpu, virt: VirtState) -> (bool, String) {
    let lm = cpu.has(id::LM);
    if !lm {
        return (false, "no long mode: the CPU is 32-bit only".into());
    }
    let virt_ok = matches!(virt, VirtState::Enabled | VirtState::PresentFirmwareUnknown);
    if cpu.vendor.is_amd_like() {
        let sig = cpu.signature;
        let rev_e = sig.family > 0xf || (sig.family == 0xf && sig.model >= 0x20);
        if rev_e || virt_ok {
            (true, "long mode (AMD revision E or later, or AMD-V)".into())
        } else {
            (
                false,
                "AMD64 before revision E lacks long-mode segment limits and has no AMD-V".into(),
            )
        }
    } else if virt_ok {
        (true, format!("long mode and {}", cpu.virtualization_name()))
    } else if virt == VirtState::DisabledByFirmware {
        (
            false,
            "VT-x is disabled by firmware: enable it in the BIOS/UEFI setup".into(),
        )
    } else {
        (
            false,
            "long mode but no VT-x: 64-bit guests need VT-x on Intel".into(),
        )
    }
}

fn summarize(cpu: &Cpu, dump: &RawDump, consistency: &Consistency) -> Summary {
    let virt = virt_state(cpu, dump.os_flags.as_deref());
    let (supports, reason) = supports_64bit(cpu, virt);
    let next = crate::shipped::baselines::next_for(cpu.vendor, &cpu.features);
    let mut warnings = Vec::new();
    if let Some(hv) = &cpu.hypervisor {
        warnings.push(format!(
            "taken inside a virtual machine ({}): this is the hypervisor's view of the CPU, not the silicon's",
            hv.name.unwrap_or("unrecognized hypervisor")
        ));
    }
    if dump.completeness.is_partial() {
        warnings.push(format!(
            "{}: features outside it are unknown",
            dump.completeness.describe()
        ));
    }
    if !consistency.identical() {
        warnings.push(format!(
            "logical CPUs differ: {} register(s) disagree beyond APIC IDs",
            consistency.differences.len()
        ));
    }
    warnings.extend(cpu.normalizations.iter().cloned());
    let sig = cpu.signature;
    Summary {
        vendor: cpu.maker().into(),
        vendor_string: cpu.vendor_string.clone(),
        family: sig.family,
        model: sig.model,
        stepping: sig.stepping,
        signature: format!("0x{:08x}", sig.raw),
        raw_fields: RawFields {
            base_family: sig.base_family,
            ext_family: sig.ext_family,
            base_model: sig.base_model,
            ext_model: sig.ext_model,
        },
        processor_type: sig.processor_type_name(),
        brand: cpu.brand.clone(),
        microarchitecture: cpu.microarchitecture,
        cores_per_package: cpu.topology.cores_per_package,
        threads_per_package: cpu.topology.threads_per_package,
        hybrid: cpu.hybrid,
        simd: cpu.simd_level(),
        nx: cpu.has(id::NX),
        long_mode: cpu.has(id::LM),
        virtualization: cpu.virtualization_name(),
        virtualization_state: virt,
        supports_64bit_vms: supports,
        supports_64bit_vms_reason: reason,
        hypervisor: cpu.hypervisor.as_ref().map(|h| {
            let sigs = h.signatures.join(", ");
            match h.name {
                Some(n) => format!("{n} (signature {sigs})"),
                None if sigs.is_empty() => "present (no signature leaf)".into(),
                None => format!("unrecognized (signature {sigs})"),
            }
        }),
        x86_64_level: match cpu.x86_64_level {
            0 => "none (not x86-64)".into(),
            n => format!("x86-64-v{n}"),
        },
        nearest_baseline: crate::shipped::baselines::highest_for(cpu.vendor, &cpu.features)
            .map(|b| format!("{} ({})", b.name, b.description)),
        next_baseline: next.map(|(b, missing)| (b.name.clone(), missing.names())),
        next_baseline_update_brings: next.map_or_else(Vec::new, |(_, missing)| {
            missing
                .iter()
                .filter(|&f| super::maskplan::microcode_brings(cpu, f))
                .map(|f| crate::catalog::by_id(f).name)
                .collect()
        }),
        next_baseline_firmware_unconfirmed: next.map_or_else(Vec::new, |(_, missing)| {
            missing
                .iter()
                .filter(|&f| {
                    super::maskplan::firmware_fixable(f)
                        && !super::maskplan::microcode_brings(cpu, f)
                })
                .map(|f| crate::catalog::by_id(f).name)
                .collect()
        }),
        vmware_evc_mode: crate::shipped::evc::best_mode_for(cpu.vendor, &[cpu.features])
            .map(|m| format!("{} ({}, {})", m.key, m.label, m.level)),
        next_vmware_evc_mode: crate::shipped::evc::modes()
            .ok()
            .and_then(|all| {
                all.iter()
                    .filter(|m| m.vendor == cpu.vendor && !m.qualifies(cpu.vendor, &cpu.features))
                    .min_by_key(|m| m.rank)
            })
            .map(|m| (m.key.clone(), m.lacking(&cpu.features).names())),
        max_basic_leaf: format!("0x{:x}", cpu.max_basic_leaf),
        max_extended_leaf: cpu.max_extended_leaf.map(|m| format!("0x{m:08x}")),
        warnings,
    }
}

/// Caps the report's highest VMware EVC mode at what ESXi `release` knows
/// (each mode's `introduced` release, `evc/<key>.toml`): when the host's CPU
/// reaches a newer mode, the highest one below it (of the same vendor, with a
/// subset of its features, so the host still qualifies) that the release knows
/// takes its place, and a warning says why (`intel-icelake needs ESXi 7.0 U2;
/// this host runs 6.7`). Nothing changes when the release knows the mode.
pub fn cap_evc_mode_to_release(
    r: &mut HostReport,
    release: &crate::model::esxi_version::EsxiVersion,
) {
    use crate::analysis::setting::{release_knows, short_release};
    let Some(best) = r
        .summary
        .vmware_evc_mode
        .as_deref()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|k| crate::shipped::evc::mode(k).ok())
    else {
        return;
    };
    if release_knows(release, best) {
        return;
    }
    let known = crate::shipped::evc::modes().ok().and_then(|all| {
        all.iter()
            .filter(|m| m.vendor == best.vendor && m.features.is_subset(&best.features))
            .filter(|m| release_knows(release, m))
            .max_by_key(|m| m.rank)
    });
    let why = format!(
        "{} needs {}; this host runs {}",
        best.key,
        best.introduced,
        short_release(release)
    );
    r.summary.vmware_evc_mode = known.map(|m| format!("{} ({}, {})", m.key, m.label, m.level));
    r.summary.warnings.push(match known {
        Some(m) => format!(
            "VMware EVC mode: {why}, so the highest it offers is {}",
            m.key
        ),
        None => format!("VMware EVC mode: {why}, which knows no EVC mode this CPU supports"),
    });
}
