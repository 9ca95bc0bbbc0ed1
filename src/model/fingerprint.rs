//! A host's fingerprint (microcode, BIOS, kernel, QEMU and libvirt versions), as
//! the model layer names it. The type is defined beside [`crate::cpuid::RawDump`],
//! which carries it from every source (as it carries the kernel's flags), so that
//! the layers before this one can fill it.

pub use crate::cpuid::fingerprint::*;
