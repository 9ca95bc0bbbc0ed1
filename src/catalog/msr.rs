//! MSR-based features: the named bits of IA32_ARCH_CAPABILITIES, IA32_CORE_CAPABILITIES
//! and the VMX capability MSRs, as libvirt names them. The data is in
//! [`super::msr_table`]; this module gives lookup and decoding of raw MSR values.

use super::msr_table::{LINUX_VMX_FLAGS, MSR_FEATURES};

/// Which MSR family a feature belongs to, and so how it counts for migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MsrGroup {
    /// IA32_ARCH_CAPABILITIES (0x10A): what the CPU is not vulnerable to and which
    /// controls it has. KVM passes them to every guest; libvirt refuses a migration
    /// to a host that lacks one the guest was given: blocks all guests.
    ArchCapabilities,
    /// IA32_CORE_CAPABILITIES (0xCF): `split-lock-detect`. Counts like ARCH_CAPABILITIES.
    CoreCapabilities,
    /// The VMX capability MSRs (0x480..=0x491): only a VM that runs its own
    /// hypervisor (nested virtualization, `vmx` in the guest) sees them.
    Vmx,
}

impl MsrGroup {
    /// True for the VMX capabilities: they matter only to VMs with nested virtualization.
    pub const fn is_nested_only(self) -> bool {
        matches!(self, MsrGroup::Vmx)
    }

    /// Words for reports.
    pub const fn word(self) -> &'static str {
        match self {
            MsrGroup::ArchCapabilities => "ARCH_CAPABILITIES",
            MsrGroup::CoreCapabilities => "CORE_CAPABILITIES",
            MsrGroup::Vmx => "VMX capabilities",
        }
    }
}

/// One named bit of a feature MSR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsrFeatureDef {
    /// libvirt's name (`vmx-posted-intr`, `mds-no`).
    pub name: &'static str,
    /// MSR index (ECX of RDMSR).
    pub msr: u32,
    /// Bit in libvirt's numbering (see [`present_in`]).
    pub bit: u8,
    /// Its family.
    pub group: MsrGroup,
}

/// One spelling of the `vmx flags` line of `/proc/cpuinfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmxFlag {
    /// The Linux spelling (`posted_intr`).
    pub flag: &'static str,
    /// The libvirt names it stands for; empty when libvirt has no name for it.
    pub names: &'static [&'static str],
    /// True for Linux's aggregates (`flexpriority`, `apicv`): set when all parts are.
    pub aggregate: bool,
}

/// Every MSR-based feature, ordered by MSR and bit.
pub fn msr_features() -> &'static [MsrFeatureDef] {
    MSR_FEATURES
}

/// The feature with libvirt's name `name` (QEMU's older spelling
/// `vmx-invept-single-context-noglobals` is accepted too).
pub fn msr_feature(name: &str) -> Option<&'static MsrFeatureDef> {
    let name = match name {
        "vmx-invept-single-context-noglobals" => "vmx-invvpid-single-context-noglobals",
        n => n,
    };
    MSR_FEATURES.iter().find(|d| d.name == name)
}

/// The MSR indices the table names bits of, ascending.
pub fn feature_msr_indices() -> Vec<u32> {
    let mut v: Vec<u32> = MSR_FEATURES.iter().map(|d| d.msr).collect();
    v.dedup();
    v
}

/// The VMX control MSRs whose features QEMU and libvirt number by control bit:
/// IA32_VMX_PROCBASED_CTLS2 and the four TRUE control MSRs.
const CONTROL_MSRS: [u32; 5] = [0x48b, 0x48d, 0x48e, 0x48f, 0x490];

/// Whether `def` is present in the raw 64-bit value of its MSR. For the control
/// MSRs (0x48B, 0x48D..=0x490) the feature is present when the control may be 1
/// (bit 32+n) and need not be (bit n clear), as QEMU computes it; for the others the
/// bit is read directly.
pub fn present_in(def: &MsrFeatureDef, value: u64) -> bool {
    if CONTROL_MSRS.contains(&def.msr) {
        let allowed1 = value >> 32;
        let must1 = value & 0xffff_ffff;
        (allowed1 & !must1) >> def.bit & 1 == 1
    } else {
        def.bit < 64 && value >> def.bit & 1 == 1
    }
}

/// The features of MSR `index` present in `value`.
pub fn features_in(index: u32, value: u64) -> impl Iterator<Item = &'static MsrFeatureDef> {
    MSR_FEATURES
        .iter()
        .filter(move |d| d.msr == index && present_in(d, value))
}

/// Every spelling of the `vmx flags` line vmcompat knows.
pub fn linux_vmx_flags() -> &'static [VmxFlag] {
    LINUX_VMX_FLAGS
}

/// The entry for one `vmx flags` spelling.
pub fn linux_vmx_flag(flag: &str) -> Option<&'static VmxFlag> {
    LINUX_VMX_FLAGS.iter().find(|f| f.flag == flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_grouped() {
        let mut seen = std::collections::BTreeSet::new();
        for d in msr_features() {
            assert!(seen.insert(d.name), "{} twice", d.name);
            assert_eq!(
                d.group == MsrGroup::Vmx,
                d.name.starts_with("vmx-"),
                "{}",
                d.name
            );
            assert_eq!(d.group == MsrGroup::Vmx, (0x480..=0x491).contains(&d.msr));
            assert!(d.bit < 64);
        }
        for f in linux_vmx_flags() {
            for n in f.names {
                assert!(msr_feature(n).is_some(), "{}: {n} unknown", f.flag);
            }
        }
        assert_eq!(
            msr_feature("mds-no").map(|d| (d.msr, d.bit)),
            Some((0x10a, 5))
        );
    }

    #[test]
    fn control_msrs_use_the_allowed1_half() {
        let posted = msr_feature("vmx-posted-intr").unwrap();
        assert!(present_in(posted, 0x80 << 32));
        // Must be 1 (allowed-0 bit set): not a feature, as QEMU computes it.
        assert!(!present_in(posted, (0x80 << 32) | 0x80));
        assert!(!present_in(posted, 0x80));
        let invvpid = msr_feature("vmx-invvpid").unwrap();
        assert!(present_in(invvpid, 1 << 32));
        let names: Vec<&str> = features_in(0x10a, 0x2b).map(|d| d.name).collect();
        assert_eq!(
            names,
            ["rdctl-no", "ibrs-all", "skip-l1dfl-vmentry", "mds-no"]
        );
    }
}
