//! Microarchitecture names from vendor, display family, display model and stepping.
//!
//! The knowledge lives in one reviewable table, [`TABLE`]: one row per vendor
//! group, family and model range (and, where a model number was reused, stepping
//! range). Sources, all public:
//!
//! - Intel: Linux `arch/x86/include/asm/intel-family.h` (model numbers, and the
//!   stepping notes for Cascade Lake / Cooper Lake, Amber / Coffee / Whiskey Lake),
//!   Intel SDM Vol. 4 Table 2-1 (DisplayFamily_DisplayModel signatures).
//! - AMD: the family/model ranges Linux `arch/x86/kernel/cpu/amd.c` uses to tell
//!   Zen generations apart, and AMD's per-family revision guides (K8 .. family 16h).
//! - Hygon, Centaur/VIA, Zhaoxin: Linux `hygon.c`, `centaur.c`, `zhaoxin.c` and
//!   the vendors' product documentation.
//!
//! Names are microarchitecture (or, for Intel server and client platforms since
//! Skylake, the platform codename people quote: "Cascade Lake", "Sapphire
//! Rapids"), chosen to line up with vSphere EVC modes and libvirt CPU models.
//! Old parts (P5, P6, NetBurst, K5 .. K7) are named coarsely, per core family.

use super::vendor::Vendor;

/// Which vendors a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    /// GenuineIntel.
    Intel,
    /// AuthenticAMD.
    Amd,
    /// HygonGenuine.
    Hygon,
    /// Centaur, VIA and Zhaoxin: one lineage, one numbering.
    Centaur,
}

impl Maker {
    fn of(vendor: Vendor) -> Option<Maker> {
        match vendor {
            Vendor::Intel => Some(Maker::Intel),
            Vendor::Amd => Some(Maker::Amd),
            Vendor::Hygon => Some(Maker::Hygon),
            Vendor::Centaur | Vendor::Via | Vendor::Zhaoxin => Some(Maker::Centaur),
            _ => None,
        }
    }
}

/// One row of the table: every part of `maker` whose display family is `family`,
/// display model in `models` and stepping in `steppings` has microarchitecture `name`.
#[derive(Debug, Clone, Copy)]
struct Row {
    maker: Maker,
    family: u32,
    /// Inclusive display-model range.
    models: (u32, u32),
    /// Inclusive stepping range (all steppings unless a row narrows it).
    steppings: (u32, u32),
    name: &'static str,
}

impl Row {
    /// A row covering the inclusive model range `lo..=hi`, every stepping.
    const fn new(maker: Maker, family: u32, lo: u32, hi: u32, name: &'static str) -> Row {
        Row {
            maker,
            family,
            models: (lo, hi),
            steppings: (0, 0xf),
            name,
        }
    }

    /// The same row narrowed to the inclusive stepping range `lo..=hi`.
    const fn steppings(self, lo: u32, hi: u32) -> Row {
        Row {
            steppings: (lo, hi),
            ..self
        }
    }

    fn matches(&self, maker: Maker, family: u32, model: u32, stepping: u32) -> bool {
        self.maker == maker
            && self.family == family
            && (self.models.0..=self.models.1).contains(&model)
            && (self.steppings.0..=self.steppings.1).contains(&stepping)
    }
}

use Maker::{Amd, Centaur, Hygon, Intel};

/// A row for one model number.
const fn one(maker: Maker, family: u32, model: u32, name: &'static str) -> Row {
    Row::new(maker, family, model, model, name)
}

/// A row for an inclusive model range.
const fn span(maker: Maker, family: u32, lo: u32, hi: u32, name: &'static str) -> Row {
    Row::new(maker, family, lo, hi, name)
}

