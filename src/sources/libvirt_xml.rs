//! libvirt's XML as a host source, for fleets whose admins already collect it:
//! `virsh capabilities` (the host `<cpu>`: arch, model, vendor, signature,
//! features) and `virsh domcapabilities` (the `host-model` CPU mode: model, vendor,
//! `<feature policy='require|disable'>`). The model is expanded into features through
//! libvirt's CPU map (`data/libvirt/x86_models.toml`), the listed features added or
//! removed, and a dump synthesized from the result (marked
//! [`Completeness::FromLibvirtXml`]: partial and derived). MSR-based features
//! (`vmx-*`, `mds-no`, ...) go to the dump's [`KvmFacts`] for the MSR comparison.
//!
//! Formats: libvirt's `docs/formatcaps.rst` and `docs/formatdomaincaps.rst`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::catalog::{self, FeatureSet};
use crate::cpuid::{Completeness, KvmFacts, LibvirtCpu, Provenance, RawDump, SourceKind};
use crate::decode::Vendor;
use crate::util::error::{Error, Result};

/// True when `text` looks like libvirt's capabilities or domain capabilities XML.
pub fn looks_like(text: &str) -> bool {
    root(text).is_some()
}

/// Which document: `capabilities` or `domainCapabilities`.
fn root(text: &str) -> Option<&'static str> {
    let mut t = text.trim_start();
    // Skip an XML declaration and comments before the root element.
    loop {
        if let Some(rest) = t.strip_prefix("<?") {
            t = rest.split_once("?>")?.1.trim_start();
        } else if let Some(rest) = t.strip_prefix("<!--") {
            t = rest.split_once("-->")?.1.trim_start();
        } else {
            break;
        }
    }
    for name in ["capabilities", "domainCapabilities"] {
        if let Some(rest) = t.strip_prefix('<').and_then(|r| r.strip_prefix(name)) {
            if rest.starts_with(['>', ' ', '\n', '\t', '\r', '/']) {
                return Some(if name == "capabilities" {
                    "capabilities"
                } else {
                    "domainCapabilities"
                });
            }
        }
    }
    None
}

// ------------------------------------------------------------------ the XML

#[derive(Deserialize, Default)]
struct Caps {
    #[serde(default)]
    host: Option<CapsHost>,
}

#[derive(Deserialize, Default)]
struct CapsHost {
    #[serde(default)]
    cpu: Option<CapsCpu>,
}

#[derive(Deserialize, Default)]
struct CapsCpu {
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    model: Option<Text>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    signature: Option<Sig>,
    #[serde(default)]
    microcode: Option<Microcode>,
    #[serde(default)]
    feature: Vec<Feature>,
}

#[derive(Deserialize)]
struct Sig {
    #[serde(rename = "@family")]
    family: u32,
    #[serde(rename = "@model")]
    model: u32,
    #[serde(rename = "@stepping")]
    stepping: u32,
}

#[derive(Deserialize)]
struct Microcode {
    #[serde(rename = "@version")]
    version: String,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@policy", default)]
    policy: Option<String>,
}

#[derive(Deserialize, Default)]
struct Text {
    #[serde(rename = "$text", default)]
    text: String,
}

#[derive(Deserialize, Default)]
struct DomCaps {
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    cpu: Option<DomCpu>,
}

#[derive(Deserialize, Default)]
struct DomCpu {
    #[serde(default)]
    mode: Vec<Mode>,
}

#[derive(Deserialize)]
struct Mode {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@supported", default)]
    supported: Option<String>,
    #[serde(default)]
    model: Vec<Text>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    feature: Vec<Feature>,
}

// ------------------------------------------------------------------ the models

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    model: BTreeMap<String, ModelEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelEntry {
    #[serde(default)]
    #[allow(dead_code)]
    vendor: Option<String>,
    #[serde(default)]
    same_as: Option<String>,
    #[serde(default)]
    features: Option<String>,
    #[serde(default)]
    msr_features: Option<String>,
}

/// Model name -> (CPUID feature names, MSR feature names).
type Models = BTreeMap<String, (Vec<String>, Vec<String>)>;

