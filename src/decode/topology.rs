//! Cores and threads per package.

use serde::Serialize;

use super::vendor::Vendor;
use crate::cpuid::CpuLeaves;

/// Cores and logical processors per physical package, as CPUID reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Topology {
    /// Physical cores per package, where CPUID tells.
    pub cores_per_package: Option<u32>,
    /// Logical processors (threads) per package, where CPUID tells.
    pub threads_per_package: Option<u32>,
}

/// Reads the topology of the package the CPU belongs to.
pub fn topology(_cpu: &CpuLeaves, _vendor: Vendor) -> Topology {
    Topology::default()
}
