//! MSR-based features of one host, decoded from the facts a source read beyond
//! CPUID ([`crate::cpuid::KvmFacts`]), in libvirt's names: the VMX capabilities and
//! the ARCH_CAPABILITIES / CORE_CAPABILITIES bits. Each family records the source it
//! came from and which names that source can show at all, so that hosts read in
//! different ways are compared only on what both can show.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::msr::{self, MsrGroup};
use crate::cpuid::KvmFacts;

/// One family of MSR-based features as one source showed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Shown {
    /// The source (`KVM feature MSRs (/dev/kvm)`, `/proc/cpuinfo vmx flags`, ...).
    pub source: String,
    /// The features present, libvirt names (Linux spellings for VMX capabilities
    /// libvirt does not name).
    pub present: BTreeSet<&'static str>,
    /// Every name the source could have shown: absence means "lacks it" only here.
    #[serde(skip)]
    pub coverage: BTreeSet<&'static str>,
}

impl Shown {
    /// The features `self` has that `dest` can show and lacks.
    pub fn missing_in(&self, dest: &Shown) -> Vec<&'static str> {
        self.present
            .iter()
            .filter(|n| dest.coverage.contains(*n) && !dest.present.contains(*n))
            .copied()
            .collect()
    }
}

/// A host's MSR-based features, per family; `None` where no source showed them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct MsrView {
    /// VMX capabilities (matter only to VMs with nested virtualization).
    pub vmx: Option<Shown>,
    /// IA32_ARCH_CAPABILITIES and IA32_CORE_CAPABILITIES bits (matter to every guest
    /// under KVM).
    pub arch: Option<Shown>,
}

fn names_of(groups: &[MsrGroup]) -> BTreeSet<&'static str> {
    msr::msr_features()
        .iter()
        .filter(|d| groups.contains(&d.group))
        .map(|d| d.name)
        .collect()
}

/// The features of `groups` in raw MSR values, covering the MSRs that were read.
fn from_values(
    values: &std::collections::BTreeMap<u32, u64>,
    groups: &[MsrGroup],
    source: &str,
) -> Shown {
    let mut present = BTreeSet::new();
    let mut coverage = BTreeSet::new();
    for d in msr::msr_features()
        .iter()
        .filter(|d| groups.contains(&d.group))
    {
        if let Some(v) = values.get(&d.msr) {
            coverage.insert(d.name);
            if msr::present_in(d, *v) {
                present.insert(d.name);
            }
        }
    }
    Shown {
        source: source.to_string(),
        present,
        coverage,
    }
}

/// The VMX capabilities a `vmx flags` line names.
pub fn from_vmx_flags(flags: &[String]) -> Shown {
    let mut present = BTreeSet::new();
    let mut coverage = BTreeSet::new();
    for f in msr::linux_vmx_flags() {
        let names: Vec<&'static str> = if f.names.is_empty() {
            vec![f.flag]
        } else {
            f.names.to_vec()
        };
        if !f.aggregate {
            coverage.extend(names.iter().copied());
        }
        if flags.iter().any(|x| x == f.flag) {
            present.extend(names);
        }
    }
    Shown {
        source: "/proc/cpuinfo vmx flags".into(),
        present,
        coverage,
    }
}

const VMX: &[MsrGroup] = &[MsrGroup::Vmx];
const ARCH: &[MsrGroup] = &[MsrGroup::ArchCapabilities, MsrGroup::CoreCapabilities];

/// Decodes what `facts` show. KVM's feature MSRs come first (what KVM offers a
/// guest, the view libvirt uses), then the host's MSRs, then libvirt's host CPU,
/// then (VMX only) the `vmx flags` line. When KVM's feature MSR list holds no VMX
/// capability MSR, KVM offers no nested VMX at all (every VMX capability absent).
pub fn decode(facts: &KvmFacts) -> MsrView {
    let mut view = MsrView::default();
    if let Some(v) = &facts.feature_msrs {
        let has_vmx_msr = v.keys().any(|i| (0x480..=0x491).contains(i));
        if has_vmx_msr {
            view.vmx = Some(from_values(v, VMX, "KVM feature MSRs (/dev/kvm)"));
        } else {
            // KVM lists no VMX capability MSR: it offers no nested VMX to guests.
            view.vmx = Some(Shown {
                source: "KVM feature MSRs (/dev/kvm): no VMX MSR, no nested VMX offered".into(),
                present: BTreeSet::new(),
                coverage: names_of(VMX),
            });
        }
        if v.contains_key(&0x10a) {
            view.arch = Some(from_values(v, ARCH, "KVM feature MSRs (/dev/kvm)"));
        }
    }
    if let Some(v) = &facts.host_msrs {
        if view.vmx.is_none() && v.keys().any(|i| (0x480..=0x491).contains(i)) {
            view.vmx = Some(from_values(v, VMX, "host MSRs (/dev/cpu/0/msr)"));
        }
        if view.arch.is_none() && v.contains_key(&0x10a) {
            view.arch = Some(from_values(v, ARCH, "host MSRs (/dev/cpu/0/msr)"));
        }
    }
    if let Some(c) = &facts.libvirt_cpu {
        let listed = |groups: &[MsrGroup]| -> BTreeSet<&'static str> {
            c.features
                .iter()
                .filter_map(|n| msr::msr_feature(n))
                .filter(|d| groups.contains(&d.group))
                .map(|d| d.name)
                .collect()
        };
        let src = format!("libvirt {}", c.source);
        let vmx = listed(VMX);
        if view.vmx.is_none() && !vmx.is_empty() {
            // libvirt lists VMX capabilities beyond the model's (which vmcompat's
            // model table leaves out): only the listed and disabled ones are known.
            let mut coverage = vmx.clone();
            coverage.extend(
                c.disabled
                    .iter()
                    .filter_map(|n| msr::msr_feature(n))
                    .filter(|d| d.group == MsrGroup::Vmx)
                    .map(|d| d.name),
            );
            view.vmx = Some(Shown {
                source: src.clone(),
                present: vmx,
                coverage,
            });
        }
        let arch = listed(ARCH);
        let says_arch = !arch.is_empty() || c.features.iter().any(|f| f == "arch-capabilities");
        if view.arch.is_none() && says_arch {
            view.arch = Some(Shown {
                source: src,
                present: arch,
                coverage: names_of(ARCH),
            });
        }
    }
    if view.vmx.is_none() {
        if let Some(flags) = &facts.vmx_flags {
            view.vmx = Some(from_vmx_flags(flags));
        }
    }
    view
}
