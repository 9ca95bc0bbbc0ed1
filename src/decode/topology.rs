//! Cores and threads per package, as CPUID reports them for one logical CPU.
//!
//! Intel-like parts (Intel, Centaur/VIA, Zhaoxin, and anything unknown):
//! the V2 extended topology leaf 0x1F, else the extended topology leaf 0xB
//! (level types SMT = 1, Core = 2, ...; EBX[15:0] = logical processors at the
//! level, so the first level gives threads per core and the last one threads per
//! package), else leaf 4 EAX[31:26] + 1 for cores and leaf 1 EBX[23:16] for
//! logical processors, the latter only when leaf 1 EDX[28] (HTT) is set.
//!
//! AMD and Hygon: 0x8000_0008 ECX[7:0] + 1 (NC) is the number of threads per
//! package; on family 17h and later 0x8000_001E EBX[15:8] + 1 is the number of
//! threads per core (earlier families have no SMT: NC counts cores). NC is eight
//! bits wide, so parts with more than 256 threads per package need the extended
//! CPU topology leaf 0x8000_0026 (same layout as Intel's 0x1F; level type 1 is the
//! core), which is preferred where it is present.
//!
//! Leaves beyond the highest basic leaf (leaf 0 EAX) or the highest extended leaf
//! (0x8000_0000 EAX, believed only in 0x8000_0001..=0x8000_00FF: Intel P6 parts
//! echo the basic range there) are never read.
//!
//! On hybrid parts (leaf 7 EDX[15]) the counts of leaves 0xB/0x1F cover the whole
//! package but the SMT width is that of the reading CPU's core type, so cores per
//! package cannot be derived from one logical CPU and is left unknown.

use serde::Serialize;

use super::signature::Signature;
use super::vendor::Vendor;
use crate::cpuid::enumerate::range_max;
use crate::cpuid::CpuLeaves;

/// Which CPUID leaves a [`Topology`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologySource {
    /// Intel V2 extended topology enumeration, leaf 0x1F.
    Leaf1F,
    /// Intel extended topology enumeration, leaf 0xB.
    Leaf0B,
    /// Leaf 4 EAX[31:26] (cores) and leaf 1 EBX[23:16] (logical processors, with HTT).
    Leaf4Leaf1,
    /// AMD extended CPU topology, leaf 0x8000_0026.
    Amd80000026,
    /// AMD 0x8000_0008 ECX[7:0] (threads per package) with 0x8000_001E EBX[15:8]
    /// (threads per core) on family 17h and later.
    Amd80000008,
    /// Leaf 1 alone: EBX[23:16] with HTT, else a single thread.
    Leaf1,
}

/// Cores and logical processors per physical package, as CPUID reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Topology {
    /// Physical cores per package, where CPUID tells.
    pub cores_per_package: Option<u32>,
    /// Logical processors (threads) per package, where CPUID tells.
    pub threads_per_package: Option<u32>,
    /// Logical processors per core (the SMT width) of the core this logical CPU
    /// belongs to, where CPUID tells. On hybrid parts other core types may differ.
    pub threads_per_core: Option<u32>,
    /// The leaves the numbers came from; `None` when the dump has no usable leaf 1.
    pub source: Option<TopologySource>,
}

/// Most levels read from an extended topology leaf (the SDM defines types up to 6).
const MAX_LEVELS: u32 = 16;

/// The bounds within which a dump's leaves may be trusted.
struct Ranges {
    max_basic: u32,
    max_extended: Option<u32>,
}

impl Ranges {
    fn of(cpu: &CpuLeaves) -> Ranges {
        Ranges {
            max_basic: cpu.get_or_zero(0, 0).eax,
            max_extended: cpu
                .get(0x8000_0000, 0)
                .and_then(|r| range_max(0x8000_0000, r)),
        }
    }

    fn has(&self, leaf: u32) -> bool {
        if leaf >= 0x8000_0000 {
            self.max_extended.is_some_and(|m| leaf <= m)
        } else {
            leaf <= self.max_basic
        }
    }
}

