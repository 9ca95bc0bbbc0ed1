//! The profile file format and its checks. Every error names the file and line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;
use crate::util::error::{Error, Result};
use crate::util::text::{line_of, toml_error};

/// A parsed, checked CPU profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile name; equal to the file name without `.toml`.
    pub name: String,
    /// What the profile models, in words (product line, codename, year).
    pub description: String,
    /// The 12-character leaf-0 vendor string.
    pub vendor_string: String,
    /// The vendor that string names.
    pub vendor: Vendor,
    /// Leaf 1 EAX of a representative stepping.
    pub signature: u32,
    /// The brand string of a representative SKU.
    pub brand: String,
    /// Highest basic leaf (leaf 0 EAX).
    pub max_basic_leaf: u32,
    /// Highest extended leaf (0x8000_0000 EAX).
    pub max_extended_leaf: u32,
    /// Physical cores per package of the representative SKU.
    pub cores: Option<u32>,
    /// Logical processors per package of the representative SKU.
    pub threads: Option<u32>,
    /// Physical address width (0x8000_0008 EAX[7:0]).
    pub physical_address_bits: Option<u8>,
    /// Linear address width (0x8000_0008 EAX[15:8]).
    pub virtual_address_bits: Option<u8>,
    /// Every catalog feature the part reports.
    pub features: FeatureSet,
    /// Sources, and known differences between SKUs or steppings.
    pub notes: String,
    /// Features on which real dumps of the same model (in `../shared/corpus`) differ
    /// from the profile, each with the reason (checked by `tests/profiles.rs`).
    pub corpus_differences: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    description: String,
    vendor: Spanned<String>,
    signature: Spanned<String>,
    brand: Spanned<String>,
    max_basic_leaf: Spanned<String>,
    max_extended_leaf: Spanned<String>,
    cores: Option<u32>,
    threads: Option<Spanned<u32>>,
    physical_address_bits: Option<u8>,
    virtual_address_bits: Option<u8>,
    features: Vec<Spanned<String>>,
    notes: String,
    #[serde(default)]
    corpus_differences: BTreeMap<String, Spanned<String>>,
}

/// Parses and checks one profile text; `origin` (`profiles/<file>`) names it in errors
/// and must end in `<name>.toml`.
pub fn parse(text: &str, origin: &str) -> Result<Profile> {
    let raw: RawProfile = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let at = |span: std::ops::Range<usize>, msg: String| {
        Error::at_line(origin, line_of(text, span.start), msg)
    };

    let name = raw.name.get_ref().clone();
    crate::util::text::name_matches_file(&name, origin)
        .map_err(|msg| at(raw.name.span(), msg.to_string()))?;

    let vendor_string = raw.vendor.get_ref().clone();
    let vendor_bytes: [u8; 12] = vendor_string.as_bytes().try_into().map_err(|_| {
        at(
            raw.vendor.span(),
            format!("vendor {vendor_string:?} must be the 12-character leaf-0 string, e.g. \"GenuineIntel\""),
        )
    })?;
    let vendor = Vendor::from_bytes(&vendor_bytes);
    if vendor == Vendor::Unknown {
        return Err(at(
            raw.vendor.span(),
            format!("vendor {vendor_string:?} is not a known leaf-0 vendor string"),
        ));
    }

    let hex = |field: &Spanned<String>, what: &str| -> Result<u32> {
        parse_hex(field.get_ref()).ok_or_else(|| {
            at(
                field.span(),
                format!(
                    "{what} {:?}: expected a hex number like \"0x000306f2\"",
                    field.get_ref()
                ),
            )
        })
    };
    let signature = hex(&raw.signature, "signature")?;
    let max_basic_leaf = hex(&raw.max_basic_leaf, "max_basic_leaf")?;
    let max_extended_leaf = hex(&raw.max_extended_leaf, "max_extended_leaf")?;
    if !(0x8000_0000..=0x8000_00ff).contains(&max_extended_leaf) {
        return Err(at(
            raw.max_extended_leaf.span(),
            format!("max_extended_leaf {max_extended_leaf:#x} must lie in 0x80000000..=0x800000ff"),
        ));
    }
    if max_basic_leaf > 0xff {
        return Err(at(
            raw.max_basic_leaf.span(),
            format!("max_basic_leaf {max_basic_leaf:#x} must be at most 0xff"),
        ));
    }

    let brand = raw.brand.get_ref().clone();
    if brand.len() > 47 || !brand.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(at(
            raw.brand.span(),
            "brand must be printable ASCII of at most 47 characters (it fills 0x80000002..4)"
                .into(),
        ));
    }

    if let (Some(cores), Some(threads)) = (raw.cores, &raw.threads) {
        let t = *threads.get_ref();
        if cores == 0 || t < cores || t % cores != 0 || t > 255 {
            return Err(at(
                threads.span(),
                format!("threads {t} must be a multiple of cores {cores}, at most 255 (the width of leaf 1 EBX[23:16])"),
            ));
        }
    }

    let mut features = FeatureSet::new();
    for f in &raw.features {
        let spelled = f.get_ref();
        let id = catalog::canonical(spelled)
            .map_err(|e| at(f.span(), format!("profile {name:?}: {e}")))?;
        let def = catalog::by_id(id);
        if features.contains(id) {
            return Err(at(f.span(), format!("feature {spelled:?} is listed twice")));
        }
        if (def.amd_only && !vendor.is_amd_like()) || (def.intel_only && vendor.is_amd_like()) {
            return Err(at(
                f.span(),
                format!("feature {spelled:?} is defined only by the other vendor ({vendor} part)"),
            ));
        }
        let leaf = def.loc.leaf;
        let in_range = if leaf >= 0x8000_0000 {
            leaf <= max_extended_leaf
        } else {
            leaf <= max_basic_leaf
        };
        if !in_range {
            return Err(at(
                f.span(),
                format!(
                    "feature {spelled:?} lives in leaf {leaf:#x}, beyond the profile's max leaf"
                ),
            ));
        }
        features.insert(id);
    }

    let mut corpus_differences = BTreeMap::new();
    for (feature, reason) in raw.corpus_differences {
        if catalog::lookup(&feature).is_none() {
            return Err(at(
                reason.span(),
                format!("corpus_differences: unknown feature {feature:?}"),
            ));
        }
        corpus_differences.insert(feature, reason.into_inner());
    }

    Ok(Profile {
        name,
        description: raw.description,
        vendor_string,
        vendor,
        signature,
        brand,
        max_basic_leaf,
        max_extended_leaf,
        cores: raw.cores,
        threads: raw.threads.map(Spanned::into_inner),
        physical_address_bits: raw.physical_address_bits,
        virtual_address_bits: raw.virtual_address_bits,
        features,
        notes: raw.notes,
        corpus_differences,
    })
}

/// Parses `0x...` (or bare) hexadecimal.
pub(crate) fn parse_hex(s: &str) -> Option<u32> {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(digits, 16).ok()
}
