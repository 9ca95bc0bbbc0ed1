//! ESXi's full feature view: the raw leaves of `cpuFeature` (0, 1, 0x80000000,
//! 0x80000001) joined with the names VMware compares for vMotion and EVC
//! (`featureCapability`: `cpuid.AVX512F` = `1`), and the host's EVC facts.
//!
//! Both the SSH reader (`vim-cmd hostsvc/hosthardware`, `hostsvc/hostconfig`,
//! `hostsvc/hostsummary`) and the vCenter reader (`hardware.cpuFeature`,
//! `config.featureCapability`, `summary.maxEVCModeKey`) produce the same inputs
//! and call [`join`], so one host read both ways gives the same dump.
//!
//! VMware's names go through the catalog ([`crate::catalog::vmware_name`]). A
//! name the catalog does not know is kept in [`Joined::unknown`] and reported,
//! never dropped. Where a raw leaf and a capability disagree, the raw leaf wins
//! (it is what the CPU said) and the disagreement is reported.

use crate::catalog::{by_id, vmware_name, VmwareName, VmwareValue};
use crate::cpuid::{Completeness, CpuLeaves, Provenance, RawDump, SourceKind};
use crate::decode::vendor::Vendor;

/// Resolves a VMware CPUID name (`cpuid.AVX512F`, `cpuid.IBRS`, `cpuid.FAMILY`)
/// on a host of `vendor`: values and XSAVE components by the catalog
/// ([`crate::catalog::vmware_name`]), feature bits as featMask names resolve
/// ([`crate::mask::build::feature_of_featmask_on`]: the speculation-control
/// names are a different bit per vendor). `None`: not a CPUID name the catalog
/// knows (`hv.capable`, `vpmc.*`, a misspelling).
pub fn resolve(name: &str, vendor: Vendor) -> Option<VmwareName> {
    let n = name.trim();
    let bare = n
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("cpuid."))
        .map(|_| &n[6..])?;
    match vmware_name(bare) {
        Some(VmwareName::Feature(_)) | None => {
            crate::mask::build::feature_of_featmask_on(bare, vendor).map(VmwareName::Feature)
        }
        other => other,
    }
}

/// One `featureCapability` entry: VMware's name and its value as VMware writes
/// it (`"1"`, `"0"`, `"0x6"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// The key (`cpuid.AVX512F`, `hv.capable`).
    pub name: String,
    /// The value.
    pub value: String,
}

/// A host's EVC facts (`summary.maxEVCModeKey`, `summary.currentEVCModeKey`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvcFacts {
    /// The highest EVC mode the host supports (`intel-sapphirerapids`).
    pub max_evc_mode: Option<String>,
    /// The EVC mode the host runs under (its cluster's), where it knows one.
    pub current_evc_mode: Option<String>,
}

/// The joined view.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The dump: the raw leaves plus every bit the capabilities name.
    pub dump: RawDump,
    /// Capability names the catalog does not know (`hv.capable`, ...).
    pub unknown: Vec<String>,
    /// Where a capability and a raw leaf disagree (raw wins).
    pub disagreements: Vec<String>,
}

