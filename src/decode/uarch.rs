//! Microarchitecture names from vendor, family and model.

use super::vendor::Vendor;

/// The microarchitecture (codename) of a part, where the table knows it.
pub fn microarchitecture(
    _vendor: Vendor,
    _family: u32,
    _model: u32,
    _stepping: u32,
) -> Option<&'static str> {
    None
}
