//! Building the minimal mask that hides a set of features.
//!
//! One `0` at each hidden feature's bit; registers with nothing to hide get no
//! line. Hiding a feature that owns XSAVE state also hides its state component in
//! leaf 0xD (see [`crate::catalog::XSAVE_COMPONENTS`]).

use crate::catalog::{self, id, FeatureId, FeatureSet, XSAVE_COMPONENTS};
use crate::cpuid::CpuLeaves;
use crate::decode::Vendor;

use super::apply::{verify, VerifyError};
use super::model::{CpuidMask, FeatMask, FeatOp, MaskChar, RegisterMask};

/// How a mask names what it hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskKind {
    /// `cpuid.<leaf>[.<subleaf>].<reg>` register lines only (any hardware version).
    #[default]
    CpuidLines,
    /// `featMask.vm.cpuid.<NAME>` lines (hardware version 9 and later) for every
    /// hidden feature VMware names; register lines for the rest and for leaf 0xD.
    FeatMask,
}

/// `hide` plus every feature that requires one of them: what must really be
/// hidden so that no guest sees a feature without its prerequisite.
pub fn close_hidden(hide: &FeatureSet) -> FeatureSet {
    catalog::closure_of_dependents(hide)
}

/// The register lines that hide exactly `hidden` (the caller closes it under
/// requirements, see [`close_hidden`]), plus the leaf 0xD component bits of the
/// XSAVE state whose owners are all hidden. Lines come in canonical order.
pub fn cpuid_lines_for(hidden: &FeatureSet) -> CpuidMask {
    let mut mask = CpuidMask::new();
    for id in hidden.iter() {
        hide_bit(&mut mask, id);
    }
    hide_xsave_components(&mut mask, hidden, hidden);
    mask.sort();
    mask
}

/// The minimal mask hiding `hidden` (already closed under requirements) in the
/// chosen spelling.
pub fn build(hidden: &FeatureSet, kind: MaskKind) -> CpuidMask {
    build_for(hidden, &FeatureSet::new(), kind)
}

/// As [`build`], for hosts none of which has the features of `absent`: an XSAVE
/// component is hidden when each of its owners is hidden or absent. On AMD the CET
/// components (0xD.1 ECX bits 11, 12) serve shadow stacks alone, as AMD has no
/// indirect-branch tracking: hiding `shstk` there must hide them too.
pub fn build_for(hidden: &FeatureSet, absent: &FeatureSet, kind: MaskKind) -> CpuidMask {
    let owners_gone = hidden.union(absent);
    let mut mask = match kind {
        MaskKind::CpuidLines => {
            let mut mask = CpuidMask::new();
            for id in hidden.iter() {
                hide_bit(&mut mask, id);
            }
            mask
        }
        MaskKind::FeatMask => {
            let mut mask = CpuidMask::new();
            for id in hidden.iter() {
                match featmask_for(id) {
                    Some(entry) => mask.insert_featmask(entry),
                    None => hide_bit(&mut mask, id),
                }
            }
            mask
        }
    };
    if !hidden.is_empty() {
        hide_xsave_components(&mut mask, &owners_gone, hidden);
    }
    mask.sort();
    mask
}

/// Builds the mask and checks it against the members it is for: applied to
/// every member, all must show the same compared features. A mask that fails
/// this check is returned as the error, never as a result. On success, returns
/// the mask and the features every member's guest will see.
pub fn build_verified(
    hidden: &FeatureSet,
    kind: MaskKind,
    members: &[&CpuLeaves],
) -> Result<(CpuidMask, FeatureSet), VerifyError> {
    let mask = build(hidden, kind);
    let common = verify(&mask, members)?;
    Ok((mask, common))
}

/// The named mask that hides one feature, when VMware has a name for it.
///
/// The rule for the operator: `Val:0` for features of leaves 0x1 and 0x8000_0001
/// (the registers of VMware's classic mask UI; `featMask.vm.cpuid.NX = "Val:0"`,
/// `SSE3`, `AVX`, `MWAIT` in public files), `Max:0` for every later leaf (leaf 7
/// and beyond, as Broadcom KB 390336 writes `featMask.vm.cpuid.AVX512F = "Max:0"`).
/// For a boolean feature both mean "the guest sees 0".
pub fn featmask_for(id: FeatureId) -> Option<FeatMask> {
    let def = catalog::by_id(id);
    let name = def.vmware_name()?;
    let op = match def.loc.leaf {
        0x1 | 0x8000_0001 => FeatOp::Val,
        _ => FeatOp::Max,
    };
    Some(FeatMask::new(name, op, 0))
}

