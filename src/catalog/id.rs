//! Typed identifiers of the catalog's features, generated from the table by
//! build.rs: `id::PNI`, `id::AVX512F`, `id::_3DNOW` (names starting with a
//! digit get a leading `_`). Code names a feature by one of these, so a typo
//! fails to compile; strings are looked up only where they come from outside
//! (files, the command line) and then an unknown name is an error.

use super::featureset::FeatureId;
use super::table::TABLE;

include!(concat!(env!("OUT_DIR"), "/feature_ids.rs"));

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// The generated identifiers and the table agree, row by row (checked when
// compiling: a table the generator misread does not build).
const _: () = {
    assert!(GENERATED_NAMES.len() == TABLE.len());
    let mut i = 0;
    while i < TABLE.len() {
        assert!(same(GENERATED_NAMES[i], TABLE[i].name));
        i += 1;
    }
};
