//! The feature catalog table: one line per named CPUID bit.
//!
//! Canonical names are the Linux `/proc/cpuinfo` spellings. Sources of the facts:
//! the Intel SDM Vol. 2A (CPUID), the AMD APM Vol. 3 (CPUID), Linux
//! `cpufeatures.h`/`cpuid-deps.c`, QEMU `target/i386/cpu.c`, libvirt `cpu_map`.
//! `tests/catalog_reference.rs` cross-checks this table against `../shared/reference`.

use super::def::{Class, FeatureDef as F};
use crate::cpuid::Reg::{Ecx, Edx};

/// Every named bit. Order is significant only as the `FeatureId` numbering.
pub(crate) const TABLE: &[F] = &[
    // ---- leaf 0x1, EDX ----
    F::new("fpu", 0x1, 0, Edx, 0, "x87 floating-point unit on chip"),
    F::new("cx8", 0x1, 0, Edx, 8, "CMPXCHG8B instruction"),
    F::new("cmov", 0x1, 0, Edx, 15, "conditional move instructions"),
    F::new("mmx", 0x1, 0, Edx, 23, "MMX instructions"),
    F::new("fxsr", 0x1, 0, Edx, 24, "FXSAVE/FXRSTOR"),
    F::new("sse", 0x1, 0, Edx, 25, "SSE instructions").vmware("SSE"),
    F::new("sse2", 0x1, 0, Edx, 26, "SSE2 instructions")
        .requires(&["sse"])
        .vmware("SSE2"),
    // ---- leaf 0x1, ECX ----
    F::new("pni", 0x1, 0, Ecx, 0, "SSE3 instructions")
        .manual("SSE3")
        .vmware("SSE3")
        .requires(&["sse2"]),
    F::new("vmx", 0x1, 0, Ecx, 5, "Intel VT-x")
        .vmware("VMX")
        .intel(),
    F::new("ssse3", 0x1, 0, Ecx, 9, "Supplemental SSE3")
        .requires(&["pni"])
        .vmware("SSSE3"),
    F::new("hypervisor", 0x1, 0, Ecx, 31, "running under a hypervisor")
        .class(Class::PerVm)
        .qemu("-"),
];
