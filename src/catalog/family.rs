//! Feature families: how long feature lists are grouped for people to read
//! (`AVX-512: avx512f avx512bw ...`, `speculation controls: md_clear ...`).
//!
//! The family of a feature is derived in this one place from the catalog: from
//! its class (SVM features of leaf 0x8000000A are [`Class::NestedOnly`]) and
//! from parts, prefixes and whole canonical names (the tables `SPECULATION_PARTS`
//! and `RULES` below), in the order [`family`] applies them; the first rule
//! that matches wins, and a feature no rule matches
//! is [`Family::Other`]. Families are only a reading aid: no comparison, mask
//! or JSON output depends on them.

use super::def::{Class, FeatureDef};

/// A group of related features, in the order lists print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// AVX-512 and AVX10 (names `avx512*`, `avx10*`).
    Avx512,
    /// AVX, AVX2, the VEX-encoded extensions, FMA/FMA4, F16C, XOP, AMX and APX.
    Avx,
    /// MMX, 3DNow!, SSE through SSE4.2 and SSE4A.
    Sse,
    /// Speculative-execution controls and their enumeration bits (SPEC_CTRL,
    /// IBRS/IBPB/STIBP/SSBD, MD_CLEAR, L1D flush, `*_no` "not vulnerable" bits).
    Speculation,
    /// VT-x/AMD-V, the SVM features, and the hypervisor bit.
    Virtualization,
    /// TSX (HLE, RTM and their controls).
    Tsx,
    /// Cryptography and random numbers (AES-NI, SHA, SM3/SM4, GFNI, VAES,
    /// VPCLMULQDQ, Key Locker, RDRAND/RDSEED, VIA PadLock).
    Crypto,
    /// XSAVE and its variants.
    Xsave,
    /// Bit manipulation and integer instructions (BMI1/2, LZCNT, ADX, POPCNT, MOVBE, TBM).
    BitManipulation,
    /// Memory protection and control-flow enforcement (SMEP, SMAP, protection keys,
    /// UMIP, CET shadow stacks and IBT, LASS, LAM).
    Protection,
    /// SGX enclaves and memory encryption (TME, PCONFIG).
    Sgx,
    /// Power and thermal management (HWP, turbo, P-states, thermal monitors).
    Power,
    /// Performance monitoring, tracing and debug (Processor Trace, LBRs, PMU
    /// extensions, debug store, RDT monitoring).
    Monitoring,
    /// Everything else.
    Other,
}

impl Family {
    /// The heading printed before the family's features.
    pub const fn label(self) -> &'static str {
        match self {
            Family::Avx512 => "AVX-512",
            Family::Avx => "AVX and AMX",
            Family::Sse => "SSE and MMX",
            Family::Speculation => "speculation controls",
            Family::Virtualization => "virtualization",
            Family::Tsx => "TSX",
            Family::Crypto => "crypto and RNG",
            Family::Xsave => "XSAVE",
            Family::BitManipulation => "bit manipulation",
            Family::Protection => "memory protection",
            Family::Sgx => "SGX and encryption",
            Family::Power => "power and thermal",
            Family::Monitoring => "monitoring and debug",
            Family::Other => "other",
        }
    }
}

/// Name rules, first match wins (checked after the class and speculation rules):
/// a pattern ending in `*` matches a name prefix, any other the whole name.
const RULES: &[(&str, Family)] = &[
    ("avx512*", Family::Avx512),
    ("avx10*", Family::Avx512),
    ("avx*", Family::Avx),
    ("amx*", Family::Avx),
    ("fma*", Family::Avx),
    ("f16c", Family::Avx),
    ("cvt16", Family::Avx),
    ("xop", Family::Avx),
    ("apx", Family::Avx),
    ("sse*", Family::Sse),
    ("ssse3", Family::Sse),
    ("pni", Family::Sse),
    ("mmx*", Family::Sse),
    ("3dnow*", Family::Sse),
    ("misalignsse", Family::Sse),
    ("vmx", Family::Virtualization),
    ("svm", Family::Virtualization),
    ("hypervisor", Family::Virtualization),
    ("hle", Family::Tsx),
    ("rtm*", Family::Tsx),
    ("tsx*", Family::Tsx),
    ("aes*", Family::Crypto),
    ("pclmulqdq", Family::Crypto),
    ("vpclmulqdq", Family::Crypto),
    ("vaes", Family::Crypto),
    ("gfni", Family::Crypto),
    ("sha*", Family::Crypto),
    ("sm3", Family::Crypto),
    ("sm4", Family::Crypto),
    ("rdrand", Family::Crypto),
    ("rdseed", Family::Crypto),
    ("kl", Family::Crypto),
    ("wide_kl", Family::Crypto),
    ("iwkeybackup", Family::Crypto),
    ("rng*", Family::Crypto),
    ("ace*", Family::Crypto),
    ("phe*", Family::Crypto),
    ("pmm*", Family::Crypto),
    ("xsave*", Family::Xsave),
    ("xgetbv*", Family::Xsave),
    ("osxsave", Family::Xsave),
    ("xfd", Family::Xsave),
    ("bmi1", Family::BitManipulation),
    ("bmi2", Family::BitManipulation),
    ("abm", Family::BitManipulation),
    ("adx", Family::BitManipulation),
    ("popcnt", Family::BitManipulation),
    ("movbe", Family::BitManipulation),
    ("tbm", Family::BitManipulation),
    ("smep", Family::Protection),
    ("smap", Family::Protection),
    ("pku", Family::Protection),
    ("ospke", Family::Protection),
    ("pks", Family::Protection),
    ("umip", Family::Protection),
    ("shstk", Family::Protection),
    ("ibt", Family::Protection),
    ("lass", Family::Protection),
    ("lam", Family::Protection),
    ("cet_sss", Family::Protection),
    ("sgx*", Family::Sgx),
    ("tme", Family::Sgx),
    ("pconfig", Family::Sgx),
    ("pbndkb", Family::Sgx),
    ("hwp*", Family::Power),
    ("pln", Family::Power),
    ("pts", Family::Power),
    ("ida", Family::Power),
    ("arat", Family::Power),
    ("turbo*", Family::Power),
    ("ecmd", Family::Power),
    ("hfi", Family::Power),
    ("itd", Family::Power),
    ("hdc", Family::Power),
    ("cppc*", Family::Power),
    ("amd_fast_cppc", Family::Power),
    ("rapl", Family::Power),
    ("cpb", Family::Power),
    ("est", Family::Power),
    ("tm", Family::Power),
    ("tm2", Family::Power),
    ("dtherm", Family::Power),
    ("acpi", Family::Power),
    ("ts", Family::Power),
    ("fid", Family::Power),
    ("vid", Family::Power),
    ("ttp", Family::Power),
    ("stc", Family::Power),
    ("100mhzsteps", Family::Power),
    ("hw_pstate", Family::Power),
    ("eff_freq_ro", Family::Power),
    ("proc_*", Family::Power),
    ("connected_standby", Family::Power),
    ("amd_workload_class", Family::Power),
    ("intel_pt", Family::Monitoring),
    ("arch_lbr", Family::Monitoring),
    ("pdcm", Family::Monitoring),
    ("perfctr*", Family::Monitoring),
    ("ibs", Family::Monitoring),
    ("lwp", Family::Monitoring),
    ("arch_perfmon*", Family::Monitoring),
    ("dtes64", Family::Monitoring),
    ("ds_cpl", Family::Monitoring),
    ("dts", Family::Monitoring),
    ("irperf", Family::Monitoring),
    ("brs", Family::Monitoring),
    ("cqm", Family::Monitoring),
    ("rdt_a", Family::Monitoring),
    ("mba", Family::Monitoring),
    ("bpext", Family::Monitoring),
    ("sdbg", Family::Monitoring),
];

