//! CPUID as read: the `RawDump` interchange type every source produces, and the
//! walk over leaves and subleaves every reader uses.

pub mod enumerate;
pub mod fingerprint;
mod raw;

pub use raw::{
    limits, Completeness, CpuLeaves, LeafKey, Provenance, RawDump, Reg, Regs, SourceKind,
};
