//! The compatibility policy: which rules decide whether two hosts are compatible.

use serde::Serialize;

use crate::catalog::{id, FeatureId, FeatureSet};
use crate::decode::Cpu;

/// Which rules decide whether two hosts are compatible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// What vSphere EVC does today: vendor must match, family may differ, every
    /// migration-relevant feature bit counts.
    #[default]
    Evc,
    /// The classic ESX 3 rules: vendor and family must match; only SSE3, NX/XD and
    /// VT-x/AMD-V are compared.
    Esx3,
}

/// The features compared under the ESX 3 policy.
const ESX3_FEATURES: &[FeatureId] = &[id::PNI, id::NX, id::VMX, id::SVM];

impl Policy {
    /// The features of `cpu` this policy compares.
    pub fn compared(self, cpu: &Cpu) -> FeatureSet {
        let all = cpu.compared_features();
        match self {
            Policy::Evc => all,
            Policy::Esx3 => ESX3_FEATURES
                .iter()
                .copied()
                .filter(|f| all.contains(*f))
                .collect(),
        }
    }
}
