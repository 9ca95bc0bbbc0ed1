//! The shape of one catalog entry, with `const` builders so the table reads as one
//! line per feature.

use crate::cpuid::Reg;

/// Where a feature bit lives: leaf, subleaf, output register, bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BitLoc {
    /// CPUID leaf (EAX input).
    pub leaf: u32,
    /// CPUID subleaf (ECX input).
    pub subleaf: u32,
    /// Output register.
    pub reg: Reg,
    /// Bit number, 0..=31.
    pub bit: u8,
}

impl BitLoc {
    /// The single-bit mask of this location within its register.
    pub const fn mask(&self) -> u32 {
        1u32 << self.bit
    }
}

impl std::fmt::Display for BitLoc {
    /// Formats as `0x7.0.ebx[5]`, the notation of `../shared/reference`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "0x{:x}.{}.{}[{}]",
            self.leaf, self.subleaf, self.reg, self.bit
        )
    }
}

/// How a bit is treated when hosts are compared and masks are made (see DESIGN.md,
/// "Feature classes"). Every catalog bit has exactly one class, reviewed against the
/// Intel SDM Vol. 2A and the AMD APM Vol. 3 (CPUID chapters); the judgement for each
/// group of bits is written at the top of `table.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A capability a guest may use: intersected across a fleet, may be masked.
    Feature,
    /// Part of the architectural floor of an x86-64 CPU (fpu, tsc, pae, sse2,
    /// syscall, nx, lm, ...): compared, never hidden from a 64-bit guest.
    Floor,
    /// A capability that firmware or microcode switches on or off (speculation
    /// controls and their enumeration bits, TSX, AES-NI, VT-x/AMD-V, MONITOR, SGX):
    /// compared; a difference is fixed by updating the host, so masks keep it out of
    /// the hidden set unless the user asks to hide it.
    Firmware,
    /// A 1 says something is absent or behaves differently (`efer_lmsle_mbz`,
    /// `zero_fcs_fds`, `null_sel_clr_base`, ...): never hidden (hiding would claim the
    /// old behaviour); compared in the direction where it matters, a host *with* the
    /// bit receiving a guest that started on a host without it.
    NegativeSense,
    /// Present on the host but kept from migratable guests, as libvirt and QEMU do
    /// (invariant TSC): every mask hides it, it never splits a group.
    NonMigratable,
    /// Matters only to a VM that runs its own hypervisor (the SVM features of leaf
    /// 0x8000000A, like the VMX capability MSRs): never a grouping blocker; masks hide
    /// it where hosts differ, and say so.
    NestedOnly,
    /// Must be identical on source and destination; cannot be masked.
    MustMatch,
    /// Set per VM by the hypervisor (e.g. the hypervisor bit): never compared.
    PerVm,
    /// Host-only or informational (power, thermal, debug store, `tsx_force_abort`):
    /// reported, not compared.
    Informational,
}

impl Class {
    /// True when hosts are compared on this bit for grouping and the migration
    /// matrix (capability, floor, firmware-dependent and must-match bits).
    pub const fn is_compared(self) -> bool {
        matches!(
            self,
            Class::Feature | Class::Floor | Class::Firmware | Class::MustMatch
        )
    }

    /// True when a guest sees the bit and a mask may act on it: the compared
    /// classes plus nested-only and non-migratable bits. Verification checks that
    /// members agree on every guest-visible bit.
    pub const fn is_guest_visible(self) -> bool {
        self.is_compared() || matches!(self, Class::NestedOnly | Class::NonMigratable)
    }

    /// The class as the catalog and the output spell it.
    pub const fn word(self) -> &'static str {
        match self {
            Class::Feature => "capability",
            Class::Floor => "floor",
            Class::Firmware => "firmware-dependent",
            Class::NegativeSense => "negative-sense",
            Class::NonMigratable => "non-migratable",
            Class::NestedOnly => "nested-only",
            Class::MustMatch => "must-match",
            Class::PerVm => "per-VM",
            Class::Informational => "informational",
        }
    }
}