/// The table. Rows never overlap (a unit test checks it), so their order is only
/// for the reader: by vendor, then family, then model.
#[rustfmt::skip]
static TABLE: &[Row] = &[
    // ---------------------------------------------------------------- Intel, old
    span(Intel, 4, 0x0, 0xf, "i486"),
    span(Intel, 5, 0x1, 0x8, "P5"),                // Pentium, Pentium MMX (P54C, P55C, Tillamook)
    one(Intel, 5, 0x9, "Quark"),                   // Quark X1000 (Lakemont)
    one(Intel, 6, 0x01, "P6"),                     // Pentium Pro
    span(Intel, 6, 0x03, 0x08, "P6"),              // Pentium II, Celeron, Katmai, Coppermine
    span(Intel, 6, 0x0a, 0x0b, "P6"),              // Pentium III Xeon (Cascades), Tualatin
    one(Intel, 6, 0x09, "Pentium M"),              // Banias
    one(Intel, 6, 0x0d, "Pentium M"),              // Dothan
    one(Intel, 6, 0x15, "Pentium M"),              // Tolapai (EP80579)
    one(Intel, 6, 0x0e, "Yonah"),                  // Core Solo/Duo
    span(Intel, 0xf, 0x00, 0x06, "NetBurst"),      // Willamette .. Prescott, Cedar Mill, Tulsa

    // ----------------------------------------------------- Intel family 6, big cores
    one(Intel, 6, 0x0f, "Merom"),                  // Conroe, Woodcrest, Kentsfield, Clovertown
    one(Intel, 6, 0x16, "Merom"),                  // Merom-L, Conroe-L
    one(Intel, 6, 0x17, "Penryn"),                 // Penryn, Wolfdale, Yorkfield, Harpertown
    one(Intel, 6, 0x1d, "Penryn"),                 // Dunnington
    one(Intel, 6, 0x1a, "Nehalem"),                // Bloomfield, Gainestown (Nehalem-EP)
    one(Intel, 6, 0x1e, "Nehalem"),                // Lynnfield, Clarksfield
    one(Intel, 6, 0x1f, "Nehalem"),                // Auburndale, Havendale
    one(Intel, 6, 0x2e, "Nehalem"),                // Beckton (Nehalem-EX)
    one(Intel, 6, 0x25, "Westmere"),               // Clarkdale, Arrandale
    one(Intel, 6, 0x2c, "Westmere"),               // Gulftown, Westmere-EP
    one(Intel, 6, 0x2f, "Westmere"),               // Westmere-EX
    one(Intel, 6, 0x2a, "Sandy Bridge"),
    one(Intel, 6, 0x2d, "Sandy Bridge"),           // Sandy Bridge-E/EP
    one(Intel, 6, 0x3a, "Ivy Bridge"),
    one(Intel, 6, 0x3e, "Ivy Bridge"),             // Ivy Bridge-E/EP/EX
    one(Intel, 6, 0x3c, "Haswell"),
    one(Intel, 6, 0x3f, "Haswell"),                // Haswell-E/EP/EX
    one(Intel, 6, 0x45, "Haswell"),                // Haswell-ULT
    one(Intel, 6, 0x46, "Haswell"),                // Crystal Well (GT3e)
    one(Intel, 6, 0x3d, "Broadwell"),              // Broadwell-U/Y
    one(Intel, 6, 0x47, "Broadwell"),              // Broadwell-H (GT3e)
    one(Intel, 6, 0x4f, "Broadwell"),              // Broadwell-E/EP/EX
    one(Intel, 6, 0x56, "Broadwell"),              // Broadwell-DE (Xeon D-1500)
    one(Intel, 6, 0x4e, "Skylake"),                // Skylake-U/Y
    one(Intel, 6, 0x5e, "Skylake"),                // Skylake-S/H
    // Model 0x55 was reused: the stepping tells the generation (intel-family.h).
    one(Intel, 6, 0x55, "Skylake").steppings(0x0, 0x4),        // Skylake-SP/X/W/D
    one(Intel, 6, 0x55, "Cascade Lake").steppings(0x5, 0x7),   // Cascade Lake-SP/X/W
    one(Intel, 6, 0x55, "Cooper Lake").steppings(0xa, 0xb),    // Cooper Lake-SP
    // Model 0x8E / 0x9E: Skylake-derived client parts, stepping tells the refresh.
    one(Intel, 6, 0x8e, "Kaby Lake").steppings(0x0, 0xa),      // also Amber Lake-Y, Kaby Lake-R
    one(Intel, 6, 0x8e, "Whiskey Lake").steppings(0xb, 0xb),   // Whiskey Lake-U (W0)
    one(Intel, 6, 0x8e, "Comet Lake").steppings(0xc, 0xf),     // also Whiskey Lake-U V0
    one(Intel, 6, 0x9e, "Kaby Lake").steppings(0x0, 0x9),      // Kaby Lake-S/H/G/X
    one(Intel, 6, 0x9e, "Coffee Lake").steppings(0xa, 0xf),    // Coffee Lake and its refresh
    one(Intel, 6, 0xa5, "Comet Lake"),             // Comet Lake-S/H/W
    one(Intel, 6, 0xa6, "Comet Lake"),             // Comet Lake-U (v2)
    one(Intel, 6, 0x66, "Cannon Lake"),            // Palm Cove
    one(Intel, 6, 0x6a, "Ice Lake"),               // Ice Lake-SP (Sunny Cove)
    one(Intel, 6, 0x6c, "Ice Lake"),               // Ice Lake-D
    one(Intel, 6, 0x7d, "Ice Lake"),               // Ice Lake-Y
    one(Intel, 6, 0x7e, "Ice Lake"),               // Ice Lake-U/Y
    one(Intel, 6, 0x9d, "Ice Lake"),               // Ice Lake NNP-I
    one(Intel, 6, 0x8c, "Tiger Lake"),             // Tiger Lake-UP3/UP4/H35 (Willow Cove)
    one(Intel, 6, 0x8d, "Tiger Lake"),             // Tiger Lake-H
    one(Intel, 6, 0xa7, "Rocket Lake"),            // Cypress Cove
    one(Intel, 6, 0x8f, "Sapphire Rapids"),        // Golden Cove, Xeon SP 4th gen
    one(Intel, 6, 0xcf, "Emerald Rapids"),         // Raptor Cove, Xeon SP 5th gen
    one(Intel, 6, 0xad, "Granite Rapids"),         // Redwood Cove, Granite Rapids-X
    one(Intel, 6, 0xae, "Granite Rapids"),         // Granite Rapids-D
    one(Intel, 6, 0xaf, "Sierra Forest"),          // Crestmont E-core Xeon
    one(Intel, 6, 0xb6, "Grand Ridge"),            // Crestmont
    one(Intel, 6, 0xdd, "Clearwater Forest"),      // Darkmont
    // Hybrid client parts (P-cores and E-cores report the same model).
    one(Intel, 6, 0x8a, "Lakefield"),              // Sunny Cove + Tremont
    one(Intel, 6, 0x97, "Alder Lake"),             // Alder Lake-S/HX (Golden Cove + Gracemont)
    one(Intel, 6, 0x9a, "Alder Lake"),             // Alder Lake-P/U/H
    one(Intel, 6, 0xb7, "Raptor Lake"),            // Raptor Lake-S/HX
    one(Intel, 6, 0xba, "Raptor Lake"),            // Raptor Lake-P/U/H
    one(Intel, 6, 0xbf, "Raptor Lake"),            // Raptor Lake-S (Alder Lake die)
    one(Intel, 6, 0xaa, "Meteor Lake"),            // Meteor Lake-H/U
    one(Intel, 6, 0xac, "Meteor Lake"),
    one(Intel, 6, 0xb5, "Arrow Lake"),             // Arrow Lake-U
    one(Intel, 6, 0xc5, "Arrow Lake"),             // Arrow Lake-H
    one(Intel, 6, 0xc6, "Arrow Lake"),             // Arrow Lake-S/HX
    one(Intel, 6, 0xbd, "Lunar Lake"),             // Lunar Lake-V/M
    one(Intel, 6, 0xcc, "Panther Lake"),
    // Xeon Phi.
    one(Intel, 6, 0x57, "Knights Landing"),
    one(Intel, 6, 0x85, "Knights Mill"),
    // Atom and E-core lines.
    one(Intel, 6, 0x1c, "Bonnell"),                // Diamondville, Pineview, Silverthorne
    one(Intel, 6, 0x26, "Bonnell"),                // Lincroft, Tunnel Creek
    one(Intel, 6, 0x27, "Saltwell"),               // Penwell
    one(Intel, 6, 0x35, "Saltwell"),               // Cloverview
    one(Intel, 6, 0x36, "Saltwell"),               // Cedarview
    one(Intel, 6, 0x37, "Silvermont"),             // Bay Trail
    one(Intel, 6, 0x4a, "Silvermont"),             // Merrifield
    one(Intel, 6, 0x4d, "Silvermont"),             // Avoton, Rangeley
    one(Intel, 6, 0x5a, "Silvermont"),             // Moorefield / Anniedale
    one(Intel, 6, 0x5d, "Silvermont"),             // SoFIA (Atom x3)
    one(Intel, 6, 0x4c, "Airmont"),                // Cherry Trail, Braswell
    one(Intel, 6, 0x75, "Airmont"),                // Lightning Mountain, Spreadtrum SC9853I
    one(Intel, 6, 0x5c, "Goldmont"),               // Apollo Lake
    one(Intel, 6, 0x5f, "Goldmont"),               // Denverton
    one(Intel, 6, 0x7a, "Goldmont Plus"),          // Gemini Lake
    one(Intel, 6, 0x86, "Tremont"),                // Jacobsville (Snow Ridge)
    one(Intel, 6, 0x96, "Tremont"),                // Elkhart Lake
    one(Intel, 6, 0x9c, "Tremont"),                // Jasper Lake
    one(Intel, 6, 0xbe, "Gracemont"),              // Alder Lake-N, Twin Lake
    // ------------------------------------------------------------ Intel family 0x13
    one(Intel, 0x13, 0x01, "Diamond Rapids"),      // Panther Cove

    // ------------------------------------------------------------------ AMD, old
    span(Amd, 4, 0x0, 0xf, "Am486"),               // Am486, Am5x86
    span(Amd, 5, 0x0, 0x3, "K5"),                  // SSA/5, 5k86
    span(Amd, 5, 0x6, 0x9, "K6"),                  // K6, K6-2, K6-III
    one(Amd, 5, 0xa, "Geode"),                     // Geode LX
    span(Amd, 5, 0xd, 0xd, "K6"),                  // K6-2+, K6-III+
    span(Amd, 6, 0x0, 0xf, "K7"),                  // Athlon, Duron, Athlon XP, Sempron
    // ------------------------------------------------------------ AMD family 0xF+
    span(Amd, 0xf, 0x00, 0xff, "K8"),              // Athlon 64, Opteron, Turion 64, Sempron 64
    span(Amd, 0x10, 0x00, 0xff, "K10"),            // Barcelona, Phenom (II), Magny-Cours
    span(Amd, 0x11, 0x00, 0xff, "Griffin"),        // Turion X2 Ultra (K8-derived)
    span(Amd, 0x12, 0x00, 0xff, "Llano"),          // K10 cores (Husky) in an APU
    span(Amd, 0x14, 0x00, 0xff, "Bobcat"),         // Ontario, Zacate
    span(Amd, 0x15, 0x00, 0x01, "Bulldozer"),      // Zambezi, Interlagos, Valencia
    span(Amd, 0x15, 0x02, 0x0f, "Piledriver"),     // Vishera, Abu Dhabi, Seoul, Delhi
    span(Amd, 0x15, 0x10, 0x1f, "Piledriver"),     // Trinity, Richland
    span(Amd, 0x15, 0x30, 0x3f, "Steamroller"),    // Kaveri, Godavari
    span(Amd, 0x15, 0x60, 0x7f, "Excavator"),      // Carrizo, Bristol/Stoney Ridge
    span(Amd, 0x16, 0x00, 0x0f, "Jaguar"),         // Kabini, Temash, Kyoto
    span(Amd, 0x16, 0x30, 0x3f, "Puma"),           // Beema, Mullins, Steppe Eagle
    // Family 17h: Zen and Zen 2 by Linux amd.c's ranges; Zen+ is the 12 nm
    // respin at models 08h (Pinnacle Ridge, Colfax) and 18h (Picasso).
    span(Amd, 0x17, 0x00, 0x07, "Zen"),            // Summit Ridge, Naples, Whitehaven
    span(Amd, 0x17, 0x08, 0x0f, "Zen+"),           // Pinnacle Ridge, Colfax
    span(Amd, 0x17, 0x10, 0x17, "Zen"),            // Raven Ridge
    span(Amd, 0x17, 0x18, 0x1f, "Zen+"),           // Picasso
    span(Amd, 0x17, 0x20, 0x2f, "Zen"),            // Dali, Pollock
    span(Amd, 0x17, 0x30, 0x4f, "Zen 2"),          // Rome, Castle Peak, 4700S
    span(Amd, 0x17, 0x50, 0x5f, "Zen"),            // (Linux amd.c: Zen 1)
    span(Amd, 0x17, 0x60, 0x7f, "Zen 2"),          // Renoir, Lucienne, Matisse
    span(Amd, 0x17, 0x84, 0x84, "Zen 2"),          // 4800S desktop kit
    span(Amd, 0x17, 0x90, 0x91, "Zen 2"),          // Van Gogh
    span(Amd, 0x17, 0xa0, 0xaf, "Zen 2"),          // Mendocino
    // Family 19h.
    span(Amd, 0x19, 0x00, 0x0f, "Zen 3"),          // Milan, Chagall
    span(Amd, 0x19, 0x10, 0x1f, "Zen 4"),          // Genoa, Storm Peak
    span(Amd, 0x19, 0x20, 0x3f, "Zen 3"),          // Vermeer, Badami
    span(Amd, 0x19, 0x40, 0x4f, "Zen 3+"),         // Rembrandt (6 nm)
    span(Amd, 0x19, 0x50, 0x5f, "Zen 3"),          // Cezanne, Barcelo
    span(Amd, 0x19, 0x60, 0xaf, "Zen 4"),          // Raphael, Phoenix, Hawk Point, Bergamo, Siena
    // Family 1Ah.
    span(Amd, 0x1a, 0x00, 0x2f, "Zen 5"),          // Turin, Turin Dense, Strix Point
    span(Amd, 0x1a, 0x40, 0x4f, "Zen 5"),          // Granite Ridge
    span(Amd, 0x1a, 0x60, 0x7f, "Zen 5"),          // Krackan Point, Strix Halo

    // ----------------------------------------------------------------- Hygon
    span(Hygon, 0x18, 0x00, 0xff, "Dhyana"),       // Zen-derived, made under licence

    // ------------------------------------------------------ Centaur, VIA, Zhaoxin
    one(Centaur, 5, 0x4, "WinChip"),               // WinChip C6
    span(Centaur, 5, 0x8, 0x9, "WinChip"),         // WinChip 2, WinChip 3
    one(Centaur, 6, 0x6, "Samuel"),                // VIA Cyrix III (C5A)
    one(Centaur, 6, 0x7, "Samuel 2").steppings(0x0, 0x7), // C5B
    one(Centaur, 6, 0x7, "Ezra").steppings(0x8, 0xf),     // C5C
    one(Centaur, 6, 0x8, "Ezra-T"),                // C5N
    one(Centaur, 6, 0x9, "Nehemiah"),              // C5XL, C5P
    one(Centaur, 6, 0xa, "Esther"),                // C7 (C5J)
    one(Centaur, 6, 0xd, "Esther"),                // C7-M
    one(Centaur, 6, 0xf, "Isaiah"),                // Nano, Eden X4, Zhaoxin ZX-C
    one(Centaur, 7, 0x1b, "WuDaoKou"),             // Zhaoxin KX-5000, KH-20000
    one(Centaur, 7, 0x3b, "LuJiaZui"),             // Zhaoxin KX-6000
    one(Centaur, 7, 0x5b, "Yongfeng"),             // Zhaoxin KH-40000
];

