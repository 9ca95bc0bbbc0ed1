//! The libvirt `<cpu>` element that hides a set of features from a guest.
//!
//! `<feature policy='disable' name='…'/>` for each hidden feature, in libvirt's
//! spelling ([`FeatureDef::libvirt_name`](crate::catalog::FeatureDef::libvirt_name));
//! hidden features libvirt has no name for are listed in an XML comment, because
//! libvirt cannot hide them and the reader must know.

use crate::catalog::{self, FeatureSet};

/// `<cpu mode='host-model' check='partial'>` with one disabled feature per
/// hidden feature: the host's CPU, less what the fleet cannot offer.
pub fn host_model(hidden: &FeatureSet) -> String {
    element("<cpu mode='host-model' check='partial'>\n", hidden)
}

/// `<cpu mode='custom' match='exact' check='partial'>` on the named libvirt model
/// (`Haswell`, `EPYC-Rome`, …), with `fallback='forbid'`, less the hidden features.
pub fn with_model(model: &str, hidden: &FeatureSet) -> String {
    let head = format!(
        "<cpu mode='custom' match='exact' check='partial'>\n  <model fallback='forbid'>{}</model>\n",
        super::esc(model)
    );
    element(&head, hidden)
}

/// Canonical names of hidden features that libvirt has no spelling for.
pub fn without_libvirt_name(hidden: &FeatureSet) -> Vec<&'static str> {
    hidden
        .iter()
        .map(catalog::by_id)
        .filter(|d| d.libvirt_name().is_none())
        .map(|d| d.name)
        .collect()
}

fn element(head: &str, hidden: &FeatureSet) -> String {
    let mut out = String::from(head);
    for def in hidden.iter().map(catalog::by_id) {
        if let Some(name) = def.libvirt_name() {
            out.push_str(&format!(
                "  <feature policy='disable' name='{}'/>\n",
                super::esc(name)
            ));
        }
    }
    let unnamed = without_libvirt_name(hidden);
    if !unnamed.is_empty() {
        // "--" may not appear inside an XML comment.
        let list = unnamed.join(" ").replace("--", "- -");
        out.push_str(&format!(
            "  <!-- libvirt has no name for these hidden features; they stay visible: {list} -->\n"
        ));
    }
    out.push_str("</cpu>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_model_disables_each_feature() {
        let xml = host_model(&FeatureSet::from_names(&["pni", "ssse3"]).expect("catalog names"));
        let pni = catalog::lookup("pni").map(catalog::by_id);
        let pni_name = pni.and_then(|d| d.libvirt_name()).unwrap_or("pni");
        assert!(xml.starts_with("<cpu mode='host-model' check='partial'>\n"));
        assert!(xml.contains(&format!(
            "  <feature policy='disable' name='{pni_name}'/>\n"
        )));
        assert!(xml.contains("name='ssse3'"));
        assert!(xml.ends_with("</cpu>\n"));
        assert!(!xml.contains("<!--"));
    }

    #[test]
    fn named_model_and_unnamed_features() {
        // hypervisor has no QEMU (hence no libvirt) name in the seed catalog.
        let hidden = FeatureSet::from_names(&["ssse3", "hypervisor"]).expect("catalog names");
        let xml = with_model("Haswell<x>", &hidden);
        assert!(xml.contains("<model fallback='forbid'>Haswell&lt;x&gt;</model>"));
        assert!(xml.starts_with("<cpu mode='custom' match='exact' check='partial'>"));
        if without_libvirt_name(&hidden) == ["hypervisor"] {
            assert!(xml.contains("<!-- libvirt has no name for these hidden features; they stay visible: hypervisor -->"));
        }
        assert_eq!(
            host_model(&FeatureSet::new()),
            "<cpu mode='host-model' check='partial'>\n</cpu>\n"
        );
    }
}
