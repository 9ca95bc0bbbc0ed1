//! The feature catalog: the single source of truth for every CPUID feature bit.
//!
//! Each entry names one bit (canonical name = the Linux `/proc/cpuinfo` spelling
//! where the kernel has one), its aliases in other tools, its location, its
//! migration class, and the features it requires. The data lives in
//! [`table`]; this module gives typed lookup, feature sets and dependency closure.
//! Nothing else in the crate spells out a feature name or bit location.

mod def;
mod family;
mod featureset;
pub mod id;
mod lookup;
mod mirror;
mod numeric;
mod table;
#[cfg(test)]
mod tests;
mod vmware;
mod xsave;

pub use def::{BitLoc, Class, FeatureDef};
pub use family::{family, Family};
pub use featureset::{FeatureId, FeatureSet, UnknownFeature};
pub use lookup::{
    all, by_id, by_location, canonical, closure_of_dependents, compared_classes, floor,
    guest_visible, kept_edge, lookup, of_class, psabi_level_features, registers, FeatureNameError,
    RegisterBits, KEPT_EDGES,
};
pub use mirror::{amd_mirrored_leaf1_edx_mask, AMD_MIRRORED_LEAF1_EDX};
pub use numeric::{NumericField, NUMERIC_FIELDS};
pub use vmware::{vmware_name, vmware_spelling, VmwareName, VmwareValue};
pub use xsave::{
    xsave_component, xsave_component_at, XsaveComponent, XsaveRegister, XSAVE_COMPONENTS,
};
