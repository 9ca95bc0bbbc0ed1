//! The fleet: the fleet file and the collection of every host's CPUID.

pub mod collect;
pub mod file;
pub mod remote;
