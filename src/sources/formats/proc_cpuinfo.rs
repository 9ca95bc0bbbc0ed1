//! `/proc/cpuinfo` text: the lossy last resort when no raw CPUID is available.
//!
//! Each `processor` block becomes one CPU whose leaves are synthesized from the
//! block's fields: leaf 0 (vendor), leaf 1 EAX (family/model/stepping, encoded by
//! the Intel/AMD rules), the brand string (0x80000002..4), address sizes
//! (0x80000008), and every flag the feature catalog knows set at its bit. Flags the
//! catalog does not know (Linux has many synthetic ones) are skipped; bits the
//! kernel does not name are missing, so the dump is marked
//! [`Completeness::FromCpuinfoFlags`].

use std::collections::BTreeMap;

use super::leafline::{self, numbered_lines, quote};
use crate::catalog::{self, id, FeatureId};
use crate::cpuid::{Completeness, CpuLeaves, LeafKey, Provenance, RawDump, Regs, SourceKind};
use crate::util::error::{Error, Result};

/// The `flags` of the first processor in `/proc/cpuinfo` text.
pub fn first_flags(text: &str) -> Option<Vec<String>> {
    text.lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().map(str::to_string).collect())
}

/// The fields of one `processor` block that the reader uses: value and line.
#[derive(Default)]
struct Block {
    start_line: usize,
    index: u32,
    fields: BTreeMap<&'static str, (String, usize)>,
}

/// The keys read from each block (others are ignored).
const KEYS: [&str; 8] = [
    "vendor_id",
    "cpu family",
    "model",
    "model name",
    "stepping",
    "flags",
    "address sizes",
    "clflush size",
];

/// Highest basic and extended leaves the synthesized dump claims (at least).
const MIN_MAX_BASIC: u32 = 0xd;
const MIN_MAX_EXT: u32 = 0x8000_0008;

/// Parses `/proc/cpuinfo` text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<RawDump> {
    let mut blocks: Vec<Block> = Vec::new();
    // The first `microcode` line: the host's microcode revision (fingerprint).
    let mut microcode: Option<String> = None;
    for item in numbered_lines(text, origin) {
        let (number, line) = item?;
        let at = |msg: String| Error::at_line(origin, number, msg);
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = line.split_once(':').ok_or_else(|| {
            at(format!(
                "expected 'key : value' (/proc/cpuinfo), found {}",
                quote(line.trim())
            ))
        })?;
        let key = key.trim();
        // Linux prints "key\t: value"; the vendor string may itself hold spaces
        // (Zhaoxin's "  Shanghai  "), so it keeps everything after ": ".
        let value = if key == "vendor_id" {
            value
                .strip_prefix(' ')
                .unwrap_or(value)
                .trim_end_matches('\r')
        } else {
            value.trim()
        };
        if key == "processor" {
            let index: u32 = value.parse().map_err(|_| {
                at(format!(
                    "processor: expected a CPU number, found {}",
                    quote(value)
                ))
            })?;
            if blocks.iter().any(|b| b.index == index) {
                return Err(at(format!("processor {index} appears twice")));
            }
            if blocks.len() >= crate::cpuid::limits::MAX_CPUS {
                return Err(at(format!(
                    "more than {} processors; expected at most {}",
                    crate::cpuid::limits::MAX_CPUS,
                    crate::cpuid::limits::MAX_CPUS
                )));
            }
            blocks.push(Block {
                start_line: number,
                index,
                fields: BTreeMap::new(),
            });
            continue;
        }
        if key == "microcode" && microcode.is_none() {
            microcode = crate::model::fingerprint::microcode_value(value);
        }
        let Some(block) = blocks.last_mut() else {
            return Err(at(format!(
                "expected 'processor : <n>' before any other field, found {}",
                quote(key)
            )));
        };
        if let Some(k) = KEYS.iter().find(|k| **k == key) {
            if let Some((_, first)) = block.fields.get(k) {
                return Err(at(format!(
                    "'{key}' is given twice for processor {} (first on line {first})",
                    block.index
                )));
            }
            block.fields.insert(k, (value.to_string(), number));
        }
    }
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::ProcCpuinfo,
            origin: origin.to_string(),
            detail: "reconstructed from /proc/cpuinfo".to_string(),
        },
        Completeness::FromCpuinfoFlags,
    );
    dump.fingerprint.microcode = microcode;
    for block in &blocks {
        let (cpu, flags) = synthesize(block, origin)?;
        if dump.os_flags.is_none() {
            dump.os_flags = Some(flags);
        }
        dump.cpus.push(cpu);
    }
    leafline::finish(
        dump,
        origin,
        "'processor : <n>' blocks with vendor_id, cpu family, model, model name, stepping \
         and flags (the text of /proc/cpuinfo on x86)",
    )
}

