//! The leaf-1 EDX features AMD repeats in CPUID 0x8000_0001 EDX (AMD APM Vol. 3,
//! "CPUID Fn8000_0001_EDX": bits 0-9, 12-17, 23 and 24 are "same as
//! CPUID Fn0000_0001_EDX").

use super::id;
use super::FeatureId;

/// The leaf-1 EDX features whose bit AMD parts also set in 0x8000_0001 EDX.
pub const AMD_MIRRORED_LEAF1_EDX: &[FeatureId] = &[
    id::FPU,
    id::VME,
    id::DE,
    id::PSE,
    id::TSC,
    id::MSR,
    id::PAE,
    id::MCE,
    id::CX8,
    id::APIC,
    id::MTRR,
    id::PGE,
    id::MCA,
    id::CMOV,
    id::PAT,
    id::PSE36,
    id::MMX,
    id::FXSR,
];

/// [`AMD_MIRRORED_LEAF1_EDX`] as a mask of leaf-1 EDX bits.
pub fn amd_mirrored_leaf1_edx_mask() -> u32 {
    AMD_MIRRORED_LEAF1_EDX
        .iter()
        .map(|f| super::by_id(*f).loc.mask())
        .fold(0, |m, b| m | b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_apm_bits() {
        assert_eq!(super::amd_mirrored_leaf1_edx_mask(), 0x0183_f3ff);
    }
}
