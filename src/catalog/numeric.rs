//! Numeric CPUID fields that matter for migration: a guest relies on them, so a
//! fleet takes the minimum and a destination must offer at least the source's value.

use crate::cpuid::Reg;

/// A multi-bit field of one register.
#[derive(Debug, Clone, Copy)]
pub struct NumericField {
    /// Short name used in reports and JSON.
    pub name: &'static str,
    /// CPUID leaf.
    pub leaf: u32,
    /// CPUID subleaf.
    pub subleaf: u32,
    /// Output register.
    pub reg: Reg,
    /// Lowest bit of the field.
    pub lo: u8,
    /// Highest bit of the field (inclusive).
    pub hi: u8,
    /// What the value means.
    pub description: &'static str,
}

impl NumericField {
    /// Extracts the field from a register value.
    pub const fn extract(&self, value: u32) -> u32 {
        let width = self.hi - self.lo + 1;
        let mask = if width >= 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        };
        (value >> self.lo) & mask
    }
}

/// The numeric fields compared as "destination must be at least the source".
pub const NUMERIC_FIELDS: &[NumericField] = &[
    NumericField {
        name: "max_basic_leaf",
        leaf: 0x0,
        subleaf: 0,
        reg: Reg::Eax,
        lo: 0,
        hi: 31,
        description: "highest basic CPUID leaf",
    },
    NumericField {
        name: "max_leaf7_subleaf",
        leaf: 0x7,
        subleaf: 0,
        reg: Reg::Eax,
        lo: 0,
        hi: 31,
        description: "highest subleaf of leaf 7",
    },
    NumericField {
        name: "max_extended_leaf",
        leaf: 0x8000_0000,
        subleaf: 0,
        reg: Reg::Eax,
        lo: 0,
        hi: 31,
        description: "highest extended CPUID leaf",
    },
    NumericField {
        name: "physical_address_bits",
        leaf: 0x8000_0008,
        subleaf: 0,
        reg: Reg::Eax,
        lo: 0,
        hi: 7,
        description: "physical address width",
    },
    NumericField {
        name: "linear_address_bits",
        leaf: 0x8000_0008,
        subleaf: 0,
        reg: Reg::Eax,
        lo: 8,
        hi: 15,
        description: "linear (virtual) address width",
    },
    NumericField {
        name: "avx10_version",
        leaf: 0x24,
        subleaf: 0,
        reg: Reg::Ebx,
        lo: 0,
        hi: 7,
        description: "AVX10 converged vector ISA version",
    },
];
