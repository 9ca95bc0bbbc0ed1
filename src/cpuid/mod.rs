//! Reading CPUID: the `RawDump` interchange type, leaf enumeration, the local
//! reader and the file formats.

pub mod enumerate;
pub mod formats;
mod kvm_facts;
pub mod local;
mod raw;

pub use kvm_facts::{FactSource, KvmFacts, LibvirtCpu};
pub use raw::{
    limits, Completeness, CpuLeaves, LeafKey, Provenance, RawDump, Reg, Regs, SourceKind,
};
