//! Per-release tables of QEMU and libvirt: the named x86 CPU models (with their
//! CPUID features) and the feature names each release accepts, from
//! `targets/qemu.toml` and `targets/libvirt.toml` (sources named there: the
//! installed QEMU 7.2 and libvirt 9.0 measured by `targets/generate.py`, and the
//! newest names from `../shared/reference/`).
//!
//! A release entry lists what it adds to the entries before it; a version without
//! an entry uses the newest entry at or below it (neither tool removes a versioned
//! model or a feature name it once shipped), and says so.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::catalog::{self, FeatureId, FeatureSet};
use crate::decode::Vendor;
use crate::util::error::{Error, Result};

/// Which tool's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// `qemu-system-x86_64 -cpu MODEL,+flag,-flag`.
    Qemu,
    /// libvirt's domain `<cpu>` element (`<model>`, `<feature>`).
    Libvirt,
}

impl Tool {
    /// The tool's name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Qemu => "QEMU",
            Tool::Libvirt => "libvirt",
        }
    }

    /// The version used when none is given: what Debian 12 ships.
    pub fn default_version(self) -> Version {
        match self {
            Tool::Qemu => Version(7, 2),
            Tool::Libvirt => Version(9, 0),
        }
    }
}

/// A release, major.minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Version(pub u32, pub u32);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    /// `7.2`, `9.0.0`, `8` (patch levels are ignored).
    fn from_str(s: &str) -> std::result::Result<Version, String> {
        let mut parts = s.trim().split('.');
        let num = |p: Option<&str>| -> std::result::Result<u32, String> {
            p.unwrap_or("0").parse().map_err(|_| {
                format!("{s:?} is not a release number; expected MAJOR.MINOR such as 7.2")
            })
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        Ok(Version(major, minor))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[allow(dead_code)]
    source: String,
    release: Vec<RawRelease>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    version: String,
    #[allow(dead_code)]
    source: String,
    features: Vec<String>,
    #[serde(default)]
    model: Vec<RawModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    vendor: String,
    features: Vec<String>,
}

/// One named CPU model of a release.
#[derive(Debug, Clone)]
pub struct Model {
    /// The name as the tool spells it (`Cascadelake-Server-v5`, `EPYC-Rome`).
    pub name: String,
    /// Its vendor (`None`: vendor-neutral, such as `qemu64` in libvirt's map).
    pub vendor: Option<Vendor>,
    /// The catalog features it turns on.
    pub features: FeatureSet,
}

/// The names one release of a tool knows.
#[derive(Debug, Clone)]
pub struct Release {
    /// The tool.
    pub tool: Tool,
    /// The version asked for.
    pub requested: Version,
    /// The table entry used (the newest at or below `requested`).
    pub table: Version,
    /// Every feature name the release accepts, as it spells them.
    pub names: std::collections::BTreeSet<String>,
    /// Its models, in table order (older releases' first).
    pub models: Vec<Model>,
    /// The release's spelling of each catalog feature it can name.
    spelling: BTreeMap<FeatureId, String>,
}

impl Release {
    /// The release's name for a catalog feature, if it has one.
    pub fn name_of(&self, id: FeatureId) -> Option<&str> {
        self.spelling.get(&id).map(String::as_str)
    }

    /// Every catalog feature the release can name.
    pub fn nameable(&self) -> FeatureSet {
        self.spelling.keys().copied().collect()
    }

    /// The model of that name.
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// A note when the table used is older than the version asked for.
    pub fn note(&self) -> Option<String> {
        (self.table != self.requested).then(|| {
            format!(
                "{} {}: no table for this release; using the names of {} {}, the newest at or \
                 below it in targets/{}.toml (they stay valid in later releases)",
                self.tool.label(),
                self.requested,
                self.tool.label(),
                self.table,
                self.file()
            )
        })
    }

    fn file(&self) -> &'static str {
        match self.tool {
            Tool::Qemu => "qemu",
            Tool::Libvirt => "libvirt",
        }
    }
}