/// One named feature bit.
#[derive(Debug, Clone, Copy)]
pub struct FeatureDef {
    /// Canonical name: the `/proc/cpuinfo` spelling, or (for bits Linux does not
    /// show) the lowercase Linux `X86_FEATURE_` name, or the vendor manual's mnemonic.
    pub name: &'static str,
    /// Where the bit lives.
    pub loc: BitLoc,
    /// How it is compared.
    pub class: Class,
    /// QEMU `-cpu` spelling (`""`: same as `name`; `"-"`: QEMU has none).
    pub qemu: &'static str,
    /// libvirt `cpu_map` spelling (`""`: same as the QEMU spelling; `"-"`: none).
    pub libvirt: &'static str,
    /// VMware `featMask.vm.cpuid.<NAME>` spelling (`"-"` or `""`: none known).
    pub vmware: &'static str,
    /// libcpuid's flag name (`""`: same as `name`; `"-"`: none).
    pub libcpuid: &'static str,
    /// The Intel/AMD manual mnemonic (`""`: the uppercase of `name`).
    pub manual: &'static str,
    /// Canonical names of the features this one requires: hiding any of them hides this one.
    pub requires: &'static [&'static str],
    /// True when only AMD (and Hygon) define this bit.
    pub amd_only: bool,
    /// True when only Intel defines this bit.
    pub intel_only: bool,
    /// The x86-64 psABI level (1..=4) that requires this feature; 0 when none does.
    pub psabi_level: u8,
    /// One line saying what the feature is.
    pub description: &'static str,
}

impl FeatureDef {
    /// Starts an entry: a `Class::Feature` bit with no aliases and no requirements.
    pub const fn new(
        name: &'static str,
        leaf: u32,
        subleaf: u32,
        reg: Reg,
        bit: u8,
        description: &'static str,
    ) -> FeatureDef {
        FeatureDef {
            name,
            loc: BitLoc {
                leaf,
                subleaf,
                reg,
                bit,
            },
            class: Class::Feature,
            qemu: "",
            libvirt: "",
            vmware: "",
            libcpuid: "",
            manual: "",
            requires: &[],
            amd_only: false,
            intel_only: false,
            psabi_level: 0,
            description,
        }
    }

    /// Sets the class.
    pub const fn class(mut self, class: Class) -> FeatureDef {
        self.class = class;
        self
    }

    /// Sets the QEMU spelling (`"-"`: QEMU has none).
    pub const fn qemu(mut self, s: &'static str) -> FeatureDef {
        self.qemu = s;
        self
    }

    /// Sets the libvirt spelling (`"-"`: libvirt has none).
    pub const fn libvirt(mut self, s: &'static str) -> FeatureDef {
        self.libvirt = s;
        self
    }

    /// Sets the VMware featMask spelling.
    pub const fn vmware(mut self, s: &'static str) -> FeatureDef {
        self.vmware = s;
        self
    }

    /// Sets libcpuid's flag name (`"-"`: none).
    pub const fn libcpuid(mut self, s: &'static str) -> FeatureDef {
        self.libcpuid = s;
        self
    }

    /// Sets the vendor-manual mnemonic.
    pub const fn manual(mut self, s: &'static str) -> FeatureDef {
        self.manual = s;
        self
    }

    /// Sets the features this one requires (canonical names).
    pub const fn requires(mut self, r: &'static [&'static str]) -> FeatureDef {
        self.requires = r;
        self
    }

    /// Marks the bit as defined by AMD (and Hygon) only.
    pub const fn amd(mut self) -> FeatureDef {
        self.amd_only = true;
        self
    }

    /// Marks the bit as defined by Intel only.
    pub const fn intel(mut self) -> FeatureDef {
        self.intel_only = true;
        self
    }

    /// Marks the feature as required by x86-64 psABI level `level` (1..=4).
    pub const fn psabi(mut self, level: u8) -> FeatureDef {
        self.psabi_level = level;
        self
    }

    /// The QEMU spelling, or `None` where QEMU has none.
    pub fn qemu_name(&self) -> Option<&'static str> {
        alias_or(self.qemu, self.name)
    }

    /// The libvirt spelling, or `None` where libvirt has none.
    pub fn libvirt_name(&self) -> Option<&'static str> {
        match self.libvirt {
            "" => self.qemu_name(),
            "-" => None,
            s => Some(s),
        }
    }

    /// The VMware featMask spelling, or `None` where none is known.
    pub fn vmware_name(&self) -> Option<&'static str> {
        match self.vmware {
            "" | "-" => None,
            s => Some(s),
        }
    }

    /// libcpuid's flag name, or `None` where libcpuid has none.
    pub fn libcpuid_name(&self) -> Option<&'static str> {
        alias_or(self.libcpuid, self.name)
    }
}

fn alias_or(alias: &'static str, name: &'static str) -> Option<&'static str> {
    match alias {
        "" => Some(name),
        "-" => None,
        s => Some(s),
    }
}
