//! Unit tests of the catalog: lookup by every kind of spelling, dependency closure,
//! classes and vendor scoping of a few load-bearing entries.

use super::*;
use crate::cpuid::Reg;

fn id(name: &str) -> FeatureId {
    lookup(name).unwrap_or_else(|| panic!("`{name}` is not in the catalog"))
}

fn def(name: &str) -> &'static FeatureDef {
    by_id(id(name))
}

fn hidden_with(name: &str) -> FeatureSet {
    let mut set = FeatureSet::new();
    set.insert(id(name));
    closure_of_dependents(&set)
}

#[test]
fn names_used_by_code_exist_with_exact_spelling() {
    for name in [
        "lm",
        "syscall",
        "nx",
        "hybrid_cpu",
        "avx512f",
        "avx2",
        "avx",
        "sse4_2",
        "sse4_1",
        "ssse3",
        "pni",
        "sse2",
        "sse",
        "mmx",
        "vmx",
        "svm",
        "hypervisor",
        "cx16",
        "lahf_lm",
        "popcnt",
        "xsave",
        "osxsave",
        "monitor",
    ] {
        assert_eq!(def(name).name, name, "canonical spelling of `{name}`");
    }
    let hybrid = def("hybrid_cpu").loc;
    assert_eq!(
        (hybrid.leaf, hybrid.subleaf, hybrid.reg, hybrid.bit),
        (7, 0, Reg::Edx, 15)
    );
}

#[test]
fn lookup_accepts_every_alias_spelling() {
    let same = [
        ("SSE3", "pni"),
        ("sse3", "pni"),
        ("sse4.1", "sse4_1"),
        ("SSE4-1", "sse4_1"),
        ("SSE41", "sse4_1"),
        ("sse4.2", "sse4_2"),
        ("xd", "nx"),
        ("XD", "nx"),
        ("NX", "nx"),
        ("lahf-lm", "lahf_lm"),
        ("LAHF64", "lahf_lm"),
        ("fma3", "fma"),
        ("LZCNT", "abm"),
        ("pclmul", "pclmulqdq"),
        ("pclmuldq", "pclmulqdq"),
        ("CMPXCHG16B", "cx16"),
        ("sha-ni", "sha_ni"),
        ("avx512vnni", "avx512_vnni"),
        ("ds", "dts"),
        ("MWAIT", "monitor"),
        ("constant_tsc", "invtsc"),
        ("tsc-deadline", "tsc_deadline_timer"),
        ("cmt", "cqm"),
        ("ssbd", "spec_ctrl_ssbd"),
        ("ibpb", "amd_ibpb"),
        ("xstore", "rng"),
        ("  AVX512F ", "avx512f"),
    ];
    for (alias, canonical) in same {
        assert_eq!(
            lookup(alias),
            lookup(canonical),
            "`{alias}` should find `{canonical}`"
        );
    }
    assert_eq!(lookup("no-such-feature"), None);
    assert_eq!(lookup(""), None);
}

#[test]
fn aliases_are_reported_per_tool() {
    let sse41 = def("sse4_1");
    assert_eq!(sse41.qemu_name(), Some("sse4.1"));
    assert_eq!(sse41.libvirt_name(), Some("sse4.1"));
    assert_eq!(sse41.vmware_name(), Some("SSE41"));
    assert_eq!(sse41.libcpuid_name(), Some("sse4_1"));
    let osxsave = def("osxsave");
    assert_eq!(osxsave.qemu_name(), None);
    assert_eq!(osxsave.libvirt_name(), Some("osxsave"));
    assert_eq!(def("nx").libcpuid_name(), Some("xd"));
    assert_eq!(def("rng").libvirt_name(), None);
}

#[test]
fn hiding_xsave_hides_the_avx_family() {
    let hidden = hidden_with("xsave");
    for name in [
        "xsave",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512_vnni",
        "vaes",
        "vpclmulqdq",
        "avx_vnni",
        "amx_tile",
        "amx_int8",
        "xsaveopt",
        "xsaves",
        "xfd",
        "mpx",
        "pku",
        "ospke",
        "osxsave",
        "avx10",
        "xop",
        "fma4",
    ] {
        assert!(hidden.contains(id(name)), "hiding xsave must hide `{name}`");
    }
    for name in ["sse2", "pni", "ssse3", "aes", "pclmulqdq", "fxsr"] {
        assert!(
            !hidden.contains(id(name)),
            "hiding xsave must not hide `{name}`"
        );
    }
}

#[test]
fn hiding_sse3_hides_the_later_sse_levels() {
    let hidden = hidden_with("pni");
    for name in ["pni", "ssse3", "sse4_1", "sse4_2", "sse4a"] {
        assert!(hidden.contains(id(name)), "hiding pni must hide `{name}`");
    }
    for name in ["sse2", "sse", "avx", "xsave"] {
        assert!(
            !hidden.contains(id(name)),
            "hiding pni must not hide `{name}`"
        );
    }
}