impl Block {
    /// A required field, or an error naming the block.
    fn field(&self, key: &str, origin: &str) -> Result<(&str, usize)> {
        self.fields
            .get(key)
            .map(|(v, n)| (v.as_str(), *n))
            .ok_or_else(|| {
                Error::at_line(
                    origin,
                    self.start_line,
                    format!(
                        "processor {}: missing field '{key}' (is this /proc/cpuinfo of an x86 \
                         machine?)",
                        self.index
                    ),
                )
            })
    }

    /// A required decimal field.
    fn number(&self, key: &str, origin: &str) -> Result<u32> {
        let (value, line) = self.field(key, origin)?;
        value.parse().map_err(|_| {
            Error::at_line(
                origin,
                line,
                format!("{key}: expected a number, found {}", quote(value)),
            )
        })
    }
}

/// Linux flags that stand for CPUID bits under another name, or that Linux
/// synthesizes from them (arch/x86/kernel/cpu/common.c `init_speculation_control`,
/// `cpufeatures.h`, where the CPUID bits themselves are hidden from /proc/cpuinfo).
/// Each entry: flag, vendor (`Some(true)`: AMD/Hygon only; `Some(false)`: Intel-like
/// only; `None`: both), the catalog features it stands for.
const LINUX_FLAGS: &[(&str, Option<bool>, &[FeatureId])] = &[
    // Intel: SPEC_CTRL (7.EDX[26]) gives Linux's synthetic ibrs and ibpb;
    // INTEL_STIBP (7.EDX[27]) gives stibp; SPEC_CTRL_SSBD (7.EDX[31]) gives ssbd.
    ("ibrs", Some(false), &[id::SPEC_CTRL]),
    ("ibpb", Some(false), &[id::SPEC_CTRL]),
    ("stibp", Some(false), &[id::INTEL_STIBP]),
    ("ssbd", Some(false), &[id::SPEC_CTRL_SSBD]),
    // AMD: 0x80000008 EBX IBPB/IBRS/STIBP give ibpb, ibrs, stibp.
    ("ibrs", Some(true), &[id::AMD_IBRS]),
    ("ibpb", Some(true), &[id::AMD_IBPB]),
    ("stibp", Some(true), &[id::AMD_STIBP]),
    // Invariant TSC (0x80000007 EDX[8]) makes Linux set constant_tsc and
    // nonstop_tsc; constant_tsc alone is also set by family/model for older parts,
    // so only nonstop_tsc says the bit was there.
    ("nonstop_tsc", None, &[id::INVTSC]),
    ("constant_tsc", None, &[]),
];