/// Reads the topology of the package the CPU belongs to.
pub fn topology(cpu: &CpuLeaves, vendor: Vendor) -> Topology {
    let ranges = Ranges::of(cpu);
    if !ranges.has(1) || cpu.get(1, 0).is_none() {
        return Topology::default();
    }
    let hybrid = ranges.has(7) && cpu.get_or_zero(7, 0).edx & (1 << 15) != 0;
    if vendor.is_amd_like() {
        amd(cpu, vendor, &ranges)
    } else {
        intel(cpu, &ranges, hybrid)
    }
}

/// Intel-like parts: 0x1F, then 0xB, then leaves 4 and 1.
fn intel(cpu: &CpuLeaves, ranges: &Ranges, hybrid: bool) -> Topology {
    for (leaf, source) in [
        (0x1f, TopologySource::Leaf1F),
        (0xb, TopologySource::Leaf0B),
    ] {
        if !ranges.has(leaf) {
            continue;
        }
        if let Some(levels) = extended_levels(cpu, leaf) {
            return levels.topology(source, hybrid);
        }
    }
    legacy(cpu, ranges)
}

/// Leaf 4 EAX[31:26] + 1 cores, leaf 1 EBX[23:16] logical processors when HTT is set.
fn legacy(cpu: &CpuLeaves, ranges: &Ranges) -> Topology {
    let leaf1 = cpu.get_or_zero(1, 0);
    let htt = leaf1.edx & (1 << 28) != 0;
    let logical = (leaf1.ebx >> 16) & 0xff;
    let leaf4_cores = if ranges.has(4) {
        let eax = cpu.get_or_zero(4, 0).eax;
        // EAX[4:0] = 0: no cache described, the rest of the register is not valid.
        (eax & 0x1f != 0).then_some(((eax >> 26) & 0x3f) + 1)
    } else {
        None
    };
    let source = if leaf4_cores.is_some() {
        TopologySource::Leaf4Leaf1
    } else {
        TopologySource::Leaf1
    };
    let cores = leaf4_cores.unwrap_or(1);
    let threads = if htt { logical.max(cores) } else { cores };
    Topology {
        cores_per_package: Some(cores),
        threads_per_package: Some(threads),
        threads_per_core: exact_div(threads, cores),
        source: Some(source),
    }
}

/// AMD and Hygon.
fn amd(cpu: &CpuLeaves, vendor: Vendor, ranges: &Ranges) -> Topology {
    if ranges.has(0x8000_0026) {
        if let Some(levels) = extended_levels(cpu, 0x8000_0026) {
            return levels.topology(TopologySource::Amd80000026, false);
        }
    }
    let leaf1 = cpu.get_or_zero(1, 0);
    let family = Signature::decode(leaf1.eax, vendor).family;
    if !ranges.has(0x8000_0008) {
        // K5, K6, K7 and the earliest K8: one core; leaf 1 tells threads when HTT is set.
        let htt = leaf1.edx & (1 << 28) != 0;
        let logical = (leaf1.ebx >> 16) & 0xff;
        let threads = if htt { logical.max(1) } else { 1 };
        return Topology {
            cores_per_package: Some(threads),
            threads_per_package: Some(threads),
            threads_per_core: Some(1),
            source: Some(TopologySource::Leaf1),
        };
    }
    let nc = (cpu.get_or_zero(0x8000_0008, 0).ecx & 0xff) + 1;
    let threads_per_core = if family >= 0x17 {
        let topoext =
            ranges.has(0x8000_0001) && cpu.get_or_zero(0x8000_0001, 0).ecx & (1 << 22) != 0;
        (topoext && ranges.has(0x8000_001e))
            .then(|| ((cpu.get_or_zero(0x8000_001e, 0).ebx >> 8) & 0xff) + 1)
    } else {
        // Before Zen no AMD part has SMT: NC counts cores.
        Some(1)
    };
    Topology {
        cores_per_package: threads_per_core.and_then(|tpc| exact_div(nc, tpc)),
        threads_per_package: Some(nc),
        threads_per_core,
        source: Some(TopologySource::Amd80000008),
    }
}

