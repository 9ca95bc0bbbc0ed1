//! Facts beyond raw CPUID that a source learns alongside it: KVM's own view of
//! what it can give a guest, the feature MSRs (IA32_ARCH_CAPABILITIES, the VMX
//! capability MSRs), the `vmx flags` line of `/proc/cpuinfo`, and libvirt's host CPU.
//! Plain data; the readers live in `crate::sources`, the meaning in
//! `crate::analysis::msr_features`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::raw::{LeafKey, Regs};

/// Everything beyond CPUID a source could (or could not) read about one host.
/// `Default` is "nothing read, nothing tried" (a bare CPUID dump).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KvmFacts {
    /// `KVM_GET_SUPPORTED_CPUID` on `/dev/kvm`: what KVM can give a guest
    /// (leaf/subleaf -> registers, the bits KVM supports set).
    pub supported_cpuid: Option<BTreeMap<LeafKey, Regs>>,
    /// `KVM_GET_EMULATED_CPUID`: what KVM emulates in software whatever the host has.
    pub emulated_cpuid: Option<BTreeMap<LeafKey, Regs>>,
    /// Feature MSRs as KVM offers them to guests (`KVM_GET_MSR_FEATURE_INDEX_LIST`,
    /// then `KVM_GET_MSRS` on the system fd): MSR index -> 64-bit value.
    pub feature_msrs: Option<BTreeMap<u32, u64>>,
    /// Feature MSRs read from the host itself (`/dev/cpu/0/msr`, root and the
    /// `msr` module): MSR index -> value.
    pub host_msrs: Option<BTreeMap<u32, u64>>,
    /// The `vmx flags` line of `/proc/cpuinfo` for the first CPU (Linux spellings).
    pub vmx_flags: Option<Vec<String>>,
    /// libvirt's view of the host CPU (`virsh domcapabilities` host-model or
    /// `virsh capabilities`).
    pub libvirt_cpu: Option<LibvirtCpu>,
    /// Each source of these facts that was tried, and what came of it.
    pub sources: Vec<FactSource>,
}

impl KvmFacts {
    /// True when nothing was read or tried.
    pub fn is_empty(&self) -> bool {
        *self == KvmFacts::default()
    }

    /// Records a source that was tried.
    pub fn note(&mut self, name: &str, read: bool, note: impl Into<String>) {
        self.sources.push(FactSource {
            name: name.to_string(),
            read,
            note: note.into(),
        });
    }
}

/// One source of facts beyond CPUID, and whether it could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactSource {
    /// What was tried (`/dev/kvm`, `/dev/cpu/0/msr`, `virsh domcapabilities`, ...).
    pub name: String,
    /// True when it was read.
    pub read: bool,
    /// What was read, or why it could not be (no such file, permission denied, ...).
    pub note: String,
}

/// libvirt's host CPU: the `<cpu>` element of `virsh capabilities` or the
/// host-model `<mode>` of `virsh domcapabilities`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LibvirtCpu {
    /// Which XML it came from (`capabilities`, `domcapabilities host-model`).
    pub source: String,
    /// The named model (`Icelake-Server`), when given.
    pub model: Option<String>,
    /// The vendor as libvirt spells it (`Intel`, `AMD`, `Hygon`).
    pub vendor: Option<String>,
    /// Features added to the model (libvirt spellings; CPUID and MSR-based ones).
    pub features: Vec<String>,
    /// Features the model has but the host lacks (`policy='disable'`).
    pub disabled: Vec<String>,
}
