//! Virtual machines as their hosts hold them: `.vmx` files read from a local
//! directory or over SSH from ESXi hosts, and the tail of each `vmware.log`.
//! The types are [`crate::model::vm`]; the checks live in [`crate::analysis`].

pub mod inventory;
pub mod runlog;