/// VMware featMask names of the speculation controls that name a *function*
/// rather than one bit, with the catalog feature each means on Intel and on AMD:
/// `(VMware name, Intel feature, AMD feature)`.
///
/// Per-VM EVC exports VMware writes for Intel modes (the Westmere and Sandy Bridge
/// sets in `../shared/samples/esxi/featmask_vm_perVM_EVC_template.vmx.txt` and a
/// public VCSA Westmere workaround) carry `IBRS`, `IBPB`, `STIBP` and `SSBD`; on
/// Intel these are the IA32_SPEC_CTRL family of CPUID.7.0:EDX (bit 26 is IBRS
/// *and* IBPB, open-vm-tools `x86cpuid.h` calls it `IBRSIBPB`; 27 STIBP; 31 SSBD).
/// AMD reports the same functions in CPUID.0x80000008:EBX (bits 14, 12, 15, 24;
/// `x86cpuid.h`: `LEAF88_IBRS`, `LEAF88_IBPB`, `LEAF88_STIBP`,
/// `LEAF88_SSBD_SPEC_CTRL`) and leaves those leaf-7 bits reserved, so on an AMD
/// host the function names resolve there. `IBRSIBPB` is the leaf-7 bit itself.
const SPECULATION_FUNCTIONS: &[(&str, FeatureId, Option<FeatureId>)] = &[
    ("IBRS", id::SPEC_CTRL, Some(id::AMD_IBRS)),
    ("IBPB", id::SPEC_CTRL, Some(id::AMD_IBPB)),
    ("IBRSIBPB", id::SPEC_CTRL, None),
    ("STIBP", id::INTEL_STIBP, Some(id::AMD_STIBP)),
    ("SSBD", id::SPEC_CTRL_SSBD, Some(id::AMD_SSBD)),
];

/// Every featMask name that means a different bit on Intel and on AMD hosts
/// (see [`feature_of_featmask_on`]).
pub fn vendor_dependent_featmask_names() -> impl Iterator<Item = &'static str> {
    SPECULATION_FUNCTIONS.iter().map(|(n, _, _)| *n)
}

/// The catalog feature a `featMask.vm.cpuid.<NAME>` line is about, read as
/// VMware defines the name (the leaf-7 bit for the speculation-control names:
/// what they mean on Intel, see [`feature_of_featmask_on`] for a host's
/// vendor): the feature whose VMware spelling is `name` (ignoring case), else
/// whatever feature the catalog knows by that name. `None` for names that are
/// not one-bit features (`FAMILY`, `NUMLEVELS`, `Intel`).
pub fn feature_of_featmask(name: &str) -> Option<FeatureId> {
    feature_of_featmask_on(name, Vendor::Intel)
}

/// The catalog feature a `featMask.vm.cpuid.<NAME>` line is about on a host of
/// `vendor`: the speculation-control names (`IBRS`, `IBPB`, `STIBP`, `SSBD`)
/// resolve to CPUID.7.0:EDX on Intel and to CPUID.0x80000008:EBX on AMD and
/// Hygon; every other name as in [`feature_of_featmask`].
pub fn feature_of_featmask_on(name: &str, vendor: Vendor) -> Option<FeatureId> {
    if let Some((_, intel, amd)) = SPECULATION_FUNCTIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
    {
        return match vendor {
            Vendor::Amd | Vendor::Hygon => *amd,
            _ => Some(*intel),
        };
    }
    catalog::all()
        .iter()
        .find(|d| {
            d.vmware_name()
                .is_some_and(|v| v.eq_ignore_ascii_case(name))
        })
        .and_then(|d| catalog::lookup(d.name))
        .or_else(|| catalog::lookup(name))
}

fn hide_bit(mask: &mut CpuidMask, id: FeatureId) {
    let loc = catalog::by_id(id).loc;
    hide_location(mask, loc);
}

fn hide_location(mask: &mut CpuidMask, loc: catalog::BitLoc) {
    let probe = RegisterMask::for_location(loc.leaf, loc.subleaf, loc.reg);
    mask.register_mut(probe.leaf, probe.subleaf, probe.reg, false)
        .set(loc.bit, MaskChar::Hide);
}

