//! What a guest sees through a mask, and the check that a mask does its job.
//!
//! [`apply`] computes the CPUID a guest would see on a host: `0` and `R` clear a
//! bit, `1` sets it, every other character passes the host value through (`T`,
//! `F`, `H` constrain which hosts qualify, not what the guest sees). Named
//! `featMask.vm.cpuid.*` masks of catalog features act alike: `Val:0`/`Max:0`
//! clear, `Val:1` sets. [`verify`] applies a mask to every member of a group and
//! checks that all guests then see the same compared features.

use std::fmt;

use crate::catalog::{self, FeatureSet};
use crate::cpuid::{Completeness, CpuLeaves, LeafKey, Regs};
use crate::decode::{decode_cpu, Vendor};

use super::build::feature_of_featmask;
use super::model::{CpuidMask, FeatOp, MaskChar, RegisterMask};

/// The CPUID a guest sees on the host `cpu` through `mask`.
///
/// `.amd` lines apply only on AMD-like hosts (AMD, Hygon), where they replace
/// the line without the suffix for the same register.
pub fn apply(mask: &CpuidMask, cpu: &CpuLeaves) -> CpuLeaves {
    let mut out = cpu.clone();
    let amd = Vendor::from_leaf0(cpu.get_or_zero(0, 0)).0.is_amd_like();
    for reg in mask.registers.iter().filter(|r| applies(mask, r, amd)) {
        let clear = reg.bits_with(MaskChar::Hide) | reg.bits_with(MaskChar::ZeroAgree);
        let force = reg.bits_with(MaskChar::Force);
        update(&mut out, reg.leaf_key(), reg.reg, clear, force);
    }
    for entry in &mask.featmasks {
        let Some(id) = feature_of_featmask(&entry.name) else {
            continue;
        };
        let loc = catalog::by_id(id).loc;
        let key = LeafKey::new(loc.leaf, loc.subleaf);
        match (entry.op, entry.value) {
            (FeatOp::Val | FeatOp::Max, 0) => update(&mut out, key, loc.reg, loc.mask(), 0),
            (FeatOp::Val, _) => update(&mut out, key, loc.reg, 0, loc.mask()),
            _ => {}
        }
    }
    out
}

/// Does this register line act on a host of this vendor?
fn applies(mask: &CpuidMask, reg: &RegisterMask, amd: bool) -> bool {
    if reg.amd_only {
        return amd;
    }
    // On AMD, a `.amd` line for the same register overrides the generic one.
    !(amd
        && mask
            .registers
            .iter()
            .any(|o| o.amd_only && o.leaf_key() == reg.leaf_key() && o.reg == reg.reg))
}

fn update(cpu: &mut CpuLeaves, key: LeafKey, reg: crate::cpuid::Reg, clear: u32, force: u32) {
    if clear == 0 && force == 0 {
        return;
    }
    let regs: &mut Regs = match cpu.leaves.get_mut(&key) {
        Some(r) => r,
        // A leaf the host does not report: hiding changes nothing, forcing creates it.
        None if force != 0 => cpu.leaves.entry(key).or_default(),
        None => return,
    };
    let v = regs.get_mut(reg);
    *v = (*v & !clear) | force;
}

