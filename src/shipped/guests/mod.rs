//! Guest operating systems and the CPU floor each needs to boot or install,
//! shipped in `guests/guests.toml` (embedded in the binary). Every entry names
//! the public page that states its requirement.
//!
//! A guest *breaks* under a CPU setting (an EVC mode, a QEMU/libvirt model, a
//! mask) when the features a VM sees under that setting lack one of the guest's
//! floor features: it will not install, and an installed one stops booting.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalog::{self, FeatureSet};
use crate::util::error::{Error, Result};
use crate::util::text::{line_of, toml_error};

/// The shipped file's text.
const SHIPPED: &str = include_str!("../../../guests/guests.toml");
/// How errors name it.
const ORIGIN: &str = "guests/guests.toml";

/// One guest operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guest {
    /// What `--guest` and the fleet file take (`rhel9`, `windows-server-2025`).
    pub key: String,
    /// Its name for people.
    pub name: String,
    /// The x86-64 psABI level it is built for (1..=4).
    pub level: u8,
    /// Every feature it needs: its level's (and the levels below) plus the listed ones.
    #[serde(serialize_with = "names")]
    pub floor: FeatureSet,
    /// The public page that states the requirement.
    pub source: String,
    /// What the source says, in short.
    pub notes: String,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// A guest that would not boot or install under a setting, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// The guest's key.
    pub guest: String,
    /// The guest's name.
    pub name: String,
    /// The floor features the setting does not give the VM.
    #[serde(serialize_with = "names")]
    pub missing: FeatureSet,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    guest: Vec<RawGuest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuest {
    key: Spanned<String>,
    name: String,
    level: Spanned<u8>,
    features: Vec<Spanned<String>>,
    source: Spanned<String>,
    notes: String,
}

/// Parses a guests file; `origin` names it in errors (file:line).
pub fn parse(text: &str, origin: &str) -> Result<Vec<Guest>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let at = |start: usize, msg: String| Error::at_line(origin, line_of(text, start), msg);
    let mut out: Vec<Guest> = Vec::new();
    for g in raw.guest {
        let key = g.key.get_ref().clone();
        if out.iter().any(|o| o.key == key) {
            return Err(at(
                g.key.span().start,
                format!("guest {key:?} is listed twice"),
            ));
        }
        let level = *g.level.get_ref();
        if !(1..=4).contains(&level) {
            return Err(at(
                g.level.span().start,
                format!("level {level}: expected an x86-64 psABI level, 1..=4"),
            ));
        }
        let source = g.source.get_ref();
        if !source.starts_with("https://") {
            return Err(at(
                g.source.span().start,
                format!(
                    "guest {key:?}: source must be the https:// page that states the requirement"
                ),
            ));
        }
        let mut floor: FeatureSet = (1..=level).fold(FeatureSet::new(), |acc, l| {
            acc.union(&catalog::psabi_level_features(l))
        });
        for f in &g.features {
            let id =
                catalog::canonical(f.get_ref()).map_err(|m| at(f.span().start, m.to_string()))?;
            floor.insert(id);
        }
        out.push(Guest {
            key,
            name: g.name,
            level,
            floor,
            source: source.clone(),
            notes: g.notes,
        });
    }
    Ok(out)
}

/// Every shipped guest, in file order. An error only if the shipped file is
/// broken (a test parses it).
pub fn all() -> Result<&'static [Guest]> {
    static CACHE: OnceLock<std::result::Result<Vec<Guest>, String>> = OnceLock::new();
    match CACHE.get_or_init(|| parse(SHIPPED, ORIGIN).map_err(|e| e.to_string())) {
        Ok(list) => Ok(list),
        Err(e) => Err(Error::input(ORIGIN, e.clone())),
    }
}

/// The guests named by `keys` (from `--guest` or the fleet file); every shipped
/// guest when `keys` is empty. Unknown keys are an error that lists the known ones.
pub fn select(keys: &[String]) -> Result<Vec<Guest>> {
    let list = all()?;
    if keys.is_empty() {
        return Ok(list.to_vec());
    }
    keys.iter()
        .map(|k| {
            list.iter()
                .find(|g| g.key.eq_ignore_ascii_case(k.trim()))
                .cloned()
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "unknown guest {k:?}; the known guests are: {}",
                        list.iter()
                            .map(|g| g.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect()
}

/// The guests of `guests` that would not boot or install when a VM sees `visible`.
pub fn broken_by(guests: &[Guest], visible: &FeatureSet) -> Vec<Broken> {
    guests
        .iter()
        .filter_map(|g| {
            let missing = g.floor.difference(visible);
            (!missing.is_empty()).then(|| Broken {
                guest: g.key.clone(),
                name: g.name.clone(),
                missing,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_parses_and_covers_the_common_guests() {
        let list = all().expect("guests/guests.toml parses");
        for key in [
            "rhel8",
            "rhel9",
            "rhel10",
            "sles15",
            "sles16",
            "ubuntu-24.04",
            "debian12",
            "windows10",
            "windows11",
            "windows-server-2016",
            "windows-server-2025",
        ] {
            assert!(list.iter().any(|g| g.key == key), "{key} missing");
        }
        let ws2025 = list
            .iter()
            .find(|g| g.key == "windows-server-2025")
            .unwrap();
        assert!(ws2025.floor.contains(catalog::lookup("sse4_2").unwrap()));
        let rhel10 = list.iter().find(|g| g.key == "rhel10").unwrap();
        assert!(rhel10.floor.contains(catalog::lookup("avx2").unwrap()));
        assert!(rhel10.floor.contains(catalog::lookup("popcnt").unwrap()));
    }

    #[test]
    fn unknown_feature_is_a_load_error_with_its_line() {
        let text = "[[guest]]\nkey = \"x\"\nname = \"X\"\nlevel = 1\nfeatures = [\"sse9\"]\nsource = \"https://example.org\"\nnotes = \"\"\n";
        let e = parse(text, "g.toml").unwrap_err().to_string();
        assert!(
            e.contains("g.toml") && e.contains(":5") && e.contains("sse9"),
            "{e}"
        );
    }

    #[test]
    fn a_setting_without_popcnt_breaks_rhel9_not_rhel8() {
        let list = all().unwrap();
        let v1: FeatureSet = catalog::psabi_level_features(1).union(
            &FeatureSet::from_names(&["nx", "pae", "cx16", "lahf_lm"]).expect("catalog names"),
        );
        let broken: Vec<String> = broken_by(list, &v1).into_iter().map(|b| b.guest).collect();
        assert!(broken.contains(&"rhel9".to_string()));
        assert!(broken.contains(&"windows-server-2025".to_string()));
        assert!(!broken.contains(&"rhel8".to_string()));
        assert!(!broken.contains(&"windows-server-2022".to_string()));
    }
}