/// What an extended topology leaf (0xB, 0x1F, 0x8000_0026) says.
struct Levels {
    /// EBX of the first level, which must be of type 1 (SMT; AMD calls it Core).
    threads_per_core: u32,
    /// EBX of the last valid level: logical processors in the package.
    threads_per_package: u32,
}

impl Levels {
    fn topology(&self, source: TopologySource, hybrid: bool) -> Topology {
        Topology {
            cores_per_package: if hybrid {
                None
            } else {
                exact_div(self.threads_per_package, self.threads_per_core)
            },
            threads_per_package: Some(self.threads_per_package),
            threads_per_core: Some(self.threads_per_core),
            source: Some(source),
        }
    }
}

/// Walks the subleaves of an extended topology leaf until a level of type 0 or
/// with no logical processors. `None` when the leaf is absent or does not start
/// with the SMT level, as a leaf that is not implemented does.
fn extended_levels(cpu: &CpuLeaves, leaf: u32) -> Option<Levels> {
    let mut threads_per_core = None;
    let mut threads_per_package = None;
    for sub in 0..MAX_LEVELS {
        let Some(r) = cpu.get(leaf, sub) else { break };
        let level_type = (r.ecx >> 8) & 0xff;
        let count = r.ebx & 0xffff;
        if level_type == 0 || count == 0 {
            break;
        }
        if sub == 0 {
            if level_type != 1 {
                return None;
            }
            threads_per_core = Some(count);
        }
        threads_per_package = Some(count);
    }
    Some(Levels {
        threads_per_core: threads_per_core?,
        threads_per_package: threads_per_package?,
    })
}

