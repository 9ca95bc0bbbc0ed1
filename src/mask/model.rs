//! The mask data model: one character per CPUID bit, one [`RegisterMask`] per
//! `cpuid.<leaf>[.<subleaf>].<reg>[.amd]` key, and a [`CpuidMask`] holding the
//! register masks and the named `featMask.vm.cpuid.<NAME>` entries of one VM.

use crate::cpuid::enumerate::has_subleaves;
use std::fmt;

use serde::Serialize;

use crate::cpuid::{LeafKey, Reg};

/// What a VMX mask says about one CPUID bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaskChar {
    /// `-`: default, the guest sees what the hypervisor would show it anyway.
    #[default]
    Default,
    /// `0`: the guest sees 0 (the feature is hidden).
    Hide,
    /// `1`: the guest sees 1 (the feature is forced on).
    Force,
    /// `T`: the host must have the bit set for the VM to power on or arrive.
    HostMust,
    /// `F`: the host must have the bit clear.
    HostMustNot,
    /// `H`: the guest sees the host value; source and destination must agree for vMotion.
    HostAgree,
    /// `R`: the guest sees 0, but source and destination must agree for vMotion.
    ZeroAgree,
    /// `X` or `x`: unused by the guest, not checked. `lowercase` records which case
    /// was read (old files use `x`) so that rewriting an old file changes nothing else.
    Unused {
        /// True when the character was a lowercase `x`.
        lowercase: bool,
    },
}

impl MaskChar {
    /// The character for this meaning, as written in a `.vmx` file.
    pub fn to_char(self) -> char {
        match self {
            MaskChar::Default => '-',
            MaskChar::Hide => '0',
            MaskChar::Force => '1',
            MaskChar::HostMust => 'T',
            MaskChar::HostMustNot => 'F',
            MaskChar::HostAgree => 'H',
            MaskChar::ZeroAgree => 'R',
            MaskChar::Unused { lowercase: false } => 'X',
            MaskChar::Unused { lowercase: true } => 'x',
        }
    }

    /// Reads one mask character; `None` for anything VMware does not define.
    /// Only `x` is accepted in both cases: the others are upper case in every
    /// VMware document and file.
    pub fn from_char(c: char) -> Option<MaskChar> {
        Some(match c {
            '-' => MaskChar::Default,
            '0' => MaskChar::Hide,
            '1' => MaskChar::Force,
            'T' => MaskChar::HostMust,
            'F' => MaskChar::HostMustNot,
            'H' => MaskChar::HostAgree,
            'R' => MaskChar::ZeroAgree,
            'X' => MaskChar::Unused { lowercase: false },
            'x' => MaskChar::Unused { lowercase: true },
            _ => return None,
        })
    }

    /// Every character a mask may hold, for error messages.
    pub const VALID: &'static str = "- 0 1 T F H R X x";
}

impl fmt::Display for MaskChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// The mask of one register: the value of one `cpuid.*` line of a `.vmx`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RegisterMask {
    /// CPUID leaf.
    pub leaf: u32,
    /// The subleaf as the key spelled it: `Some` for `cpuid.7.0.ebx`, `None` for
    /// `cpuid.1.ecx` (which means subleaf 0).
    pub subleaf: Option<u32>,
    /// The output register.
    pub reg: Reg,
    /// True for a `.amd` key: the line applies on AMD hosts only (and there
    /// overrides the line without the suffix).
    pub amd_only: bool,
    /// One character per bit, indexed by bit number (`chars[31]` is written leftmost).
    pub chars: [MaskChar; 32],
}

impl RegisterMask {
    /// An all-default (`-`) mask for a register.
    pub fn new(leaf: u32, subleaf: Option<u32>, reg: Reg, amd_only: bool) -> RegisterMask {
        RegisterMask {
            leaf,
            subleaf,
            reg,
            amd_only,
            chars: [MaskChar::Default; 32],
        }
    }

    /// An all-default mask keyed the way VMware writes this location: with the
    /// subleaf for leaves that have subleaves (or a nonzero subleaf), without otherwise.
    pub fn for_location(leaf: u32, subleaf: u32, reg: Reg) -> RegisterMask {
        let sub = (subleaf != 0 || has_subleaves(leaf)).then_some(subleaf);
        RegisterMask::new(leaf, sub, reg, false)
    }

    /// The CPUID query this mask applies to (a missing subleaf means 0).
    pub fn leaf_key(&self) -> LeafKey {
        LeafKey::new(self.leaf, self.subleaf.unwrap_or(0))
    }

    /// The `.vmx` key: `cpuid.1.ecx`, `cpuid.7.0.ebx`, `cpuid.80000001.edx.amd`.
    pub fn key(&self) -> String {
        let mut key = format!("cpuid.{:x}", self.leaf);
        if let Some(sub) = self.subleaf {
            key.push_str(&format!(".{sub:x}"));
        }
        key.push('.');
        key.push_str(self.reg.name());
        if self.amd_only {
            key.push_str(".amd");
        }
        key
    }

