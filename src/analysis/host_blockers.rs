//! Host-level blockers: what makes a host unfit to run or receive migrating VMs
//! whatever the other hosts are, found in its own dump. Part of the host
//! analysis; pure (no I/O).
//!
//! - **The host is a VM** (nested ESXi, a lab host): the CPUID hypervisor bit
//!   (leaf 1 ECX[31]) is set, so its CPUID is the outer hypervisor's view, not
//!   the silicon's, and the outer hypervisor decides what its guests may use.
//! - **No VT-x / AMD-V** (absent, hidden by an outer hypervisor, or disabled by
//!   firmware): ESXi needs it to run 64-bit guests, and vSphere EVC requires it
//!   enabled on every host (VMware KB 1003212).
//! - **Logical CPUs that differ** (APIC IDs aside): one odd CPU (mixed
//!   steppings or microcode, a CPU that firmware configured differently), or a
//!   hybrid part whose core types differ (P-cores and E-cores): a VM may be
//!   scheduled on either, so what it sees is not fixed.

use serde::Serialize;

use super::host::{virt_state, VirtState};
use crate::cpuid::RawDump;
use crate::decode::{compare_cpus, Cpu};

/// One reason a host cannot take part in live migration as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HostBlocker {
    /// The dump was taken inside a VM: the hypervisor bit is set.
    RunsInVm {
        /// The outer hypervisor, as its CPUID signature names it (`VMware`,
        /// `KVM`), or `unrecognized`.
        hypervisor: String,
    },
    /// CPUID does not report VT-x/AMD-V, or firmware disabled it.
    NoHardwareVirtualization {
        /// `VT-x` or `AMD-V`.
        what: &'static str,
        /// True when CPUID reports it but the kernel shows firmware disabled it.
        disabled_by_firmware: bool,
    },
    /// Some logical CPUs differ from the first of their core type.
    NonIdenticalCpus {
        /// The odd logical CPUs (OS numbers).
        odd_cpus: Vec<u32>,
        /// The registers that differ (`leaf 0x1 ECX`).
        registers: Vec<String>,
    },
    /// A hybrid part: logical CPUs of more than one core type.
    HybridCoreTypes {
        /// The core types and how many logical CPUs each has (`P-core x 16`).
        core_types: Vec<String>,
    },
}

impl HostBlocker {
    /// What is wrong, in one sentence for an administrator.
    pub fn problem(&self) -> String {
        match self {
            HostBlocker::RunsInVm { hypervisor } => format!(
                "the host is itself a VM (hypervisor bit set; outer hypervisor: {hypervisor}): its CPUID is that hypervisor's view, not the silicon's"
            ),
            HostBlocker::NoHardwareVirtualization {
                what,
                disabled_by_firmware: true,
            } => format!("{what} is present but disabled by firmware"),
            HostBlocker::NoHardwareVirtualization { what, .. } => {
                format!("CPUID does not report {what}")
            }
            HostBlocker::NonIdenticalCpus {
                odd_cpus,
                registers,
            } => format!(
                "logical CPU(s) {} differ from the others in {}",
                odd_cpus
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                registers.join(", ")
            ),
            HostBlocker::HybridCoreTypes { core_types } => format!(
                "hybrid part: its core types ({}) offer different features",
                core_types.join(", ")
            ),
        }
    }

    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        match self {
            HostBlocker::RunsInVm { .. } => {
                "run production VMs on physical hosts; keep nested hosts out of production clusters"
            }
            HostBlocker::NoHardwareVirtualization {
                disabled_by_firmware: true,
                ..
            } => "enable it in the BIOS/UEFI setup",
            HostBlocker::NoHardwareVirtualization { .. } => {
                "enable it in the BIOS/UEFI setup (or, for a nested host, expose it: vhv.enable = \"TRUE\"); a CPU without it cannot join"
            }
            HostBlocker::NonIdenticalCpus { .. } => {
                "bring every socket to the same stepping, microcode and BIOS settings (update firmware; replace the odd CPU)"
            }
            HostBlocker::HybridCoreTypes { .. } => {
                "use a part with one core type, or disable the E-cores in firmware"
            }
        }
    }
}

