//! The MSR-based feature table: one line per named bit of a feature MSR, named as
//! libvirt names it (`vmx-posted-intr`, `mds-no`, ...).
//!
//! Source of the facts (MSR index, bit, name): libvirt's CPU map,
//! `src/cpu_map/x86_features.xml` (`<feature name=...><msr index=... eax=... edx=.../>`,
//! installed as `/usr/share/libvirt/cpu_map/x86_features.xml`), as tabulated in
//! `../shared/reference/libvirt_x86_features.tsv` (kind `msr`); bit = the set bit of
//! libvirt's 64-bit value `edx:eax`. The MSRs: IA32_CORE_CAPABILITIES (0xCF),
//! IA32_ARCH_CAPABILITIES (0x10A) and the VMX capability MSRs 0x480..=0x491 (Intel
//! SDM Vol. 3D, Appendix A: IA32_VMX_BASIC 0x480, IA32_VMX_MISC 0x485,
//! IA32_VMX_PROCBASED_CTLS2 0x48B, IA32_VMX_EPT_VPID_CAP 0x48C, IA32_VMX_TRUE_PINBASED_CTLS
//! 0x48D, IA32_VMX_TRUE_PROCBASED_CTLS 0x48E, IA32_VMX_TRUE_EXIT_CTLS 0x48F,
//! IA32_VMX_TRUE_ENTRY_CTLS 0x490, IA32_VMX_VMFUNC 0x491). For the control MSRs
//! (0x48B, 0x48D..=0x490) libvirt, like QEMU (`kvm_arch_get_supported_msr_feature`
//! in `target/i386/kvm/kvm.c`), numbers the control bit itself: the feature is
//! there when the control may be 1 (allowed-1 half, bits 63:32) without having to
//! be 1 (allowed-0 half, bits 31:0); see [`super::msr::present_in`].
//!
//! `tests` in `catalog/tests.rs` check every name is unique and every VMX name
//! starts with `vmx-`.

use super::msr::MsrGroup::{self, ArchCapabilities, CoreCapabilities, Vmx};
use super::msr::{MsrFeatureDef, VmxFlag};

const fn m(name: &'static str, msr: u32, bit: u8, group: MsrGroup) -> MsrFeatureDef {
    MsrFeatureDef {
        name,
        msr,
        bit,
        group,
    }
}

