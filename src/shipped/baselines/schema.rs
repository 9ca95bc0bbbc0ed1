//! The baseline file format and its checks. Every error names the file and line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::Baseline;
use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;
use crate::util::error::{Error, Result};
use crate::util::text::{line_of, toml_error};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    name: Spanned<String>,
    vendor: Option<Spanned<String>>,
    description: String,
    follows: String,
    rank: u32,
    features: Vec<Spanned<String>>,
    notes: String,
    #[serde(default)]
    differences: BTreeMap<String, String>,
}

/// Parses and checks one baseline; `origin` (`masks/<file>`) names it in errors.
pub(super) fn parse(text: &str, origin: &str) -> Result<Baseline> {
    let raw: RawBaseline = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let at = |span: std::ops::Range<usize>, msg: String| {
        Error::at_line(origin, line_of(text, span.start), msg)
    };
    let name = raw.name.get_ref().clone();
    crate::util::text::name_matches_file(&name, origin)
        .map_err(|msg| at(raw.name.span(), msg.to_string()))?;
    let vendor = match &raw.vendor {
        None => None,
        Some(v) => {
            let bytes: Option<[u8; 12]> = v.get_ref().as_bytes().try_into().ok();
            match bytes.map(|b| Vendor::from_bytes(&b)) {
                Some(vendor) if vendor != Vendor::Unknown => Some(vendor),
                _ => {
                    return Err(at(
                        v.span(),
                        format!(
                            "vendor {:?} must be a leaf-0 vendor string such as \"GenuineIntel\" or \"AuthenticAMD\"",
                            v.get_ref()
                        ),
                    ))
                }
            }
        }
    };
    let mut features = FeatureSet::new();
    for f in &raw.features {
        let spelled = f.get_ref();
        let id = catalog::canonical(spelled)
            .map_err(|e| at(f.span(), format!("baseline {name:?}: {e}")))?;
        if features.contains(id) {
            return Err(at(f.span(), format!("feature {spelled:?} is listed twice")));
        }
        features.insert(id);
    }
    Ok(Baseline {
        name,
        vendor,
        description: raw.description,
        follows: raw.follows,
        rank: raw.rank,
        features,
        notes: raw.notes,
        differences: raw.differences,
    })
}
