//! The feature catalog table: one line per named CPUID bit.
//!
//! Canonical names are the Linux `/proc/cpuinfo` spellings; for bits Linux defines
//! but hides from cpuinfo, the lowercase `X86_FEATURE_` name; otherwise the
//! lowercase vendor mnemonic. Sources of the facts: the Intel SDM Vol. 2A (CPUID),
//! the AMD APM Vol. 3 (CPUID), Linux `cpufeatures.h`/`cpuid-deps.c`, Xen
//! `cpufeatureset.h`/`gen-cpuid.py`, QEMU `target/i386/cpu.c`, libvirt `cpu_map`,
//! VMware `x86cpuid.h` (open-vm-tools: the `featMask.vm.cpuid.<NAME>` names) and
//! libcpuid `cpu_feature_str()`. `tests/catalog_reference.rs` cross-checks this
//! table against `../shared/reference`.
//!
//! Conventions of the builder chain (see `def.rs`):
//! - `.qemu("-")` / `.libvirt("-")` / `.libcpuid("-")`: the tool has no name for the
//!   bit. An empty (default) alias means "same as the canonical name" (for libvirt:
//!   same as QEMU's spelling). libvirt is given only where its spelling differs.
//! - `.vmware(..)` is given where VMware's name is known from `x86cpuid.h`; it is the
//!   key of `featMask.vm.cpuid.<NAME>`.
//! - `.manual(..)` is given where the vendor mnemonic is not just the uppercase name.
//! - `.requires(..)`: hiding a required feature hides this one. Edges come from the
//!   union of Linux `cpuid_deps[]`, Xen `deps` and QEMU `feature_dependencies`, plus
//!   a few noted additions (osxsave/ospke mirror their capability; AVX10 implies
//!   AVX-512; SVM sub-features and PadLock `_en` bits need their parent).
//! - `.intel()` / `.amd()`: the bit is defined by that vendor only (elsewhere it is
//!   reserved, so the decoder ignores it there). Marked conservatively: bits that
//!   hypervisors synthesize on the other vendor (speculation controls in leaf 7,
//!   `arch_capabilities`, `tsc_deadline_timer`) are not marked `.intel()`.
//!   Exception to "every 0x80000008 EBX bit is AMD's": `wbnoinvd` (EBX[9]) is
//!   defined by Intel too (SDM: CPUID.80000008H:EBX[9]).
//!
//! Class judgement (one class per bit; see `Class` in `def.rs`):
//! - `Feature` (capability): anything a guest can use that a mask may hide.
//! - `Floor`: what every x86-64 CPU has and every 64-bit guest may assume: fpu
//!   de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr
//!   sse sse2 (leaf 1 EDX) and syscall nx lm (0x8000_0001 EDX); QEMU's `qemu64` and
//!   `x86-64-v1` give all of them, and so does every libvirt model vmcompat's
//!   baselines follow. Never hidden from a 64-bit guest. (`vme` is on every x86-64
//!   CPU too but is a capability: virtual-8086 mode does not exist in long mode, and
//!   libvirt's Conroe and later Intel models leave it out.) NX is also one a
//!   BIOS can switch off (XD disable): a host lacking it is told to enable it.
//! - `Firmware`: bits a BIOS setting or a microcode update changes: the speculation
//!   controls and their enumeration bits (leaf 7 EDX `spec_ctrl` .. `spec_ctrl_ssbd`,
//!   `md_clear`, `flush_l1d`, `arch_capabilities`, `core_capabilities`, `srbds_ctrl`,
//!   leaf 7.2 EDX, 0x8000_0008 EBX IBPB/IBRS/STIBP/SSBD/PSFD, 0x8000_0021 `verw_clear`
//!   `sbpb` `ibpb_brtype` `srso_bp_spec_reduce` `autoibrs` `eraps`: Intel's
//!   "Speculative Execution Side Channel Mitigations" and AMD's "Software Techniques
//!   for Managing Speculation" say microcode adds them), TSX (`hle` `rtm`
//!   `tsxldtrk`: microcode and `tsx=off` remove it), AES-NI (BIOS "AES-NI disable"),
//!   VT-x/AMD-V (`vmx`, `svm`: BIOS), MONITOR (IA32_MISC_ENABLE[18], BIOS) and SGX
//!   (BIOS). Hosts that differ here are told to update; masks hide them only when
//!   asked (`--hide-firmware-features`).
//! - `NegativeSense`: a 1 says something is absent or behaves differently:
//!   `efer_lmsle_mbz` (APM: LMSLE unsupported), `zero_fcs_fds`, `fdp_excptn_only`
//!   (SDM: x87 FCS/FDS deprecated, FDP updated only on exceptions),
//!   `null_sel_clr_base`, `no_nested_data_bp`, `no_smm_ctl_msr`, `wrmsr_xx_base_ns`
//!   (APM 0x8000_0021 EAX), `rtm_always_abort`. Hiding one would tell a guest the
//!   old behaviour holds; they are compared in the direction where they matter (a
//!   guest started without the bit landing on a host with it) and never hidden.
//! - `NonMigratable`: `invtsc` (0x80000007 EDX[8]): QEMU and libvirt keep invariant
//!   TSC from migratable guests (it is a migration blocker there unless the TSC
//!   frequency is pinned); every mask hides it, and it never splits a group.
//! - `NestedOnly`: the SVM features of 0x8000_000A EDX (NPT, AVIC, x2AVIC, VMCB
//!   clean bits, ...): they matter only to a VM that runs its own hypervisor. They
//!   do not split groups; masks hide them where hosts differ and say why.
//! - `PerVm`: set by the hypervisor per VM or mirroring guest OS state: `hypervisor`,
//!   `osxsave` (CR4.OSXSAVE), `ospke` (CR4.PKE), and the topology-derived `ht` and
//!   `cmp_legacy` (their meaning follows the vCPU topology the VMM presents).
//! - `MustMatch`: kept for values no mask can change; no single bit has it today.
//! - `Informational` (host-only): power/thermal management (leaf 6, 0x80000007
//!   EDX), debug-store and monitoring facilities (`dts`, `dtes64`, `ds_cpl`, `pbe`,
//!   `tm`, `tm2`, `acpi`, `est`, `sdbg`), platform/chipset facilities no hypervisor
//!   virtualizes (`xtpr`, `dca`, `cid`, `smx`, `tme`, RDT `cqm`/`rdt_a`/`mba`, PPIN,
//!   `wdt`, `hwa`, `cppc`, `sgx_keys`, `slsm`, `no_invd`), `tsx_force_abort` (a
//!   host MSR for the PMU counter 3 erratum) and `hybrid_cpu` (a property of the
//!   host's core mix, reported with the core type). Reported, never compared.
//!
//! Dependency edges removed because real CPUs in `../shared/corpus/` break them
//! (`tests/catalog_edges.rs`): smap->nx (no CPU needs NX for SMAP; SDM Vol. 3A
//! 4.6), cmov->fxsr (K7), mmx->fxsr (K6), lahf_lm->lm (32-bit Atoms report it),
//! invlpgb->pcid (AMD 4700S), wide_kl->aeskle (AESKLE says the OS loaded a key;
//! wide_kl now requires kl), x2avic->avic (Zen 4 mobile parts), and
//! amd_stibp/ibrs_fast/amd_ibrs_same_mode/amd_ssbd->amd_ibrs and
//! amd_stibp_always_on->amd_stibp (Zen 2 has STIBP, SSBD, IBRS-fast, same-mode
//! without IBRS: AMD's speculation-control bits are enumerated independently).
//!
//! psABI levels (x86-64 psABI, "Micro-Architecture Levels"): `.psabi(n)` marks the
//! CPUID bits of x86-64-v1..v4. `lm` and `syscall` carry level 1 (implied by being
//! x86-64). The psABI's OSXSAVE row for v3 is OS-enabled state, not a capability
//! bit: the catalog gives level 3 to `xsave` (which OSXSAVE requires) instead.

use super::def::{Class, FeatureDef as F};
use crate::cpuid::Reg::{Eax, Ebx, Ecx, Edx};

const INFO: Class = Class::Informational;
const PER_VM: Class = Class::PerVm;
const FLOOR: Class = Class::Floor;
const FIRMWARE: Class = Class::Firmware;
const NEGATIVE: Class = Class::NegativeSense;
const NON_MIGRATABLE: Class = Class::NonMigratable;
const NESTED: Class = Class::NestedOnly;

