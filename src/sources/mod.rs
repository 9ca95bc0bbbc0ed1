//! Host sources beside the CPUID readers of `cpuid/`: facts read from the machine
//! vmcompat runs on, and audit snapshots (saved and read back).

pub mod local_fingerprint;
pub mod snapshot;
