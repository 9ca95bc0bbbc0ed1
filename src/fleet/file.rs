//! The fleet file (`fleet.toml`): the hosts, where each one's CPUID comes from,
//! its cluster, and facts declared for hosts not yet bought or not reachable.
//!
//! ```toml
//! [fleet]
//! name = "example"
//!
//! [[host]]
//! name = "esx01"
//! cluster = "prod"
//! dump = "dumps/esx01.toml"      # or: profile = "xeon-e5-2600-v3", or: local = true
//! port_groups = ["VM Network", "vMotion"]
//! luns = ["naa.600a0b80005ad3e2000002c34f3e8b2d"]
//! datastores = ["datastore1"]
//! vmotion = { vmk = "vmk1", speed_mbps = 10000 }
//! ```
//!
//! Unknown keys, duplicate host names, hosts with no source or two sources: an
//! error naming the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::fleet::Policy;
use crate::error::{Error, Result};

/// Where one host's CPUID comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSourceSpec {
    /// The machine vmcompat runs on.
    Local,
    /// A dump file (any supported format), resolved relative to the fleet file.
    Dump(PathBuf),
    /// A named CPU profile from `profiles/`.
    Profile(String),
}

/// The vMotion VMkernel port declared for a host.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmotionDecl {
    /// The VMkernel interface (`vmk1`).
    pub vmk: String,
    /// Its link speed in Mb/s.
    pub speed_mbps: Option<u32>,
}

/// One host of the fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Unique name.
    pub name: String,
    /// Cluster, if given.
    pub cluster: Option<String>,
    /// Where its CPUID comes from.
    pub source: HostSourceSpec,
    /// 1-based line of the host's `name` in the fleet file.
    pub line: usize,
    /// Declared shared LUNs (naa/WWN ids).
    pub luns: Option<Vec<String>>,
    /// Declared datastores.
    pub datastores: Option<Vec<String>>,
    /// Declared port-group labels.
    pub port_groups: Option<Vec<String>>,
    /// Declared vMotion port.
    pub vmotion: Option<VmotionDecl>,
}

/// A parsed fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSpec {
    /// The file it came from.
    pub path: PathBuf,
    /// The fleet's name (defaults to the file name).
    pub name: String,
    /// The policy the file asks for, if any (the command line overrides it).
    pub policy: Option<Policy>,
    /// The hosts, in file order.
    pub hosts: Vec<HostSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    fleet: Option<RawFleet>,
    #[serde(default)]
    host: Vec<Spanned<RawHost>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    name: Option<String>,
    policy: Option<Policy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: Spanned<String>,
    cluster: Option<String>,
    local: Option<bool>,
    dump: Option<String>,
    profile: Option<String>,
    luns: Option<Vec<String>>,
    datastores: Option<Vec<String>>,
    port_groups: Option<Vec<String>>,
    vmotion: Option<VmotionDecl>,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Byte offsets to 1-based lines for many lookups in one text (a fleet file of
/// 100,000 hosts asks 200,000 times): a binary search over line starts.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex(starts)
    }

    fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Turns a TOML error into ours, with the line it points at.
pub fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> Error {
    let message = e.message().to_string();
    match e.span() {
        Some(span) => Error::at_line(origin, line_of(text, span.start), message),
        None => Error::input(origin, message),
    }
}

/// Reads and checks a fleet file.
pub fn read(path: &Path) -> Result<FleetSpec> {
    let text = crate::cpuid::formats::read_text(path)?;
    parse(&text, path)
}

