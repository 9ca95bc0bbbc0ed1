//! The hypervisor a dump was taken under: leaf 1 ECX[31] and the signature at
//! 0x4000_0000 (EBX, ECX, EDX), scanning 0x4000_0000..=0x4000_1000 in steps of 0x100
//! because Xen and KVM move their own signature up when they offer Hyper-V's.

use serde::Serialize;

use crate::cpuid::CpuLeaves;

/// What a dump says about the hypervisor it was taken under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hypervisor {
    /// The signatures found, lowest leaf first (raw 12-byte strings, printable).
    pub signatures: Vec<String>,
    /// Human name of the first recognized signature, if any.
    pub name: Option<&'static str>,
}

const KNOWN: &[(&[u8; 12], &str)] = &[
    (b"VMwareVMware", "VMware"),
    (b"KVMKVMKVM\0\0\0", "KVM"),
    (b"Microsoft Hv", "Hyper-V"),
    (b"XenVMMXenVMM", "Xen HVM"),
    (b"TCGTCGTCGTCG", "QEMU TCG"),
    (b"VBoxVBoxVBox", "VirtualBox"),
    (b" lrpepyh  vr", "Parallels"),
    (b"prl hyperv  ", "Parallels"),
    (b"bhyve bhyve ", "bhyve"),
    (b"ACRNACRNACRN", "ACRN"),
    (b" QNXQVMBSQG ", "QNX hypervisor"),
    (b"HAXMHAXMHAXM", "Intel HAXM"),
    (b"Jailhouse\0\0\0", "Jailhouse"),
];

/// The hypervisor's signatures, given that the decoded hypervisor bit (leaf 1
/// ECX[31]) is set; `None` when it is not (bare metal).
pub fn detect(cpu: &CpuLeaves, hypervisor_bit: bool) -> Option<Hypervisor> {
    if !hypervisor_bit {
        return None;
    }
    let mut signatures = Vec::new();
    let mut name = None;
    for base in (0x4000_0000u32..=0x4000_1000).step_by(0x100) {
        let Some(r) = cpu.get(base, 0) else { continue };
        if r.ebx == 0 && r.ecx == 0 && r.edx == 0 {
            continue;
        }
        let mut b = [0u8; 12];
        b[0..4].copy_from_slice(&r.ebx.to_le_bytes());
        b[4..8].copy_from_slice(&r.ecx.to_le_bytes());
        b[8..12].copy_from_slice(&r.edx.to_le_bytes());
        if name.is_none() {
            name = KNOWN.iter().find(|(s, _)| *s == &b).map(|(_, n)| *n);
        }
        signatures.push(
            b.iter()
                .map(|&c| {
                    if (0x20..0x7f).contains(&c) {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect::<String>()
                .trim_end_matches('.')
                .to_string(),
        );
    }
    Some(Hypervisor { signatures, name })
}
