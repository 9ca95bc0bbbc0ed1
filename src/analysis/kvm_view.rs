//! KVM's own view of a host beside the CPU's: what KVM can give a guest
//! (`KVM_GET_SUPPORTED_CPUID`), what it emulates, the feature MSRs it offers, and
//! how far that falls short of the silicon (x86-64 level, features missing). Under a
//! paravirtualized or nested KVM the difference is large, and it is what guests get.

use serde::Serialize;

use crate::catalog::{self, msr, FeatureSet};
use crate::cpuid::{CpuLeaves, FactSource, KvmFacts, RawDump};
use crate::decode::{self, Cpu};

/// What `vmcompat report` says about KVM's view.
#[derive(Debug, Clone, Serialize)]
pub struct KvmGuestView {
    /// x86-64 level of the CPU (raw CPUID), "x86-64-vN" or "none".
    pub cpu_level: String,
    /// x86-64 level of what KVM can give a guest (supported + emulated).
    pub guest_level: Option<String>,
    /// Leaf 1 ECX of the CPU and of KVM's supported CPUID, hex.
    pub leaf1_ecx: Option<(String, String)>,
    /// Compared features the CPU has that KVM cannot give a guest.
    #[serde(serialize_with = "names")]
    pub missing: FeatureSet,
    /// The psABI-level features among `missing` (SSE3 ... AVX-512): the notable ones.
    pub missing_notable: Vec<&'static str>,
    /// Features KVM offers although the CPU lacks them (emulated or synthesized).
    #[serde(serialize_with = "names")]
    pub added: FeatureSet,
    /// Features of `KVM_GET_EMULATED_CPUID`.
    #[serde(serialize_with = "names")]
    pub emulated: FeatureSet,
    /// Feature MSRs as KVM offers them: index, value, the named bits set.
    pub feature_msrs: Vec<(String, String, Vec<&'static str>)>,
    /// libvirt's host CPU, when the source was libvirt's XML.
    pub libvirt_cpu: Option<crate::cpuid::LibvirtCpu>,
    /// Each source of facts beyond CPUID, read or not and why.
    pub sources: Vec<FactSource>,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

fn level(l: u8) -> String {
    if l == 0 {
        "none".into()
    } else {
        format!("x86-64-v{l}")
    }
}

/// Decodes KVM's CPUID entries; leaf 0 and 0x8000_0000 (the ranges and the
/// vendor) come from the CPU where KVM's list lacks them (the emulated list does).
fn decode_map(
    map: &std::collections::BTreeMap<crate::cpuid::LeafKey, crate::cpuid::Regs>,
    host: Option<&CpuLeaves>,
) -> Cpu {
    let mut leaves = CpuLeaves::new(0);
    leaves.leaves = map.clone();
    for leaf in [0, 0x8000_0000] {
        if leaves.get(leaf, 0).is_none() {
            if let Some(r) = host.and_then(|h| h.get(leaf, 0)) {
                leaves.insert(leaf, 0, r);
            }
        }
    }
    decode::decode_cpu(&leaves, crate::cpuid::Completeness::Full)
}

/// KVM's view of `dump` beside its CPU, when the dump carries facts beyond CPUID.
pub fn kvm_view(dump: &RawDump, cpu: &Cpu) -> Option<KvmGuestView> {
    let k: &KvmFacts = &dump.kvm;
    if k.is_empty() {
        return None;
    }
    let mut view = KvmGuestView {
        cpu_level: level(cpu.x86_64_level),
        guest_level: None,
        leaf1_ecx: None,
        missing: FeatureSet::new(),
        missing_notable: Vec::new(),
        added: FeatureSet::new(),
        emulated: FeatureSet::new(),
        feature_msrs: Vec::new(),
        libvirt_cpu: k.libvirt_cpu.clone(),
        sources: k.sources.clone(),
    };
    if let Some(sup) = &k.supported_cpuid {
        let guest = decode_map(sup, dump.first());
        // What KVM emulates, OR-ed into the supported leaves (the emulated list alone
        // has no SSE2, vendor or ranges, so it is not decoded on its own).
        let mut merged = sup.clone();
        for (key, r) in k.emulated_cpuid.iter().flatten() {
            if key.leaf == 0 || key.leaf == 0x8000_0000 {
                continue;
            }
            let e = merged.entry(*key).or_default();
            e.eax |= r.eax;
            e.ebx |= r.ebx;
            e.ecx |= r.ecx;
            e.edx |= r.edx;
        }
        let offered = decode_map(&merged, dump.first()).features;
        view.emulated = offered.difference(&guest.features);
        view.guest_level = Some(level(decode::x86_64_level(&offered)));
        let compared = catalog::compared_classes();
        view.missing = cpu.features.difference(&offered).intersection(compared);
        // The hypervisor bit and friends are per-VM; compared_classes leaves them out.
        view.added = offered.difference(&cpu.features).intersection(compared);
        let psabi = (1..=4)
            .map(catalog::psabi_level_features)
            .fold(FeatureSet::new(), |a, s| a.union(&s));
        view.missing_notable = view.missing.intersection(&psabi).names();
        let ecx = |m: Option<crate::cpuid::Regs>| m.map(|r| format!("0x{:08x}", r.ecx));
        if let (Some(a), Some(b)) = (
            ecx(dump.first().and_then(|c| c.get(1, 0))),
            ecx(sup.get(&crate::cpuid::LeafKey::new(1, 0)).copied()),
        ) {
            view.leaf1_ecx = Some((a, b));
        }
    }
    if let Some(m) = &k.feature_msrs {
        for (i, v) in m {
            view.feature_msrs.push((
                format!("0x{i:x}"),
                format!("0x{v:016x}"),
                msr::features_in(*i, *v).map(|d| d.name).collect(),
            ));
        }
    }
    Some(view)
}
