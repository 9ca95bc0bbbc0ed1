//! The CPU vendor, from the 12-byte string of leaf 0 (EBX, EDX, ECX).

use serde::Serialize;

use crate::cpuid::Regs;

/// Who made the CPU. Migration across vendors is never possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    /// GenuineIntel (and the erratum spelling GenuineIotel).
    Intel,
    /// AuthenticAMD.
    Amd,
    /// HygonGenuine: Zen-derived parts made under licence.
    Hygon,
    /// CentaurHauls: Centaur/VIA, and older Zhaoxin parts.
    Centaur,
    /// "  Shanghai  ": Zhaoxin.
    Zhaoxin,
    /// "VIA VIA VIA ".
    Via,
    /// GenuineTMx86 / TransmetaCPU.
    Transmeta,
    /// CyrixInstead.
    Cyrix,
    /// "Geode by NSC".
    NationalSemiconductor,
    /// "UMC UMC UMC ".
    Umc,
    /// NexGenDriven.
    NexGen,
    /// RiseRiseRise.
    Rise,
    /// "SiS SiS SiS ".
    Sis,
    /// "Vortex86 SoC".
    Vortex86,
    /// "Genuine  RDC".
    Rdc,
    /// "E2K MACHINE ": MCST Elbrus in x86 emulation.
    Elbrus,
    /// Any other string.
    Unknown,
}

/// Vendor strings and who they belong to.
const VENDOR_STRINGS: &[(&[u8; 12], Vendor)] = &[
    (b"GenuineIntel", Vendor::Intel),
    (b"GenuineIotel", Vendor::Intel),
    (b"AuthenticAMD", Vendor::Amd),
    (b"HygonGenuine", Vendor::Hygon),
    (b"CentaurHauls", Vendor::Centaur),
    (b"  Shanghai  ", Vendor::Zhaoxin),
    (b"VIA VIA VIA ", Vendor::Via),
    (b"GenuineTMx86", Vendor::Transmeta),
    (b"TransmetaCPU", Vendor::Transmeta),
    (b"CyrixInstead", Vendor::Cyrix),
    (b"Geode by NSC", Vendor::NationalSemiconductor),
    (b"UMC UMC UMC ", Vendor::Umc),
    (b"NexGenDriven", Vendor::NexGen),
    (b"RiseRiseRise", Vendor::Rise),
    (b"SiS SiS SiS ", Vendor::Sis),
    (b"Vortex86 SoC", Vendor::Vortex86),
    (b"Genuine  RDC", Vendor::Rdc),
    (b"E2K MACHINE ", Vendor::Elbrus),
];

impl Vendor {
    /// The vendor named by leaf 0's registers, with the raw string.
    pub fn from_leaf0(r: Regs) -> (Vendor, String) {
        let mut bytes = [0u8; 12];
        bytes[0..4].copy_from_slice(&r.ebx.to_le_bytes());
        bytes[4..8].copy_from_slice(&r.edx.to_le_bytes());
        bytes[8..12].copy_from_slice(&r.ecx.to_le_bytes());
        (Vendor::from_bytes(&bytes), printable(&bytes))
    }

    /// The vendor for a 12-byte vendor string.
    pub fn from_bytes(bytes: &[u8; 12]) -> Vendor {
        VENDOR_STRINGS
            .iter()
            .find(|(s, _)| *s == bytes)
            .map_or(Vendor::Unknown, |(_, v)| *v)
    }

    /// The name people use.
    pub fn display_name(self) -> &'static str {
        match self {
            Vendor::Intel => "Intel",
            Vendor::Amd => "AMD",
            Vendor::Hygon => "Hygon",
            Vendor::Centaur => "Centaur/VIA",
            Vendor::Zhaoxin => "Zhaoxin",
            Vendor::Via => "VIA",
            Vendor::Transmeta => "Transmeta",
            Vendor::Cyrix => "Cyrix",
            Vendor::NationalSemiconductor => "National Semiconductor",
            Vendor::Umc => "UMC",
            Vendor::NexGen => "NexGen",
            Vendor::Rise => "Rise",
            Vendor::Sis => "SiS",
            Vendor::Vortex86 => "DM&P Vortex86",
            Vendor::Rdc => "RDC",
            Vendor::Elbrus => "MCST Elbrus",
            Vendor::Unknown => "unknown vendor",
        }
    }

    /// True for vendors whose parts follow AMD's CPUID conventions (extended
    /// leaves, family rules, SVM).
    pub fn is_amd_like(self) -> bool {
        matches!(self, Vendor::Amd | Vendor::Hygon)
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Renders non-printable bytes as `\xNN` so an odd vendor string can be shown.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}
