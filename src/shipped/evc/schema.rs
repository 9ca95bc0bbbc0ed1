//! The EVC mode file format and its checks. Every error names the file and line.

use serde::Deserialize;
use toml::Spanned;

use super::{EvcMode, Exception, Generation};
use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;
use crate::util::error::{Error, Result};
use crate::util::text::{line_of, toml_error};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMode {
    key: Spanned<String>,
    label: String,
    vendor: Spanned<String>,
    level: String,
    rank: u32,
    introduced: Spanned<String>,
    superset_of: Option<String>,
    documented: Vec<Spanned<String>>,
    features: Vec<Spanned<String>>,
    source: String,
    notes: String,
    generation: RawGeneration,
    #[serde(default)]
    exception: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneration {
    microarchitectures: Vec<String>,
    brands: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    file: String,
    lacks: Vec<String>,
    why: String,
}

/// Parses and checks one mode; `origin` (`evc/<file>`) names it in errors.
pub(super) fn parse(text: &str, origin: &str) -> Result<EvcMode> {
    let raw: RawMode = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let at = |span: std::ops::Range<usize>, msg: String| {
        Error::at_line(origin, line_of(text, span.start), msg)
    };
    let key = raw.key.get_ref().clone();
    crate::util::text::name_matches_file(&key, origin)
        .map_err(|msg| at(raw.key.span(), msg.to_string()))?;
    let vendor = match raw.vendor.get_ref().as_str() {
        "GenuineIntel" => Vendor::Intel,
        "AuthenticAMD" => Vendor::Amd,
        other => {
            return Err(at(
                raw.vendor.span(),
                format!(
                "vendor {other:?} must be \"GenuineIntel\" or \"AuthenticAMD\" (EVC has no other)"
            ),
            ))
        }
    };
    let set = |list: &[Spanned<String>]| -> Result<FeatureSet> {
        let mut out = FeatureSet::new();
        for f in list {
            let id = catalog::canonical(f.get_ref())
                .map_err(|e| at(f.span(), format!("EVC mode {key:?}: {e}")))?;
            if out.contains(id) {
                return Err(at(
                    f.span(),
                    format!("feature {:?} is listed twice", f.get_ref()),
                ));
            }
            if !catalog::by_id(id).class.is_compared() {
                return Err(at(
                    f.span(),
                    format!(
                        "feature {:?} is not compared between hosts (per-VM or informational), so a mode cannot require it",
                        f.get_ref()
                    ),
                ));
            }
            out.insert(id);
        }
        Ok(out)
    };
    let documented = set(&raw.documented)?;
    let features = set(&raw.features)?;
    if let Some(f) = raw
        .documented
        .iter()
        .find(|f| catalog::lookup(f.get_ref()).is_some_and(|id| !features.contains(id)))
    {
        return Err(at(
            f.span(),
            format!(
                "documented feature {:?} is missing from `features`",
                f.get_ref()
            ),
        ));
    }
    let mode = EvcMode {
        key,
        label: raw.label,
        vendor,
        level: raw.level,
        rank: raw.rank,
        introduced: raw.introduced.get_ref().clone(),
        superset_of: raw.superset_of,
        documented,
        features,
        source: raw.source,
        notes: raw.notes,
        generation: Generation {
            microarchitectures: raw.generation.microarchitectures,
            brands: raw.generation.brands,
            files: raw.generation.files,
        },
        exceptions: raw
            .exception
            .into_iter()
            .map(|e| Exception {
                file: e.file,
                lacks: e.lacks,
                why: e.why,
            })
            .collect(),
    };
    if mode.introduced_version().is_none() {
        return Err(at(
            raw.introduced.span(),
            format!(
                "introduced {:?} must read like \"ESXi 6.7 U3\" or \"ESX 3.5 U2\"",
                mode.introduced
            ),
        ));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"key = "intel-merom"
label = "x"
vendor = "GenuineIntel"
level = "L0"
rank = 0
introduced = "ESX 3.5 U2"
documented = ["cx16"]
features = ["cx16", "sse2"]
source = "s"
notes = "n"
[generation]
microarchitectures = ["Merom"]
brands = ["Xeon"]
"#;

    #[test]
    fn reads_a_mode_and_names_the_line_of_each_error() {
        let m = parse(GOOD, "evc/intel-merom.toml").expect("parses");
        assert_eq!(m.introduced_version(), Some((3, 5, 2)));
        assert_eq!(m.features.len(), 2);
        for (from, to, line, what) in [
            ("\"sse2\"]", "\"sse2\", \"sse2\"]", 8, "listed twice"),
            ("\"sse2\"]", "\"bogus\"]", 8, "bogus"),
            ("\"sse2\"]", "\"hypervisor\"]", 8, "not compared"),
            ("GenuineIntel", "CyrixInstead", 3, "EVC has no other"),
            ("ESX 3.5 U2", "someday", 6, "must read like"),
            (
                "documented = [\"cx16\"]",
                "documented = [\"avx\"]",
                7,
                "missing from",
            ),
            ("key = \"intel-merom\"", "key = \"intel-x\"", 1, ""),
        ] {
            let text = GOOD.replace(from, to);
            let e = parse(&text, "evc/intel-merom.toml")
                .expect_err(&text)
                .to_string();
            assert!(e.contains(&format!("evc/intel-merom.toml:{line}")), "{e}");
            assert!(e.contains(what), "{e}");
        }
    }
}
