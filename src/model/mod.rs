//! Facts about a host that are not CPUID but travel with its dump: what the
//! analysis compares between two audits. Plain data; no I/O, no crate
//! dependencies, so every layer (sources, the dump formats, analysis, render)
//! may use it.

pub mod fingerprint;

pub use fingerprint::Fingerprint;
