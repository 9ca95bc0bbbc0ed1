//! VMware's names for CPUID facts, as `featureCapability` (a host's
//! `config.featureCapability`, `vim-cmd hostsvc/hostconfig`) and per-VM
//! `featMask.vm.cpuid.<NAME>` keys spell them: `cpuid.AVX512F` = `1`,
//! `cpuid.FAMILY` = `0x6`.
//!
//! Most names are one catalog bit each: the `.vmware(..)` spelling in
//! [`super::table`] (open-vm-tools `lib/include/x86cpuid.h`); the
//! speculation-control function names (`IBRS`, `IBPB`, `STIBP`, `SSBD`), a
//! different bit per vendor, are resolved where masks are built. This file
//! holds the rest, from the same header and from what vCenter compares for EVC:
//! - the XSAVE state components of leaf 0xD subleaf 0 EAX (`XCR0_MASTER_*`,
//!   `x86cpuid.h`'s field names for XCR0 bits 0..=18);
//! - values, not bits: `FAMILY`, `MODEL`, `STEPPING`, `NUMLEVELS`,
//!   `NUM_EXT_LEVELS`, and the vendor flags `Intel`, `AMD`, `VIA`, `HYGON`.
//!
//! Names outside `cpuid.*` (`hv.capable`, `vt.realmode`, `vpmc.*`,
//! `misc.cpuidFaulting`) are hypervisor capabilities, not CPUID bits: callers
//! report them as names the catalog does not know.

use super::{by_id, lookup, FeatureId};

/// `x86cpuid.h`'s names for the XCR0 state components of leaf 0xD subleaf 0 EAX
/// (component number = bit).
const XCR0_COMPONENTS: &[(&str, u8)] = &[
    ("XCR0_MASTER_LEGACY_FP", 0),
    ("XCR0_MASTER_SSE", 1),
    ("XCR0_MASTER_YMM_H", 2),
    ("XCR0_MASTER_BNDREGS", 3),
    ("XCR0_MASTER_BNDCSR", 4),
    ("XCR0_MASTER_OPMASK", 5),
    ("XCR0_MASTER_ZMM_H", 6),
    ("XCR0_MASTER_HI16_ZMM", 7),
    ("XCR0_MASTER_PKRU", 9),
    ("XCR0_MASTER_XTILECFG", 17),
    ("XCR0_MASTER_XTILEDATA", 18),
];

/// A value VMware names that is not a feature bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmwareValue {
    /// `FAMILY`: the display family (leaf 1 EAX, with the extended family).
    Family,
    /// `MODEL`: the display model (leaf 1 EAX, with the extended model).
    Model,
    /// `STEPPING`: leaf 1 EAX[3:0].
    Stepping,
    /// `NUMLEVELS`: the highest basic leaf (leaf 0 EAX).
    NumLevels,
    /// `NUM_EXT_LEVELS`: the highest extended leaf (leaf 0x80000000 EAX).
    NumExtLevels,
    /// `Intel`, `AMD`, `VIA`, `HYGON`: 1 on that vendor's CPUs (leaf 0).
    Vendor(&'static str),
}

/// What a VMware CPUID name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmwareName {
    /// One catalog feature bit.
    Feature(FeatureId),
    /// An XSAVE state component (its number), enumerated in leaf 0xD.0 EAX/EDX.
    XsaveComponent(u8),
    /// A value (family, model, levels, vendor).
    Value(VmwareValue),
}

/// Resolves a VMware CPUID name, with or without its `cpuid.` prefix
/// (`cpuid.AVX512F`, `AVX512F`, `featMask.vm.cpuid.AVX512F` without the
/// `featMask.vm.` part). Case-insensitive. `None`: the catalog does not know it.
pub fn vmware_name(name: &str) -> Option<VmwareName> {
    let n = name.trim();
    let n = strip_ci(n, "cpuid.").unwrap_or(n);
    if n.is_empty() {
        return None;
    }
    let value = match n.to_ascii_uppercase().as_str() {
        "FAMILY" => Some(VmwareValue::Family),
        "MODEL" => Some(VmwareValue::Model),
        "STEPPING" => Some(VmwareValue::Stepping),
        "NUMLEVELS" => Some(VmwareValue::NumLevels),
        "NUM_EXT_LEVELS" => Some(VmwareValue::NumExtLevels),
        "INTEL" => Some(VmwareValue::Vendor("GenuineIntel")),
        "AMD" => Some(VmwareValue::Vendor("AuthenticAMD")),
        "VIA" => Some(VmwareValue::Vendor("CentaurHauls")),
        "HYGON" => Some(VmwareValue::Vendor("HygonGenuine")),
        _ => None,
    };
    if let Some(v) = value {
        return Some(VmwareName::Value(v));
    }
    if let Some((_, bit)) = XCR0_COMPONENTS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(n))
    {
        return Some(VmwareName::XsaveComponent(*bit));
    }
    // VMware's own spelling first: a VMware name may equal another tool's
    // spelling of a different bit.
    super::all()
        .iter()
        .find(|d| d.vmware_name().is_some_and(|v| v.eq_ignore_ascii_case(n)))
        .and_then(|d| lookup(d.name))
        .map(VmwareName::Feature)
}

/// The VMware spelling of a catalog feature (`AVX512F`), where known.
pub fn vmware_spelling(id: FeatureId) -> Option<&'static str> {
    by_id(id).vmware_name()
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(name: &str) -> &'static str {
        match vmware_name(name) {
            Some(VmwareName::Feature(id)) => by_id(id).name,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn vmware_names_resolve() {
        assert_eq!(feature("cpuid.AVX512F"), "avx512f");
        assert_eq!(feature("cpuid.LAHF64"), "lahf_lm");
        assert_eq!(feature("cpuid.MWAIT"), "monitor");
        assert_eq!(
            vmware_name("cpuid.IBRS"),
            None,
            "vendor-dependent: the mask builder resolves it"
        );
        assert_eq!(feature("cpuid.SSE41"), "sse4_1");
        assert_eq!(feature("NX"), "nx");
        assert_eq!(
            vmware_name("cpuid.XCR0_MASTER_YMM_H"),
            Some(VmwareName::XsaveComponent(2))
        );
        assert_eq!(
            vmware_name("cpuid.Intel"),
            Some(VmwareName::Value(VmwareValue::Vendor("GenuineIntel")))
        );
        assert_eq!(
            vmware_name("cpuid.NUM_EXT_LEVELS"),
            Some(VmwareName::Value(VmwareValue::NumExtLevels))
        );
        assert_eq!(vmware_name("hv.capable"), None);
        assert_eq!(vmware_name("cpuid.NO_SUCH_THING"), None);
        assert_eq!(vmware_name("cpuid."), None);
    }
}