fn vendor_of(s: &str) -> Option<Vendor> {
    match s {
        "GenuineIntel" | "Intel" => Some(Vendor::Intel),
        "AuthenticAMD" | "AMD" => Some(Vendor::Amd),
        "HygonGenuine" | "Hygon" => Some(Vendor::Hygon),
        "CentaurHauls" => Some(Vendor::Centaur),
        "  Shanghai  " | "Zhaoxin" => Some(Vendor::Zhaoxin),
        _ => None,
    }
}

const QEMU_TOML: &str = include_str!("../../../targets/qemu.toml");
const LIBVIRT_TOML: &str = include_str!("../../../targets/libvirt.toml");

fn raw(tool: Tool) -> std::result::Result<&'static RawFile, String> {
    static QEMU: OnceLock<std::result::Result<RawFile, String>> = OnceLock::new();
    static LIBVIRT: OnceLock<std::result::Result<RawFile, String>> = OnceLock::new();
    let (cell, text, origin) = match tool {
        Tool::Qemu => (&QEMU, QEMU_TOML, "targets/qemu.toml"),
        Tool::Libvirt => (&LIBVIRT, LIBVIRT_TOML, "targets/libvirt.toml"),
    };
    cell.get_or_init(|| toml::from_str(text).map_err(|e| format!("{origin}: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// The versions `targets/<tool>.toml` has tables for, oldest first.
pub fn table_versions(tool: Tool) -> Vec<Version> {
    let mut v: Vec<Version> = raw(tool)
        .map(|r| {
            r.release
                .iter()
                .filter_map(|x| x.version.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The names of `tool` at `version` (the newest table at or below it). Errors: a
/// version older than every table (the oldest is the installed Debian 12 release),
/// or a broken shipped file.
pub fn release(tool: Tool, version: Version) -> Result<Release> {
    let file = raw(tool).map_err(Error::Internal)?;
    let mut entries: Vec<(Version, &RawRelease)> = file
        .release
        .iter()
        .map(|r| {
            r.version
                .parse::<Version>()
                .map(|v| (v, r))
                .map_err(|e| Error::Internal(format!("targets file: {e}")))
        })
        .collect::<Result<_>>()?;
    entries.sort_by_key(|(v, _)| *v);
    let used: Vec<&(Version, &RawRelease)> =
        entries.iter().filter(|(v, _)| *v <= version).collect();
    let Some((table, _)) = used.last().copied() else {
        return Err(Error::Usage(format!(
            "{} {version} is older than the oldest table ({}); vmcompat knows {} from {} on",
            tool.label(),
            entries
                .first()
                .map_or("none".into(), |(v, _)| v.to_string()),
            tool.label(),
            entries
                .first()
                .map_or("none".into(), |(v, _)| v.to_string()),
        )));
    };
    let mut names = std::collections::BTreeSet::new();
    let mut models: Vec<Model> = Vec::new();
    let mut spelling: BTreeMap<FeatureId, String> = BTreeMap::new();
    for (_, r) in &used {
        for n in &r.features {
            names.insert(n.clone());
        }
    }
    // Each catalog feature's spelling: the name the catalog gives for this tool
    // when the release has it, else any release name that means the same bit.
    let preferred = |id: FeatureId| {
        let d = catalog::by_id(id);
        match tool {
            Tool::Qemu => d.qemu_name(),
            Tool::Libvirt => d.libvirt_name(),
        }
    };
    for n in &names {
        if let Some(id) = catalog::lookup(n) {
            let keep = spelling
                .get(&id)
                .is_some_and(|old| Some(old.as_str()) == preferred(id));
            if !keep {
                spelling.insert(id, n.clone());
            }
        }
    }
    for (_, r) in &used {
        for m in &r.model {
            let features = m
                .features
                .iter()
                .filter_map(|n| catalog::lookup(n))
                .collect();
            models.push(Model {
                name: m.name.clone(),
                vendor: vendor_of(&m.vendor),
                features,
            });
        }
    }
    Ok(Release {
        tool,
        requested: version,
        table: *table,
        names,
        models,
        spelling,
    })
}
