//! `RawDump`: the one interchange type between every CPUID source and the decoder.
//!
//! A dump holds, for each logical CPU that was read, the four output registers of
//! every leaf/subleaf that was queried, together with where the dump came from
//! (provenance) and how much of the CPUID space it covers (completeness).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the four CPUID output registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reg {
    /// EAX
    Eax,
    /// EBX
    Ebx,
    /// ECX
    Ecx,
    /// EDX
    Edx,
}

impl Reg {
    /// All four registers in the order CPUID tools print them.
    pub const ALL: [Reg; 4] = [Reg::Eax, Reg::Ebx, Reg::Ecx, Reg::Edx];

    /// Lowercase name as used in VMX keys and dumps (`eax`).
    pub fn name(self) -> &'static str {
        match self {
            Reg::Eax => "eax",
            Reg::Ebx => "ebx",
            Reg::Ecx => "ecx",
            Reg::Edx => "edx",
        }
    }

    /// Parses `eax`/`EAX`/...; `None` for anything else.
    pub fn parse(s: &str) -> Option<Reg> {
        match s.to_ascii_lowercase().as_str() {
            "eax" => Some(Reg::Eax),
            "ebx" => Some(Reg::Ebx),
            "ecx" => Some(Reg::Ecx),
            "edx" => Some(Reg::Edx),
            _ => None,
        }
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The output of one CPUID query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Regs {
    /// EAX output
    pub eax: u32,
    /// EBX output
    pub ebx: u32,
    /// ECX output
    pub ecx: u32,
    /// EDX output
    pub edx: u32,
}

impl Regs {
    /// Builds a register set from the four values in EAX, EBX, ECX, EDX order.
    pub const fn new(eax: u32, ebx: u32, ecx: u32, edx: u32) -> Regs {
        Regs { eax, ebx, ecx, edx }
    }

    /// The value of one register.
    pub fn get(&self, reg: Reg) -> u32 {
        match reg {
            Reg::Eax => self.eax,
            Reg::Ebx => self.ebx,
            Reg::Ecx => self.ecx,
            Reg::Edx => self.edx,
        }
    }

    /// A mutable reference to one register.
    pub fn get_mut(&mut self, reg: Reg) -> &mut u32 {
        match reg {
            Reg::Eax => &mut self.eax,
            Reg::Ebx => &mut self.ebx,
            Reg::Ecx => &mut self.ecx,
            Reg::Edx => &mut self.edx,
        }
    }

    /// True when all four registers are zero (an unimplemented or empty leaf).
    pub fn is_zero(&self) -> bool {
        self.eax == 0 && self.ebx == 0 && self.ecx == 0 && self.edx == 0
    }
}

/// A leaf and subleaf: the CPUID query's EAX and ECX inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LeafKey {
    /// EAX input
    pub leaf: u32,
    /// ECX input (0 for leaves without subleaves)
    pub subleaf: u32,
}

impl LeafKey {
    /// Builds a key.
    pub const fn new(leaf: u32, subleaf: u32) -> LeafKey {
        LeafKey { leaf, subleaf }
    }
}

impl fmt::Display for LeafKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}.{:x}", self.leaf, self.subleaf)
    }
}

/// Every leaf/subleaf read from one logical CPU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuLeaves {
    /// The logical CPU number as the source numbered it (OS CPU number for local reads).
    pub index: u32,
    /// The leaves, ordered by (leaf, subleaf).
    pub leaves: BTreeMap<LeafKey, Regs>,
}

impl CpuLeaves {
    /// An empty CPU with the given index.
    pub fn new(index: u32) -> CpuLeaves {
        CpuLeaves {
            index,
            leaves: BTreeMap::new(),
        }
    }

    /// The registers of `leaf`/`subleaf`, if that query was recorded.
    pub fn get(&self, leaf: u32, subleaf: u32) -> Option<Regs> {
        self.leaves.get(&LeafKey::new(leaf, subleaf)).copied()
    }

    /// The registers of `leaf`/`subleaf`, or all zeros when it was not recorded
    /// (which is what a CPU answers for a leaf beyond its range on most parts).
    pub fn get_or_zero(&self, leaf: u32, subleaf: u32) -> Regs {
        self.get(leaf, subleaf).unwrap_or_default()
    }

    /// Records one query's result, replacing any earlier one.
    pub fn insert(&mut self, leaf: u32, subleaf: u32, regs: Regs) {
        self.leaves.insert(LeafKey::new(leaf, subleaf), regs);
    }
}

/// Where a dump came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Read from the CPU this program runs on.
    Local,
    /// Read from a file in vmcompat's native dump format.
    NativeFile,
    /// Read from the output of `cpuid -r` (Todd Allen's cpuid).
    CpuidRaw,
    /// Read from a file of the `../shared/corpus` format (converted libcpuid tests).
    Corpus,
    /// Reconstructed from `/proc/cpuinfo` text.
    ProcCpuinfo,
    /// Synthesized from a named CPU profile.
    Profile,
    /// Read from a remote host.
    Remote,
    /// Reconstructed from ESXi's `vim-cmd hostsvc/hosthardware` cpuFeature section.
    EsxiHostHardware,
    /// Read from vCenter (the vSphere Web Services API) or a saved export of it.
    Vcenter,
}

