//! native format.

use crate::cpuid::RawDump;

/// Placeholder until the native writer lands.
pub fn to_toml(_d: &RawDump) -> String {
    String::new()
}
/// Placeholder until the native writer lands.
pub fn to_json(_d: &RawDump) -> String {
    String::new()
}