    /// The character at `bit` (bits above 31 read as default).
    pub fn get(&self, bit: u8) -> MaskChar {
        self.chars
            .get(usize::from(bit))
            .copied()
            .unwrap_or_default()
    }

    /// Sets the character at `bit`; bits above 31 are ignored.
    pub fn set(&mut self, bit: u8, c: MaskChar) {
        if let Some(slot) = self.chars.get_mut(usize::from(bit)) {
            *slot = c;
        }
    }

    /// The bits holding `c`, as a 32-bit value.
    pub fn bits_with(&self, c: MaskChar) -> u32 {
        self.chars
            .iter()
            .enumerate()
            .filter(|(_, m)| **m == c)
            .fold(0, |acc, (bit, _)| acc | (1u32 << bit))
    }

    /// True when `other` addresses the same key (leaf, subleaf as spelled, register, `.amd`).
    pub fn same_key(&self, other: &RegisterMask) -> bool {
        self.leaf == other.leaf
            && self.subleaf == other.subleaf
            && self.reg == other.reg
            && self.amd_only == other.amd_only
    }

    /// The 32 characters, bit 31 first, unseparated (`-----------0--------------------`).
    pub fn compact(&self) -> String {
        self.chars.iter().rev().map(|c| c.to_char()).collect()
    }

    /// The 32 characters, bit 31 first, with `:` between nibbles
    /// (`----:----:---0:----:----:----:----:----`), as VMware writes them.
    pub fn colon(&self) -> String {
        let mut out = String::with_capacity(39);
        for (i, c) in self.chars.iter().rev().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(':');
            }
            out.push(c.to_char());
        }
        out
    }
}

/// The operator of a `featMask.vm.cpuid.<NAME>` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FeatOp {
    /// `Val:N`: the guest sees exactly N.
    Val,
    /// `Max:N`: the guest sees at most N (`Max:0` hides a boolean feature).
    Max,
    /// `Min:N`: the host must offer at least N.
    Min,
}

impl FeatOp {
    /// `Val`, `Max` or `Min`, as VMware spells it.
    pub fn name(self) -> &'static str {
        match self {
            FeatOp::Val => "Val",
            FeatOp::Max => "Max",
            FeatOp::Min => "Min",
        }
    }

    /// Parses `Val`/`Max`/`Min`, ignoring case.
    pub fn parse(s: &str) -> Option<FeatOp> {
        match s.to_ascii_lowercase().as_str() {
            "val" => Some(FeatOp::Val),
            "max" => Some(FeatOp::Max),
            "min" => Some(FeatOp::Min),
            _ => None,
        }
    }
}

/// One named mask: `featMask.vm.cpuid.NX = "Val:0"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FeatMask {
    /// The VMware feature name as written (`NX`, `AVX512F`, `FAMILY`).
    pub name: String,
    /// The operator.
    pub op: FeatOp,
    /// The number. Written in decimal below 10 and as `0x..` hex from 10 up, which
    /// is how every VMware-written file we have seen spells them (`Val:6`, `Val:0x2d`).
    pub value: u64,
}

impl FeatMask {
    /// A named mask.
    pub fn new(name: impl Into<String>, op: FeatOp, value: u64) -> FeatMask {
        FeatMask {
            name: name.into(),
            op,
            value,
        }
    }

    /// The `.vmx` key: `featMask.vm.cpuid.NX`.
    pub fn key(&self) -> String {
        format!("featMask.vm.cpuid.{}", self.name)
    }

    /// The quoted value's text: `Val:0`, `Max:0`, `Val:0x2d`.
    pub fn value_text(&self) -> String {
        if self.value < 10 {
            format!("{}:{}", self.op.name(), self.value)
        } else {
            format!("{}:{:#x}", self.op.name(), self.value)
        }
    }

    /// True when the guest sees 0 for a boolean feature (`Val:0` or `Max:0`).
    pub fn hides(&self) -> bool {
        matches!(self.op, FeatOp::Val | FeatOp::Max) && self.value == 0
    }
}

/// The CPUID mask of one VM: register masks and named feature masks, in the order
/// they are written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CpuidMask {
    /// The `cpuid.*` lines.
    pub registers: Vec<RegisterMask>,
    /// The `featMask.vm.cpuid.*` lines.
    pub featmasks: Vec<FeatMask>,
}

impl CpuidMask {
    /// An empty mask (hides nothing).
    pub fn new() -> CpuidMask {
        CpuidMask::default()
    }

    /// True when the mask has no lines at all.
    pub fn is_empty(&self) -> bool {
        self.registers.is_empty() && self.featmasks.is_empty()
    }