/// Every MSR-based feature libvirt names, ordered by MSR index and bit.
pub(super) static MSR_FEATURES: &[MsrFeatureDef] = &[
    m("split-lock-detect", 0xcf, 5, CoreCapabilities),
    m("rdctl-no", 0x10a, 0, ArchCapabilities),
    m("ibrs-all", 0x10a, 1, ArchCapabilities),
    m("rsba", 0x10a, 2, ArchCapabilities),
    m("skip-l1dfl-vmentry", 0x10a, 3, ArchCapabilities),
    m("ssb-no", 0x10a, 4, ArchCapabilities),
    m("mds-no", 0x10a, 5, ArchCapabilities),
    m("pschange-mc-no", 0x10a, 6, ArchCapabilities),
    m("tsx-ctrl", 0x10a, 7, ArchCapabilities),
    m("taa-no", 0x10a, 8, ArchCapabilities),
    m("sbdr-ssdp-no", 0x10a, 13, ArchCapabilities),
    m("fbsdp-no", 0x10a, 14, ArchCapabilities),
    m("psdp-no", 0x10a, 15, ArchCapabilities),
    m("fb-clear", 0x10a, 17, ArchCapabilities),
    m("pbrsb-no", 0x10a, 24, ArchCapabilities),
    m("gds-no", 0x10a, 26, ArchCapabilities),
    m("rfds-no", 0x10a, 27, ArchCapabilities),
    m("rfds-clear", 0x10a, 28, ArchCapabilities),
    m("vmx-ins-outs", 0x480, 54, Vmx),
    m("vmx-true-ctls", 0x480, 55, Vmx),
    m("vmx-any-errcode", 0x480, 56, Vmx),
    m("vmx-nested-exception", 0x480, 58, Vmx),
    m("vmx-store-lma", 0x485, 5, Vmx),
    m("vmx-activity-hlt", 0x485, 6, Vmx),
    m("vmx-activity-shutdown", 0x485, 7, Vmx),
    m("vmx-activity-wait-sipi", 0x485, 8, Vmx),
    m("vmx-vmwrite-vmexit-fields", 0x485, 29, Vmx),
    m("vmx-zero-len-inject", 0x485, 30, Vmx),
    m("vmx-apicv-xapic", 0x48b, 0, Vmx),
    m("vmx-ept", 0x48b, 1, Vmx),
    m("vmx-desc-exit", 0x48b, 2, Vmx),
    m("vmx-rdtscp-exit", 0x48b, 3, Vmx),
    m("vmx-apicv-x2apic", 0x48b, 4, Vmx),
    m("vmx-vpid", 0x48b, 5, Vmx),
    m("vmx-wbinvd-exit", 0x48b, 6, Vmx),
    m("vmx-unrestricted-guest", 0x48b, 7, Vmx),
    m("vmx-apicv-register", 0x48b, 8, Vmx),
    m("vmx-apicv-vid", 0x48b, 9, Vmx),
    m("vmx-ple", 0x48b, 10, Vmx),
    m("vmx-rdrand-exit", 0x48b, 11, Vmx),
    m("vmx-invpcid-exit", 0x48b, 12, Vmx),
    m("vmx-vmfunc", 0x48b, 13, Vmx),
    m("vmx-shadow-vmcs", 0x48b, 14, Vmx),
    m("vmx-encls-exit", 0x48b, 15, Vmx),
    m("vmx-rdseed-exit", 0x48b, 16, Vmx),
    m("vmx-pml", 0x48b, 17, Vmx),
    m("vmx-xsaves", 0x48b, 20, Vmx),
    m("vmx-tsc-scaling", 0x48b, 25, Vmx),
    m("vmx-enable-user-wait-pause", 0x48b, 26, Vmx),
    m("vmx-ept-execonly", 0x48c, 0, Vmx),
    m("vmx-page-walk-4", 0x48c, 6, Vmx),
    m("vmx-page-walk-5", 0x48c, 7, Vmx),
    m("vmx-ept-uc", 0x48c, 8, Vmx),
    m("vmx-ept-wb", 0x48c, 14, Vmx),
    m("vmx-ept-2mb", 0x48c, 16, Vmx),
    m("vmx-ept-1gb", 0x48c, 17, Vmx),
    m("vmx-invept", 0x48c, 20, Vmx),
    m("vmx-eptad", 0x48c, 21, Vmx),
    m("vmx-ept-advanced-exitinfo", 0x48c, 22, Vmx),
    m("vmx-invept-single-context", 0x48c, 25, Vmx),
    m("vmx-invept-all-context", 0x48c, 26, Vmx),
    m("vmx-invvpid", 0x48c, 32, Vmx),
    m("vmx-invvpid-single-addr", 0x48c, 40, Vmx),
    m("vmx-invvpid-single-context", 0x48c, 41, Vmx),
    m("vmx-invvpid-all-context", 0x48c, 42, Vmx),
    m("vmx-invvpid-single-context-noglobals", 0x48c, 43, Vmx),
    m("vmx-intr-exit", 0x48d, 0, Vmx),
    m("vmx-nmi-exit", 0x48d, 3, Vmx),
    m("vmx-vnmi", 0x48d, 5, Vmx),
    m("vmx-preemption-timer", 0x48d, 6, Vmx),
    m("vmx-posted-intr", 0x48d, 7, Vmx),
    m("vmx-vintr-pending", 0x48e, 2, Vmx),
    m("vmx-tsc-offset", 0x48e, 3, Vmx),
    m("vmx-hlt-exit", 0x48e, 7, Vmx),
    m("vmx-invlpg-exit", 0x48e, 9, Vmx),
    m("vmx-mwait-exit", 0x48e, 10, Vmx),
    m("vmx-rdpmc-exit", 0x48e, 11, Vmx),
    m("vmx-rdtsc-exit", 0x48e, 12, Vmx),
    m("vmx-cr3-load-noexit", 0x48e, 15, Vmx),
    m("vmx-cr3-store-noexit", 0x48e, 16, Vmx),
    m("vmx-cr8-load-exit", 0x48e, 19, Vmx),
    m("vmx-cr8-store-exit", 0x48e, 20, Vmx),
    m("vmx-flexpriority", 0x48e, 21, Vmx),
    m("vmx-vnmi-pending", 0x48e, 22, Vmx),
    m("vmx-movdr-exit", 0x48e, 23, Vmx),
    m("vmx-io-exit", 0x48e, 24, Vmx),
    m("vmx-io-bitmap", 0x48e, 25, Vmx),
    m("vmx-mtf", 0x48e, 27, Vmx),
    m("vmx-msr-bitmap", 0x48e, 28, Vmx),
    m("vmx-monitor-exit", 0x48e, 29, Vmx),
    m("vmx-pause-exit", 0x48e, 30, Vmx),
    m("vmx-secondary-ctls", 0x48e, 31, Vmx),
    m("vmx-exit-nosave-debugctl", 0x48f, 2, Vmx),
    m("vmx-exit-load-perf-global-ctrl", 0x48f, 12, Vmx),
    m("vmx-exit-ack-intr", 0x48f, 15, Vmx),
    m("vmx-exit-save-pat", 0x48f, 18, Vmx),
    m("vmx-exit-load-pat", 0x48f, 19, Vmx),
    m("vmx-exit-save-efer", 0x48f, 20, Vmx),
    m("vmx-exit-load-efer", 0x48f, 21, Vmx),
    m("vmx-exit-save-preemption-timer", 0x48f, 22, Vmx),
    m("vmx-exit-clear-bndcfgs", 0x48f, 23, Vmx),
    m("vmx-exit-clear-rtit-ctl", 0x48f, 25, Vmx),
    m("vmx-exit-load-pkrs", 0x48f, 29, Vmx),
    m("vmx-exit-secondary-ctls", 0x48f, 31, Vmx),
    m("vmx-entry-noload-debugctl", 0x490, 2, Vmx),
    m("vmx-entry-ia32e-mode", 0x490, 9, Vmx),
    m("vmx-entry-load-perf-global-ctrl", 0x490, 13, Vmx),
    m("vmx-entry-load-pat", 0x490, 14, Vmx),
    m("vmx-entry-load-efer", 0x490, 15, Vmx),
    m("vmx-entry-load-bndcfgs", 0x490, 16, Vmx),
    m("vmx-entry-load-rtit-ctl", 0x490, 18, Vmx),
    m("vmx-entry-load-pkrs", 0x490, 22, Vmx),
    m("vmx-entry-load-fred", 0x490, 23, Vmx),
    m("vmx-eptp-switching", 0x491, 0, Vmx),
];