/// Why a mask does not make a group's guests agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// There were no members to check the mask against.
    NoMembers,
    /// A member's guest sees different compared features than member 0's.
    Differ {
        /// Index (in the slice given to [`verify`]) of the first member that differs.
        member: usize,
        /// Features this member's guest sees and member 0's does not.
        only_in_member: FeatureSet,
        /// Features member 0's guest sees and this member's does not.
        only_in_first: FeatureSet,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::NoMembers => f.write_str("the mask was checked against no hosts"),
            VerifyError::Differ {
                member,
                only_in_member,
                only_in_first,
            } => {
                write!(
                    f,
                    "the mask does not make member {member} agree with member 0: "
                )?;
                let mut parts = Vec::new();
                if !only_in_member.is_empty() {
                    parts.push(format!(
                        "only member {member} shows {}",
                        only_in_member.names().join(" ")
                    ));
                }
                if !only_in_first.is_empty() {
                    parts.push(format!(
                        "only member 0 shows {}",
                        only_in_first.names().join(" ")
                    ));
                }
                write!(f, "{}", parts.join("; "))
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// The compared features a guest sees on `cpu` through `mask`.
pub fn guest_features(mask: &CpuidMask, cpu: &CpuLeaves) -> FeatureSet {
    decode_cpu(&apply(mask, cpu), Completeness::Full).compared_features()
}

/// Applies `mask` to every member and checks that all guests then see the same
/// compared features. Returns that common set, or which member still differs
/// from member 0 and in which features.
pub fn verify(mask: &CpuidMask, members: &[&CpuLeaves]) -> Result<FeatureSet, VerifyError> {
    use rayon::prelude::*;
    let first = members
        .first()
        .map(|cpu| guest_features(mask, cpu))
        .ok_or(VerifyError::NoMembers)?;
    // Every member is checked (in parallel: fleets reach 100,000 hosts); the
    // first that disagrees, in member order, is the one reported.
    let differing = members
        .par_iter()
        .enumerate()
        .skip(1)
        .map(|(i, cpu)| (i, guest_features(mask, cpu)))
        .find_first(|(_, features)| *features != first);
    match differing {
        Some((member, features)) => Err(VerifyError::Differ {
            member,
            only_in_member: features.difference(&first),
            only_in_first: first.difference(&features),
        }),
        None => Ok(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Reg;
    use crate::mask::build::{build, close_hidden, MaskKind};
    use crate::mask::model::{FeatMask, RegisterMask};

    const INTEL: Regs = Regs::new(0xd, 0x756e_6547, 0x6c65_746e, 0x4965_6e69);
    const AMD: Regs = Regs::new(0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65);

    /// A CPU with SSE2 (so leaf 1 ECX is believed) and the given leaf 1 ECX.
    fn cpu(leaf0: Regs, ecx: u32) -> CpuLeaves {
        let mut c = CpuLeaves::new(0);
        c.insert(0, 0, leaf0);
        let edx = (1 << 25) | (1 << 26) | 1;
        c.insert(1, 0, Regs::new(0x306c3, 0, ecx, edx));
        c
    }

    fn id(name: &str) -> catalog::FeatureId {
        catalog::lookup(name).expect("seed catalog name")
    }

    #[test]
    fn hide_force_and_pass_through() {
        let mut m = CpuidMask::new();
        let r = m.register_mut(1, None, Reg::Ecx, false);
        r.set(0, MaskChar::Hide);
        r.set(5, MaskChar::Force);
        r.set(9, MaskChar::HostAgree);
        r.set(10, MaskChar::ZeroAgree);
        let host = cpu(INTEL, 1 | (1 << 9) | (1 << 10));
        let guest = apply(&m, &host);
        assert_eq!(guest.get_or_zero(1, 0).ecx, (1 << 5) | (1 << 9));
        assert_eq!(guest.get_or_zero(1, 0).edx, host.get_or_zero(1, 0).edx);
    }

    #[test]
    fn amd_lines_apply_on_amd_only_and_override() {
        let mut m = CpuidMask::new();
        m.register_mut(1, None, Reg::Ecx, false)
            .set(0, MaskChar::Hide);
        m.register_mut(1, None, Reg::Ecx, true)
            .set(9, MaskChar::Hide);
        let ecx = 1 | (1 << 9);
        assert_eq!(apply(&m, &cpu(INTEL, ecx)).get_or_zero(1, 0).ecx, 1 << 9);
        assert_eq!(apply(&m, &cpu(AMD, ecx)).get_or_zero(1, 0).ecx, 1);
    }

    #[test]
    fn featmask_entries_act_on_catalog_bits() {
        let mut m = CpuidMask::new();
        m.insert_featmask(FeatMask::new("SSE3", FeatOp::Val, 0));
        m.insert_featmask(FeatMask::new("SSSE3", FeatOp::Val, 1));
        m.insert_featmask(FeatMask::new("FAMILY", FeatOp::Val, 6));
        let guest = apply(&m, &cpu(INTEL, 1));
        assert_eq!(guest.get_or_zero(1, 0).ecx, 1 << 9);
    }

    #[test]
    fn forcing_a_missing_leaf_creates_it_hiding_does_not() {
        let mut m = CpuidMask::new();
        m.insert_register(RegisterMask::new(7, Some(0), Reg::Ebx, false));
        m.register_mut(7, Some(0), Reg::Ebx, false)
            .set(5, MaskChar::Hide);
        let host = cpu(INTEL, 0);
        assert_eq!(apply(&m, &host), host);
        m.register_mut(7, Some(0), Reg::Ebx, false)
            .set(3, MaskChar::Force);
        assert_eq!(apply(&m, &host).get_or_zero(7, 0).ebx, 1 << 3);
    }

    #[test]
    fn verify_sse3_ssse3_group() {
        let old = cpu(INTEL, 0);
        let new = cpu(INTEL, 1 | (1 << 9));
        let members = [&old, &new];
        // No mask: they differ, and the error says who and in what.
        let err = verify(&CpuidMask::new(), &members).expect_err("must differ");
        match &err {
            VerifyError::Differ {
                member,
                only_in_member,
                only_in_first,
            } => {
                assert_eq!(*member, 1);
                assert!(only_in_member.contains(id("pni")));
                assert!(only_in_member.contains(id("ssse3")));
                assert!(only_in_first.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("member 1"));
        // Hiding only ssse3 is not enough...
        let hidden: FeatureSet = [id("ssse3")].into_iter().collect();
        assert!(verify(&build(&hidden, MaskKind::CpuidLines), &members).is_err());
        // ...hiding pni closed under requirements is, in either spelling.
        let hidden = close_hidden(&[id("pni")].into_iter().collect());
        for kind in [MaskKind::CpuidLines, MaskKind::FeatMask] {
            let common = verify(&build(&hidden, kind), &members).expect("agree");
            assert!(!common.contains(id("pni")));
            assert!(common.contains(id("sse2")));
        }
        assert_eq!(verify(&CpuidMask::new(), &[]), Err(VerifyError::NoMembers));
    }
}
