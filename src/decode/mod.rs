//! Decode: `RawDump` -> `Cpu`. Everything downstream sees CPUs only through this.

pub mod consistency;
pub mod hypervisor;
pub mod signature;
pub mod topology;
pub mod uarch;
pub mod vendor;

use crate::catalog::{self, id, FeatureId, FeatureSet};
use crate::cpuid::{Completeness, CpuLeaves, RawDump};
pub use consistency::{compare_cpus, Consistency, CoreType};
pub use hypervisor::Hypervisor;
pub use signature::Signature;
pub use topology::Topology;
pub use vendor::Vendor;

/// One logical CPU, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// Who made it.
    pub vendor: Vendor,
    /// The leaf-0 vendor string as read (non-printable bytes escaped).
    pub vendor_string: String,
    /// Family, model, stepping.
    pub signature: Signature,
    /// The brand string of 0x8000_0002..4, trimmed; `None` when the CPU has none.
    pub brand: Option<String>,
    /// Every catalog feature whose bit is set.
    pub features: FeatureSet,
    /// Highest basic leaf (leaf 0 EAX).
    pub max_basic_leaf: u32,
    /// Highest extended leaf, when 0x8000_0000 answers believably.
    pub max_extended_leaf: Option<u32>,
    /// The hypervisor the dump was taken under, if any.
    pub hypervisor: Option<Hypervisor>,
    /// Leaf 7 EDX[15]: a hybrid part (performance and efficient cores).
    pub hybrid: bool,
    /// The core type of this logical CPU on a hybrid part (leaf 0x1A).
    pub core_type: Option<CoreType>,
    /// The highest x86-64 psABI level all of whose features are present (0: not even v1).
    pub x86_64_level: u8,
    /// Microarchitecture name, where known.
    pub microarchitecture: Option<&'static str>,
    /// Cores and threads per package.
    pub topology: Topology,
    /// How complete the source dump was.
    pub completeness: Completeness,
    /// Corrections decode applied to what the dump said, each with its reason.
    pub normalizations: Vec<String>,
}

impl Cpu {
    /// True when the feature is present (`cpu.has(id::AVX2)`; a name read from
    /// a file goes through [`catalog::lookup`] first, which says when it is
    /// unknown).
    pub fn has(&self, id: FeatureId) -> bool {
        self.features.contains(id)
    }

    /// The features that hosts are compared on (class feature or must-match).
    pub fn compared_features(&self) -> FeatureSet {
        self.features.intersection(catalog::compared_classes())
    }

    /// Who made the part, as people say it: CentaurHauls parts are VIA's or, from
    /// family 7 on or when the brand says so, Zhaoxin's (the vendor string alone
    /// cannot tell a VIA Eden X4 from a Zhaoxin ZX-C+, which share a signature).
    pub fn maker(&self) -> &'static str {
        let zhaoxin_brand = self
            .brand
            .as_deref()
            .is_some_and(|b| b.to_ascii_uppercase().starts_with("ZHAOXIN"));
        match self.vendor {
            Vendor::Centaur if zhaoxin_brand || self.signature.family >= 7 => "Zhaoxin",
            Vendor::Centaur => "VIA",
            v => v.display_name(),
        }
    }

    /// The highest SSE/AVX level, in words ("AVX-512", "AVX2", "SSE4.2", ...).
    pub fn simd_level(&self) -> &'static str {
        const LADDER: &[(FeatureId, &str)] = &[
            (id::AVX512F, "AVX-512"),
            (id::AVX2, "AVX2"),
            (id::AVX, "AVX"),
            (id::SSE4_2, "SSE4.2"),
            (id::SSE4_1, "SSE4.1"),
            (id::SSSE3, "SSSE3"),
            (id::PNI, "SSE3"),
            (id::SSE2, "SSE2"),
            (id::SSE, "SSE"),
            (id::MMX, "MMX"),
        ];
        LADDER
            .iter()
            .find(|(f, _)| self.has(*f))
            .map_or("none", |(_, label)| label)
    }

    /// The hardware virtualization extension this vendor would offer, by name:
    /// VT-x for Intel-like vendors, AMD-V for AMD and Hygon.
    pub fn virtualization_name(&self) -> &'static str {
        if self.vendor.is_amd_like() {
            "AMD-V"
        } else {
            "VT-x"
        }
    }

    /// True when CPUID reports VT-x (Intel-like) or AMD-V (AMD-like).
    pub fn has_virtualization(&self) -> bool {
        if self.vendor.is_amd_like() {
            self.has(id::SVM)
        } else {
            self.has(id::VMX)
        }
    }
}