/// libvirt's x86 models: name -> (CPUID feature names, MSR feature names), aliases
/// resolved. Shipped data (`data/libvirt/x86_models.toml`); a test checks it parses.
fn models() -> &'static std::result::Result<Models, String> {
    static MODELS: OnceLock<std::result::Result<Models, String>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let file: ModelsFile = toml::from_str(include_str!("../../data/libvirt/x86_models.toml"))
            .map_err(|e| format!("data/libvirt/x86_models.toml: {e}"))?;
        let split = |s: &Option<String>| -> Vec<String> {
            s.as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        let mut out = BTreeMap::new();
        for (name, e) in &file.model {
            let base = match &e.same_as {
                Some(p) => file.model.get(p).ok_or_else(|| {
                    format!("data/libvirt/x86_models.toml: {name}: same_as {p:?} is not a model")
                })?,
                None => e,
            };
            out.insert(
                name.clone(),
                (split(&base.features), split(&base.msr_features)),
            );
        }
        Ok(out)
    })
}

/// The CPUID and MSR feature names of libvirt model `name`.
pub fn model_features(name: &str) -> std::result::Result<(Vec<String>, Vec<String>), String> {
    let models = models().as_ref().map_err(Clone::clone)?;
    models.get(name).cloned().ok_or_else(|| {
        format!(
            "{name:?} is not a libvirt x86 model vmcompat knows (data/libvirt/x86_models.toml \
                 has {} models, libvirt's cpu_map as of libvirt 10)",
            models.len()
        )
    })
}

// ------------------------------------------------------------------ parsing

/// What the XML says about the host CPU, before expansion.
struct HostCpu {
    what: &'static str,
    arch: Option<String>,
    model: Option<String>,
    vendor: Option<String>,
    signature: Option<(u32, u32, u32)>,
    microcode: Option<String>,
    require: Vec<String>,
    disable: Vec<String>,
}

fn xml_error(origin: &str, what: &str, e: quick_xml::DeError) -> Error {
    Error::input(origin, format!("not readable as libvirt {what} XML: {e}"))
}

fn read_host_cpu(text: &str, origin: &str) -> Result<HostCpu> {
    match root(text) {
        Some("capabilities") => {
            let caps: Caps =
                quick_xml::de::from_str(text).map_err(|e| xml_error(origin, "capabilities", e))?;
            let cpu = caps.host.and_then(|h| h.cpu).ok_or_else(|| {
                Error::input(
                    origin,
                    "libvirt capabilities without <host><cpu>: no host CPU to read",
                )
            })?;
            let (mut require, mut disable) = (Vec::new(), Vec::new());
            for f in cpu.feature {
                match f.policy.as_deref() {
                    Some("disable") | Some("forbid") => disable.push(f.name),
                    _ => require.push(f.name),
                }
            }
            Ok(HostCpu {
                what: "capabilities",
                arch: cpu.arch,
                model: cpu
                    .model
                    .map(|m| m.text.trim().to_string())
                    .filter(|m| !m.is_empty()),
                vendor: cpu.vendor.map(|v| v.trim().to_string()),
                signature: cpu.signature.map(|s| (s.family, s.model, s.stepping)),
                microcode: cpu.microcode.map(|m| m.version),
                require,
                disable,
            })
        }
        Some(_) => {
            let caps: DomCaps = quick_xml::de::from_str(text)
                .map_err(|e| xml_error(origin, "domcapabilities", e))?;
            let modes = caps.cpu.map(|c| c.mode).unwrap_or_default();
            let mode = modes
                .into_iter()
                .find(|m| m.name == "host-model")
                .ok_or_else(|| {
                    Error::input(
                        origin,
                        "libvirt domcapabilities without a <mode name='host-model'> CPU",
                    )
                })?;
            if mode.supported.as_deref() == Some("no") {
                return Err(Error::input(
                    origin,
                    "libvirt domcapabilities: host-model is not supported on this host (supported='no'): \
                     no host CPU to read",
                ));
            }
            let (mut require, mut disable) = (Vec::new(), Vec::new());
            for f in mode.feature {
                match f.policy.as_deref() {
                    Some("disable") | Some("forbid") => disable.push(f.name),
                    _ => require.push(f.name),
                }
            }
            Ok(HostCpu {
                what: "domcapabilities host-model",
                arch: caps.arch,
                model: mode
                    .model
                    .into_iter()
                    .map(|m| m.text.trim().to_string())
                    .find(|m| !m.is_empty()),
                vendor: mode.vendor.map(|v| v.trim().to_string()),
                signature: None,
                microcode: None,
                require,
                disable,
            })
        }
        None => Err(Error::input(
            origin,
            "expected libvirt XML whose root element is <capabilities> or <domainCapabilities>",
        )),
    }
}

