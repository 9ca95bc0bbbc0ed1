//! Storage and network facts of a host: read over SSH from Linux and ESXi
//! hosts, or declared in the fleet file. The types are [`crate::model::facts`].

pub mod collect;
pub mod declared;
pub mod esxi;
pub mod linux;
pub mod script;
pub mod table;
