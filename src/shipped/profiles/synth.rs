//! Synthesizes the `RawDump` a profile describes: the leaves a real part of that
//! model answers, filled from the profile's facts and feature list.
//!
//! What is synthesized: leaf 0 (max basic leaf, vendor string), leaf 1 (signature;
//! EBX with CLFLUSH line size 8, the logical-processor count, APIC ID 0; feature
//! bits), leaf 4 subleaf 0 and leaf 0xB (Intel topology), leaf 7 subleaves 0..=n
//! (EAX of subleaf 0 = n), leaf 0xD subleaves 0 and 1 and one subleaf per user
//! XSAVE component (sizes and offsets of Intel's standard format), 0x8000_0000
//! (max extended leaf), 0x8000_0001 (AMD: signature, and the leaf-1 EDX bits AMD
//! mirrors), the brand string in 0x8000_0002..=4, 0x8000_0008 (address widths,
//! AMD thread count), 0x8000_001E (AMD family 17h+: threads per core), and every
//! other leaf a listed feature lives in.
//!
//! Not synthesized: caches (leaves 2, 4 beyond subleaf 0, 0x8000_0005/6), the
//! supervisor XSAVE components of 0xD.1 ECX (CET, PT, ...), AMD's compacted
//! offsets, and every leaf no feature lives in. A profile dump is marked
//! `FromProfile` so reports say it is not a real capture.

use crate::catalog::{self, id, FeatureId, FeatureSet};
use crate::cpuid::{Completeness, CpuLeaves, Provenance, RawDump, Regs, SourceKind};

use super::Profile;

/// The legacy region (x87 + SSE, 512 bytes) plus the XSAVE header (64 bytes).
const XSAVE_LEGACY_AND_HEADER: u32 = 576;

/// Builds the dump.
pub(super) fn dump(p: &Profile) -> RawDump {
    let mut cpu = CpuLeaves::new(0);
    let has = |f: FeatureId| p.features.contains(f);

    // Every feature bit at its location.
    for id in p.features.iter() {
        set_bit(&mut cpu, id);
    }

    // Leaf 0: max basic leaf and the vendor string in EBX, EDX, ECX.
    // `parse` guarantees 12 bytes; pad or cut anyway, so a hand-built profile cannot panic.
    let mut v = [b' '; 12];
    for (slot, b) in v.iter_mut().zip(p.vendor_string.bytes()) {
        *slot = b;
    }
    let word = |i: usize| u32::from_le_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
    cpu.insert(0, 0, Regs::new(p.max_basic_leaf, word(0), word(8), word(4)));

    // Leaf 1: signature, CLFLUSH line size (8 x 8 bytes), logical processors, APIC ID 0.
    let threads = p.threads.unwrap_or(1).clamp(1, 255);
    let cores = p.cores.unwrap_or(1).clamp(1, threads);
    let threads_per_core = (threads / cores).max(1);
    let mut l1 = cpu.get_or_zero(1, 0);
    l1.eax = p.signature;
    l1.ebx = (threads << 16) | (8 << 8);
    cpu.insert(1, 0, l1);

    if !p.vendor.is_amd_like() {
        intel_topology(&mut cpu, p.max_basic_leaf, cores, threads_per_core);
    }

    // Leaf 7: subleaf 0 EAX is the highest subleaf.
    if p.max_basic_leaf >= 7 {
        let max_sub = cpu
            .leaves
            .keys()
            .filter(|k| k.leaf == 7)
            .map(|k| k.subleaf)
            .max()
            .unwrap_or(0);
        let mut l7 = cpu.get_or_zero(7, 0);
        l7.eax = max_sub;
        cpu.insert(7, 0, l7);
    }

    if p.max_basic_leaf >= 0xd && has(id::XSAVE) {
        xsave_leaves(&mut cpu, &p.features);
    }

    // Extended leaves.
    cpu.insert(0x8000_0000, 0, Regs::new(p.max_extended_leaf, 0, 0, 0));
    let mut e1 = cpu.get_or_zero(0x8000_0001, 0);
    if p.vendor.is_amd_like() {
        e1.eax = p.signature;
        e1.edx |= l1.edx & catalog::amd_mirrored_leaf1_edx_mask();
    }
    cpu.insert(0x8000_0001, 0, e1);
    if p.max_extended_leaf >= 0x8000_0004 {
        let mut bytes = [0u8; 48];
        for (slot, b) in bytes.iter_mut().zip(p.brand.bytes()) {
            *slot = b;
        }
        for (i, chunk) in bytes.chunks_exact(16).enumerate() {
            let r =
                |j: usize| u32::from_le_bytes([chunk[j], chunk[j + 1], chunk[j + 2], chunk[j + 3]]);
            cpu.insert(
                0x8000_0002 + i as u32,
                0,
                Regs::new(r(0), r(4), r(8), r(12)),
            );
        }
    }
    if p.max_extended_leaf >= 0x8000_0008 {
        let mut e8 = cpu.get_or_zero(0x8000_0008, 0);
        e8.eax = u32::from(p.physical_address_bits.unwrap_or(36))
            | (u32::from(p.virtual_address_bits.unwrap_or(48)) << 8);
        if p.vendor.is_amd_like() {
            // NC = threads - 1; ApicIdCoreIdSize = bits needed for the thread count.
            e8.ecx = (threads - 1) | (bits_for(threads) << 12);
        }
        cpu.insert(0x8000_0008, 0, e8);
    }
    if p.vendor.is_amd_like() && p.max_extended_leaf >= 0x8000_001e && has(id::TOPOEXT) {
        cpu.insert(
            0x8000_001e,
            0,
            Regs::new(0, (threads_per_core - 1) << 8, 0, 0),
        );
    }

    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::Profile,
            origin: p.name.clone(),
            detail: format!("synthesized from profile {:?} ({})", p.name, p.description),
        },
        Completeness::FromProfile,
    );
    dump.cpus.push(cpu);
    dump
}