/// The host-level blockers of a host from its dump and its decoded first CPU.
pub fn host_blockers(dump: &RawDump, cpu: &Cpu) -> Vec<HostBlocker> {
    let mut out = Vec::new();
    if let Some(h) = &cpu.hypervisor {
        out.push(HostBlocker::RunsInVm {
            hypervisor: h.name.unwrap_or("unrecognized").to_string(),
        });
    }
    // Only complete dumps say anything about VT-x/AMD-V (ESXi's cpuFeature
    // keyhole has leaf 1; /proc/cpuinfo reconstructions have the flag).
    match virt_state(cpu, dump.os_flags.as_deref()) {
        VirtState::NotReported => out.push(HostBlocker::NoHardwareVirtualization {
            what: cpu.virtualization_name(),
            disabled_by_firmware: false,
        }),
        VirtState::DisabledByFirmware => out.push(HostBlocker::NoHardwareVirtualization {
            what: cpu.virtualization_name(),
            disabled_by_firmware: true,
        }),
        VirtState::Enabled | VirtState::PresentFirmwareUnknown => {}
    }
    let c = compare_cpus(dump);
    if c.groups.len() > 1 {
        out.push(HostBlocker::HybridCoreTypes {
            core_types: c
                .groups
                .iter()
                .map(|g| {
                    format!(
                        "{} x {}",
                        g.core_type
                            .map_or_else(|| "untyped".to_string(), |t| t.label()),
                        g.cpus.len()
                    )
                })
                .collect(),
        });
    }
    if !c.identical() {
        let mut odd: Vec<u32> = c
            .differences
            .iter()
            .flat_map(|d| d.cpus.iter().copied())
            .collect();
        odd.sort_unstable();
        odd.dedup();
        out.push(HostBlocker::NonIdenticalCpus {
            odd_cpus: odd,
            registers: c
                .differences
                .iter()
                .map(|d| {
                    if d.key.subleaf == 0 {
                        format!("leaf 0x{:x} {}", d.key.leaf, d.reg.name().to_uppercase())
                    } else {
                        format!(
                            "leaf 0x{:x}.{} {}",
                            d.key.leaf,
                            d.key.subleaf,
                            d.reg.name().to_uppercase()
                        )
                    }
                })
                .collect(),
        });
    }
    out
}

/// One host's blockers, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostBlockers {
    /// Host name (fleet file).
    pub host: String,
    /// Its blockers (never empty in a report's list).
    pub blockers: Vec<HostBlocker>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::{CpuLeaves, LeafKey, Regs};

    /// A two-CPU Intel dump with VT-x; `tweak` edits the second CPU.
    fn dump(ecx1: u32, tweak: impl Fn(&mut CpuLeaves)) -> RawDump {
        let mut d = RawDump::new(
            crate::cpuid::Provenance {
                kind: crate::cpuid::SourceKind::NativeFile,
                origin: "test".into(),
                detail: String::new(),
            },
            crate::cpuid::Completeness::Full,
        );
        for i in 0..2 {
            let mut c = CpuLeaves::new(i);
            c.leaves.insert(
                LeafKey::new(0, 0),
                Regs {
                    eax: 1,
                    ebx: 0x756e_6547,
                    ecx: 0x6c65_746e,
                    edx: 0x4965_6e69,
                },
            );
            c.leaves.insert(
                LeafKey::new(1, 0),
                Regs {
                    eax: 0x0002_06c2,
                    ebx: i << 24,
                    ecx: ecx1,
                    edx: 0xbfeb_fbff,
                },
            );
            if i == 1 {
                tweak(&mut c);
            }
            d.cpus.push(c);
        }
        d
    }

    fn blockers(d: &RawDump) -> Vec<HostBlocker> {
        let cpu = crate::decode::decode_dump(d).expect("decodes");
        host_blockers(d, &cpu)
    }

    #[test]
    fn a_sound_host_has_none_and_apic_ids_do_not_count() {
        let d = dump(0x029e_e3ff, |_| {});
        assert_eq!(blockers(&d), vec![]);
    }

    #[test]
    fn nested_no_vtx_and_an_odd_cpu_are_named() {
        // Hypervisor bit set, VT-x cleared (ECX[5]).
        let d = dump((0x029e_e3ff & !(1 << 5)) | (1 << 31), |_| {});
        let b = blockers(&d);
        assert!(matches!(b[0], HostBlocker::RunsInVm { .. }), "{b:?}");
        assert_eq!(
            b[1],
            HostBlocker::NoHardwareVirtualization {
                what: "VT-x",
                disabled_by_firmware: false
            }
        );
        // CPU 1 lacks AES (ECX[25]): the odd CPU is named with its register.
        let d = dump(0x029e_e3ff, |c| {
            if let Some(r) = c.leaves.get_mut(&LeafKey::new(1, 0)) {
                r.ecx &= !(1 << 25);
            }
        });
        let b = blockers(&d);
        assert_eq!(
            b,
            vec![HostBlocker::NonIdenticalCpus {
                odd_cpus: vec![1],
                registers: vec!["leaf 0x1 ECX".into()]
            }]
        );
        assert!(b[0].problem().contains("logical CPU(s) 1 differ"));
        // Firmware-disabled VT-x: Linux's flags lack vmx.
        let mut d = dump(0x029e_e3ff, |_| {});
        d.os_flags = Some(vec!["fpu".into()]);
        assert_eq!(
            blockers(&d),
            vec![HostBlocker::NoHardwareVirtualization {
                what: "VT-x",
                disabled_by_firmware: true
            }]
        );
    }
}
