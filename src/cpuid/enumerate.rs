//! Which leaves and subleaves to query, the way `cpuid -r` walks them.
//!
//! The walk is written once, over any function that answers one CPUID query, so
//! the local reader and any other live reader enumerate identically. Every
//! subleaf loop has its own stop rule and a hard cap, so a CPU (or a hypervisor)
//! that answers garbage cannot make the walk run away.

use super::raw::{CpuLeaves, Reg, Regs};

/// The highest basic leaf believed; anything above is treated as garbage.
const BASIC_LIMIT: u32 = 0xff;
/// The most leaves walked in one extended-style range (0x8000_0000, 0x4000_0000, 0xC000_0000, ...).
const RANGE_SPAN: u32 = 0xff;
/// The most subleaves walked for any one leaf.
const SUBLEAF_CAP: u32 = 64;

/// The vendor string of leaf 0 (EBX, EDX, ECX), as raw bytes.
fn vendor_bytes(r: Regs) -> [u8; 12] {
    let mut v = [0u8; 12];
    v[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    v[4..8].copy_from_slice(&r.edx.to_le_bytes());
    v[8..12].copy_from_slice(&r.ecx.to_le_bytes());
    v
}

/// The highest leaf of the range starting at `base`, if the answer at `base` is a
/// believable one (in `base+1 ..= base+RANGE_SPAN`). Intel P6 parts echo the
/// highest basic leaf at 0x8000_0000 (e.g. EAX=0x03020101): not believable.
pub fn range_max(base: u32, answer: Regs) -> Option<u32> {
    let max = answer.eax;
    (max > base && max <= base + RANGE_SPAN).then_some(max)
}

/// How the subleaves of a leaf that takes one (ECX input) are found. Source:
/// Intel SDM Vol. 2A (CPUID), AMD APM Vol. 3 (CPUID), and `cpuid -r`'s walk.
#[derive(Debug, Clone, Copy)]
pub enum Subleaves {
    /// Subleaves 1..=EAX of subleaf 0 (leaf 7: the highest subleaf).
    CountInEax,
    /// Subleaves 1.. while the rule holds on the previous answer, the first
    /// answer that fails it (the terminator) included.
    While(fn(Regs) -> bool),
    /// Bit i of this register of subleaf 0 announces subleaf i.
    Mask(Reg),
    /// Leaf 0xD: subleaf 1, then one per state component of XCR0 | IA32_XSS.
    Xsave,
    /// Leaf 0x12 (SGX): subleaves 1 and 2, then EPC sections while EAX[3:0] != 0.
    Sgx,
}

/// Cache and topology descriptors: one subleaf per level until the type is 0.
const CACHE_TYPE: fn(Regs) -> bool = |r| r.eax & 0x1f != 0;
/// Topology levels (0xB, 0x1F, 0x8000_0026): until the level type ECX[15:8] is 0.
const LEVEL_TYPE: fn(Regs) -> bool = |r| (r.ecx >> 8) & 0xff != 0;

/// Every leaf that takes a subleaf, how its subleaves are walked, and how many
/// subleaves after 0 most CPUs have (the first batch a remote read asks for).
/// The one list of such leaves: the walk, VMX mask keys (`cpuid.7.0.ebx`) and
/// remote reads all follow it.
pub const SUBLEAF_LEAVES: &[(u32, Subleaves, u32)] = &[
    (0x4, Subleaves::While(CACHE_TYPE), 6),
    (0x7, Subleaves::CountInEax, 2),
    (0xb, Subleaves::While(LEVEL_TYPE), 3),
    (0xd, Subleaves::Xsave, 19),
    (0xf, Subleaves::Mask(Reg::Edx), 3),
    (0x10, Subleaves::Mask(Reg::Ebx), 3),
    (0x12, Subleaves::Sgx, 4),
    (0x14, Subleaves::CountInEax, 1),
    (0x17, Subleaves::CountInEax, 3),
    (0x18, Subleaves::CountInEax, 8),
    (0x1b, Subleaves::While(|r| r.eax & 0xfff != 0), 0),
    (0x1d, Subleaves::CountInEax, 1),
    (0x1f, Subleaves::While(LEVEL_TYPE), 5),
    (0x20, Subleaves::CountInEax, 0),
    (0x23, Subleaves::Mask(Reg::Ebx), 0),
    (0x24, Subleaves::CountInEax, 0),
    (0x8000_001d, Subleaves::While(CACHE_TYPE), 5),
    (0x8000_0020, Subleaves::Mask(Reg::Ebx), 0),
    (0x8000_0026, Subleaves::While(LEVEL_TYPE), 3),
];

/// How `leaf`'s subleaves are walked; `None` for leaves without subleaves.
pub fn subleaves_of(leaf: u32) -> Option<Subleaves> {
    SUBLEAF_LEAVES
        .iter()
        .find(|(l, _, _)| *l == leaf)
        .map(|(_, s, _)| *s)
}

/// True for the CPUID leaves that take a subleaf (ECX input).
pub fn has_subleaves(leaf: u32) -> bool {
    subleaves_of(leaf).is_some()
}

/// Queries the subleaves after 0 of `leaf` (subleaf 0 answered `r0`).
fn walk_subleaves(cpu: &mut CpuLeaves, q: &mut Query<'_>, leaf: u32, r0: Regs) {
    let Some(how) = subleaves_of(leaf) else {
        return;
    };
    match how {
        Subleaves::CountInEax => {
            for sub in 1..=r0.eax.min(SUBLEAF_CAP) {
                q(cpu, leaf, sub);
            }
        }
        Subleaves::While(more) => walk_while(cpu, q, leaf, more, r0),
        Subleaves::Mask(reg) => walk_mask(cpu, q, leaf, r0.get(reg)),
        Subleaves::Xsave => {
            let r1 = q(cpu, leaf, 1);
            // Subleaf i describes state component i, present in XCR0 (0xD.0 EDX:EAX)
            // or in IA32_XSS (0xD.1 EDX:ECX).
            let xcr0 = (u64::from(r0.edx) << 32) | u64::from(r0.eax);
            let xss = (u64::from(r1.edx) << 32) | u64::from(r1.ecx);
            for sub in 2..63 {
                if (xcr0 | xss) & (1u64 << sub) != 0 {
                    q(cpu, leaf, sub);
                }
            }
        }
        Subleaves::Sgx => {
            q(cpu, leaf, 1);
            let r2 = q(cpu, leaf, 2);
            walk_from(cpu, q, leaf, 2, |r| r.eax & 0xf != 0, r2);
        }
    }
}

/// Queries every leaf and subleaf of one logical CPU through `query`.
pub fn walk(index: u32, mut query: impl FnMut(u32, u32) -> Regs) -> CpuLeaves {
    let mut cpu = CpuLeaves::new(index);
    let mut q = |cpu: &mut CpuLeaves, leaf: u32, sub: u32| -> Regs {
        let r = query(leaf, sub);
        cpu.insert(leaf, sub, r);
        r
    };

    let l0 = q(&mut cpu, 0, 0);
    let max_basic = l0.eax.min(BASIC_LIMIT);
    let vendor = vendor_bytes(l0);
    let mut hypervisor = false;
    for leaf in 1..=max_basic {
        let r0 = q(&mut cpu, leaf, 0);
        if leaf == 1 {
            hypervisor = r0.ecx & (1 << 31) != 0;
        }
        walk_subleaves(&mut cpu, &mut q, leaf, r0);
    }

    if hypervisor {
        // Hypervisor ranges start at 0x4000_0000 and, with Hyper-V enlightenments
        // on KVM or Xen, again at 0x4000_0100 (and, rarely, beyond). 0x4000_0000
        // and 0x4000_0100 are always asked, as `cpuid -r` does; the scan goes on
        // in steps of 0x100 (up to 0x4000_1000) only while ranges keep answering.
        for base in (0x4000_0000u32..=0x4000_1000).step_by(0x100) {
            let r = q(&mut cpu, base, 0);
            if let Some(max) = range_max(base, r) {
                for leaf in base + 1..=max {
                    q(&mut cpu, leaf, 0);
                }
            } else if base > 0x4000_0000 {
                cpu.leaves.remove(&super::LeafKey::new(base, 0));
                break;
            }
        }
    }

    let ext = q(&mut cpu, 0x8000_0000, 0);
    if let Some(max_ext) = range_max(0x8000_0000, ext) {
        for leaf in 0x8000_0001..=max_ext {
            let r0 = q(&mut cpu, leaf, 0);
            walk_subleaves(&mut cpu, &mut q, leaf, r0);
        }
    }

    let extra_base = match &vendor {
        b"CentaurHauls" | b"  Shanghai  " => Some(0xC000_0000u32),
        b"GenuineTMx86" | b"TransmetaCPU" => Some(0x8086_0000u32),
        _ => None,
    };
    if let Some(base) = extra_base {
        let r = q(&mut cpu, base, 0);
        if let Some(max) = range_max(base, r) {
            for leaf in base + 1..=max {
                q(&mut cpu, leaf, 0);
            }
        }
    }
    cpu
}

type Query<'a> = dyn FnMut(&mut CpuLeaves, u32, u32) -> Regs + 'a;

/// Subleaves 1.. while `more(previous)` holds, including the first subleaf that
/// fails it (the terminator, as `cpuid -r` prints it).
fn walk_while(
    cpu: &mut CpuLeaves,
    q: &mut Query<'_>,
    leaf: u32,
    more: impl Fn(Regs) -> bool,
    first: Regs,
) {
    walk_from(cpu, q, leaf, 0, more, first);
}

fn walk_from(
    cpu: &mut CpuLeaves,
    q: &mut Query<'_>,
    leaf: u32,
    start: u32,
    more: impl Fn(Regs) -> bool,
    first: Regs,
) {
    let mut prev = first;
    let mut sub = start + 1;
    while more(prev) && sub < SUBLEAF_CAP {
        prev = q(cpu, leaf, sub);
        sub += 1;
    }
}

/// Subleaf i for every bit i (1..32) set in `mask`.
fn walk_mask(cpu: &mut CpuLeaves, q: &mut Query<'_>, leaf: u32, mask: u32) {
    for sub in 1..32 {
        if mask & (1 << sub) != 0 {
            q(cpu, leaf, sub);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CPU that answers from a table and zeros elsewhere; counts queries.
    fn fake(table: &[(u32, u32, Regs)]) -> impl FnMut(u32, u32) -> Regs + '_ {
        move |leaf, sub| {
            table
                .iter()
                .find(|(l, s, _)| *l == leaf && *s == sub)
                .map(|t| t.2)
                .unwrap_or_default()
        }
    }

    #[test]
    fn p6_echo_at_extended_base_is_not_trusted() {
        let table = [
            (0, 0, Regs::new(2, 0x756e6547, 0x6c65746e, 0x49656e69)),
            (0x8000_0000, 0, Regs::new(0x0302_0101, 0, 0, 0)),
        ];
        let cpu = walk(0, fake(&table));
        assert!(cpu.get(0x8000_0001, 0).is_none());
        assert!(cpu.get(0x8000_0000, 0).is_some());
        assert!(cpu.get(2, 0).is_some());
    }

    #[test]
    fn subleaf_walks_stop_and_include_terminator() {
        let table = [
            (0, 0, Regs::new(0xb, 0, 0, 0)),
            (4, 0, Regs::new(0x121, 0, 0, 0)),
            (4, 1, Regs::new(0x122, 0, 0, 0)),
            (7, 0, Regs::new(1, 0, 0, 0)),
            (0xb, 0, Regs::new(1, 2, 0x100, 0)),
            (0xb, 1, Regs::new(4, 8, 0x201, 0)),
        ];
        let cpu = walk(0, fake(&table));
        assert!(cpu.get(4, 2).is_some(), "terminator recorded");
        assert!(cpu.get(4, 3).is_none());
        assert!(cpu.get(7, 1).is_some());
        assert!(cpu.get(7, 2).is_none());
        assert!(cpu.get(0xb, 2).is_some());
        assert!(cpu.get(0xb, 3).is_none());
    }

    #[test]
    fn garbage_max_leaf_is_capped() {
        let table = [(0, 0, Regs::new(0xffff_ffff, 0, 0, 0))];
        let cpu = walk(0, fake(&table));
        assert!(cpu.leaves.len() < 400);
    }
}
