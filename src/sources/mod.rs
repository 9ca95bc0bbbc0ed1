//! Host sources beside the CPUID readers of `cpuid/`: facts read from the machine
//! vmcompat runs on.

pub mod local_fingerprint;
