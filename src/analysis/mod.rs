//! Analysis: pure functions from decoded CPUs to findings. No I/O here.

pub mod audit;
pub mod check;
pub mod diff;
pub mod fleet;
pub mod host;
pub mod maskplan;
pub mod setting;
pub mod storage_network;
pub mod vm_readiness;
