//! The QEMU `-cpu` argument that hides a set of features from a guest:
//! `-cpu host,-feat1,-feat2` or `-cpu Haswell-noTSX,-feat1`, in QEMU's spelling
//! ([`FeatureDef::qemu_name`](crate::catalog::FeatureDef::qemu_name)).

use crate::catalog::{self, FeatureSet};
use crate::util::error::{Error, Result};

/// `-cpu host,-a,-b`: the host's CPU less the hidden features.
pub fn host(hidden: &FeatureSet) -> String {
    arg("host", hidden)
}

/// `-cpu MODEL,-a,-b` on a named QEMU model. The model name must be a plain
/// QEMU model name (letters, digits, `-`, `_`, `.`), so that it cannot smuggle
/// other options into the command line.
pub fn with_model(model: &str, hidden: &FeatureSet) -> Result<String> {
    let plain = !model.is_empty()
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return Err(Error::Usage(format!(
            "'{model}' is not a QEMU CPU model name; expected letters, digits, '-', '_' or '.' \
             (e.g. Haswell-noTSX, EPYC-Rome); `qemu-system-x86_64 -cpu help` lists them"
        )));
    }
    Ok(arg(model, hidden))
}

/// Canonical names of hidden features that QEMU has no `-cpu` spelling for: the
/// argument cannot hide them.
pub fn without_qemu_name(hidden: &FeatureSet) -> Vec<&'static str> {
    hidden
        .iter()
        .map(catalog::by_id)
        .filter(|d| d.qemu_name().is_none())
        .map(|d| d.name)
        .collect()
}

fn arg(base: &str, hidden: &FeatureSet) -> String {
    let mut out = format!("-cpu {base}");
    for name in hidden
        .iter()
        .filter_map(|id| catalog::by_id(id).qemu_name())
    {
        out.push_str(",-");
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_model_forms() {
        let hidden = FeatureSet::from_names(&["ssse3", "hypervisor"]).expect("catalog names");
        let ssse3 = catalog::lookup("ssse3")
            .and_then(|id| catalog::by_id(id).qemu_name())
            .unwrap_or("ssse3");
        assert_eq!(host(&FeatureSet::new()), "-cpu host");
        assert!(host(&hidden).starts_with(&format!("-cpu host,-{ssse3}")));
        assert_eq!(
            with_model(
                "Haswell-noTSX",
                &FeatureSet::from_names(&["ssse3"]).expect("catalog names")
            )
            .ok(),
            Some(format!("-cpu Haswell-noTSX,-{ssse3}"))
        );
        assert!(with_model("Haswell,+avx512f", &hidden).is_err());
        assert!(with_model("", &hidden).is_err());
        if without_qemu_name(&hidden) == ["hypervisor"] {
            assert_eq!(host(&hidden), format!("-cpu host,-{ssse3}"));
        }
    }
}
