//! XSAVE state components and the features that own them.
//!
//! CPUID leaf 0xD enumerates the state components a CPU can save: those the OS
//! enables in XCR0 (user state) in 0xD.0 EAX (components 0..=31) and EDX (32..=63),
//! those it enables in IA32_XSS (supervisor state) in 0xD.1 ECX and EDX. Hiding a
//! feature from a guest must also hide the component that holds its state, or the
//! guest sizes and enables state for registers it is told do not exist.
//!
//! Source: Intel SDM Vol. 1 ch. 13 ("Managing State Using the XSAVE Feature Set")
//! and Vol. 2A CPUID leaf 0xD; Linux `arch/x86/kernel/fpu/xstate.c`
//! (`xsave_cpuid_features`); QEMU `x86_ext_save_areas`. `tests/mask_xsave.rs`
//! checks this table against `../shared/reference/xsave_components.tsv`.

use super::BitLoc;
use crate::cpuid::Reg;

/// Which enable register a state component belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum XsaveRegister {
    /// XCR0: user state, enumerated in CPUID 0xD.0 EAX/EDX.
    Xcr0,
    /// IA32_XSS: supervisor state, enumerated in CPUID 0xD.1 ECX/EDX.
    Xss,
}

/// One XSAVE state component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsaveComponent {
    /// The component number: its bit in XCR0 or IA32_XSS, and its 0xD subleaf.
    pub bit: u8,
    /// The SDM's name for the state.
    pub name: &'static str,
    /// XCR0 or IA32_XSS.
    pub register: XsaveRegister,
    /// Canonical catalog names of the features whose state this is. The component
    /// is hidden when every one of them that the catalog defines is hidden (CET
    /// user state serves both shadow stacks and indirect-branch tracking).
    pub owners: &'static [&'static str],
    /// Size and offset in bytes in the standard (non-compacted) XSAVE format, as
    /// CPUID 0xD.i EAX and EBX report them, for the user components a profile's
    /// dump is given (SDM Vol. 1 13.4 and the sizes Intel parts report); `None`
    /// for x87/SSE (the legacy region), supervisor and not-yet-needed components.
    pub standard: Option<(u32, u32)>,
}

impl XsaveComponent {
    /// Where CPUID 0xD reports that the CPU supports this component.
    pub fn cpuid_bit(&self) -> BitLoc {
        let (subleaf, low, high) = match self.register {
            XsaveRegister::Xcr0 => (0, Reg::Eax, Reg::Edx),
            XsaveRegister::Xss => (1, Reg::Ecx, Reg::Edx),
        };
        let (reg, bit) = if self.bit < 32 {
            (low, self.bit)
        } else {
            (high, self.bit - 32)
        };
        BitLoc {
            leaf: 0xd,
            subleaf,
            reg,
            bit,
        }
    }
}

const fn c(
    bit: u8,
    name: &'static str,
    register: XsaveRegister,
    owners: &'static [&'static str],
) -> XsaveComponent {
    XsaveComponent {
        bit,
        name,
        register,
        owners,
        standard: None,
    }
}

/// A user (XCR0) component with its standard-format size and offset.
const fn user(
    bit: u8,
    name: &'static str,
    owners: &'static [&'static str],
    size: u32,
    offset: u32,
) -> XsaveComponent {
    XsaveComponent {
        standard: Some((size, offset)),
        ..c(bit, name, Xcr0, owners)
    }
}

use XsaveRegister::{Xcr0, Xss};

/// Every architecturally defined state component, by component number.
pub const XSAVE_COMPONENTS: &[XsaveComponent] = &[
    c(0, "x87 FPU", Xcr0, &["xsave"]),
    c(1, "SSE (XMM, MXCSR)", Xcr0, &["xsave"]),
    user(2, "AVX (YMM_Hi128)", &["avx"], 256, 576),
    user(3, "MPX BNDREGS", &["mpx"], 64, 960),
    user(4, "MPX BNDCSR", &["mpx"], 64, 1024),
    user(5, "AVX-512 opmask", &["avx512f"], 64, 1088),
    user(6, "AVX-512 ZMM_Hi256", &["avx512f"], 512, 1152),
    user(7, "AVX-512 Hi16_ZMM", &["avx512f"], 1024, 1664),
    c(8, "Intel PT", Xss, &["intel_pt"]),
    user(9, "PKRU", &["pku"], 8, 2688),
    c(10, "PASID", Xss, &["enqcmd"]),
    c(11, "CET user (U_CET, PL3_SSP)", Xss, &["shstk", "ibt"]),
    c(
        12,
        "CET supervisor (PL0_SSP..PL2_SSP)",
        Xss,
        &["shstk", "ibt"],
    ),
    c(13, "HDC", Xss, &["hdc"]),
    c(14, "UINTR", Xss, &["uintr"]),
    c(15, "Architectural LBR", Xss, &["arch_lbr"]),
    c(16, "HWP", Xss, &["hwp"]),
    user(17, "AMX TILECFG", &["amx_tile"], 64, 2752),
    user(18, "AMX TILEDATA", &["amx_tile"], 8192, 2816),
    c(19, "APX extended GPRs", Xcr0, &["apx"]),
];

/// The component with this number, if defined.
pub fn xsave_component(bit: u8) -> Option<&'static XsaveComponent> {
    XSAVE_COMPONENTS.iter().find(|c| c.bit == bit)
}

/// The component whose CPUID 0xD enumeration bit is at `loc`, if any.
pub fn xsave_component_at(loc: BitLoc) -> Option<&'static XsaveComponent> {
    XSAVE_COMPONENTS.iter().find(|c| c.cpuid_bit() == loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_ordered() {
        for (i, comp) in XSAVE_COMPONENTS.iter().enumerate() {
            assert_eq!(usize::from(comp.bit), i);
            assert!(!comp.owners.is_empty());
        }
    }

    #[test]
    fn enumeration_bits() {
        let avx = xsave_component(2).map(XsaveComponent::cpuid_bit);
        assert_eq!(avx.map(|l| l.to_string()).as_deref(), Some("0xd.0.eax[2]"));
        let cet = xsave_component(11).map(XsaveComponent::cpuid_bit);
        assert_eq!(cet.map(|l| l.to_string()).as_deref(), Some("0xd.1.ecx[11]"));
        let high = c(40, "future", Xcr0, &["x"]).cpuid_bit();
        assert_eq!(high.reg, Reg::Edx);
        assert_eq!(high.bit, 8);
        assert_eq!(
            xsave_component_at(BitLoc {
                leaf: 0xd,
                subleaf: 0,
                reg: Reg::Eax,
                bit: 17
            })
            .map(|c| c.owners),
            Some(&["amx_tile"][..])
        );
    }
}