fn set_bit(cpu: &mut CpuLeaves, id: FeatureId) {
    let loc = catalog::by_id(id).loc;
    let mut regs = cpu.get_or_zero(loc.leaf, loc.subleaf);
    *regs.get_mut(loc.reg) |= loc.mask();
    cpu.insert(loc.leaf, loc.subleaf, regs);
}

/// The number of bits needed to number `n` items (ceil(log2(n))).
fn bits_for(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// Leaf 4 subleaf 0 (the L1 data cache, carrying the core count) and leaf 0xB.
fn intel_topology(cpu: &mut CpuLeaves, max_basic: u32, cores: u32, threads_per_core: u32) {
    if max_basic >= 4 {
        // Type 1 (data), level 1, self-initializing; cores-1 in [31:26], sharing in [25:14].
        let eax = ((cores - 1) << 26) | ((threads_per_core - 1) << 14) | (1 << 8) | (1 << 5) | 1;
        cpu.insert(4, 0, Regs::new(eax, 0, 0, 0));
        cpu.insert(4, 1, Regs::default());
    }
    if max_basic >= 0xb {
        let smt_shift = bits_for(threads_per_core);
        let pkg_shift = smt_shift + bits_for(cores);
        cpu.insert(0xb, 0, Regs::new(smt_shift, threads_per_core, 1 << 8, 0));
        cpu.insert(
            0xb,
            1,
            Regs::new(pkg_shift, cores * threads_per_core, (2 << 8) | 1, 0),
        );
        cpu.insert(0xb, 2, Regs::new(0, 0, 2, 0));
    }
}

/// Leaf 0xD: supported components and sizes (subleaf 0), XSAVE features
/// (subleaf 1, already set from the feature list), and each user component.
fn xsave_leaves(cpu: &mut CpuLeaves, features: &FeatureSet) {
    let mut mask: u32 = 0b11; // x87, SSE
    let mut size = XSAVE_LEGACY_AND_HEADER;
    for comp in catalog::XSAVE_COMPONENTS {
        let Some((len, offset)) = comp.standard else {
            continue;
        };
        let owned = comp
            .owners
            .iter()
            .filter_map(|n| catalog::lookup(n))
            .any(|f| features.contains(f));
        if owned {
            mask |= 1 << comp.bit;
            size = size.max(offset + len);
            cpu.insert(0xd, u32::from(comp.bit), Regs::new(len, offset, 0, 0));
        }
    }
    cpu.insert(0xd, 0, Regs::new(mask, size, size, 0));
    let mut s1 = cpu.get_or_zero(0xd, 1);
    if features.contains(id::XSAVES) {
        // XSAVES: EBX is the size for XCR0 | IA32_XSS (no supervisor state synthesized).
        s1.ebx = size;
    }
    cpu.insert(0xd, 1, s1);
}
