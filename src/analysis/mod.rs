//! Analysis: pure functions from decoded CPUs to findings. No I/O here.

pub mod audit;
pub mod check;
pub mod diff;
pub mod drift;
pub mod evc_transition;
pub mod finding;
pub mod fleet;
pub mod host;
pub mod host_blockers;
pub mod mask_check;
pub mod maskplan;
pub mod setting;
pub mod storage_network;
pub mod vm_clustered;
pub mod vm_cpu;
pub mod vm_placement;
pub mod vm_readiness;