/// Decodes one logical CPU's leaves.
pub fn decode_cpu(cpu: &CpuLeaves, completeness: Completeness) -> Cpu {
    let l0 = cpu.get_or_zero(0, 0);
    let (vendor, vendor_string) = Vendor::from_leaf0(l0);
    let max_basic_leaf = l0.eax;
    let max_extended_leaf = cpu
        .get(0x8000_0000, 0)
        .and_then(|r| crate::cpuid::enumerate::range_max(0x8000_0000, r));
    let in_range = |leaf: u32| -> bool {
        if leaf >= 0x8000_0000 {
            max_extended_leaf.is_some_and(|m| leaf <= m)
        } else if leaf >= 0x4000_0000 {
            true
        } else {
            leaf <= max_basic_leaf
        }
    };
    let signature = Signature::decode(cpu.get_or_zero(1, 0).eax, vendor);

    let mut features = FeatureSet::new();
    for reg in catalog::registers() {
        if !in_range(reg.key.leaf) {
            continue;
        }
        let Some(regs) = cpu.get(reg.key.leaf, reg.key.subleaf) else {
            continue;
        };
        let value = regs.get(reg.reg);
        for (bit, id) in reg.bits.iter().enumerate() {
            if let Some(id) = id {
                if value & (1 << bit) != 0 && applies_to(*id, vendor) {
                    features.insert(*id);
                }
            }
        }
    }

    let mut normalizations = Vec::new();
    distrust_leaf1_ecx_without_sse2(&mut features, &mut normalizations);
    normalize_syscall(vendor, &mut features, &mut normalizations);

    let brand = if max_extended_leaf.is_some_and(|m| m >= 0x8000_0004) {
        brand_string(cpu)
    } else {
        None
    };
    let hybrid = features.contains(id::HYBRID_CPU);
    let core_type = if hybrid && max_basic_leaf >= 0x1a {
        CoreType::from_leaf1a(cpu.get_or_zero(0x1a, 0).eax)
    } else {
        None
    };
    Cpu {
        vendor,
        vendor_string,
        signature,
        brand,
        x86_64_level: x86_64_level(&features),
        microarchitecture: uarch::microarchitecture(
            vendor,
            signature.family,
            signature.model,
            signature.stepping,
        ),
        topology: topology::topology(cpu, vendor),
        features,
        max_basic_leaf,
        max_extended_leaf,
        hypervisor: hypervisor::detect(cpu, features.contains(id::HYPERVISOR)),
        hybrid,
        core_type,
        completeness,
        normalizations,
    }
}

/// Decodes the first logical CPU of a dump: the view used when one CPU stands for
/// the host (hosts whose CPUs differ are reported by [`compare_cpus`]).
pub fn decode_dump(dump: &RawDump) -> Option<Cpu> {
    dump.first().map(|c| decode_cpu(c, dump.completeness))
}

/// Vendor-specific bits are read only on that vendor's parts: elsewhere the same
/// position is reserved (and some parts return garbage there).
fn applies_to(id: FeatureId, vendor: Vendor) -> bool {
    let def = catalog::by_id(id);
    if def.amd_only && !vendor.is_amd_like() {
        return false;
    }
    if def.intel_only && vendor.is_amd_like() {
        return false;
    }
    true
}

/// Intel reports SYSCALL (0x8000_0001 EDX[11]) only to 64-bit code, and most dumps
/// are taken by 32-bit programs: a part with long mode has SYSCALL in 64-bit mode,
/// so a fleet baseline must not lose it because of how the dump was captured.
fn normalize_syscall(vendor: Vendor, features: &mut FeatureSet, notes: &mut Vec<String>) {
    let (lm, syscall) = (id::LM, id::SYSCALL);
    if vendor == Vendor::Intel && features.contains(lm) && !features.contains(syscall) {
        features.insert(syscall);
        notes.push(
            "syscall: set because the CPU has long mode; Intel shows SYSCALL only to 64-bit code \
             and this dump was taken by 32-bit code"
                .into(),
        );
    }
}

/// Every leaf 1 ECX feature (SSE3 and later) arrived on parts that already had
/// SSE2; a CPU without SSE2 that sets ECX bits is returning garbage there (the VIA
/// C3 "Samuel" does), so those bits are not believed.
fn distrust_leaf1_ecx_without_sse2(features: &mut FeatureSet, notes: &mut Vec<String>) {
    if features.contains(id::SSE2) {
        return;
    }
    let dropped: Vec<FeatureId> = features
        .iter()
        .filter(|id| {
            let loc = catalog::by_id(*id).loc;
            loc.leaf == 1 && loc.reg == crate::cpuid::Reg::Ecx
        })
        .collect();
    if dropped.is_empty() {
        return;
    }
    let names: Vec<&str> = dropped.iter().map(|id| catalog::by_id(*id).name).collect();
    for id in dropped {
        features.remove(id);
    }
    notes.push(format!(
        "leaf 1 ECX ignored ({}): a CPU without SSE2 cannot have these; the register holds garbage",
        names.join(" ")
    ));
}

/// The highest psABI level whose every feature is present (levels are cumulative).
pub fn x86_64_level(features: &FeatureSet) -> u8 {
    let mut level = 0;
    for l in 1..=4u8 {
        let needed = catalog::psabi_level_features(l);
        if !needed.is_empty() && needed.is_subset(features) {
            level = l;
        } else {
            break;
        }
    }
    level
}

/// The 48-byte brand string of 0x8000_0002..=0x8000_0004, trimmed of NULs and spaces.
fn brand_string(cpu: &CpuLeaves) -> Option<String> {
    let mut bytes = Vec::with_capacity(48);
    for leaf in 0x8000_0002u32..=0x8000_0004 {
        let r = cpu.get(leaf, 0)?;
        for v in [r.eax, r.ebx, r.ecx, r.edx] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let text: String = bytes[..end]
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                ' '
            }
        })
        .collect();
    let trimmed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!trimmed.is_empty()).then_some(trimmed)
}
