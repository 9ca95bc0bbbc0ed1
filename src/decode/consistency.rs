//! Are all logical CPUs of a dump identical? APIC-ID fields differ by design and
//! are ignored; hybrid parts are compared within each core type.

use serde::Serialize;

use crate::cpuid::{CpuLeaves, LeafKey, RawDump, Reg, Regs};

/// The core type of a hybrid part's logical CPU (leaf 0x1A EAX[31:24]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoreType {
    /// Intel Atom-class efficient core (0x20).
    Efficient,
    /// Intel Core-class performance core (0x40).
    Performance,
    /// Any other value.
    Other(u8),
}

impl CoreType {
    /// The core type named by leaf 0x1A EAX, if any.
    pub fn from_leaf1a(eax: u32) -> Option<CoreType> {
        match (eax >> 24) as u8 {
            0 => None,
            0x20 => Some(CoreType::Efficient),
            0x40 => Some(CoreType::Performance),
            other => Some(CoreType::Other(other)),
        }
    }

    /// The name people use ("P-core", "E-core").
    pub fn label(self) -> String {
        match self {
            CoreType::Efficient => "E-core".into(),
            CoreType::Performance => "P-core".into(),
            CoreType::Other(v) => format!("core type 0x{v:02x}"),
        }
    }
}

/// The logical CPUs of one core type (or all of them, on a non-hybrid part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuGroup {
    /// The core type, on hybrid parts.
    pub core_type: Option<CoreType>,
    /// OS numbers of the logical CPUs in the group.
    pub cpus: Vec<u32>,
}

/// One register that differs between logical CPUs of the same core type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Leaf and subleaf.
    pub key: LeafKey,
    /// Register.
    pub reg: Reg,
    /// The logical CPUs whose value differs from the first CPU of their group.
    pub cpus: Vec<u32>,
}

/// The outcome of comparing every logical CPU of a dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consistency {
    /// Number of logical CPUs read.
    pub logical_cpus: usize,
    /// Groups by core type (one group on non-hybrid parts).
    pub groups: Vec<CpuGroup>,
    /// Registers that differ within a group, outside the APIC-ID fields.
    pub differences: Vec<Difference>,
}

impl Consistency {
    /// True when every CPU matches the others of its core type.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Masks the parts of a register that legitimately differ between logical CPUs:
/// the initial APIC ID (leaf 1 EBX[31:24]), x2APIC IDs (0xB/0x1F EDX, 0x8000_0026 EDX)
/// and AMD's extended APIC/core/node IDs (all of 0x8000_001E).
pub fn without_apic_ids(key: LeafKey, reg: Reg, value: u32) -> u32 {
    match (key.leaf, reg) {
        (0x1, Reg::Ebx) => value & 0x00ff_ffff,
        (0xb | 0x1f | 0x8000_0026, Reg::Edx) => 0,
        (0x8000_001e, _) => 0,
        _ => value,
    }
}

fn core_type_of(cpu: &CpuLeaves) -> Option<CoreType> {
    let hybrid = cpu.get_or_zero(0x7, 0).edx & (1 << 15) != 0;
    if hybrid {
        CoreType::from_leaf1a(cpu.get_or_zero(0x1a, 0).eax)
    } else {
        None
    }
}

/// Compares every logical CPU of a dump with the first CPU of its core type.
pub fn compare_cpus(dump: &RawDump) -> Consistency {
    let mut groups: Vec<(Option<CoreType>, Vec<&CpuLeaves>)> = Vec::new();
    for cpu in &dump.cpus {
        let ct = core_type_of(cpu);
        match groups.iter_mut().find(|(t, _)| *t == ct) {
            Some((_, members)) => members.push(cpu),
            None => groups.push((ct, vec![cpu])),
        }
    }
    let mut differences: Vec<Difference> = Vec::new();
    for (_, members) in &groups {
        let Some((first, rest)) = members.split_first() else {
            continue;
        };
        for other in rest {
            let keys = first.leaves.keys().chain(other.leaves.keys());
            for key in keys {
                let a = first.leaves.get(key).copied().unwrap_or(Regs::default());
                let b = other.leaves.get(key).copied().unwrap_or(Regs::default());
                for reg in Reg::ALL {
                    if without_apic_ids(*key, reg, a.get(reg))
                        != without_apic_ids(*key, reg, b.get(reg))
                    {
                        record(&mut differences, *key, reg, other.index);
                    }
                }
            }
        }
    }
    differences.sort_by_key(|d| (d.key, d.reg));
    Consistency {
        logical_cpus: dump.cpus.len(),
        groups: groups
            .into_iter()
            .map(|(core_type, members)| CpuGroup {
                core_type,
                cpus: members.iter().map(|c| c.index).collect(),
            })
            .collect(),
        differences,
    }
}

fn record(diffs: &mut Vec<Difference>, key: LeafKey, reg: Reg, cpu: u32) {
    match diffs.iter_mut().find(|d| d.key == key && d.reg == reg) {
        Some(d) => {
            if !d.cpus.contains(&cpu) {
                d.cpus.push(cpu);
            }
        }
        None => diffs.push(Difference {
            key,
            reg,
            cpus: vec![cpu],
        }),
    }
}