/// Leaf 1 EAX for a display family/model/stepping (Intel SDM Vol. 2A, CPUID leaf 1).
fn leaf1_eax(family: u32, model: u32, stepping: u32) -> u32 {
    let (base_family, ext_family) = if family >= 0xf {
        (0xf, family - 0xf)
    } else {
        (family, 0)
    };
    ((ext_family & 0xff) << 20)
        | ((model >> 4 & 0xf) << 16)
        | ((base_family & 0xf) << 8)
        | ((model & 0xf) << 4)
        | (stepping & 0xf)
}

/// Parses `virsh capabilities` or `virsh domcapabilities` output into a derived
/// dump; `origin` names it in errors. Errors: malformed XML, no host CPU, a
/// non-x86 architecture, no vendor (libvirt's test driver gives an i686 host without
/// one), an unknown vendor or model.
pub fn parse(text: &str, origin: &str) -> Result<RawDump> {
    let cpu = read_host_cpu(text, origin)?;
    let arch = cpu.arch.as_deref().unwrap_or("unknown").trim().to_string();
    if !matches!(arch.as_str(), "x86_64" | "i686" | "unknown") {
        return Err(Error::input(
            origin,
            format!(
                "libvirt {}: the host is {arch}, not x86: vmcompat compares x86 CPUs",
                cpu.what
            ),
        ));
    }
    let vendor_name = cpu.vendor.clone().ok_or_else(|| {
        Error::input(
            origin,
            format!(
                "libvirt {}: the host CPU (arch {arch}) has no <vendor>{}: vmcompat needs the \
                 vendor and a CPU model to derive features (libvirt's test driver, \
                 test:///default, describes such a host; use the real host's XML)",
                cpu.what,
                if cpu.model.is_none() {
                    " and no <model>"
                } else {
                    ""
                }
            ),
        )
    })?;
    let (vendor_string, vendor) = match vendor_name.as_str() {
        "Intel" => ("GenuineIntel", Vendor::Intel),
        "AMD" => ("AuthenticAMD", Vendor::Amd),
        "Hygon" => ("HygonGenuine", Vendor::Hygon),
        other => {
            return Err(Error::input(
                origin,
                format!(
                    "libvirt {}: unknown vendor {other:?} (expected Intel, AMD or Hygon)",
                    cpu.what
                ),
            ))
        }
    };
    let model = cpu.model.clone().ok_or_else(|| {
        Error::input(
            origin,
            format!("libvirt {}: the host CPU has no <model>", cpu.what),
        )
    })?;
    let (model_cpuid, model_msr) = model_features(&model)
        .map_err(|e| Error::input(origin, format!("libvirt {}: {e}", cpu.what)))?;
    let disabled: BTreeSet<&str> = cpu.disable.iter().map(String::as_str).collect();
    let mut features = FeatureSet::new();
    let mut msr_names: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for name in model_cpuid.iter().chain(&model_msr).chain(&cpu.require) {
        // The hypervisor bit is what a guest is told, not a host fact (host-model lists it).
        if disabled.contains(name.as_str()) || name == "hypervisor" {
            continue;
        }
        if let Some(id) = catalog::lookup(name) {
            features.insert(id);
        } else if catalog::msr::msr_feature(name).is_some() {
            if !msr_names.contains(name) {
                msr_names.push(name.clone());
            }
        } else if !unknown.contains(name) {
            unknown.push(name.clone());
        }
    }
    let signature = cpu.signature.map_or(0, |(f, m, s)| leaf1_eax(f, m, s));
    let leaves: Vec<u32> = features
        .iter()
        .map(|id| catalog::by_id(id).loc.leaf)
        .collect();
    let max_basic = leaves
        .iter()
        .copied()
        .filter(|l| *l < 0x4000_0000)
        .max()
        .unwrap_or(1)
        .max(1);
    let max_basic = if features.contains(crate::catalog::id::XSAVE) {
        max_basic.max(0xd)
    } else {
        max_basic
    };
    let max_ext = leaves
        .iter()
        .copied()
        .filter(|l| *l >= 0x8000_0000)
        .max()
        .unwrap_or(0x8000_0008)
        .max(0x8000_0008);
    let profile = crate::shipped::profiles::Profile {
        name: model.clone(),
        description: format!("libvirt {} model {model}", cpu.what),
        vendor_string: vendor_string.into(),
        vendor,
        signature,
        brand: String::new(),
        max_basic_leaf: max_basic,
        max_extended_leaf: max_ext,
        cores: None,
        threads: None,
        physical_address_bits: None,
        virtual_address_bits: None,
        features,
        notes: String::new(),
        corpus_differences: BTreeMap::new(),
    };
    let mut dump = profile.dump();
    let mut detail =
        format!(
        "derived from libvirt {} (model {model}, vendor {vendor_name}{}): the model's features \
         from libvirt's CPU map{}",
        cpu.what,
        cpu.microcode
            .as_deref()
            .map(|m| format!(", microcode {m}"))
            .unwrap_or_default(),
        if cpu.require.is_empty() && cpu.disable.is_empty() {
            String::new()
        } else {
            format!(" + {} listed, - {} disabled", cpu.require.len(), cpu.disable.len())
        }
    );
    if cpu.signature.is_none() {
        detail.push_str("; family/model/stepping unknown (the XML gives no <signature>)");
    }
    if !unknown.is_empty() {
        detail.push_str(&format!(
            "; {} name(s) vmcompat does not know were ignored: {}",
            unknown.len(),
            unknown.join(" ")
        ));
    }
    dump.provenance = Provenance {
        kind: SourceKind::LibvirtXml,
        origin: origin.to_string(),
        detail,
    };
    dump.completeness = Completeness::FromLibvirtXml;
    let mut facts = KvmFacts {
        libvirt_cpu: Some(LibvirtCpu {
            source: cpu.what.to_string(),
            model: Some(model),
            vendor: Some(vendor_name),
            features: msr_names,
            disabled: cpu.disable.clone(),
        }),
        ..KvmFacts::default()
    };
    facts.note(
        &format!("libvirt {}", cpu.what),
        true,
        "host CPU model and features read",
    );
    dump.kvm = facts;
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_name_is_known() {
        let models = models()
            .as_ref()
            .expect("data/libvirt/x86_models.toml parses");
        assert!(models.len() > 100, "{}", models.len());
        let mut unknown = BTreeSet::new();
        for (cpuid, msrs) in models.values() {
            for n in cpuid {
                if catalog::lookup(n).is_none() {
                    unknown.insert(n.clone());
                }
            }
            for n in msrs {
                assert!(catalog::msr::msr_feature(n).is_some(), "{n}");
            }
        }
        // AVX10 vector lengths (leaf 0x24 EBX[18:16]) are not catalog bits yet: a
        // model naming them (GraniteRapids-v2, ...) is read with a note that they
        // were ignored.
        for known_gap in ["avx10-128", "avx10-256", "avx10-512"] {
            unknown.remove(known_gap);
        }
        assert!(
            unknown.is_empty(),
            "libvirt names the catalog lacks: {unknown:?}"
        );
        assert_eq!(leaf1_eax(6, 106, 6), 0x000606a6);
        assert_eq!(leaf1_eax(0x19, 0x11, 1), 0x00a10f11);
    }
}