/// `a / b` when `b` divides `a` and the result is at least 1.
fn exact_div(a: u32, b: u32) -> Option<u32> {
    let q = a.checked_div(b)?;
    (q >= 1 && a % b == 0).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Regs;

    fn cpu(leaves: &[(u32, u32, [u32; 4])]) -> CpuLeaves {
        let mut c = CpuLeaves::new(0);
        for &(leaf, sub, [a, b, cx, d]) in leaves {
            c.insert(leaf, sub, Regs::new(a, b, cx, d));
        }
        c
    }

    const INTEL: [u32; 4] = [0, 0x756e_6547, 0x6c65_746e, 0x4965_6e69];

    fn with_max(mut l0: [u32; 4], max: u32) -> [u32; 4] {
        l0[0] = max;
        l0
    }

    #[test]
    fn intel_leaf_b() {
        // Xeon X5650-like: 6 cores, 12 threads.
        let c = cpu(&[
            (0, 0, with_max(INTEL, 0xb)),
            (1, 0, [0x206c2, 0x0020_0800, 0, 1 << 28]),
            (0xb, 0, [1, 2, 0x100, 0]),
            (0xb, 1, [5, 12, 0x201, 0]),
            (0xb, 2, [0, 0, 2, 0]),
        ]);
        let t = topology(&c, Vendor::Intel);
        assert_eq!(t.cores_per_package, Some(6));
        assert_eq!(t.threads_per_package, Some(12));
        assert_eq!(t.threads_per_core, Some(2));
        assert_eq!(t.source, Some(TopologySource::Leaf0B));
    }

    #[test]
    fn intel_leaf_b_beyond_max_basic_is_ignored() {
        let c = cpu(&[
            (0, 0, with_max(INTEL, 0x5)),
            (1, 0, [0x6f6, 0x0002_0800, 0, 1 << 28]),
            (4, 0, [0x0400_0121, 0, 0, 0]),
            (0xb, 0, [1, 2, 0x100, 0]),
            (0xb, 1, [5, 64, 0x201, 0]),
        ]);
        let t = topology(&c, Vendor::Intel);
        assert_eq!(t.source, Some(TopologySource::Leaf4Leaf1));
        assert_eq!(
            (t.cores_per_package, t.threads_per_package),
            (Some(2), Some(2))
        );
    }

    #[test]
    fn intel_legacy_ht_single_core() {
        // Pentium 4 with Hyper-Threading, no leaf 4.
        let c = cpu(&[
            (0, 0, with_max(INTEL, 2)),
            (1, 0, [0xf29, 0x0002_0800, 0, 1 << 28]),
        ]);
        let t = topology(&c, Vendor::Intel);
        assert_eq!(
            (t.cores_per_package, t.threads_per_package),
            (Some(1), Some(2))
        );
        assert_eq!(t.threads_per_core, Some(2));
        assert_eq!(t.source, Some(TopologySource::Leaf1));
    }

    #[test]
    fn intel_no_htt_means_one_thread_per_core() {
        let c = cpu(&[
            (0, 0, with_max(INTEL, 2)),
            (1, 0, [0x683, 0x00ff_0000, 0, 0]),
        ]);
        let t = topology(&c, Vendor::Intel);
        assert_eq!(
            (t.cores_per_package, t.threads_per_package),
            (Some(1), Some(1))
        );
    }

    #[test]
    fn hybrid_leaves_cores_unknown() {
        let c = cpu(&[
            (0, 0, with_max(INTEL, 0x20)),
            (1, 0, [0x90672, 0x0080_0800, 0, 1 << 28]),
            (7, 0, [0, 0, 0, 1 << 15]),
            (0x1f, 0, [1, 2, 0x100, 0]),
            (0x1f, 1, [7, 24, 0x201, 0]),
        ]);
        let t = topology(&c, Vendor::Intel);
        assert_eq!(t.cores_per_package, None);
        assert_eq!(t.threads_per_package, Some(24));
        assert_eq!(t.source, Some(TopologySource::Leaf1F));
    }

    #[test]
    fn amd_zen_nc_and_threads_per_core() {
        // Ryzen 7 1800X-like: NC = 16, two threads per core.
        let c = cpu(&[
            (0, 0, [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
            (1, 0, [0x0080_0f11, 0x0010_0800, 0, 1 << 28]),
            (0x8000_0000, 0, [0x8000_001f, 0, 0, 0]),
            (0x8000_0001, 0, [0, 0, 1 << 22, 0]),
            (0x8000_0008, 0, [0, 0, 0x0000_400f, 0]),
            (0x8000_001e, 0, [0, 0x0000_0100, 0, 0]),
        ]);
        let t = topology(&c, Vendor::Amd);
        assert_eq!(
            (t.cores_per_package, t.threads_per_package),
            (Some(8), Some(16))
        );
        assert_eq!(t.threads_per_core, Some(2));
    }

    #[test]
    fn p6_echo_at_extended_base_is_not_trusted() {
        let c = cpu(&[
            (0, 0, [0x3, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
            (1, 0, [0x0000_0681, 0, 0, 0]),
            (0x8000_0000, 0, [0x0302_0101, 0, 0, 0]),
            (0x8000_0008, 0, [0, 0, 0x3, 0]),
        ]);
        let t = topology(&c, Vendor::Amd);
        assert_eq!(
            (t.cores_per_package, t.threads_per_package),
            (Some(1), Some(1))
        );
        assert_eq!(t.source, Some(TopologySource::Leaf1));
    }

    #[test]
    fn garbage_never_panics() {
        let all = [u32::MAX; 4];
        let zero = [0u32; 4];
        for regs in [all, zero] {
            let mut leaves = vec![(0, 0, regs), (1, 0, regs), (4, 0, regs), (7, 0, regs)];
            for sub in 0..20 {
                leaves.push((0xb, sub, regs));
                leaves.push((0x1f, sub, regs));
                leaves.push((0x8000_0026, sub, regs));
            }
            leaves.push((0x8000_0000, 0, regs));
            leaves.push((0x8000_0008, 0, regs));
            leaves.push((0x8000_001e, 0, regs));
            let c = cpu(&leaves);
            for v in [Vendor::Intel, Vendor::Amd, Vendor::Hygon, Vendor::Unknown] {
                let _ = topology(&c, v);
            }
        }
        assert_eq!(
            topology(&CpuLeaves::new(0), Vendor::Intel),
            Topology::default()
        );
    }
}