/// The `vmx flags` line of `/proc/cpuinfo`: each Linux spelling with the libvirt
/// names it stands for. Source: Linux `arch/x86/include/asm/vmxfeatures.h` (the
/// quoted string of a `VMX_FEATURE_*` comment is its cpuinfo name; `""` ones are not
/// shown, so e.g. RDRAND/RDSEED exiting and VMFUNC can never be read from cpuinfo),
/// matched to libvirt's names by MSR and bit (the Intel SDM Vol. 3C controls).
/// `flexpriority` and `apicv` are aggregates (Linux sets them when all their parts
/// are there), so their absence says nothing about any one part. A flag with no
/// names (`ept_mode_based_exec`) has no libvirt name and is compared by its Linux
/// spelling.
pub(super) static LINUX_VMX_FLAGS: &[VmxFlag] = &[
    f("vnmi", &["vmx-vnmi"]),
    f("preemption_timer", &["vmx-preemption-timer"]),
    f("posted_intr", &["vmx-posted-intr"]),
    f("invvpid", &["vmx-invvpid"]),
    f("ept_x_only", &["vmx-ept-execonly"]),
    f("ept_ad", &["vmx-eptad"]),
    f("ept_1gb", &["vmx-ept-1gb"]),
    agg("flexpriority", &["vmx-flexpriority", "vmx-apicv-xapic"]),
    agg(
        "apicv",
        &[
            "vmx-flexpriority",
            "vmx-apicv-register",
            "vmx-apicv-vid",
            "vmx-posted-intr",
        ],
    ),
    f("eptp_switching", &["vmx-eptp-switching"]),
    f("tsc_offset", &["vmx-tsc-offset"]),
    f("vtpr", &["vmx-flexpriority"]),
    f("mtf", &["vmx-mtf"]),
    f("vapic", &["vmx-apicv-xapic"]),
    f("ept", &["vmx-ept"]),
    f("vpid", &["vmx-vpid"]),
    f("unrestricted_guest", &["vmx-unrestricted-guest"]),
    f("vapic_reg", &["vmx-apicv-register"]),
    f("vid", &["vmx-apicv-vid"]),
    f("ple", &["vmx-ple"]),
    f("shadow_vmcs", &["vmx-shadow-vmcs"]),
    f("pml", &["vmx-pml"]),
    f("ept_mode_based_exec", &[]),
    f("tsc_scaling", &["vmx-tsc-scaling"]),
    f("usr_wait_pause", &["vmx-enable-user-wait-pause"]),
];

const fn f(flag: &'static str, names: &'static [&'static str]) -> VmxFlag {
    VmxFlag {
        flag,
        names,
        aggregate: false,
    }
}

const fn agg(flag: &'static str, names: &'static [&'static str]) -> VmxFlag {
    VmxFlag {
        flag,
        names,
        aggregate: true,
    }
}
