//! The XSAVE component table (`src/catalog/xsave.rs`) against
//! `../shared/reference/xsave_components.tsv`.

mod common;

use vmcompat::catalog::{self, XsaveRegister, XSAVE_COMPONENTS};

#[test]
fn xsave_components_match_the_reference() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let rows = common::read_tsv(&shared.join("reference/xsave_components.tsv"));
    assert!(rows.len() >= 19, "reference has {} rows", rows.len());
    for row in &rows {
        let bit: u8 = row["xcomp_bit"].parse().expect("xcomp_bit is a number");
        let comp = catalog::xsave_component(bit)
            .unwrap_or_else(|| panic!("component {bit} missing from XSAVE_COMPONENTS"));
        let register = match row["register"].as_str() {
            "XCR0" => XsaveRegister::Xcr0,
            "IA32_XSS" => XsaveRegister::Xss,
            other => panic!("unknown register {other}"),
        };
        assert_eq!(comp.register, register, "component {bit}");
        // The first gating name ("XSAVE (and FPU)", "SHSTK/IBT", "AMX_TILE (+XFD)").
        let gate = row["gating_feature"]
            .split([' ', '/', '('])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            comp.owners.contains(&gate.as_str()),
            "component {bit}: reference gates it on {gate}, table says {:?}",
            comp.owners
        );
        // Where the catalog defines the gating feature, it sits at the reference's bit.
        let Some(id) = catalog::lookup(&gate) else {
            eprintln!("NOTE: catalog does not define {gate} yet (component {bit})");
            continue;
        };
        let loc = catalog::by_id(id).loc;
        let want = row["gating_cpuid"].as_str();
        let got = format!("0x{:x}.{}.{}[{}]", loc.leaf, loc.subleaf, loc.reg, loc.bit);
        assert_eq!(got, want, "gating feature {gate} of component {bit}");
    }
    assert_eq!(
        XSAVE_COMPONENTS.len(),
        rows.len(),
        "table and reference list the same components"
    );
}