/// The catalog features one `/proc/cpuinfo` flag stands for on this CPU.
fn cpuid_features_of_flag(
    flag: &str,
    amd: bool,
    family: u32,
    model: u32,
) -> Vec<catalog::FeatureId> {
    let mut mapped = LINUX_FLAGS
        .iter()
        .filter(|(f, v, _)| *f == flag && !matches!(v, Some(only) if *only != amd))
        .peekable();
    if mapped.peek().is_some() {
        return mapped.flat_map(|(_, _, ids)| ids.iter().copied()).collect();
    }
    // AMD: ssbd comes from AMD_SSBD (0x80000008 EBX[24]) on Zen 2 and later; on
    // families 0x15..0x17 before Zen 2 Linux sets it from the LS_CFG MSR instead,
    // so there it says nothing about CPUID.
    if flag == "ssbd" && amd {
        let zen2_or_later = family > 0x17 || (family == 0x17 && model >= 0x30);
        return if zen2_or_later {
            std::iter::once(id::AMD_SSBD).collect()
        } else {
            Vec::new()
        };
    }
    catalog::lookup(flag).into_iter().collect()
}

/// Catalog features a `/proc/cpuinfo` file cannot show even with the mapping
/// above, each with the reason: Linux hides the bit (a `""` name in
/// `cpufeatures.h`) and derives no flag from it, or the kernel clears the flag when
/// it has disabled the feature. A cpuinfo file and a CPUID dump of the same CPU
/// agree on every other feature (`tests/proc_cpuinfo_mapping.rs`); verdicts on
/// these rest on partial data.
pub const NOT_SHOWN: &[(FeatureId, &str)] = &[
    (
        id::HLE,
        "cleared by Linux under tsx=off (the default on TSX-affected parts)",
    ),
    (
        id::RTM,
        "cleared by Linux under tsx=off (the default on TSX-affected parts)",
    ),
    (
        id::SGX,
        "cleared by Linux unless firmware enabled SGX in IA32_FEATURE_CONTROL",
    ),
    (
        id::SGX_LC,
        "cleared by Linux unless firmware enabled SGX launch control",
    ),
    (
        id::CORE_CAPABILITIES,
        "hidden by Linux (no /proc/cpuinfo name)",
    ),
    (id::SRBDS_CTRL, "hidden by Linux (no /proc/cpuinfo name)"),
    (
        id::AMD_STIBP_ALWAYS_ON,
        "hidden by Linux (no /proc/cpuinfo name)",
    ),
    (id::INTEL_PSFD, "hidden by Linux (no /proc/cpuinfo name)"),
    (id::IPRED_CTRL, "hidden by Linux (no /proc/cpuinfo name)"),
    (id::RRSBA_CTRL, "hidden by Linux (no /proc/cpuinfo name)"),
    (id::BHI_CTRL, "hidden by Linux (no /proc/cpuinfo name)"),
    (id::DDPD_U, "hidden by Linux (no /proc/cpuinfo name)"),
    (id::MCDT_NO, "hidden by Linux (no /proc/cpuinfo name)"),
];

/// Packs up to `N * 4` bytes of `s` into little-endian registers, zero-padded.
fn pack<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut out = [0u32; N];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks(4)) {
        let mut b = [0u8; 4];
        for (d, s) in b.iter_mut().zip(chunk) {
            *d = *s;
        }
        *word = u32::from_le_bytes(b);
    }
    out
}

/// Encodes family/model/stepping into CPUID.1:EAX (see
/// `../shared/reference/family_model_rules.md`): a family above 0xF is base 0xF plus
/// an extended family; a model above 0xF puts its high nibble in the extended model.
fn signature(family: u32, model: u32, stepping: u32) -> std::result::Result<u32, String> {
    if family > 0xF + 0xFF {
        return Err(format!(
            "cpu family: expected at most {} (0xF + 0xFF), found {family}",
            0xF + 0xFF
        ));
    }
    if model > 0xFF {
        return Err(format!("model: expected at most 255, found {model}"));
    }
    if stepping > 0xF {
        return Err(format!("stepping: expected at most 15, found {stepping}"));
    }
    let (base_family, ext_family) = if family > 0xF {
        (0xF, family - 0xF)
    } else {
        (family, 0)
    };
    Ok((ext_family << 20)
        | ((model >> 4) << 16)
        | (base_family << 8)
        | ((model & 0xF) << 4)
        | stepping)
}