impl SourceKind {
    /// Words for reports.
    pub fn describe(&self) -> &'static str {
        match self {
            SourceKind::Local => "local CPU",
            SourceKind::NativeFile => "vmcompat dump",
            SourceKind::CpuidRaw => "cpuid -r output",
            SourceKind::Corpus => "corpus dump",
            SourceKind::ProcCpuinfo => "/proc/cpuinfo text",
            SourceKind::Profile => "CPU profile",
            SourceKind::Remote => "remote host",
            SourceKind::EsxiHostHardware => "ESXi hosthardware",
            SourceKind::Vcenter => "vCenter",
        }
    }
}

/// Where a dump came from, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// What kind of source produced it.
    pub kind: SourceKind,
    /// File path, host name or profile name, as the user gave it.
    pub origin: String,
    /// Free text about how it was captured (tool and version, command).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// How much of the CPUID space a dump covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completeness {
    /// Every leaf and subleaf the CPU reports.
    Full,
    /// Only leaves 0, 1, 0x80000000 and 0x80000001 (as ESXi's `cpuFeature` gives them).
    BasicLeavesOnly,
    /// Feature flags reconstructed from `/proc/cpuinfo`: lossy, bits the kernel does not
    /// name are missing.
    FromCpuinfoFlags,
    /// Synthesized from a profile's list of named features.
    FromProfile,
    /// Read as a full dump, but a CPU with XSAVE lacks leaf 0xD subleaf 1 (XSAVEOPT,
    /// XSAVEC, XSAVES, XFD and the supervisor state components): those bits are not
    /// visible.
    MissingXsaveSubleaf,
    /// ESXi's view: leaves 0, 1, 0x80000000 and 0x80000001 as read (`cpuFeature`),
    /// every other feature bit from the names VMware compares for vMotion and EVC
    /// (`featureCapability`: `cpuid.AVX512F` = 1). Complete for what VMware compares;
    /// bits VMware does not name read as 0.
    VmwareFeatureCapability,
}

impl Completeness {
    /// True when the dump lacks leaves a real CPU reports (ESXi's four leaves,
    /// flags from `/proc/cpuinfo`): verdicts resting on it must say so. A profile is
    /// complete as far as its public facts go; it is marked as synthesized instead.
    pub fn is_partial(self) -> bool {
        matches!(
            self,
            Completeness::BasicLeavesOnly
                | Completeness::FromCpuinfoFlags
                | Completeness::MissingXsaveSubleaf
        )
    }

    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Completeness::Full => "full dump",
            Completeness::BasicLeavesOnly => {
                "partial: leaves 0, 1, 0x80000000, 0x80000001 only (ESXi cpuFeature): leaf 7 and \
                 beyond (AVX2, AVX-512, BMI1/2, SMEP/SMAP, ...), XSAVE (0xD) and 0x80000008 are not visible"
            }
            Completeness::FromCpuinfoFlags => {
                "partial: reconstructed from /proc/cpuinfo flags (bits the kernel does not name are missing)"
            }
            Completeness::FromProfile => "synthesized from a named profile",
            Completeness::MissingXsaveSubleaf => {
                "partial: leaf 0xD subleaf 1 is missing (XSAVEOPT/XSAVEC/XSAVES and the \
                 supervisor XSAVE components are not visible)"
            }
            Completeness::VmwareFeatureCapability => {
                "ESXi view: leaves 0, 1, 0x80000000, 0x80000001 as read (cpuFeature), the other \
                 features from VMware's featureCapability (what vMotion and EVC compare)"
            }
        }
    }
}

/// A CPUID dump of one host: every leaf/subleaf of every logical CPU read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDump {
    /// Where it came from.
    pub provenance: Provenance,
    /// How much it covers.
    pub completeness: Completeness,
    /// Extra facts that are not CPUID but that sources learn alongside it, such as
    /// the kernel's flag list (used to tell "VT-x disabled by firmware").
    pub os_flags: Option<Vec<String>>,
    /// The host's microcode, BIOS, kernel, QEMU and libvirt versions, as far as the
    /// source could read them (all unknown for profiles and bare CPUID dumps).
    pub fingerprint: super::fingerprint::Fingerprint,
    /// The logical CPUs, in the order they were read. Never empty once validated.
    pub cpus: Vec<CpuLeaves>,
}

/// Limits that keep absurd inputs from exhausting memory: a clear error instead.
pub mod limits {
    /// The most logical CPUs one dump may hold (large x86 servers have a few thousand).
    pub const MAX_CPUS: usize = 8192;
    /// The most leaf/subleaf entries one logical CPU may hold.
    pub const MAX_LEAVES_PER_CPU: usize = 4096;
    /// The largest input file read, in bytes.
    pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
}

impl RawDump {
    /// A dump with no CPUs yet.
    pub fn new(provenance: Provenance, completeness: Completeness) -> RawDump {
        RawDump {
            provenance,
            completeness,
            os_flags: None,
            fingerprint: super::fingerprint::Fingerprint::default(),
            cpus: Vec::new(),
        }
    }

    /// The first logical CPU: the one decoded when a single view is wanted.
    /// Returns `None` only for an empty dump, which readers refuse to produce.
    pub fn first(&self) -> Option<&CpuLeaves> {
        self.cpus.first()
    }
}