/// Parses fleet-file text; `path` names it in errors and anchors relative dump paths.
pub fn parse(text: &str, path: &Path) -> Result<FleetSpec> {
    let origin = path.display().to_string();
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(text, &origin, &e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let lines = LineIndex::new(text);
    let mut hosts: Vec<HostSpec> = Vec::with_capacity(raw.host.len());
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for spanned in raw.host {
        let host_line = lines.line(spanned.span().start);
        let h = spanned.into_inner();
        let line = lines.line(h.name.span().start);
        let name = h.name.into_inner();
        if name.trim().is_empty() {
            return Err(Error::at_line(&origin, line, "host name is empty"));
        }
        if let Some(first) = seen.insert(name.clone(), line) {
            return Err(Error::at_line(
                &origin,
                line,
                format!("duplicate host name {name:?} (first defined on line {first})"),
            ));
        }
        let mut sources = Vec::new();
        if h.local == Some(true) {
            sources.push(HostSourceSpec::Local);
        }
        if let Some(d) = h.dump {
            sources.push(HostSourceSpec::Dump(base.join(d)));
        }
        if let Some(p) = h.profile {
            sources.push(HostSourceSpec::Profile(p));
        }
        let source = match sources.len() {
            1 => sources.remove(0),
            0 => {
                return Err(Error::at_line(
                    &origin,
                    host_line,
                    format!(
                        "host {name:?} has no source: give one of `local = true`, `dump = \"FILE\"`, `profile = \"NAME\"`"
                    ),
                ))
            }
            _ => {
                return Err(Error::at_line(
                    &origin,
                    host_line,
                    format!("host {name:?} has more than one source: give exactly one of local, dump, profile"),
                ))
            }
        };
        hosts.push(HostSpec {
            name,
            cluster: h.cluster,
            source,
            line,
            luns: h.luns,
            datastores: h.datastores,
            port_groups: h.port_groups,
            vmotion: h.vmotion,
        });
    }
    if hosts.is_empty() {
        return Err(Error::input(&origin, "the fleet file lists no [[host]]"));
    }
    let fleet = raw.fleet;
    let name = fleet
        .as_ref()
        .and_then(|f| f.name.clone())
        .unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "fleet".into(), |s| s.to_string_lossy().into_owned())
        });
    Ok(FleetSpec {
        path: path.to_path_buf(),
        name,
        policy: fleet.and_then(|f| f.policy),
        hosts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<FleetSpec> {
        parse(text, Path::new("/fleets/f.toml"))
    }

    #[test]
    fn parses_hosts_and_resolves_dump_paths() {
        let f = parse_str(
            "[fleet]\nname = \"lab\"\npolicy = \"esx3\"\n\n[[host]]\nname = \"a\"\ndump = \"d/a.toml\"\ncluster = \"c1\"\n\n[[host]]\nname = \"b\"\nprofile = \"xeon\"\nport_groups = [\"VM Network\"]\n",
        )
        .expect("parses");
        assert_eq!(f.name, "lab");
        assert_eq!(f.policy, Some(Policy::Esx3));
        assert_eq!(
            f.hosts[0].source,
            HostSourceSpec::Dump("/fleets/d/a.toml".into())
        );
        assert_eq!(f.hosts[1].source, HostSourceSpec::Profile("xeon".into()));
        assert_eq!(f.hosts[1].line, 11);
    }

    #[test]
    fn errors_name_the_line() {
        let dup = parse_str(
            "[[host]]\nname = \"a\"\nlocal = true\n[[host]]\nname = \"a\"\nlocal = true\n",
        )
        .expect_err("duplicate");
        assert!(
            dup.to_string()
                .contains("f.toml:5: duplicate host name \"a\" (first defined on line 2)"),
            "{dup}"
        );
        let unknown = parse_str("[[host]]\nname = \"a\"\nlocal = true\nflavour = 1\n")
            .expect_err("unknown key");
        assert!(unknown.to_string().contains("f.toml:4"), "{unknown}");
        assert!(unknown.to_string().contains("flavour"), "{unknown}");
        let none = parse_str("[[host]]\nname = \"a\"\n").expect_err("no source");
        assert!(
            none.to_string()
                .contains("f.toml:1: host \"a\" has no source"),
            "{none}"
        );
        let two = parse_str("[[host]]\nname = \"a\"\nlocal = true\nprofile = \"x\"\n")
            .expect_err("two sources");
        assert!(two.to_string().contains("more than one source"), "{two}");
        assert!(parse_str("").is_err());
        assert!(parse_str("[[host]\n").is_err());
    }
}