fn synthesize(block: &Block, origin: &str) -> Result<(CpuLeaves, Vec<String>)> {
    let mut regs: BTreeMap<LeafKey, Regs> = BTreeMap::new();

    let (vendor, vendor_line) = block.field("vendor_id", origin)?;
    let vendor = match vendor.trim() {
        // Trailing spaces are easily lost in copies of the text.
        "Shanghai" => "  Shanghai  ",
        _ if vendor.len() == 12 => vendor,
        trimmed => trimmed,
    };
    if vendor.len() != 12 || !vendor.is_ascii() {
        return Err(Error::at_line(
            origin,
            vendor_line,
            format!(
                "vendor_id: expected a 12-character vendor string like GenuineIntel, found {}",
                quote(vendor)
            ),
        ));
    }
    let [b, d, c] = pack::<3>(vendor.as_bytes());
    regs.insert(LeafKey::new(0, 0), Regs::new(MIN_MAX_BASIC, b, c, d));

    let family = block.number("cpu family", origin)?;
    let model = block.number("model", origin)?;
    let stepping = match block.field("stepping", origin)? {
        // Linux prints "unknown" when the stepping is not known.
        ("unknown", _) => 0,
        _ => block.number("stepping", origin)?,
    };
    let eax = signature(family, model, stepping).map_err(|msg| {
        Error::at_line(
            origin,
            block.start_line,
            format!("processor {}: {msg}", block.index),
        )
    })?;
    let mut ebx = 0;
    if let Some((value, line)) = block.fields.get("clflush size") {
        let size: u32 = value.parse().map_err(|_| {
            Error::at_line(
                origin,
                *line,
                format!("clflush size: expected a number, found {}", quote(value)),
            )
        })?;
        ebx |= ((size / 8) & 0xFF) << 8;
    }
    regs.insert(LeafKey::new(1, 0), Regs::new(eax, ebx, 0, 0));
    regs.insert(LeafKey::new(7, 0), Regs::default());
    regs.insert(LeafKey::new(0xd, 1), Regs::default());
    regs.insert(
        LeafKey::new(0x8000_0000, 0),
        Regs::new(MIN_MAX_EXT, 0, 0, 0),
    );
    regs.insert(LeafKey::new(0x8000_0001, 0), Regs::default());

    let (brand, _) = block.field("model name", origin)?;
    if brand != "unknown" {
        let words = pack::<12>(brand.as_bytes());
        for (i, chunk) in words.chunks(4).enumerate() {
            if let [a, b, c, d] = *chunk {
                regs.insert(
                    LeafKey::new(0x8000_0002 + i as u32, 0),
                    Regs::new(a, b, c, d),
                );
            }
        }
    }

    if let Some((value, line)) = block.fields.get("address sizes") {
        // "48 bits physical, 48 bits virtual"
        let numbers: Vec<u32> = value
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        match numbers.as_slice() {
            [phys, virt] if *phys <= 0xFF && *virt <= 0xFF => {
                regs.insert(
                    LeafKey::new(0x8000_0008, 0),
                    Regs::new(phys | (virt << 8), 0, 0, 0),
                );
            }
            _ => {
                return Err(Error::at_line(
                    origin,
                    *line,
                    format!(
                        "address sizes: expected '<n> bits physical, <n> bits virtual', found {}",
                        quote(value)
                    ),
                ))
            }
        }
    }

    let (flags_text, _) = block.field("flags", origin)?;
    let flags: Vec<String> = flags_text.split_whitespace().map(str::to_string).collect();
    let amd = matches!(vendor, "AuthenticAMD" | "HygonGenuine");
    let set: Vec<catalog::FeatureId> = flags
        .iter()
        .flat_map(|flag| cpuid_features_of_flag(flag, amd, family, model))
        .collect();
    for id in set {
        let loc = catalog::by_id(id).loc;
        let Some(mask) = 1u32.checked_shl(u32::from(loc.bit)) else {
            continue;
        };
        let r = regs.entry(LeafKey::new(loc.leaf, loc.subleaf)).or_default();
        *r.get_mut(loc.reg) |= mask;
    }

    // Make the maximum leaves cover every leaf that was set.
    let max_basic = regs
        .keys()
        .map(|k| k.leaf)
        .filter(|l| *l < 0x4000_0000)
        .max()
        .unwrap_or(0)
        .max(MIN_MAX_BASIC);
    let max_ext = regs
        .keys()
        .map(|k| k.leaf)
        .filter(|l| (0x8000_0000..0x8001_0000).contains(l))
        .max()
        .unwrap_or(0)
        .max(MIN_MAX_EXT);
    let max_sub7 = regs
        .keys()
        .filter(|k| k.leaf == 7)
        .map(|k| k.subleaf)
        .max()
        .unwrap_or(0);
    if let Some(r) = regs.get_mut(&LeafKey::new(0, 0)) {
        r.eax = max_basic;
    }
    if let Some(r) = regs.get_mut(&LeafKey::new(0x8000_0000, 0)) {
        r.eax = max_ext;
    }
    if let Some(r) = regs.get_mut(&LeafKey::new(7, 0)) {
        r.eax = max_sub7;
    }

    let mut cpu = CpuLeaves::new(block.index);
    cpu.leaves = regs;
    Ok((cpu, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nstepping\t: 1\nflags\t\t: fpu cx8 sse sse2 pni ssse3 hypervisor constant_tsc\naddress sizes\t: 48 bits physical, 48 bits virtual\nclflush size\t: 64\npower management:\n\n";

    fn err(text: &str) -> String {
        parse(text, "cpuinfo").unwrap_err().to_string()
    }

    #[test]
    fn synthesizes_leaves() {
        let d = parse(ONE, "cpuinfo").unwrap();
        assert_eq!(d.completeness, Completeness::FromCpuinfoFlags);
        assert_eq!(d.provenance.kind, SourceKind::ProcCpuinfo);
        let cpu = &d.cpus[0];
        let l0 = cpu.get(0, 0).unwrap();
        assert_eq!(
            (l0.ebx, l0.edx, l0.ecx),
            (0x6874_7541, 0x6974_6e65, 0x444d_4163)
        );
        assert!(l0.eax >= 0xd);
        let l1 = cpu.get(1, 0).unwrap();
        assert_eq!(l1.eax, 0x00a1_0f11);
        assert_eq!((l1.ebx >> 8) & 0xff, 8);
        for name in ["fpu", "cx8", "sse", "sse2", "pni", "ssse3", "hypervisor"] {
            let id = catalog::lookup(name).unwrap();
            let loc = catalog::by_id(id).loc;
            let r = cpu.get_or_zero(loc.leaf, loc.subleaf);
            assert_ne!(r.get(loc.reg) & loc.mask(), 0, "{name}");
        }
        for name in ["mmx", "cmov", "vmx"] {
            let id = catalog::lookup(name).unwrap();
            let loc = catalog::by_id(id).loc;
            let r = cpu.get_or_zero(loc.leaf, loc.subleaf);
            assert_eq!(r.get(loc.reg) & loc.mask(), 0, "{name}");
        }
        let b = cpu.get(0x8000_0002, 0).unwrap();
        assert_eq!(b.eax.to_le_bytes(), *b"AMD ");
        assert_eq!(cpu.get(0x8000_0004, 0).unwrap(), Regs::default());
        assert_eq!(cpu.get(0x8000_0008, 0).unwrap().eax, 0x3030);
        assert!(cpu.get(0x8000_0000, 0).unwrap().eax >= 0x8000_0008);
        assert_eq!(d.os_flags.as_ref().unwrap().len(), 8);
        assert_eq!(d.fingerprint.microcode, None);
        let d = parse(
            &ONE.replace("stepping\t: 1\n", "stepping\t: 1\nmicrocode\t: 0xa0011d1\n"),
            "c",
        )
        .unwrap();
        assert_eq!(d.fingerprint.microcode.as_deref(), Some("0xa0011d1"));
    }

    #[test]
    fn signatures() {
        assert_eq!(signature(6, 0x3c, 3), Ok(0x0003_06c3));
        assert_eq!(signature(0x19, 0x21, 2), Ok(0x00a2_0f12));
        assert_eq!(signature(0x1a, 0x44, 0), Ok(0x00b4_0f40));
        assert_eq!(signature(0xf, 0x4, 1), Ok(0x0000_0f41));
        assert!(signature(0x200, 0, 0).is_err());
        assert!(signature(6, 0x100, 0).is_err());
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = err(&ONE.replace("cpu family\t: 25", "cpu family\t: x"));
        assert_eq!(e, "cpuinfo:3: cpu family: expected a number, found 'x'");
        let e = err(&ONE.replace("vendor_id\t: AuthenticAMD\n", ""));
        assert!(
            e.starts_with("cpuinfo:1: processor 0: missing field 'vendor_id'"),
            "{e}"
        );
        let e = err(&ONE.replace("vendor_id\t: AuthenticAMD", "vendor_id\t: AMD"));
        assert!(
            e.starts_with("cpuinfo:2: vendor_id: expected a 12-character"),
            "{e}"
        );
        let e = err("vendor_id : GenuineIntel\n");
        assert!(
            e.starts_with("cpuinfo:1: expected 'processor : <n>'"),
            "{e}"
        );
        let e = err("processor : 0\nthis line has no colon\n");
        assert!(e.starts_with("cpuinfo:2: expected 'key : value'"), "{e}");
        let e = err(&format!("{ONE}{ONE}"));
        assert!(
            e.starts_with("cpuinfo:12: processor 0 appears twice"),
            "{e}"
        );
        let e = err(&ONE.replace("stepping\t: 1", "stepping\t: 1\nstepping\t: 2"));
        assert!(e.contains("'stepping' is given twice"), "{e}");
        assert!(err("").contains("no CPU found"));
        let e = err(&ONE.replace("48 bits virtual", "lots"));
        assert!(e.starts_with("cpuinfo:8: address sizes"), "{e}");
    }

    #[test]
    fn vendor_strings_with_spaces() {
        for v in ["  Shanghai  ", "  Shanghai", "GenuineIntel  "] {
            let text = ONE.replace("vendor_id\t: AuthenticAMD", &format!("vendor_id\t: {v}"));
            let d = parse(&text, "c").unwrap();
            let l0 = d.cpus[0].get(0, 0).unwrap();
            let bytes: Vec<u8> = [l0.ebx, l0.edx, l0.ecx]
                .iter()
                .flat_map(|r| r.to_le_bytes())
                .collect();
            assert_eq!(String::from_utf8(bytes).unwrap().trim(), v.trim());
        }
    }

    #[test]
    fn unknown_stepping_and_many_cpus() {
        let d = parse(&ONE.replace("stepping\t: 1", "stepping\t: unknown"), "c").unwrap();
        assert_eq!(d.cpus[0].get(1, 0).unwrap().eax & 0xf, 0);
        let two = format!("{ONE}{}", ONE.replace("processor\t: 0", "processor\t: 1"));
        let d = parse(&two, "c").unwrap();
        assert_eq!(d.cpus.len(), 2);
        assert_eq!(d.cpus[1].index, 1);
        assert_eq!(d.cpus[0].leaves, d.cpus[1].leaves);
    }

    #[test]
    fn first_flags_still_works() {
        assert_eq!(first_flags(ONE).unwrap().len(), 8);
    }
}