/// Parts of a name that mark a speculation control wherever they occur
/// (`spec_ctrl`, `amd_stibp`, `srso_no`, ...).
const SPECULATION_PARTS: &[&str] = &[
    "spec_ctrl",
    "stibp",
    "ibrs",
    "ibpb",
    "ssbd",
    "ssb_no",
    "md_clear",
    "flush_l1d",
    "arch_capabilities",
    "srbds",
    "psfd",
    "ipred_ctrl",
    "rrsba",
    "bhi_ctrl",
    "btc_no",
    "srso",
    "tsa_",
    "sbpb",
    "eraps",
    "verw_clear",
    "mcdt_no",
];

/// The family of one catalog feature (rules: see the module documentation).
pub fn family(def: &FeatureDef) -> Family {
    let name = def.name;
    if def.class == Class::NestedOnly {
        return Family::Virtualization;
    }
    if SPECULATION_PARTS.iter().any(|p| name.contains(p)) {
        return Family::Speculation;
    }
    RULES
        .iter()
        .find(|(p, _)| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == *p,
        })
        .map_or(Family::Other, |&(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{all, by_id, lookup};

    fn of(name: &str) -> Family {
        family(by_id(lookup(name).unwrap()))
    }

    #[test]
    fn families_of_known_features() {
        assert_eq!(of("avx512f"), Family::Avx512);
        assert_eq!(of("avx512_vnni"), Family::Avx512);
        assert_eq!(of("avx2"), Family::Avx);
        assert_eq!(of("amx_tile"), Family::Avx);
        assert_eq!(of("sse4_2"), Family::Sse);
        assert_eq!(of("md_clear"), Family::Speculation);
        assert_eq!(of("spec_ctrl"), Family::Speculation);
        assert_eq!(of("amd_ssbd"), Family::Speculation);
        assert_eq!(of("vmx"), Family::Virtualization);
        assert_eq!(of("npt"), Family::Virtualization);
        // A nested-only SVM bit is virtualization even though its name says spec_ctrl.
        assert_eq!(of("v_spec_ctrl"), Family::Virtualization);
        assert_eq!(of("rtm"), Family::Tsx);
        assert_eq!(of("aes"), Family::Crypto);
        assert_eq!(of("xsaveopt"), Family::Xsave);
        assert_eq!(of("fpu"), Family::Other);
        assert_eq!(of("lahf_lm"), Family::Other);
    }

    #[test]
    fn exact_rules_do_not_capture_longer_names() {
        assert_eq!(of("pse"), Family::Other);
        assert_eq!(of("tsc"), Family::Other);
        assert_eq!(of("tsc_adjust"), Family::Other);
        assert_eq!(of("ts"), Family::Power);
        assert_eq!(of("kl"), Family::Crypto);
        assert_eq!(of("sha_ni"), Family::Crypto);
        assert_eq!(of("bmi2"), Family::BitManipulation);
        assert_eq!(of("smap"), Family::Protection);
        assert_eq!(of("sgx_lc"), Family::Sgx);
        assert_eq!(of("hwp_epp"), Family::Power);
        assert_eq!(of("intel_pt"), Family::Monitoring);
        // Every rule names at least one catalog feature (no dead rules).
        for (p, _) in RULES {
            let hit = all().iter().any(|d| match p.strip_suffix('*') {
                Some(prefix) => d.name.starts_with(prefix),
                None => d.name == *p,
            });
            assert!(hit, "rule {p:?} matches no catalog feature");
        }
    }
}