/// Every named bit. Order is significant only as the `FeatureId` numbering.
#[rustfmt::skip]
pub(crate) const TABLE: &[F] = &[
    // ---- leaf 0x1, ECX ----
    F::new("pni", 0x1, 0, Ecx, 0, "SSE3 instructions").manual("SSE3").vmware("SSE3").requires(&["sse2"]).psabi(2),
    F::new("pclmulqdq", 0x1, 0, Ecx, 1, "PCLMULQDQ carry-less multiply").libvirt("pclmuldq").vmware("PCLMULQDQ").libcpuid("pclmul").requires(&["sse2"]),
    F::new("dtes64", 0x1, 0, Ecx, 2, "64-bit debug store").class(INFO).intel().vmware("DTES64").libcpuid("dts64"),
    F::new("monitor", 0x1, 0, Ecx, 3, "MONITOR/MWAIT instructions").class(FIRMWARE).vmware("MWAIT"),
    F::new("ds_cpl", 0x1, 0, Ecx, 4, "CPL-qualified debug store").class(INFO).intel().qemu("ds-cpl").libvirt("ds_cpl").vmware("DSCPL"),
    F::new("vmx", 0x1, 0, Ecx, 5, "Intel VT-x virtual machine extensions").class(FIRMWARE).intel().vmware("VMX"),
    F::new("smx", 0x1, 0, Ecx, 6, "safer mode extensions (TXT, GETSEC)").class(INFO).intel().vmware("SMX"),
    F::new("est", 0x1, 0, Ecx, 7, "Enhanced SpeedStep").class(INFO).intel().manual("EIST").vmware("EIST"),
    F::new("tm2", 0x1, 0, Ecx, 8, "Thermal Monitor 2").class(INFO).intel().vmware("TM2"),
    F::new("ssse3", 0x1, 0, Ecx, 9, "Supplemental SSE3 instructions").vmware("SSSE3").requires(&["pni", "sse2"]).psabi(2),
    F::new("cid", 0x1, 0, Ecx, 10, "L1 context ID (adaptive/shared mode)").class(INFO).intel().manual("CNXT-ID").vmware("CNXTID"),
    F::new("sdbg", 0x1, 0, Ecx, 11, "silicon debug interface").class(INFO).intel().qemu("-").vmware("SDBG").libcpuid("-"),
    F::new("fma", 0x1, 0, Ecx, 12, "FMA3 fused multiply-add").vmware("FMA").libcpuid("fma3").requires(&["avx"]).psabi(3),
    F::new("cx16", 0x1, 0, Ecx, 13, "CMPXCHG16B instruction").manual("CMPXCHG16B").vmware("CMPXCHG16B").requires(&["lm"]).psabi(2),
    F::new("xtpr", 0x1, 0, Ecx, 14, "xTPR update control").class(INFO).intel().vmware("xTPR"),
    F::new("pdcm", 0x1, 0, Ecx, 15, "perfmon and debug capability MSR").intel().vmware("PDCM"),
    F::new("pcid", 0x1, 0, Ecx, 17, "process-context identifiers").vmware("PCID").libcpuid("-").requires(&["lm"]),
    F::new("dca", 0x1, 0, Ecx, 18, "direct cache access").class(INFO).intel().vmware("DCA"),
    F::new("sse4_1", 0x1, 0, Ecx, 19, "SSE4.1 instructions").qemu("sse4.1").vmware("SSE41").requires(&["ssse3", "sse2"]).psabi(2),
    F::new("sse4_2", 0x1, 0, Ecx, 20, "SSE4.2 instructions").qemu("sse4.2").vmware("SSE42").requires(&["sse4_1", "sse2"]).psabi(2),
    F::new("x2apic", 0x1, 0, Ecx, 21, "x2APIC").vmware("x2APIC").requires(&["apic"]),
    F::new("movbe", 0x1, 0, Ecx, 22, "MOVBE instruction").vmware("MOVBE").psabi(3),
    F::new("popcnt", 0x1, 0, Ecx, 23, "POPCNT instruction").vmware("POPCNT").psabi(2),
    F::new("tsc_deadline_timer", 0x1, 0, Ecx, 24, "APIC timer TSC-deadline mode").qemu("tsc-deadline").manual("TSC-Deadline").vmware("TSC_DEADLINE").libcpuid("-").requires(&["tsc", "apic"]),
    F::new("aes", 0x1, 0, Ecx, 25, "AES-NI instructions").class(FIRMWARE).manual("AESNI").vmware("AES").requires(&["sse2"]),
    F::new("xsave", 0x1, 0, Ecx, 26, "XSAVE/XRSTOR/XSETBV/XGETBV").vmware("XSAVE").requires(&["fxsr"]).psabi(3),
    F::new("osxsave", 0x1, 0, Ecx, 27, "XSAVE enabled by the OS (mirrors CR4.OSXSAVE)").class(PER_VM).qemu("-").libvirt("osxsave").vmware("OSXSAVE").requires(&["xsave"]),
    F::new("avx", 0x1, 0, Ecx, 28, "AVX instructions").vmware("AVX").requires(&["xsave"]).psabi(3),
    F::new("f16c", 0x1, 0, Ecx, 29, "half-precision conversion instructions").vmware("F16C").requires(&["avx", "sse2"]).psabi(3),
    F::new("rdrand", 0x1, 0, Ecx, 30, "RDRAND instruction").vmware("RDRAND"),
    F::new("hypervisor", 0x1, 0, Ecx, 31, "running under a hypervisor").class(PER_VM).vmware("HYPERVISOR"),
    // ---- leaf 0x1, EDX ----
    F::new("fpu", 0x1, 0, Edx, 0, "x87 floating-point unit on chip").class(FLOOR).vmware("FPU").psabi(1),
    F::new("vme", 0x1, 0, Edx, 1, "virtual-8086 mode enhancements").vmware("VME"),
    F::new("de", 0x1, 0, Edx, 2, "debugging extensions (CR4.DE)").class(FLOOR).vmware("DE"),
    F::new("pse", 0x1, 0, Edx, 3, "page size extension (4 MiB pages)").class(FLOOR).vmware("PSE"),
    F::new("tsc", 0x1, 0, Edx, 4, "time stamp counter (RDTSC)").class(FLOOR).vmware("TSC"),
    F::new("msr", 0x1, 0, Edx, 5, "RDMSR/WRMSR").class(FLOOR).vmware("MSR"),
    F::new("pae", 0x1, 0, Edx, 6, "physical address extension").class(FLOOR).vmware("PAE"),
    F::new("mce", 0x1, 0, Edx, 7, "machine check exception").class(FLOOR).vmware("MCE"),
    F::new("cx8", 0x1, 0, Edx, 8, "CMPXCHG8B instruction").class(FLOOR).manual("CMPXCHG8B").vmware("CX8").psabi(1),
    F::new("apic", 0x1, 0, Edx, 9, "on-chip local APIC").class(FLOOR).vmware("APIC"),
    F::new("sep", 0x1, 0, Edx, 11, "SYSENTER/SYSEXIT").class(FLOOR).vmware("SEP"),
    F::new("mtrr", 0x1, 0, Edx, 12, "memory type range registers").class(FLOOR).vmware("MTRR"),
    F::new("pge", 0x1, 0, Edx, 13, "global pages (CR4.PGE)").class(FLOOR).vmware("PGE"),
    F::new("mca", 0x1, 0, Edx, 14, "machine check architecture").class(FLOOR).vmware("MCA"),
    F::new("cmov", 0x1, 0, Edx, 15, "conditional move instructions").class(FLOOR).vmware("CMOV").psabi(1),
    F::new("pat", 0x1, 0, Edx, 16, "page attribute table").class(FLOOR).vmware("PAT"),
    F::new("pse36", 0x1, 0, Edx, 17, "36-bit page size extension").class(FLOOR).manual("PSE-36").vmware("PSE36").requires(&["pse"]),
    F::new("pn", 0x1, 0, Edx, 18, "processor serial number").intel().manual("PSN").vmware("PSN"),
    F::new("clflush", 0x1, 0, Edx, 19, "CLFLUSH instruction").class(FLOOR).manual("CLFSH").vmware("CLFSH"),
    F::new("dts", 0x1, 0, Edx, 21, "debug store (BTS/PEBS)").class(INFO).intel().qemu("ds").manual("DS").vmware("DS"),
    F::new("acpi", 0x1, 0, Edx, 22, "thermal monitor and software clock control MSRs").class(INFO).intel().vmware("ACPI"),
    F::new("mmx", 0x1, 0, Edx, 23, "MMX instructions").class(FLOOR).vmware("MMX").requires(&["fpu"]).psabi(1),
    F::new("fxsr", 0x1, 0, Edx, 24, "FXSAVE/FXRSTOR").class(FLOOR).vmware("FXSR").requires(&["fpu"]).psabi(1),
    F::new("sse", 0x1, 0, Edx, 25, "SSE instructions").class(FLOOR).vmware("SSE").requires(&["fxsr"]).psabi(1),
    F::new("sse2", 0x1, 0, Edx, 26, "SSE2 instructions").class(FLOOR).vmware("SSE2").requires(&["sse"]).psabi(1),
    F::new("ss", 0x1, 0, Edx, 27, "self snoop").intel().vmware("SS"),
    F::new("ht", 0x1, 0, Edx, 28, "multi-threading / leaf-1 EBX[23:16] valid (topology)").class(PER_VM).manual("HTT").vmware("HTT"),
    F::new("tm", 0x1, 0, Edx, 29, "Thermal Monitor (automatic clock control)").class(INFO).intel().vmware("TM"),
    F::new("ia64", 0x1, 0, Edx, 30, "IA-64 processor emulating x86").class(INFO).intel().vmware("IA64"),
    F::new("pbe", 0x1, 0, Edx, 31, "pending break enable").class(INFO).intel().vmware("PBE"),
    // ---- leaf 0x6, EAX (thermal and power management: all informational) ----
    F::new("dtherm", 0x6, 0, Eax, 0, "digital temperature sensor").class(INFO).intel().qemu("-").vmware("THERMAL_SENSOR").libcpuid("-"),
    F::new("ida", 0x6, 0, Eax, 1, "Intel Turbo Boost (dynamic acceleration)").class(INFO).intel().qemu("-").vmware("TURBO_MODE").libcpuid("-"),
    F::new("arat", 0x6, 0, Eax, 2, "APIC timer always running").class(INFO).vmware("APIC_INVARIANT").libcpuid("-"),
    F::new("pln", 0x6, 0, Eax, 4, "power limit notification").class(INFO).intel().qemu("-").vmware("PLN").libcpuid("-"),
    F::new("ecmd", 0x6, 0, Eax, 5, "clock modulation duty cycle extension").class(INFO).intel().qemu("-").vmware("ECMD").libcpuid("-"),
    F::new("pts", 0x6, 0, Eax, 6, "package thermal management").class(INFO).intel().qemu("-").vmware("PTM").libcpuid("-"),
    F::new("hwp", 0x6, 0, Eax, 7, "hardware P-states").class(INFO).intel().qemu("-").vmware("HWP").libcpuid("-"),
    F::new("hwp_notify", 0x6, 0, Eax, 8, "HWP interrupt notification").class(INFO).intel().qemu("-").vmware("HWP_NOTIFICATION").libcpuid("-"),
    F::new("hwp_act_window", 0x6, 0, Eax, 9, "HWP activity window").class(INFO).intel().qemu("-").vmware("HWP_ACTIVITY_WINDOW").libcpuid("-"),
    F::new("hwp_epp", 0x6, 0, Eax, 10, "HWP energy-performance preference").class(INFO).intel().qemu("-").vmware("HWP_ENERGY_PERFORMANCE_PREFERENCE").libcpuid("-"),
    F::new("hwp_pkg_req", 0x6, 0, Eax, 11, "HWP package-level request").class(INFO).intel().qemu("-").vmware("HWP_PACKAGE_LEVEL_REQUEST").libcpuid("-"),
    F::new("hdc", 0x6, 0, Eax, 13, "hardware duty cycling").class(INFO).intel().qemu("-").vmware("HDC").libcpuid("-"),
    F::new("turbo_max_3", 0x6, 0, Eax, 14, "Intel Turbo Boost Max 3.0").class(INFO).intel().qemu("-").vmware("TURBO_BOOST_MAX_3").libcpuid("-"),
    F::new("hwp_highest_perf_change", 0x6, 0, Eax, 15, "HWP highest-performance change interrupt").class(INFO).intel().qemu("-").vmware("HWP_CAPABILITIES").libcpuid("-"),
    F::new("hwp_peci", 0x6, 0, Eax, 16, "HWP PECI override").class(INFO).intel().qemu("-").vmware("HWP_PECI").libcpuid("-"),
    F::new("hwp_flexible", 0x6, 0, Eax, 17, "flexible HWP").class(INFO).intel().qemu("-").vmware("HWP_FLEXIBLE").libcpuid("-"),
    F::new("hwp_fast", 0x6, 0, Eax, 18, "fast access mode for IA32_HWP_REQUEST").class(INFO).intel().qemu("-").vmware("HWP_FAST_ACCESS").libcpuid("-"),
    F::new("hfi", 0x6, 0, Eax, 19, "hardware feedback interface").class(INFO).intel().qemu("-").vmware("HW_FEEDBACK").libcpuid("-"),
    F::new("hwp_ignore_idle", 0x6, 0, Eax, 20, "HWP ignores idle logical processors").class(INFO).intel().qemu("-").vmware("HWP_IGNORE_IDLE_REQUEST").libcpuid("-"),
    F::new("itd", 0x6, 0, Eax, 23, "Intel Thread Director (enhanced HFI)").class(INFO).intel().qemu("-").vmware("HW_FEEDBACK_ENHANCED").libcpuid("-"),
    // ---- leaf 0x7 subleaf 0, EBX ----
    F::new("fsgsbase", 0x7, 0, Ebx, 0, "RD/WR FS/GS BASE instructions").vmware("FSGSBASE").libcpuid("-"),
    F::new("tsc_adjust", 0x7, 0, Ebx, 1, "IA32_TSC_ADJUST MSR").qemu("tsc-adjust").libvirt("tsc_adjust").manual("IA32_TSC_ADJUST").vmware("TSC_ADJUST").libcpuid("-").requires(&["tsc"]),
    F::new("sgx", 0x7, 0, Ebx, 2, "Software Guard Extensions").class(FIRMWARE).intel().vmware("SGX"),
    F::new("bmi1", 0x7, 0, Ebx, 3, "bit manipulation instructions 1").vmware("BMI1").psabi(3),
    F::new("hle", 0x7, 0, Ebx, 4, "TSX hardware lock elision").class(FIRMWARE).intel().vmware("HLE"),
    F::new("avx2", 0x7, 0, Ebx, 5, "AVX2 instructions").vmware("AVX2").requires(&["avx"]).psabi(3),
    F::new("fdp_excptn_only", 0x7, 0, Ebx, 6, "x87 FDP updated only on exceptions").class(NEGATIVE).intel().qemu("fdp-excptn-only").vmware("FDP_EXCPTN_ONLY").libcpuid("-"),
    F::new("smep", 0x7, 0, Ebx, 7, "supervisor-mode execution prevention").vmware("SMEP").libcpuid("-"),
    F::new("bmi2", 0x7, 0, Ebx, 8, "bit manipulation instructions 2").vmware("BMI2").psabi(3),
    F::new("erms", 0x7, 0, Ebx, 9, "enhanced REP MOVSB/STOSB").vmware("ENFSTRG").libcpuid("-"),
    F::new("invpcid", 0x7, 0, Ebx, 10, "INVPCID instruction").vmware("INVPCID").libcpuid("-"),
    F::new("rtm", 0x7, 0, Ebx, 11, "TSX restricted transactional memory").class(FIRMWARE).intel().vmware("RTM"),
    F::new("cqm", 0x7, 0, Ebx, 12, "RDT monitoring (cache QoS monitoring)").class(INFO).qemu("-").libvirt("cmt").manual("RDT-M").vmware("PQM").libcpuid("-"),
    F::new("zero_fcs_fds", 0x7, 0, Ebx, 13, "x87 FCS and FDS deprecated (stored as zero)").class(NEGATIVE).qemu("zero-fcs-fds").vmware("FP_SEGMENT_ZERO").libcpuid("-"),
    F::new("mpx", 0x7, 0, Ebx, 14, "memory protection extensions").intel().vmware("MPX").libcpuid("-").requires(&["xsave"]),
    F::new("rdt_a", 0x7, 0, Ebx, 15, "RDT allocation").class(INFO).qemu("-").manual("RDT-A").vmware("PQE").libcpuid("-"),
    F::new("avx512f", 0x7, 0, Ebx, 16, "AVX-512 foundation").vmware("AVX512F").requires(&["avx", "avx2"]).psabi(4),
    F::new("avx512dq", 0x7, 0, Ebx, 17, "AVX-512 doubleword and quadword").vmware("AVX512DQ").requires(&["avx512f"]).psabi(4),
    F::new("rdseed", 0x7, 0, Ebx, 18, "RDSEED instruction").vmware("RDSEED"),
    F::new("adx", 0x7, 0, Ebx, 19, "ADCX/ADOX instructions").vmware("ADX"),
    F::new("smap", 0x7, 0, Ebx, 20, "supervisor-mode access prevention").vmware("SMAP").libcpuid("-"),
    F::new("avx512ifma", 0x7, 0, Ebx, 21, "AVX-512 integer fused multiply-add").manual("AVX512_IFMA").vmware("AVX512IFMA").libcpuid("-").requires(&["avx512f"]),
    F::new("pcommit", 0x7, 0, Ebx, 22, "PCOMMIT instruction (withdrawn; bit now reserved)").intel().libcpuid("-"),
    F::new("clflushopt", 0x7, 0, Ebx, 23, "CLFLUSHOPT instruction").vmware("CLFLUSHOPT").libcpuid("-"),
    F::new("clwb", 0x7, 0, Ebx, 24, "CLWB instruction").vmware("CLWB").libcpuid("-"),
    F::new("intel_pt", 0x7, 0, Ebx, 25, "Intel Processor Trace").intel().qemu("intel-pt").vmware("PT").libcpuid("-"),
    F::new("avx512pf", 0x7, 0, Ebx, 26, "AVX-512 prefetch (Xeon Phi)").intel().vmware("AVX512PF").requires(&["avx512f"]),
    F::new("avx512er", 0x7, 0, Ebx, 27, "AVX-512 exponential and reciprocal (Xeon Phi)").intel().vmware("AVX512ER").requires(&["avx512f"]),
    F::new("avx512cd", 0x7, 0, Ebx, 28, "AVX-512 conflict detection").vmware("AVX512CD").requires(&["avx512f"]).psabi(4),
    F::new("sha_ni", 0x7, 0, Ebx, 29, "SHA-1/SHA-256 extensions").qemu("sha-ni").manual("SHA").vmware("SHA").requires(&["sse2"]),
    F::new("avx512bw", 0x7, 0, Ebx, 30, "AVX-512 byte and word").vmware("AVX512BW").requires(&["avx512f"]).psabi(4),
    F::new("avx512vl", 0x7, 0, Ebx, 31, "AVX-512 vector length extensions").vmware("AVX512VL").requires(&["avx512f"]).psabi(4),
    // ---- leaf 0x7 subleaf 0, ECX ----
    F::new("prefetchwt1", 0x7, 0, Ecx, 0, "PREFETCHWT1 instruction (Xeon Phi)").intel().qemu("-").vmware("PREFETCHWT1").libcpuid("-"),
    F::new("avx512vbmi", 0x7, 0, Ecx, 1, "AVX-512 vector byte manipulation").manual("AVX512_VBMI").vmware("AVX512VBMI").requires(&["avx512f", "avx512bw"]),
    F::new("umip", 0x7, 0, Ecx, 2, "user-mode instruction prevention").vmware("UMIP").libcpuid("-"),
    F::new("pku", 0x7, 0, Ecx, 3, "memory protection keys for user pages").vmware("PKU").libcpuid("-").requires(&["xsave", "lm"]),
    F::new("ospke", 0x7, 0, Ecx, 4, "PKU enabled by the OS (mirrors CR4.PKE)").class(PER_VM).qemu("-").libvirt("ospke").vmware("OSPKE").libcpuid("-").requires(&["pku"]),
    F::new("waitpkg", 0x7, 0, Ecx, 5, "UMONITOR/UMWAIT/TPAUSE").intel().vmware("WAITPKG").libcpuid("-"),
    F::new("avx512_vbmi2", 0x7, 0, Ecx, 6, "AVX-512 vector byte manipulation 2").qemu("avx512vbmi2").vmware("AVX512VBMI2").libcpuid("avx512vbmi2").requires(&["avx512bw", "avx512vl"]),
    F::new("shstk", 0x7, 0, Ecx, 7, "CET shadow stack").qemu("-").manual("CET_SS").vmware("CET_SS").libcpuid("-").requires(&["xsaves"]),
    F::new("gfni", 0x7, 0, Ecx, 8, "Galois field instructions").vmware("GFNI").libcpuid("-").requires(&["sse2"]),
    F::new("vaes", 0x7, 0, Ecx, 9, "vector AES").vmware("VAES").libcpuid("-").requires(&["aes", "avx", "avx2"]),
    F::new("vpclmulqdq", 0x7, 0, Ecx, 10, "vector carry-less multiply").vmware("VPCLMULQDQ").libcpuid("-").requires(&["pclmulqdq", "avx", "avx2"]),
    F::new("avx512_vnni", 0x7, 0, Ecx, 11, "AVX-512 vector neural network instructions").qemu("avx512vnni").vmware("AVX512VNNI").libcpuid("avx512vnni").requires(&["avx512f", "avx512vl"]),
    F::new("avx512_bitalg", 0x7, 0, Ecx, 12, "AVX-512 bit algorithms").qemu("avx512bitalg").vmware("AVX512BITALG").libcpuid("-").requires(&["avx512bw", "avx512vl"]),
    F::new("tme", 0x7, 0, Ecx, 13, "total memory encryption").class(INFO).intel().qemu("-").manual("TME_EN").vmware("TME_EN").libcpuid("-"),
    F::new("avx512_vpopcntdq", 0x7, 0, Ecx, 14, "AVX-512 VPOPCNTD/Q").qemu("avx512-vpopcntdq").vmware("AVX512VPOPCNTDQ").libcpuid("-").requires(&["avx512f"]),
    F::new("la57", 0x7, 0, Ecx, 16, "5-level paging").vmware("VA57").libcpuid("-"),
    F::new("rdpid", 0x7, 0, Ecx, 22, "RDPID instruction").vmware("RDPID").libcpuid("-"),
    F::new("kl", 0x7, 0, Ecx, 23, "Key Locker").intel().qemu("-").libvirt("-").vmware("KEY_LOCKER").libcpuid("-"),
    F::new("bus_lock_detect", 0x7, 0, Ecx, 24, "OS bus-lock detection (#DB trap)").qemu("bus-lock-detect").vmware("BUS_LOCK_DB").libcpuid("-"),
    F::new("cldemote", 0x7, 0, Ecx, 25, "CLDEMOTE instruction").intel().vmware("CLDEMOTE").libcpuid("-"),
    F::new("movdiri", 0x7, 0, Ecx, 27, "MOVDIRI instruction").vmware("MOVDIRI").libcpuid("-"),
    F::new("movdir64b", 0x7, 0, Ecx, 28, "MOVDIR64B instruction").vmware("MOVDIR64B").libcpuid("-"),
    F::new("enqcmd", 0x7, 0, Ecx, 29, "ENQCMD/ENQCMDS instructions").intel().qemu("-").vmware("ENQCMD").libcpuid("-").requires(&["xsaves"]),
    F::new("sgx_lc", 0x7, 0, Ecx, 30, "SGX launch configuration").class(FIRMWARE).intel().qemu("sgxlc").vmware("SGX_LC").libcpuid("-").requires(&["sgx"]),
    F::new("pks", 0x7, 0, Ecx, 31, "protection keys for supervisor pages").intel().vmware("PKS").libcpuid("-"),
    // ---- leaf 0x7 subleaf 0, EDX ----
    F::new("sgx_keys", 0x7, 0, Edx, 1, "SGX attestation services for TDX (SGX-KEYS)").class(INFO).intel().qemu("-").vmware("SGK_KEYS").libcpuid("-"),
    F::new("avx512_4vnniw", 0x7, 0, Edx, 2, "AVX-512 4-iteration VNNI words (Xeon Phi)").intel().qemu("avx512-4vnniw").vmware("AVX512QVNNIW").libcpuid("-").requires(&["avx512f"]),
    F::new("avx512_4fmaps", 0x7, 0, Edx, 3, "AVX-512 4-iteration FMA single precision (Xeon Phi)").intel().qemu("avx512-4fmaps").vmware("AVX512QFMAPS").libcpuid("-").requires(&["avx512f"]),
    F::new("fsrm", 0x7, 0, Edx, 4, "fast short REP MOV").vmware("FAST_SHORT_REPMOV").libcpuid("-"),
    F::new("uintr", 0x7, 0, Edx, 5, "user interrupts").intel().qemu("-").vmware("UINTR").libcpuid("-"),
    F::new("avx512_vp2intersect", 0x7, 0, Edx, 8, "AVX-512 VP2INTERSECT").qemu("avx512-vp2intersect").vmware("AVX512VP2INTERSECT").libcpuid("-").requires(&["avx512f", "avx512vl"]),
    F::new("srbds_ctrl", 0x7, 0, Edx, 9, "SRBDS mitigation control MSR").class(FIRMWARE).intel().qemu("-").vmware("SRBDS_CTRL").libcpuid("-"),
    F::new("md_clear", 0x7, 0, Edx, 10, "VERW clears CPU buffers (MDS mitigation)").class(FIRMWARE).qemu("md-clear").vmware("MDCLEAR").libcpuid("-"),
    F::new("rtm_always_abort", 0x7, 0, Edx, 11, "XBEGIN always aborts").class(NEGATIVE).intel().qemu("-").vmware("RTM_ALWAYS_ABORT").libcpuid("-"),
    F::new("tsx_force_abort", 0x7, 0, Edx, 13, "TSX_FORCE_ABORT MSR").class(INFO).intel().qemu("-").vmware("RTM_FORCE_ABORT").libcpuid("-"),
    F::new("serialize", 0x7, 0, Edx, 14, "SERIALIZE instruction").vmware("SERIALIZE").libcpuid("-"),
    F::new("hybrid_cpu", 0x7, 0, Edx, 15, "hybrid part (more than one core type)").class(INFO).intel().qemu("-").manual("Hybrid").vmware("HYBRID").libcpuid("-"),
    F::new("tsxldtrk", 0x7, 0, Edx, 16, "TSX suspend load address tracking").class(FIRMWARE).intel().qemu("tsx-ldtrk").vmware("TSXLDTRK").libcpuid("-").requires(&["rtm"]),
    F::new("pconfig", 0x7, 0, Edx, 18, "PCONFIG instruction").intel().qemu("-").libvirt("pconfig").vmware("PCONFIG").libcpuid("-"),
    F::new("arch_lbr", 0x7, 0, Edx, 19, "architectural LBRs").intel().qemu("arch-lbr").vmware("ARCH_LBR").libcpuid("-"),
    F::new("ibt", 0x7, 0, Edx, 20, "CET indirect branch tracking").intel().qemu("-").manual("CET_IBT").vmware("CET_IBT").libcpuid("-"),
    F::new("amx_bf16", 0x7, 0, Edx, 22, "AMX bfloat16").intel().qemu("amx-bf16").vmware("AMX_BF16").libcpuid("-").requires(&["amx_tile"]),
    F::new("avx512_fp16", 0x7, 0, Edx, 23, "AVX-512 FP16").intel().qemu("avx512-fp16").vmware("AVX512FP16").libcpuid("-").requires(&["avx512bw"]),
    F::new("amx_tile", 0x7, 0, Edx, 24, "AMX tile architecture").intel().qemu("amx-tile").vmware("AMX_TILE").libcpuid("-").requires(&["xsave", "xfd", "lm"]),
    F::new("amx_int8", 0x7, 0, Edx, 25, "AMX int8").intel().qemu("amx-int8").vmware("AMX_INT8").libcpuid("-").requires(&["amx_tile"]),
    F::new("spec_ctrl", 0x7, 0, Edx, 26, "IBRS and IBPB (IA32_SPEC_CTRL, IA32_PRED_CMD)").class(FIRMWARE).qemu("spec-ctrl").manual("IBRS_IBPB").libcpuid("-"),
    F::new("intel_stibp", 0x7, 0, Edx, 27, "single thread indirect branch predictors").class(FIRMWARE).qemu("stibp").vmware("STIBP").libcpuid("-").requires(&["spec_ctrl"]),
    F::new("flush_l1d", 0x7, 0, Edx, 28, "IA32_FLUSH_CMD MSR (L1D flush)").class(FIRMWARE).qemu("flush-l1d").manual("L1D_FLUSH").vmware("FCMD").libcpuid("-"),
    F::new("arch_capabilities", 0x7, 0, Edx, 29, "IA32_ARCH_CAPABILITIES MSR").class(FIRMWARE).qemu("arch-capabilities").manual("IA32_ARCH_CAPABILITIES").vmware("ARCH_CAPABILITIES").libcpuid("-"),
    F::new("core_capabilities", 0x7, 0, Edx, 30, "IA32_CORE_CAPABILITIES MSR").class(FIRMWARE).intel().qemu("core-capability").vmware("CORE_CAPABILITIES").libcpuid("-"),
    F::new("spec_ctrl_ssbd", 0x7, 0, Edx, 31, "speculative store bypass disable").class(FIRMWARE).qemu("ssbd").manual("SSBD").vmware("SSBD").libcpuid("-").requires(&["spec_ctrl"]),
    // ---- leaf 0x7 subleaf 1, EAX ----
    F::new("sha512", 0x7, 1, Eax, 0, "SHA-512 instructions").libcpuid("-").requires(&["avx2"]),
    F::new("sm3", 0x7, 1, Eax, 1, "SM3 hash instructions").libcpuid("-").requires(&["avx"]),
    F::new("sm4", 0x7, 1, Eax, 2, "SM4 cipher instructions").libcpuid("-").requires(&["avx2"]),
    F::new("rao_int", 0x7, 1, Eax, 3, "remote atomic integer operations (AADD etc.)").intel().qemu("-").libvirt("-").manual("RAO-INT").vmware("RAO_INT").libcpuid("-"),
    F::new("avx_vnni", 0x7, 1, Eax, 4, "AVX (VEX) VNNI").qemu("avx-vnni").vmware("AVX_VNNI").libcpuid("-").requires(&["avx", "avx2"]),
    F::new("avx512_bf16", 0x7, 1, Eax, 5, "AVX-512 bfloat16").qemu("avx512-bf16").vmware("AVX512BF16").libcpuid("-").requires(&["avx512bw", "avx512vl"]),
    F::new("lass", 0x7, 1, Eax, 6, "linear address space separation").qemu("-").vmware("LASS").libcpuid("-").requires(&["smap"]),
    F::new("cmpccxadd", 0x7, 1, Eax, 7, "CMPccXADD instructions").vmware("CMPCCXADD").libcpuid("-").requires(&["lm"]),
    F::new("arch_perfmon_ext", 0x7, 1, Eax, 8, "architectural perfmon extension leaf 0x23").intel().qemu("-").vmware("ARCH_PERFMON_EXT").libcpuid("-"),
    F::new("fzrm", 0x7, 1, Eax, 10, "fast zero-length REP MOVSB").vmware("FAST_ZERO_MOVSB").libcpuid("-"),
    F::new("fsrs", 0x7, 1, Eax, 11, "fast short REP STOSB").vmware("FAST_SHORT_STOSB").libcpuid("-"),
    F::new("fsrc", 0x7, 1, Eax, 12, "fast short REP CMPSB/SCASB").vmware("FAST_SHORT_CMPSB_SCASB").libcpuid("-"),
    F::new("fred", 0x7, 1, Eax, 17, "flexible return and event delivery").libcpuid("-").requires(&["lkgs", "wrmsrns", "lm"]),
    F::new("lkgs", 0x7, 1, Eax, 18, "LKGS instruction").libcpuid("-").requires(&["lm"]),
    F::new("wrmsrns", 0x7, 1, Eax, 19, "non-serializing WRMSR").vmware("WRMSRNS").libcpuid("-"),
    F::new("nmi_src", 0x7, 1, Eax, 20, "NMI-source reporting").intel().qemu("-").libcpuid("-"),
    F::new("amx_fp16", 0x7, 1, Eax, 21, "AMX FP16").intel().qemu("amx-fp16").vmware("AMX_FP16").libcpuid("-").requires(&["amx_tile"]),
    F::new("hreset", 0x7, 1, Eax, 22, "HRESET instruction").intel().qemu("-").libvirt("-").vmware("HRESET").libcpuid("-"),
    F::new("avx_ifma", 0x7, 1, Eax, 23, "AVX (VEX) integer fused multiply-add").qemu("avx-ifma").vmware("AVX_IFMA").libcpuid("-").requires(&["avx2"]),
    F::new("lam", 0x7, 1, Eax, 26, "linear address masking").intel().vmware("LAM").libcpuid("-"),
    F::new("msrlist", 0x7, 1, Eax, 27, "RDMSRLIST/WRMSRLIST").intel().qemu("-").vmware("MSRLIST").libcpuid("-"),
    F::new("no_invd", 0x7, 1, Eax, 30, "INVD disabled after BIOS done").class(INFO).intel().qemu("-").libcpuid("-"),
    F::new("movrs", 0x7, 1, Eax, 31, "MOVRS and PREFETCHRST2 (read-shared loads)").intel().qemu("-").libcpuid("-").requires(&["lm"]),
    // ---- leaf 0x7 subleaf 1, EBX ----
    F::new("intel_ppin", 0x7, 1, Ebx, 0, "protected processor inventory number").class(INFO).intel().qemu("-").vmware("LEAF7_PPIN").libcpuid("-"),
    F::new("pbndkb", 0x7, 1, Ebx, 1, "PBNDKB instruction (total storage encryption)").intel().qemu("-").libvirt("-").libcpuid("-"),
    // ---- leaf 0x7 subleaf 1, ECX ----
    F::new("msr_imm", 0x7, 1, Ecx, 5, "RDMSR/WRMSRNS with immediate MSR index").intel().qemu("-").libcpuid("-"),
    // ---- leaf 0x7 subleaf 1, EDX ----
    F::new("avx_vnni_int8", 0x7, 1, Edx, 4, "AVX VNNI int8").qemu("avx-vnni-int8").vmware("AVX_VNNI_INT8").libcpuid("-").requires(&["avx2"]),
    F::new("avx_ne_convert", 0x7, 1, Edx, 5, "AVX no-exception FP conversions").qemu("avx-ne-convert").vmware("AVX_NE_CONVERT").libcpuid("-").requires(&["avx"]),
    F::new("amx_complex", 0x7, 1, Edx, 8, "AMX complex FP16").intel().qemu("amx-complex").libcpuid("-").requires(&["amx_tile"]),
    F::new("avx_vnni_int16", 0x7, 1, Edx, 10, "AVX VNNI int16").qemu("avx-vnni-int16").libcpuid("-").requires(&["avx2"]),
    F::new("prefetchiti", 0x7, 1, Edx, 14, "PREFETCHIT0/1 instruction prefetch").libcpuid("-"),
    F::new("user_msr", 0x7, 1, Edx, 15, "URDMSR/UWRMSR user MSR access").intel().qemu("-").libvirt("-").libcpuid("-"),
    F::new("uiret_uif", 0x7, 1, Edx, 17, "UIRET sets UIF from the stack").intel().qemu("-").libcpuid("-"),
    F::new("cet_sss", 0x7, 1, Edx, 18, "CET supervisor shadow stacks are safe to use").intel().qemu("-").vmware("CET_SSS").libcpuid("-"),
    F::new("avx10", 0x7, 1, Edx, 19, "AVX10 converged vector ISA (version in leaf 0x24)").libcpuid("-").requires(&["avx512f"]),
    F::new("apx", 0x7, 1, Edx, 21, "advanced performance extensions (APX_F)").qemu("-").manual("APX_F").libcpuid("-").requires(&["xsave"]),
    F::new("slsm", 0x7, 1, Edx, 24, "static lockstep mode").class(INFO).intel().qemu("-").libcpuid("-"),
    // ---- leaf 0x7 subleaf 2, EDX (speculation controls) ----
    F::new("intel_psfd", 0x7, 2, Edx, 0, "PSFD control in IA32_SPEC_CTRL").class(FIRMWARE).qemu("intel-psfd").vmware("PSFD").libcpuid("-").requires(&["spec_ctrl"]),
    F::new("ipred_ctrl", 0x7, 2, Edx, 1, "IPRED_DIS controls in IA32_SPEC_CTRL").class(FIRMWARE).qemu("ipred-ctrl").vmware("IPRED_CTRL").libcpuid("-").requires(&["spec_ctrl"]),
    F::new("rrsba_ctrl", 0x7, 2, Edx, 2, "RRSBA_DIS controls in IA32_SPEC_CTRL").class(FIRMWARE).qemu("rrsba-ctrl").vmware("RRSBA_CTRL").libcpuid("-").requires(&["spec_ctrl"]),
    F::new("ddpd_u", 0x7, 2, Edx, 3, "DDPD_U data dependent prefetcher control").class(FIRMWARE).qemu("ddpd-u").vmware("DDPD_U").libcpuid("-"),
    F::new("bhi_ctrl", 0x7, 2, Edx, 4, "BHI_DIS_S control in IA32_SPEC_CTRL").class(FIRMWARE).qemu("bhi-ctrl").vmware("BHI_CTRL").libcpuid("-").requires(&["spec_ctrl"]),
    F::new("mcdt_no", 0x7, 2, Edx, 5, "not affected by MXCSR configuration dependent timing").qemu("mcdt-no").vmware("MCDT_NO").libcpuid("-"),
    F::new("uc_lock_dis", 0x7, 2, Edx, 6, "UC-lock disable").intel().qemu("-").libcpuid("-"),
    // ---- leaf 0xD subleaf 1, EAX ----
    F::new("xsaveopt", 0xd, 1, Eax, 0, "XSAVEOPT instruction").vmware("XSAVEOPT").libcpuid("-").requires(&["xsave"]),
    F::new("xsavec", 0xd, 1, Eax, 1, "XSAVEC (compacted XSAVE)").vmware("XSAVEC").libcpuid("-").requires(&["xsave"]),
    F::new("xgetbv1", 0xd, 1, Eax, 2, "XGETBV with ECX=1").vmware("XGETBV_ECX1").libcpuid("-").requires(&["xsave"]),
    F::new("xsaves", 0xd, 1, Eax, 3, "XSAVES/XRSTORS and IA32_XSS").vmware("XSAVES").libcpuid("-").requires(&["xsave"]),
    F::new("xfd", 0xd, 1, Eax, 4, "extended feature disable (IA32_XFD)").vmware("XFD").libcpuid("-").requires(&["xsaves", "xgetbv1"]),
    // ---- leaf 0x12 subleaf 0, EAX (SGX) ----
    F::new("sgx1", 0x12, 0, Eax, 0, "SGX1 leaf functions").class(FIRMWARE).intel().vmware("SGX1").libcpuid("-").requires(&["sgx"]),
    F::new("sgx2", 0x12, 0, Eax, 1, "SGX2 leaf functions (EDMM)").class(FIRMWARE).intel().vmware("SGX2").libcpuid("-").requires(&["sgx1", "sgx"]),
    F::new("sgx_eupdatesvn", 0x12, 0, Eax, 10, "SGX EUPDATESVN").class(FIRMWARE).intel().qemu("-").vmware("SGX_EUPDATESVN").libcpuid("-").requires(&["sgx1"]),
    F::new("sgx_edeccssa", 0x12, 0, Eax, 11, "SGX EDECCSSA").class(FIRMWARE).intel().qemu("sgx-edeccssa").libcpuid("-").requires(&["sgx1", "sgx"]),
    // ---- leaf 0x19, EBX (Key Locker) ----
    F::new("aeskle", 0x19, 0, Ebx, 0, "AES Key Locker instructions enabled").intel().qemu("-").libvirt("-").vmware("AESKLE").libcpuid("-").requires(&["kl"]),
    F::new("wide_kl", 0x19, 0, Ebx, 2, "wide Key Locker instructions (AESENCWIDE/AESDECWIDE)").intel().qemu("-").libvirt("-").vmware("AESKLE_WIDE").libcpuid("-").requires(&["kl"]),
    F::new("iwkeybackup", 0x19, 0, Ebx, 4, "IWKey backup MSRs").intel().qemu("-").libvirt("-").vmware("KEY_LOCKER_MSRS").libcpuid("-").requires(&["kl"]),
    // ---- leaf 0x80000001, ECX ----
    F::new("lahf_lm", 0x8000_0001, 0, Ecx, 0, "LAHF/SAHF in 64-bit mode").qemu("lahf-lm").libvirt("lahf_lm").manual("LAHF-SAHF").vmware("LAHF64").psabi(2),
    F::new("cmp_legacy", 0x8000_0001, 0, Ecx, 1, "core multiprocessing legacy mode (topology)").class(PER_VM).amd().qemu("cmp-legacy").libvirt("cmp_legacy").manual("CmpLegacy").vmware("CMPLEGACY"),
    F::new("svm", 0x8000_0001, 0, Ecx, 2, "AMD-V secure virtual machine").class(FIRMWARE).amd().vmware("SVM"),
    F::new("extapic", 0x8000_0001, 0, Ecx, 3, "extended APIC register space").amd().manual("ExtApicSpace").vmware("EXTAPICSPC").libcpuid("-").requires(&["apic"]),
    F::new("cr8_legacy", 0x8000_0001, 0, Ecx, 4, "LOCK MOV CR0 means MOV CR8 (AltMovCr8)").amd().qemu("cr8legacy").manual("AltMovCr8").vmware("CR8AVAIL").libcpuid("-"),
    F::new("abm", 0x8000_0001, 0, Ecx, 5, "LZCNT (AMD: advanced bit manipulation)").manual("LZCNT").vmware("ABM").psabi(3),
    F::new("sse4a", 0x8000_0001, 0, Ecx, 6, "SSE4A instructions").amd().vmware("SSE4A").requires(&["pni"]),
    F::new("misalignsse", 0x8000_0001, 0, Ecx, 7, "misaligned SSE mode").amd().vmware("MISALIGNED_SSE").requires(&["sse"]),
    F::new("3dnowprefetch", 0x8000_0001, 0, Ecx, 8, "PREFETCH/PREFETCHW instructions").manual("PREFETCHW").vmware("3DNPREFETCH"),
    F::new("osvw", 0x8000_0001, 0, Ecx, 9, "OS-visible workaround MSRs").amd().vmware("OSVW"),
    F::new("ibs", 0x8000_0001, 0, Ecx, 10, "instruction-based sampling").amd().vmware("IBS"),
    F::new("xop", 0x8000_0001, 0, Ecx, 11, "XOP instructions").amd().vmware("XOP").requires(&["avx"]),
    F::new("skinit", 0x8000_0001, 0, Ecx, 12, "SKINIT/STGI instructions").amd().vmware("SKINIT"),
    F::new("wdt", 0x8000_0001, 0, Ecx, 13, "watchdog timer").class(INFO).amd().vmware("WATCHDOG"),
    F::new("lwp", 0x8000_0001, 0, Ecx, 15, "lightweight profiling").amd().vmware("LWP").libcpuid("-").requires(&["xsave"]),
    F::new("fma4", 0x8000_0001, 0, Ecx, 16, "4-operand FMA instructions").amd().vmware("FMA4").requires(&["avx"]),
    F::new("tce", 0x8000_0001, 0, Ecx, 17, "translation cache extension").amd().vmware("TCE").libcpuid("-"),
    F::new("cvt16", 0x8000_0001, 0, Ecx, 18, "half-precision conversion (pre-F16C AMD bit)").amd().libcpuid("-"),
    F::new("nodeid_msr", 0x8000_0001, 0, Ecx, 19, "NodeId MSR").amd().qemu("nodeid-msr").libvirt("nodeid_msr").vmware("NODEID_MSR").libcpuid("-"),
    F::new("tbm", 0x8000_0001, 0, Ecx, 21, "trailing bit manipulation").amd().vmware("TBM"),
    F::new("topoext", 0x8000_0001, 0, Ecx, 22, "topology extensions (leaves 0x8000001D/1E)").amd().manual("TopologyExtensions").vmware("TOPOLOGY").libcpuid("-"),
    F::new("perfctr_core", 0x8000_0001, 0, Ecx, 23, "core performance counter extensions").amd().qemu("perfctr-core").libvirt("perfctr_core").vmware("PERFCORE").libcpuid("-"),
    F::new("perfctr_nb", 0x8000_0001, 0, Ecx, 24, "northbridge performance counters").amd().qemu("perfctr-nb").libvirt("perfctr_nb").vmware("PERFNB").libcpuid("-"),
    F::new("bpext", 0x8000_0001, 0, Ecx, 26, "data breakpoint extension").amd().qemu("-").manual("DataBkptExt").vmware("DATABK").libcpuid("-"),
    F::new("ptsc", 0x8000_0001, 0, Ecx, 27, "performance time-stamp counter").amd().qemu("-").manual("PerfTsc").vmware("PERFTSC").libcpuid("-"),
    F::new("perfctr_llc", 0x8000_0001, 0, Ecx, 28, "last-level cache performance counters").amd().qemu("-").vmware("PERFL3").libcpuid("-"),
    F::new("mwaitx", 0x8000_0001, 0, Ecx, 29, "MONITORX/MWAITX instructions").amd().qemu("-").manual("MONITORX").vmware("MONITORX").libcpuid("-"),
    F::new("addr_mask_ext", 0x8000_0001, 0, Ecx, 30, "breakpoint address mask extension to bit 31").amd().qemu("-").manual("AdMskExtn").vmware("ADDR_MASK_EXT").libcpuid("-"),
    // ---- leaf 0x80000001, EDX (only bits not duplicated from leaf 0x1 EDX) ----
    F::new("syscall", 0x8000_0001, 0, Edx, 11, "SYSCALL/SYSRET").class(FLOOR).manual("SysCallSysRet").vmware("SYSC").psabi(1),
    F::new("mp", 0x8000_0001, 0, Edx, 19, "multiprocessing capable (Athlon MP)").amd().qemu("-").libcpuid("-"),
    F::new("nx", 0x8000_0001, 0, Edx, 20, "no-execute page protection (Intel XD)").class(FLOOR).manual("XD").vmware("NX").libcpuid("xd").requires(&["pae"]),
    F::new("mmxext", 0x8000_0001, 0, Edx, 22, "AMD MMX extensions").amd().vmware("MMXEXT").requires(&["mmx"]),
    F::new("fxsr_opt", 0x8000_0001, 0, Edx, 25, "FXSAVE/FXRSTOR optimizations").amd().qemu("fxsr-opt").libvirt("fxsr_opt").manual("FFXSR").vmware("FFXSR").requires(&["fxsr"]),
    F::new("pdpe1gb", 0x8000_0001, 0, Edx, 26, "1 GiB pages").manual("Page1GB").vmware("PDPE1GB").libcpuid("-").requires(&["lm"]),
    F::new("rdtscp", 0x8000_0001, 0, Edx, 27, "RDTSCP instruction and IA32_TSC_AUX").vmware("RDTSCP").requires(&["tsc"]),
    F::new("lm", 0x8000_0001, 0, Edx, 29, "long mode (x86-64, Intel 64)").class(FLOOR).vmware("LM").requires(&["sse2", "pae"]).psabi(1),
    F::new("3dnowext", 0x8000_0001, 0, Edx, 30, "AMD 3DNow! extensions").amd().vmware("3DNOWPLUS").requires(&["3dnow"]),
    F::new("3dnow", 0x8000_0001, 0, Edx, 31, "AMD 3DNow!").amd().vmware("3DNOW").requires(&["mmx"]),
    // ---- leaf 0x80000007, EBX (RAS) ----
    F::new("overflow_recov", 0x8000_0007, 0, Ebx, 0, "MCA overflow recovery").amd().qemu("overflow-recov").manual("McaOverflowRecov").vmware("MCA_OVERFLOW_RECOV").libcpuid("-"),
    F::new("succor", 0x8000_0007, 0, Ebx, 1, "software uncorrectable error containment and recovery").amd().vmware("SUCCOR").libcpuid("-"),
    F::new("hwa", 0x8000_0007, 0, Ebx, 2, "hardware assert MSRs").class(INFO).amd().qemu("-").vmware("HWA").libcpuid("-"),
    F::new("smca", 0x8000_0007, 0, Ebx, 3, "scalable MCA").amd().qemu("-").manual("ScalableMca").vmware("SCALABLE_MCA").libcpuid("-"),
    // ---- leaf 0x80000007, EDX (advanced power management; informational but invtsc) ----
    F::new("ts", 0x8000_0007, 0, Edx, 0, "temperature sensor").class(INFO).amd().qemu("-").vmware("TS"),
    F::new("fid", 0x8000_0007, 0, Edx, 1, "frequency ID control").class(INFO).amd().qemu("-").vmware("FID"),
    F::new("vid", 0x8000_0007, 0, Edx, 2, "voltage ID control").class(INFO).amd().qemu("-").vmware("VID"),
    F::new("ttp", 0x8000_0007, 0, Edx, 3, "THERMTRIP").class(INFO).amd().qemu("-").vmware("TTP"),
    F::new("htc", 0x8000_0007, 0, Edx, 4, "hardware thermal control (APM \"TM\")").class(INFO).amd().qemu("-").vmware("LEAF87_TM").libcpuid("tm_amd"),
    F::new("stc", 0x8000_0007, 0, Edx, 5, "software thermal control").class(INFO).amd().qemu("-").vmware("STC"),
    F::new("100mhzsteps", 0x8000_0007, 0, Edx, 6, "100 MHz multiplier control").class(INFO).amd().qemu("-").vmware("100MHZSTEPS"),
    F::new("hw_pstate", 0x8000_0007, 0, Edx, 7, "hardware P-state control").class(INFO).amd().qemu("-").manual("HwPstate").vmware("HWPSTATE").libcpuid("hwpstate"),
    F::new("invtsc", 0x8000_0007, 0, Edx, 8, "invariant TSC (constant rate in all P/C/T-states)").class(NON_MIGRATABLE).manual("TscInvariant").vmware("TSC_INVARIANT").libcpuid("constant_tsc").requires(&["tsc"]),
    F::new("cpb", 0x8000_0007, 0, Edx, 9, "core performance boost").class(INFO).amd().qemu("-").vmware("CORE_PERF_BOOST"),
    F::new("eff_freq_ro", 0x8000_0007, 0, Edx, 10, "read-only effective frequency interface (APERF/MPERF)").class(INFO).amd().qemu("-").manual("EffFreqRO").vmware("EFFECTIVE_FREQUENCY").libcpuid("aperfmperf"),
    F::new("proc_feedback", 0x8000_0007, 0, Edx, 11, "processor feedback interface").class(INFO).amd().qemu("-").vmware("PROC_FEEDBACK_INTERFACE").libcpuid("pfi"),
    F::new("proc_power_reporting", 0x8000_0007, 0, Edx, 12, "processor power reporting (accumulator)").class(INFO).amd().qemu("-").vmware("PROC_POWER_REPORTING").libcpuid("pa"),
    F::new("connected_standby", 0x8000_0007, 0, Edx, 13, "connected standby").class(INFO).amd().qemu("-").vmware("CONNECTED_STANDBY").libcpuid("-"),
    F::new("rapl", 0x8000_0007, 0, Edx, 14, "running average power limit").class(INFO).amd().qemu("-").vmware("RAPL").libcpuid("-"),
    F::new("amd_fast_cppc", 0x8000_0007, 0, Edx, 15, "fast CPPC").class(INFO).amd().qemu("-").libcpuid("-"),
    F::new("cppc_perf_prio", 0x8000_0007, 0, Edx, 16, "CPPC performance priority").class(INFO).amd().qemu("-").libcpuid("-"),
    // ---- leaf 0x80000008, EBX (AMD extended features, speculation controls) ----
    F::new("clzero", 0x8000_0008, 0, Ebx, 0, "CLZERO instruction").amd().vmware("CLZERO").libcpuid("-").requires(&["clflush"]),
    F::new("irperf", 0x8000_0008, 0, Ebx, 1, "instructions-retired counter MSR").amd().qemu("-").vmware("IRPERF").libcpuid("-"),
    F::new("xsaveerptr", 0x8000_0008, 0, Ebx, 2, "FXSAVE/XSAVE always save error pointers").amd().manual("RstrFpErrPtrs").vmware("XSAVE_ERR_PTR").libcpuid("-").requires(&["fpu"]),
    F::new("invlpgb", 0x8000_0008, 0, Ebx, 3, "INVLPGB/TLBSYNC broadcast invalidation").amd().qemu("-").vmware("INVLPGB").libcpuid("-"),
    F::new("rdpru", 0x8000_0008, 0, Ebx, 4, "RDPRU instruction").amd().qemu("-").vmware("RDPRU").libcpuid("-"),
    F::new("mba", 0x8000_0008, 0, Ebx, 6, "memory bandwidth enforcement (QoS)").class(INFO).amd().qemu("-").vmware("MBE").libcpuid("-"),
    F::new("mcommit", 0x8000_0008, 0, Ebx, 8, "MCOMMIT instruction").amd().qemu("-").vmware("MCOMMIT").libcpuid("-"),
    F::new("wbnoinvd", 0x8000_0008, 0, Ebx, 9, "WBNOINVD instruction (Intel defines this bit too)").vmware("WBNOINVD").libcpuid("-"),
    F::new("amd_ibpb", 0x8000_0008, 0, Ebx, 12, "indirect branch prediction barrier").class(FIRMWARE).amd().qemu("ibpb").manual("IBPB").vmware("LEAF88_IBPB").libcpuid("-"),
    F::new("int_wbinvd", 0x8000_0008, 0, Ebx, 13, "WBINVD/WBNOINVD are interruptible").amd().qemu("-").vmware("WBINVD_INT").libcpuid("-"),
    F::new("amd_ibrs", 0x8000_0008, 0, Ebx, 14, "indirect branch restricted speculation").class(FIRMWARE).amd().qemu("ibrs").manual("IBRS").vmware("LEAF88_IBRS").libcpuid("-"),
    F::new("amd_stibp", 0x8000_0008, 0, Ebx, 15, "single thread indirect branch predictors").class(FIRMWARE).amd().qemu("amd-stibp").vmware("LEAF88_STIBP").libcpuid("-"),
    F::new("ibrs_always", 0x8000_0008, 0, Ebx, 16, "IBRS always-on mode preferred").class(FIRMWARE).amd().qemu("-").vmware("LEAF88_IBRS_ALWAYS").libcpuid("-").requires(&["amd_ibrs"]),
    F::new("amd_stibp_always_on", 0x8000_0008, 0, Ebx, 17, "STIBP always-on mode preferred").class(FIRMWARE).amd().qemu("stibp-always-on").vmware("LEAF88_STIBP_ALWAYS").libcpuid("-"),
    F::new("ibrs_fast", 0x8000_0008, 0, Ebx, 18, "IBRS preferred over software mitigations").class(FIRMWARE).amd().qemu("-").manual("IbrsPreferred").vmware("LEAF88_PREFER_IBRS").libcpuid("-"),
    F::new("amd_ibrs_same_mode", 0x8000_0008, 0, Ebx, 19, "IBRS protects same-mode predictions").class(FIRMWARE).amd().qemu("-").vmware("LEAF88_IBRS_SAME_MODE").libcpuid("-"),
    F::new("efer_lmsle_mbz", 0x8000_0008, 0, Ebx, 20, "EFER.LMSLE unsupported (must be zero)").class(NEGATIVE).amd().qemu("-").manual("EferLmsleUnsupported").vmware("LMSLE_UNSUPPORTED").libcpuid("-").requires(&["lm"]),
    F::new("amd_ppin", 0x8000_0008, 0, Ebx, 23, "protected processor inventory number").class(INFO).amd().qemu("-").vmware("PPIN").libcpuid("-"),
    F::new("amd_ssbd", 0x8000_0008, 0, Ebx, 24, "SSBD via IA32_SPEC_CTRL").class(FIRMWARE).amd().qemu("amd-ssbd").vmware("LEAF88_SSBD_SPEC_CTRL").libcpuid("-"),
    F::new("virt_ssbd", 0x8000_0008, 0, Ebx, 25, "SSBD via VIRT_SPEC_CTRL MSR").class(FIRMWARE).amd().qemu("virt-ssbd").vmware("LEAF88_SSBD_VIRT_SPEC_CTRL").libcpuid("-"),
    F::new("amd_ssb_no", 0x8000_0008, 0, Ebx, 26, "not vulnerable to speculative store bypass").amd().qemu("amd-no-ssb").vmware("LEAF88_SSBD_NOT_NEEDED").libcpuid("-"),
    F::new("cppc", 0x8000_0008, 0, Ebx, 27, "collaborative processor performance control").class(INFO).amd().qemu("-").libcpuid("-"),
    F::new("amd_psfd", 0x8000_0008, 0, Ebx, 28, "predictive store forwarding disable").class(FIRMWARE).amd().qemu("amd-psfd").vmware("LEAF88_PSFD").libcpuid("-").requires(&["amd_ibrs"]),
    F::new("btc_no", 0x8000_0008, 0, Ebx, 29, "not vulnerable to branch type confusion").amd().qemu("-").vmware("BTC_NO").libcpuid("-"),
    F::new("amd_ibpb_ret", 0x8000_0008, 0, Ebx, 30, "IBPB also clears the return address predictor").class(FIRMWARE).amd().qemu("-").libcpuid("-").requires(&["amd_ibpb"]),
    F::new("brs", 0x8000_0008, 0, Ebx, 31, "branch sampling").amd().qemu("-").libcpuid("-"),
    // ---- leaf 0x8000000A, EDX (SVM sub-features; meaningful for nested virtualization) ----
    F::new("npt", 0x8000_000a, 0, Edx, 0, "nested page tables").class(NESTED).amd().vmware("SVM_NPT").libcpuid("-").requires(&["svm"]),
    F::new("lbrv", 0x8000_000a, 0, Edx, 1, "LBR virtualization").class(NESTED).amd().vmware("SVM_LBR").libcpuid("-").requires(&["svm"]),
    F::new("svm_lock", 0x8000_000a, 0, Edx, 2, "SVM lock").class(NESTED).amd().qemu("svm-lock").vmware("SVM_LOCK").libcpuid("-").requires(&["svm"]),
    F::new("nrip_save", 0x8000_000a, 0, Edx, 3, "next RIP save on #VMEXIT").class(NESTED).amd().qemu("nrip-save").vmware("SVM_NRIP").libcpuid("-").requires(&["svm"]),
    F::new("tsc_scale", 0x8000_000a, 0, Edx, 4, "TSC ratio MSR").class(NESTED).amd().qemu("tsc-scale").vmware("SVM_TSC_RATE_MSR").libcpuid("-").requires(&["svm"]),
    F::new("vmcb_clean", 0x8000_000a, 0, Edx, 5, "VMCB clean bits").class(NESTED).amd().qemu("vmcb-clean").vmware("SVM_VMCB_CLEAN").libcpuid("-").requires(&["svm"]),
    F::new("flushbyasid", 0x8000_000a, 0, Edx, 6, "flush by ASID").class(NESTED).amd().vmware("SVM_FLUSH_BY_ASID").libcpuid("-").requires(&["svm"]),
    F::new("decodeassists", 0x8000_000a, 0, Edx, 7, "decode assists").class(NESTED).amd().vmware("SVM_DECODE_ASSISTS").libcpuid("-").requires(&["svm"]),
    F::new("pausefilter", 0x8000_000a, 0, Edx, 10, "PAUSE intercept filter").class(NESTED).amd().qemu("pause-filter").vmware("SVM_PAUSE_FILTER").libcpuid("-").requires(&["svm"]),
    F::new("pfthreshold", 0x8000_000a, 0, Edx, 12, "PAUSE filter threshold").class(NESTED).amd().vmware("SVM_PAUSE_THRESHOLD").libcpuid("-").requires(&["svm"]),
    F::new("avic", 0x8000_000a, 0, Edx, 13, "AMD virtual interrupt controller").class(NESTED).amd().vmware("SVM_AVIC").libcpuid("-").requires(&["svm"]),
    F::new("v_vmsave_vmload", 0x8000_000a, 0, Edx, 15, "virtual VMSAVE/VMLOAD").class(NESTED).amd().qemu("v-vmsave-vmload").vmware("SVM_V_VMSAVE_VMLOAD").libcpuid("-").requires(&["svm"]),
    F::new("vgif", 0x8000_000a, 0, Edx, 16, "virtual global interrupt flag").class(NESTED).amd().vmware("SVM_VGIF").libcpuid("-").requires(&["svm"]),
    F::new("gmet", 0x8000_000a, 0, Edx, 17, "guest mode execute trap").class(NESTED).amd().qemu("-").vmware("SVM_GMET").libcpuid("-").requires(&["svm"]),
    F::new("x2avic", 0x8000_000a, 0, Edx, 18, "x2APIC mode AVIC").class(NESTED).amd().qemu("-").libcpuid("-").requires(&["svm"]),
    F::new("v_spec_ctrl", 0x8000_000a, 0, Edx, 20, "virtual SPEC_CTRL").class(NESTED).amd().qemu("-").vmware("SVM_GUEST_SPEC_CTRL").libcpuid("-").requires(&["svm"]),
    F::new("vnmi", 0x8000_000a, 0, Edx, 25, "virtual NMI").class(NESTED).amd().libcpuid("-").requires(&["svm"]),
    F::new("svme_addr_chk", 0x8000_000a, 0, Edx, 28, "SVM instructions check guest physical address").class(NESTED).amd().qemu("svme-addr-chk").libcpuid("-").requires(&["svm"]),
    F::new("bus_lock_threshold", 0x8000_000a, 0, Edx, 29, "bus lock threshold intercept").class(NESTED).amd().qemu("-").libcpuid("-").requires(&["svm"]),
    F::new("idle_hlt", 0x8000_000a, 0, Edx, 30, "idle HLT intercept").class(NESTED).amd().qemu("-").libcpuid("-").requires(&["svm"]),
    // ---- leaf 0x80000021, EAX (AMD extended features 2) ----
    F::new("no_nested_data_bp", 0x8000_0021, 0, Eax, 0, "processor ignores nested data breakpoints").class(NEGATIVE).amd().qemu("no-nested-data-bp").libcpuid("-"),
    F::new("wrmsr_xx_base_ns", 0x8000_0021, 0, Eax, 1, "WRMSR to FS/GS/KERNEL_GS base is non-serializing").class(NEGATIVE).amd().qemu("-").manual("FsGsKernelGsBaseNonSerializing").libcpuid("-"),
    F::new("lfence_rdtsc", 0x8000_0021, 0, Eax, 2, "LFENCE is always dispatch serializing").amd().qemu("lfence-always-serializing").libcpuid("-"),
    F::new("verw_clear", 0x8000_0021, 0, Eax, 5, "VERW clears CPU buffers").class(FIRMWARE).amd().qemu("-").libcpuid("-"),
    F::new("null_sel_clr_base", 0x8000_0021, 0, Eax, 6, "null selector load clears base").class(NEGATIVE).amd().qemu("null-sel-clr-base").manual("NullSelectClearsBase").libcpuid("-"),
    F::new("upper_addr_ignore", 0x8000_0021, 0, Eax, 7, "upper address ignore").amd().qemu("-").libvirt("-").manual("UpperAddressIgnore").vmware("UPPER_ADDRESS_IGNORE").libcpuid("-"),
    F::new("autoibrs", 0x8000_0021, 0, Eax, 8, "automatic IBRS").class(FIRMWARE).amd().qemu("auto-ibrs").manual("AutomaticIBRS").libcpuid("-").requires(&["amd_ibrs"]),
    F::new("no_smm_ctl_msr", 0x8000_0021, 0, Eax, 9, "SMM_CTL MSR not present").class(NEGATIVE).amd().qemu("-").libcpuid("-"),
    F::new("amd_fsrs", 0x8000_0021, 0, Eax, 10, "fast short REP STOSB").amd().qemu("-").libcpuid("-"),
    F::new("amd_fsrc", 0x8000_0021, 0, Eax, 11, "fast short REP CMPSB").amd().qemu("-").libcpuid("-"),
    F::new("gp_on_user_cpuid", 0x8000_0021, 0, Eax, 17, "CPUID can be disabled for user mode (#GP)").amd().qemu("-").manual("CpuidUserDis").libcpuid("-"),
    F::new("epsf", 0x8000_0021, 0, Eax, 18, "enhanced predictive store forwarding").amd().qemu("-").libcpuid("-").requires(&["amd_psfd"]),
    F::new("fsrsc", 0x8000_0021, 0, Eax, 19, "fast short REP SCASB").amd().qemu("-").libcpuid("-"),
    F::new("prefetchi", 0x8000_0021, 0, Eax, 20, "PREFETCHIT0/1 instruction prefetch (AMD)").amd().qemu("-").libcpuid("-"),
    F::new("amd_workload_class", 0x8000_0021, 0, Eax, 22, "workload classification").class(INFO).amd().qemu("-").libcpuid("-"),
    F::new("avx512_bmm", 0x8000_0021, 0, Eax, 23, "AVX-512 bit matrix multiply").amd().qemu("-").libcpuid("-").requires(&["avx512bw"]),
    F::new("eraps", 0x8000_0021, 0, Eax, 24, "enhanced return address predictor security").class(FIRMWARE).amd().libcpuid("-"),
    F::new("sbpb", 0x8000_0021, 0, Eax, 27, "selective branch predictor barrier").class(FIRMWARE).amd().libcpuid("-").requires(&["amd_ibpb"]),
    F::new("ibpb_brtype", 0x8000_0021, 0, Eax, 28, "IBPB flushes all branch type predictions").class(FIRMWARE).amd().qemu("ibpb-brtype").libcpuid("-").requires(&["amd_ibpb"]),
    F::new("srso_no", 0x8000_0021, 0, Eax, 29, "not vulnerable to SRSO").amd().qemu("srso-no").libcpuid("-"),
    F::new("srso_user_kernel_no", 0x8000_0021, 0, Eax, 30, "not vulnerable to SRSO across user/kernel").amd().qemu("srso-user-kernel-no").libcpuid("-"),
    F::new("srso_bp_spec_reduce", 0x8000_0021, 0, Eax, 31, "BP_SPEC_REDUCE SRSO mitigation").class(FIRMWARE).amd().qemu("-").libcpuid("-"),
    // ---- leaf 0x80000021, ECX ----
    F::new("tsa_sq_no", 0x8000_0021, 0, Ecx, 1, "not vulnerable to TSA-SQ").amd().qemu("-").libcpuid("-"),
    F::new("tsa_l1_no", 0x8000_0021, 0, Ecx, 2, "not vulnerable to TSA-L1").amd().qemu("-").libcpuid("-"),
    // ---- leaf 0xC0000001, EDX (Centaur/Zhaoxin PadLock; libvirt ignores these) ----
    F::new("rng", 0xc000_0001, 0, Edx, 2, "PadLock RNG (XSTORE)").qemu("xstore").libvirt("-").manual("XSTORE").libcpuid("-"),
    F::new("rng_en", 0xc000_0001, 0, Edx, 3, "PadLock RNG enabled").qemu("xstore-en").libvirt("-").libcpuid("-").requires(&["rng"]),
    F::new("ace", 0xc000_0001, 0, Edx, 6, "PadLock advanced cryptography engine (XCRYPT)").qemu("xcrypt").libvirt("-").manual("XCRYPT").libcpuid("-"),
    F::new("ace_en", 0xc000_0001, 0, Edx, 7, "PadLock ACE enabled").qemu("xcrypt-en").libvirt("-").libcpuid("-").requires(&["ace"]),
    F::new("ace2", 0xc000_0001, 0, Edx, 8, "PadLock ACE v2").libvirt("-").libcpuid("-"),
    F::new("ace2_en", 0xc000_0001, 0, Edx, 9, "PadLock ACE v2 enabled").qemu("ace2-en").libvirt("-").libcpuid("-").requires(&["ace2"]),
    F::new("phe", 0xc000_0001, 0, Edx, 10, "PadLock hash engine").libvirt("-").libcpuid("-"),
    F::new("phe_en", 0xc000_0001, 0, Edx, 11, "PadLock hash engine enabled").qemu("phe-en").libvirt("-").libcpuid("-").requires(&["phe"]),
    F::new("pmm", 0xc000_0001, 0, Edx, 12, "PadLock Montgomery multiplier").libvirt("-").libcpuid("-"),
    F::new("pmm_en", 0xc000_0001, 0, Edx, 13, "PadLock Montgomery multiplier enabled").qemu("pmm-en").libvirt("-").libcpuid("-").requires(&["pmm"]),
];

/// Dependency edges (`feature`, `requires`, reason) kept although some real CPU in
/// the corpus has the feature without the requirement: each reason names the
/// manual section that makes the edge architectural (`tests/catalog_edges.rs`
/// accepts a broken edge only when it is listed here; every other edge holds on
/// every bare-metal full dump of `../shared/corpus/`). Empty today.
pub const KEPT_EDGES: &[(&str, &str, &str)] = &[];