/// Parses a capability value: decimal or `0x` hex. `None` when neither.
pub fn value_of(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The leaves `cpuFeature` carries: a capability bit in one of these is
/// checked against the leaf, never written over it.
fn raw_leaf(leaf: u32, subleaf: u32) -> bool {
    subleaf == 0 && matches!(leaf, 0 | 1 | 0x8000_0000 | 0x8000_0001)
}

fn vendor_of(cpu: &CpuLeaves) -> String {
    let r = cpu.get_or_zero(0, 0);
    let mut b = Vec::with_capacity(12);
    for v in [r.ebx, r.edx, r.ecx] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Display family, model and stepping from leaf 1 EAX (SDM Vol. 2A, CPUID leaf 1).
fn signature(cpu: &CpuLeaves) -> (u32, u32, u32) {
    let a = cpu.get_or_zero(1, 0).eax;
    let base_family = (a >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((a >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xf {
        ((a >> 12) & 0xf0) | ((a >> 4) & 0xf)
    } else {
        (a >> 4) & 0xf
    };
    (family, model, a & 0xf)
}

/// Joins `basic` (the leaves `cpuFeature` gives) with `caps`; `how` says how it
/// was read, for the provenance.
pub fn join(
    basic: &CpuLeaves,
    caps: &[Capability],
    evc: &EvcFacts,
    origin: &str,
    how: &str,
) -> Joined {
    let mut cpu = basic.clone();
    let mut unknown = Vec::new();
    let mut disagreements = Vec::new();
    let (family, model, stepping) = signature(basic);
    let vendor = Vendor::from_leaf0(basic.get_or_zero(0, 0)).0;
    let mut max_sub7 = 0u32;
    for c in caps {
        let Some(name) = resolve(&c.name, vendor) else {
            unknown.push(c.name.clone());
            continue;
        };
        let Some(v) = value_of(&c.value) else {
            disagreements.push(format!(
                "{} = {:?} is not a number; ignored",
                c.name, c.value
            ));
            continue;
        };
        match name {
            VmwareName::Feature(id) => {
                let loc = by_id(id).loc;
                let on = v != 0;
                if raw_leaf(loc.leaf, loc.subleaf) {
                    let has = cpu
                        .get(loc.leaf, loc.subleaf)
                        .is_some_and(|r| r.get(loc.reg) & loc.mask() != 0);
                    if has != on {
                        disagreements.push(format!(
                            "{} = {} but cpuFeature leaf 0x{:x} {}[{}] is {}",
                            c.name,
                            c.value,
                            loc.leaf,
                            loc.reg,
                            loc.bit,
                            u8::from(has)
                        ));
                    }
                    continue;
                }
                let mut r = cpu.get_or_zero(loc.leaf, loc.subleaf);
                if on {
                    *r.get_mut(loc.reg) |= loc.mask();
                }
                cpu.insert(loc.leaf, loc.subleaf, r);
                if loc.leaf == 7 && on {
                    max_sub7 = max_sub7.max(loc.subleaf);
                }
            }
            VmwareName::XsaveComponent(bit) => {
                let mut r = cpu.get_or_zero(0xd, 0);
                if v != 0 {
                    if bit < 32 {
                        r.eax |= 1 << bit;
                    } else {
                        r.edx |= 1 << (bit - 32);
                    }
                }
                cpu.insert(0xd, 0, r);
            }
            VmwareName::Value(val) => {
                let (what, have) = match val {
                    VmwareValue::Family => ("family", u64::from(family)),
                    VmwareValue::Model => ("model", u64::from(model)),
                    VmwareValue::Stepping => ("stepping", u64::from(stepping)),
                    VmwareValue::NumLevels => {
                        ("highest basic leaf", u64::from(cpu.get_or_zero(0, 0).eax))
                    }
                    VmwareValue::NumExtLevels => (
                        "highest extended leaf",
                        u64::from(cpu.get_or_zero(0x8000_0000, 0).eax),
                    ),
                    VmwareValue::Vendor(id) => ("vendor", u64::from(vendor_of(basic) == id)),
                };
                if have != v {
                    disagreements.push(format!(
                        "{} = {} but cpuFeature gives {what} 0x{have:x}",
                        c.name, c.value
                    ));
                }
            }
        }
    }
    if max_sub7 > 0 {
        let mut r = cpu.get_or_zero(7, 0);
        r.eax = r.eax.max(max_sub7);
        cpu.insert(7, 0, r);
    }
    let mut detail = format!("{how}; featureCapability: {} names", caps.len());
    if let Some(m) = &evc.max_evc_mode {
        detail.push_str(&format!("; maxEVCModeKey {m}"));
    }
    if let Some(m) = &evc.current_evc_mode {
        detail.push_str(&format!("; current EVC mode {m}"));
    }
    if !unknown.is_empty() {
        detail.push_str(&format!(
            "; names the catalog does not know (reported, not compared): {}",
            unknown.join(", ")
        ));
    }
    if !disagreements.is_empty() {
        detail.push_str(&format!("; {}", disagreements.join("; ")));
    }
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::EsxiHostHardware,
            origin: origin.to_string(),
            detail,
        },
        Completeness::VmwareFeatureCapability,
    );
    dump.cpus.push(cpu);
    Joined {
        dump,
        unknown,
        disagreements,
    }
}

/// Writes capabilities as `vim-cmd hostsvc/hostconfig` prints its
/// `featureCapability` member (for fixtures and tests), indented by `indent`.
pub fn render_feature_capability(caps: &[Capability], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = format!("{pad}featureCapability = (vim.host.FeatureCapability) [\n");
    for (i, c) in caps.iter().enumerate() {
        out.push_str(&format!(
            "{pad}   (vim.host.FeatureCapability) {{\n{pad}      key = \"{}\",\n{pad}      featureName = \"{}\",\n{pad}      value = \"{}\"\n{pad}   }}{}\n",
            c.name,
            c.name,
            c.value,
            if i + 1 < caps.len() { "," } else { "" }
        ));
    }
    out.push_str(&format!("{pad}]"));
    out
}

/// Reads the `featureCapability` list of `vim-cmd hostsvc/hostconfig` output
/// (`(vim.host.FeatureCapability) { key = "cpuid.AVX2", featureName = ...,
/// value = "1" }` entries). Entries elsewhere in the output (the
/// `maskedFeatureCapability` list) are not taken. Empty when there is none.
pub fn parse_feature_capability(output: &str) -> Result<Vec<Capability>, String> {
    let mut caps = Vec::new();
    let mut inside: Option<usize> = None;
    let mut entry: Option<(Option<String>, Option<String>, usize)> = None;
    for (i, raw) in output.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        if inside.is_none() {
            if t.starts_with("featureCapability =") && t.ends_with('[') {
                inside = Some(indent);
            }
            continue;
        }
        if t.starts_with("(vim.host.FeatureCapability)") && t.ends_with('{') {
            entry = Some((None, None, n));
            continue;
        }
        if let Some((key, value, start)) = entry.as_mut() {
            if t.starts_with('}') {
                let (Some(k), Some(v)) = (key.take(), value.take()) else {
                    return Err(format!(
                        "line {start}: a FeatureCapability entry lacks its key or value"
                    ));
                };
                caps.push(Capability { name: k, value: v });
                entry = None;
                continue;
            }
            if let Some((k, v)) = t.split_once('=') {
                let v = v.trim().trim_end_matches(',').trim();
                let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"'));
                match (k.trim(), v) {
                    ("key" | "featureName", Some(v)) if key.is_none() => *key = Some(v.to_string()),
                    ("value", Some(v)) => *value = Some(v.to_string()),
                    ("key" | "featureName" | "value", None) => {
                        return Err(format!("line {n}: expected a quoted string: {t:?}"))
                    }
                    _ => {}
                }
            }
            continue;
        }
        if t.starts_with(']') && Some(indent) <= inside {
            break;
        }
    }
    if entry.is_some() {
        return Err("output ends inside a FeatureCapability entry (truncated?)".into());
    }
    Ok(caps)
}

/// Reads `maxEVCModeKey` and `currentEVCModeKey` from `vim-cmd
/// hostsvc/hostsummary` output (`maxEVCModeKey = "intel-broadwell",`; `<unset>`
/// or empty: not known).
pub fn parse_evc_facts(output: &str) -> EvcFacts {
    let get = |key: &str| {
        output.lines().find_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            if k.trim() != key {
                return None;
            }
            let v = v.trim().trim_end_matches(',').trim();
            let v = v.strip_prefix('"')?.strip_suffix('"')?;
            (!v.is_empty()).then(|| v.to_string())
        })
    };
    EvcFacts {
        max_evc_mode: get("maxEVCModeKey"),
        current_evc_mode: get("currentEVCModeKey"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Regs;

    fn basic() -> CpuLeaves {
        let mut c = CpuLeaves::new(0);
        c.insert(0, 0, Regs::new(0x20, 0x756e6547, 0x6c65746e, 0x49656e69));
        c.insert(1, 0, Regs::new(0x806f8, 0x10800, 0xfffa322b, 0x0fabfbff));
        c.insert(0x8000_0000, 0, Regs::new(0x8000_0008, 0, 0, 0));
        c.insert(0x8000_0001, 0, Regs::new(0, 0, 0x121, 0x2c10_0800));
        c
    }

    fn cap(n: &str, v: &str) -> Capability {
        Capability {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn capabilities_fill_leaf_7_and_unknown_names_are_kept() {
        let caps = [
            cap("cpuid.AVX2", "1"),
            cap("cpuid.AVX512F", "1"),
            cap("cpuid.AVX512_NOT_A_NAME", "1"),
            cap("cpuid.AMX_TILE", "0"),
            cap("cpuid.SSE3", "1"),
            cap("cpuid.FAMILY", "0x6"),
            cap("cpuid.MODEL", "0x8f"),
            cap("cpuid.Intel", "1"),
            cap("cpuid.XCR0_MASTER_YMM_H", "1"),
            cap("hv.capable", "1"),
            cap("cpuid.NOT_A_THING", "1"),
        ];
        let evc = EvcFacts {
            max_evc_mode: Some("intel-sapphirerapids".into()),
            current_evc_mode: None,
        };
        let j = join(&basic(), &caps, &evc, "esx", "test");
        let cpu = j.dump.first().unwrap();
        let l7 = cpu.get(7, 0).unwrap();
        assert_ne!(l7.ebx & (1 << 5), 0, "avx2");
        assert_ne!(l7.ebx & (1 << 16), 0, "avx512f");
        assert_eq!(l7.edx & (1 << 24), 0, "amx_tile off");
        assert_eq!(cpu.get(0xd, 0).unwrap().eax, 1 << 2);
        assert_eq!(
            j.unknown,
            vec!["cpuid.AVX512_NOT_A_NAME", "hv.capable", "cpuid.NOT_A_THING"]
        );
        assert!(j.disagreements.is_empty(), "{:?}", j.disagreements);
        assert!(!j.dump.completeness.is_partial());
        assert!(j.dump.provenance.detail.contains("hv.capable"));
        assert!(j
            .dump
            .provenance
            .detail
            .contains("maxEVCModeKey intel-sapphirerapids"));
        // A raw leaf wins over a capability, and the disagreement is said.
        let j = join(
            &basic(),
            &[cap("cpuid.SSE3", "0"), cap("cpuid.FAMILY", "0xf")],
            &evc,
            "e",
            "t",
        );
        assert_eq!(j.disagreements.len(), 2, "{:?}", j.disagreements);
        assert_eq!(j.dump.first().unwrap().get(1, 0), basic().get(1, 0));
    }

    #[test]
    fn vim_cmd_text_round_trips() {
        let caps = vec![cap("cpuid.AVX2", "1"), cap("cpuid.FAMILY", "0x6")];
        let text = format!(
            "(vim.host.ConfigInfo) {{\n   host = 'vim.HostSystem:ha-host',\n{},\n   maskedFeatureCapability = (vim.host.FeatureCapability) [\n      (vim.host.FeatureCapability) {{\n         key = \"cpuid.X\",\n         featureName = \"cpuid.X\",\n         value = \"0\"\n      }}\n   ]\n}}\n",
            render_feature_capability(&caps, 3)
        );
        assert_eq!(parse_feature_capability(&text).unwrap(), caps);
        assert_eq!(parse_feature_capability("nothing").unwrap(), vec![]);
        let cut = &text[..text.find("value").unwrap()];
        assert!(parse_feature_capability(cut).is_err());
        let evc = parse_evc_facts(
            "   maxEVCModeKey = \"intel-icelake\",\n   currentEVCModeKey = <unset>,\n",
        );
        assert_eq!(evc.max_evc_mode.as_deref(), Some("intel-icelake"));
        assert_eq!(evc.current_evc_mode, None);
    }
}
