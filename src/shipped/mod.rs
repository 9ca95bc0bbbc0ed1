//! The data tables shipped inside the binary (see build.rs): CPU profiles
//! (`profiles/`), named baselines (`masks/`), EVC modes (`evc/`) and guest
//! operating systems (`guests/`), each parsed and checked once.

pub mod baselines;
pub mod evc;
pub mod guests;
pub mod profiles;
pub mod targets;