/// Hides each XSAVE component all of whose owners known to the catalog are gone
/// (hidden or absent), at least one of them hidden by this mask.
fn hide_xsave_components(mask: &mut CpuidMask, gone: &FeatureSet, hidden: &FeatureSet) {
    for comp in XSAVE_COMPONENTS {
        let owners: Vec<FeatureId> = comp
            .owners
            .iter()
            .filter_map(|n| catalog::lookup(n))
            .collect();
        if owners.iter().all(|id| gone.contains(*id))
            && owners.iter().any(|id| hidden.contains(*id))
        {
            hide_location(mask, comp.cpuid_bit());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Reg;

    #[test]
    fn hiding_sse3_alone_is_one_line() {
        let m = cpuid_lines_for(&FeatureSet::from_names(&["pni"]).expect("catalog names"));
        assert_eq!(m.registers.len(), 1);
        assert!(m.featmasks.is_empty());
        let r = &m.registers[0];
        assert_eq!(r.key(), "cpuid.1.ecx");
        assert_eq!(r.colon(), "----:----:----:----:----:----:----:---0");
    }

    #[test]
    fn featmask_names_resolve_to_catalog_features() {
        assert_eq!(feature_of_featmask("sse3"), catalog::lookup("pni"));
        assert_eq!(feature_of_featmask("SSSE3"), catalog::lookup("ssse3"));
        assert_eq!(feature_of_featmask("NUMLEVELS"), None);
    }

    #[test]
    fn nothing_hidden_means_no_lines() {
        assert!(cpuid_lines_for(&FeatureSet::new()).is_empty());
        assert!(build(&FeatureSet::new(), MaskKind::FeatMask).is_empty());
    }

    #[test]
    fn closure_brings_dependents() {
        let closed = close_hidden(&FeatureSet::from_names(&["pni"]).expect("catalog names"));
        assert!(closed.contains(catalog::lookup("ssse3").expect("seed")));
        let m = cpuid_lines_for(&closed);
        let r = m.register(1, None, Reg::Ecx, false).expect("line");
        assert_eq!(r.get(0), MaskChar::Hide);
        assert_eq!(r.get(9), MaskChar::Hide);
    }

    #[test]
    fn registers_are_ordered_and_separate() {
        let m = cpuid_lines_for(
            &FeatureSet::from_names(&["sse2", "ssse3", "fpu"]).expect("catalog names"),
        );
        let keys: Vec<String> = m.registers.iter().map(RegisterMask::key).collect();
        assert_eq!(keys, ["cpuid.1.ecx", "cpuid.1.edx"]);
        let edx = &m.registers[1];
        assert_eq!(edx.bits_with(MaskChar::Hide), (1 << 26) | 1);
    }

    #[test]
    fn featmask_kind_uses_vmware_names_and_falls_back() {
        let hidden = FeatureSet::from_names(&["pni", "cx8", "fpu", "mmx"]).expect("catalog names");
        let m = build(&hidden, MaskKind::FeatMask);
        assert!(m.featmasks.contains(&FeatMask::new("SSE3", FeatOp::Val, 0)));
        for id in hidden.iter() {
            let loc = catalog::by_id(id).loc;
            let line = m.register(loc.leaf, None, loc.reg, false);
            let bit_hidden = line.is_some_and(|r| r.get(loc.bit) == MaskChar::Hide);
            match featmask_for(id) {
                // Named: one featMask line, no register bit.
                Some(f) => assert!(m.featmasks.contains(&f) && !bit_hidden),
                // Unnamed: the register line hides it.
                None => assert!(bit_hidden),
            }
        }
    }

    #[test]
    fn xsave_owner_hides_its_component() {
        // Works with any catalog that defines avx and xsave.
        let (Some(avx), Some(_)) = (catalog::lookup("avx"), catalog::lookup("xsave")) else {
            return;
        };
        let hidden: FeatureSet = [avx].into_iter().collect();
        let m = cpuid_lines_for(&hidden);
        let d = m.register(0xd, Some(0), Reg::Eax, false).expect("0xd line");
        assert_eq!(d.bits_with(MaskChar::Hide), 1 << 2);
    }
}