/// The microarchitecture (codename) of a part, where the table knows it.
///
/// `family` and `model` are the display values [`super::Signature`] computes;
/// `stepping` matters only where a model number was reused (Intel 0x55, 0x8E,
/// 0x9E; Centaur 0x7). Returns `None` for vendors and models not in the table.
pub fn microarchitecture(
    vendor: Vendor,
    family: u32,
    model: u32,
    stepping: u32,
) -> Option<&'static str> {
    let maker = Maker::of(vendor)?;
    TABLE
        .iter()
        .find(|row| row.matches(maker, family, model, stepping))
        .map(|row| row.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Signature;

    fn by_sig(vendor: Vendor, eax: u32) -> Option<&'static str> {
        let s = Signature::decode(eax, vendor);
        microarchitecture(vendor, s.family, s.model, s.stepping)
    }

    #[test]
    fn known_signatures() {
        let cases: &[(Vendor, u32, &str)] = &[
            (Vendor::Intel, 0x0000_06f6, "Merom"),
            (Vendor::Intel, 0x0001_0676, "Penryn"),
            (Vendor::Intel, 0x0001_06a5, "Nehalem"),
            (Vendor::Intel, 0x0002_06c2, "Westmere"),
            (Vendor::Intel, 0x0002_06a7, "Sandy Bridge"),
            (Vendor::Intel, 0x0003_06a9, "Ivy Bridge"),
            (Vendor::Intel, 0x0003_06c3, "Haswell"),
            (Vendor::Intel, 0x0004_06f1, "Broadwell"),
            (Vendor::Intel, 0x0005_0654, "Skylake"),
            (Vendor::Intel, 0x0005_0657, "Cascade Lake"),
            (Vendor::Intel, 0x0005_065b, "Cooper Lake"),
            (Vendor::Intel, 0x0009_06ea, "Coffee Lake"),
            (Vendor::Intel, 0x0009_06e9, "Kaby Lake"),
            (Vendor::Intel, 0x0006_06a6, "Ice Lake"),
            (Vendor::Intel, 0x0008_06f8, "Sapphire Rapids"),
            (Vendor::Intel, 0x000c_06f2, "Emerald Rapids"),
            (Vendor::Intel, 0x000a_06d1, "Granite Rapids"),
            (Vendor::Intel, 0x000a_06f3, "Sierra Forest"),
            (Vendor::Intel, 0x0009_0672, "Alder Lake"),
            (Vendor::Intel, 0x000b_0671, "Raptor Lake"),
            (Vendor::Intel, 0x000b_06e0, "Gracemont"),
            (Vendor::Intel, 0x0005_0671, "Knights Landing"),
            (Vendor::Intel, 0x0000_0f43, "NetBurst"),
            (Vendor::Intel, 0x0000_0683, "P6"),
            (Vendor::Amd, 0x00a2_0f12, "Zen 3"),
            (Vendor::Amd, 0x00a4_0f41, "Zen 3+"),
            (Vendor::Amd, 0x00a1_0f11, "Zen 4"),
            (Vendor::Amd, 0x00b4_0f40, "Zen 5"),
            (Vendor::Amd, 0x0080_0f11, "Zen"),
            (Vendor::Amd, 0x0080_0f82, "Zen+"),
            (Vendor::Amd, 0x0083_0f10, "Zen 2"),
            (Vendor::Amd, 0x0060_0f12, "Bulldozer"),
            (Vendor::Amd, 0x0060_0f20, "Piledriver"),
            (Vendor::Amd, 0x0063_0f81, "Steamroller"),
            (Vendor::Amd, 0x0066_0f51, "Excavator"),
            (Vendor::Amd, 0x0070_0f01, "Jaguar"),
            (Vendor::Amd, 0x0010_0f42, "K10"),
            (Vendor::Amd, 0x0004_0f32, "K8"),
            (Vendor::Amd, 0x0000_0681, "K7"),
            (Vendor::Hygon, 0x0090_0f01, "Dhyana"),
            (Vendor::Centaur, 0x0000_06fe, "Isaiah"),
            (Vendor::Centaur, 0x0003_07b2, "LuJiaZui"),
            (Vendor::Zhaoxin, 0x0005_07b3, "Yongfeng"),
        ];
        for &(vendor, eax, want) in cases {
            assert_eq!(by_sig(vendor, eax), Some(want), "{vendor} {eax:#010x}");
        }
    }

    #[test]
    fn unknown_parts_have_no_name() {
        assert_eq!(by_sig(Vendor::Intel, 0x000f_06f0), None);
        assert_eq!(microarchitecture(Vendor::Amd, 0x18, 0, 0), None);
        assert_eq!(microarchitecture(Vendor::Cyrix, 6, 0, 0), None);
        assert_eq!(microarchitecture(Vendor::Unknown, 6, 0x3c, 3), None);
        assert_eq!(
            microarchitecture(Vendor::Intel, u32::MAX, u32::MAX, u32::MAX),
            None
        );
    }

    #[test]
    fn rows_are_well_formed_and_disjoint() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(a.models.0 <= a.models.1, "row {i}: {a:?}");
            assert!(
                a.steppings.0 <= a.steppings.1 && a.steppings.1 <= 0xf,
                "row {i}: {a:?}"
            );
            assert!(!a.name.is_empty(), "row {i}");
            for (j, b) in TABLE.iter().enumerate().skip(i + 1) {
                let overlap = a.maker == b.maker
                    && a.family == b.family
                    && a.models.0 <= b.models.1
                    && b.models.0 <= a.models.1
                    && a.steppings.0 <= b.steppings.1
                    && b.steppings.0 <= a.steppings.1;
                assert!(!overlap, "rows {i} and {j} overlap: {a:?} / {b:?}");
            }
        }
    }
}