    /// The register mask with exactly this key, if present.
    pub fn register(
        &self,
        leaf: u32,
        subleaf: Option<u32>,
        reg: Reg,
        amd_only: bool,
    ) -> Option<&RegisterMask> {
        let probe = RegisterMask::new(leaf, subleaf, reg, amd_only);
        self.registers.iter().find(|r| r.same_key(&probe))
    }

    /// The register mask with this key, added (all default, at the end) when absent.
    pub fn register_mut(
        &mut self,
        leaf: u32,
        subleaf: Option<u32>,
        reg: Reg,
        amd_only: bool,
    ) -> &mut RegisterMask {
        let probe = RegisterMask::new(leaf, subleaf, reg, amd_only);
        let pos = match self.registers.iter().position(|r| r.same_key(&probe)) {
            Some(p) => p,
            None => {
                self.registers.push(probe);
                self.registers.len() - 1
            }
        };
        &mut self.registers[pos]
    }

    /// Adds a register mask, replacing one with the same key in place.
    pub fn insert_register(&mut self, mask: RegisterMask) {
        match self.registers.iter_mut().find(|r| r.same_key(&mask)) {
            Some(slot) => *slot = mask,
            None => self.registers.push(mask),
        }
    }

    /// The named mask for `name` (compared ignoring case, as VMware does).
    pub fn featmask(&self, name: &str) -> Option<&FeatMask> {
        self.featmasks
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Adds a named mask, replacing one with the same name (ignoring case) in place.
    pub fn insert_featmask(&mut self, entry: FeatMask) {
        match self
            .featmasks
            .iter_mut()
            .find(|f| f.name.eq_ignore_ascii_case(&entry.name))
        {
            Some(slot) => *slot = entry,
            None => self.featmasks.push(entry),
        }
    }

    /// Orders the lines canonically: registers by leaf, subleaf, register, `.amd`
    /// last; named masks by name.
    pub fn sort(&mut self) {
        self.registers
            .sort_by_key(|r| (r.leaf, r.subleaf.unwrap_or(0), r.reg, r.amd_only));
        self.featmasks.sort_by(|a, b| {
            a.name
                .to_ascii_uppercase()
                .cmp(&b.name.to_ascii_uppercase())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chars_round_trip_and_keep_x_case() {
        for c in "-01TFHRXx".chars() {
            let m = MaskChar::from_char(c);
            assert_eq!(m.map(MaskChar::to_char), Some(c));
        }
        assert_eq!(MaskChar::from_char('Q'), None);
        assert_eq!(MaskChar::from_char('h'), None);
    }

    #[test]
    fn keys_follow_vmware_spelling() {
        let r = RegisterMask::for_location(0x8000_0001, 0, Reg::Edx);
        assert_eq!(r.key(), "cpuid.80000001.edx");
        let r = RegisterMask::for_location(7, 0, Reg::Ebx);
        assert_eq!(r.key(), "cpuid.7.0.ebx");
        let r = RegisterMask::for_location(0xd, 1, Reg::Ecx);
        assert_eq!(r.key(), "cpuid.d.1.ecx");
        let r = RegisterMask::new(0x8000_0001, None, Reg::Edx, true);
        assert_eq!(r.key(), "cpuid.80000001.edx.amd");
    }

    #[test]
    fn bit_31_is_written_leftmost() {
        let mut r = RegisterMask::for_location(0x8000_0001, 0, Reg::Edx);
        r.set(20, MaskChar::Hide);
        assert_eq!(r.colon(), "----:----:---0:----:----:----:----:----");
        assert_eq!(r.compact(), "-----------0--------------------");
        assert_eq!(r.bits_with(MaskChar::Hide), 1 << 20);
        r.set(40, MaskChar::Force);
        assert_eq!(r.get(40), MaskChar::Default);
    }

    #[test]
    fn featmask_values_are_spelled_like_vmware() {
        assert_eq!(FeatMask::new("NX", FeatOp::Val, 0).value_text(), "Val:0");
        assert_eq!(
            FeatMask::new("MODEL", FeatOp::Val, 0x2d).value_text(),
            "Val:0x2d"
        );
        assert!(FeatMask::new("AVX512F", FeatOp::Max, 0).hides());
        assert!(!FeatMask::new("AMD", FeatOp::Min, 1).hides());
    }

    #[test]
    fn inserts_replace_same_key() {
        let mut m = CpuidMask::new();
        m.register_mut(1, None, Reg::Ecx, false)
            .set(0, MaskChar::Hide);
        m.register_mut(1, None, Reg::Ecx, false)
            .set(9, MaskChar::Hide);
        assert_eq!(m.registers.len(), 1);
        m.insert_featmask(FeatMask::new("nx", FeatOp::Val, 1));
        m.insert_featmask(FeatMask::new("NX", FeatOp::Val, 0));
        assert_eq!(m.featmasks.len(), 1);
        assert!(m.featmask("Nx").is_some_and(FeatMask::hides));
    }
}
