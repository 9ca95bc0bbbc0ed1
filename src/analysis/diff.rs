//! Named differences between two CPUs, both directions, with the migration
//! verdict each way.

use serde::Serialize;

use super::fleet::{self, FleetHost, Verdict};
use crate::catalog::{self, FeatureSet, NUMERIC_FIELDS};
use crate::model::policy::Policy;

/// A numeric CPUID field whose value differs.
#[derive(Debug, Clone, Serialize)]
pub struct NumericDifference {
    /// Field name.
    pub field: &'static str,
    /// What it means.
    pub description: &'static str,
    /// Value on A.
    pub a: u32,
    /// Value on B.
    pub b: u32,
}

/// The differences between A and B.
#[derive(Debug, Clone, Serialize)]
pub struct CpuDiff {
    /// A's name.
    pub a: String,
    /// B's name.
    pub b: String,
    /// Vendors, when they differ.
    pub vendor: Option<(String, String)>,
    /// Display families, when they differ.
    pub family: Option<(u32, u32)>,
    /// Compared features A has and B lacks.
    #[serde(serialize_with = "names")]
    pub only_a: FeatureSet,
    /// Compared features B has and A lacks.
    #[serde(serialize_with = "names")]
    pub only_b: FeatureSet,
    /// Informational or per-VM bits that differ (shown, never a blocker).
    #[serde(serialize_with = "names")]
    pub uncompared: FeatureSet,
    /// Numeric fields that differ.
    pub numeric: Vec<NumericDifference>,
    /// Can a VM powered on at A move to B?
    pub a_to_b: Verdict,
    /// Can a VM powered on at B move to A?
    pub b_to_a: Verdict,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

impl CpuDiff {
    /// True when A and B are interchangeable both ways with no mask.
    pub fn is_equivalent(&self) -> bool {
        self.a_to_b == Verdict::Yes && self.b_to_a == Verdict::Yes
    }
}

/// Compares two CPUs under a policy. `numeric` holds the raw numeric fields of
/// each side (from [`numeric_fields`]).
pub fn diff(a: &FleetHost, b: &FleetHost, numeric: (&[u32], &[u32]), policy: Policy) -> CpuDiff {
    let fa = a.cpu.compared_features();
    let fb = b.cpu.compared_features();
    let all_a = a.cpu.features;
    let all_b = b.cpu.features;
    let uncompared = all_a
        .union(&all_b)
        .difference(&all_a.intersection(&all_b))
        .difference(&fa.union(&fb));
    let analysis = fleet::analyze(&[a.clone(), b.clone()], policy);
    let (ga, gb) = (analysis.host_group[0], analysis.host_group[1]);
    let numeric = NUMERIC_FIELDS
        .iter()
        .zip(numeric.0.iter().zip(numeric.1.iter()))
        .filter(|(_, (x, y))| x != y)
        .map(|(f, (x, y))| NumericDifference {
            field: f.name,
            description: f.description,
            a: *x,
            b: *y,
        })
        .collect();
    CpuDiff {
        a: a.name.clone(),
        b: b.name.clone(),
        vendor: (a.cpu.vendor != b.cpu.vendor)
            .then(|| (a.cpu.maker().to_string(), b.cpu.maker().to_string())),
        family: (a.cpu.signature.family != b.cpu.signature.family)
            .then_some((a.cpu.signature.family, b.cpu.signature.family)),
        only_a: fa.difference(&fb),
        only_b: fb.difference(&fa),
        uncompared,
        numeric,
        a_to_b: analysis.matrix[ga][gb].clone(),
        b_to_a: analysis.matrix[gb][ga].clone(),
    }
}

/// The numeric fields of the catalog, read from a CPU's leaves (0 where absent).
pub fn numeric_fields(cpu: &crate::cpuid::CpuLeaves) -> Vec<u32> {
    NUMERIC_FIELDS
        .iter()
        .map(|f| f.extract(cpu.get_or_zero(f.leaf, f.subleaf).get(f.reg)))
        .collect()
}

/// A one-line description of a feature for people: name and what it is.
pub fn describe(id: catalog::FeatureId) -> String {
    let d = catalog::by_id(id);
    format!("{:<18} {}", d.name, d.description)
}