#[test]
fn closure_is_idempotent_and_keeps_its_input() {
    let mut set = FeatureSet::new();
    set.insert(id("sse2"));
    set.insert(id("spec_ctrl"));
    let once = closure_of_dependents(&set);
    assert!(set.is_subset(&once));
    assert_eq!(closure_of_dependents(&once), once);
    // (lahf_lm no longer requires lm: 32-bit Atoms report it.)
    for name in [
        "lm",
        "cx16",
        "pni",
        "intel_stibp",
        "spec_ctrl_ssbd",
        "intel_psfd",
    ] {
        assert!(
            once.contains(id(name)),
            "`{name}` depends on sse2 or spec_ctrl"
        );
    }
    assert_eq!(closure_of_dependents(&FeatureSet::new()), FeatureSet::new());
}

#[test]
fn classes_of_special_bits() {
    for name in ["hypervisor", "osxsave", "ospke"] {
        assert_eq!(def(name).class, Class::PerVm, "`{name}`");
    }
    assert_eq!(def("invtsc").class, Class::NonMigratable);
    assert_eq!(def("tsx_force_abort").class, Class::Informational);
    for name in [
        "efer_lmsle_mbz",
        "zero_fcs_fds",
        "fdp_excptn_only",
        "null_sel_clr_base",
    ] {
        assert_eq!(def(name).class, Class::NegativeSense, "`{name}`");
    }
    for name in [
        "md_clear",
        "spec_ctrl",
        "amd_ibrs",
        "rtm",
        "aes",
        "vmx",
        "svm",
        "monitor",
    ] {
        assert_eq!(def(name).class, Class::Firmware, "`{name}`");
    }
    for name in [
        "lm", "nx", "pae", "apic", "tsc", "msr", "sse2", "syscall", "pse36",
    ] {
        assert_eq!(def(name).class, Class::Floor, "`{name}`");
    }
    for name in ["avic", "x2avic", "npt"] {
        assert_eq!(def(name).class, Class::NestedOnly, "`{name}`");
    }
    assert_eq!(def("hybrid_cpu").class, Class::Informational);
    for d in all() {
        if d.loc.leaf == 0x6 {
            assert_eq!(d.class, Class::Informational, "leaf 6 `{}`", d.name);
        }
        if d.loc.leaf == 0x8000_0007 && d.loc.reg == Reg::Edx && d.name != "invtsc" {
            assert_eq!(d.class, Class::Informational, "0x80000007 EDX `{}`", d.name);
        }
    }
}

#[test]
fn vendor_scoping() {
    assert!(def("svm").amd_only && !def("svm").intel_only);
    assert!(def("vmx").intel_only && !def("vmx").amd_only);
    for name in [
        "lm", "nx", "syscall", "lahf_lm", "abm", "pni", "invtsc", "wbnoinvd",
    ] {
        let d = def(name);
        assert!(
            !d.amd_only && !d.intel_only,
            "`{name}` is defined by both vendors"
        );
    }
    for d in all() {
        if d.loc.leaf == 0x8000_000a || d.loc.leaf == 0x8000_0021 {
            assert!(d.amd_only, "`{}` is AMD's", d.name);
        }
        if d.loc.leaf == 0x8000_0001 && d.loc.reg == Reg::Edx {
            assert!(
                d.loc.bit == 11 || d.loc.bit >= 19,
                "`{}`: AMD's copies of leaf 1 EDX are not catalog entries",
                d.name
            );
        }
    }
}

#[test]
fn psabi_levels_are_cumulative_sets() {
    let level = |n: u8| -> Vec<&str> {
        let mut v: Vec<&str> = all()
            .iter()
            .filter(|d| d.psabi_level == n)
            .map(|d| d.name)
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(
        level(1),
        ["cmov", "cx8", "fpu", "fxsr", "lm", "mmx", "sse", "sse2", "syscall"]
    );
    assert_eq!(
        level(2),
        ["cx16", "lahf_lm", "pni", "popcnt", "sse4_1", "sse4_2", "ssse3"]
    );
    assert_eq!(
        level(3),
        ["abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"]
    );
    assert_eq!(
        level(4),
        ["avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"]
    );
}

#[test]
fn registers_index_every_bit() {
    let regs = registers();
    assert!(regs
        .windows(2)
        .all(|w| (w[0].key, w[0].reg) < (w[1].key, w[1].reg)));
    let total: usize = regs.iter().map(|r| r.bits.iter().flatten().count()).sum();
    assert_eq!(total, all().len());
    for r in regs {
        for (bit, slot) in r.bits.iter().enumerate() {
            if let Some(fid) = slot {
                let loc = by_id(*fid).loc;
                assert_eq!(
                    (loc.leaf, loc.subleaf, loc.reg, loc.bit as usize),
                    (r.key.leaf, r.key.subleaf, r.reg, bit)
                );
            }
        }
    }
}
