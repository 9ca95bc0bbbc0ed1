//! vmcompat: can a running VM move from this x86 host to that one, and if not,
//! what exactly must change?
//!
//! Data flows one way: a source produces a [`cpuid::RawDump`]; [`decode`] turns it,
//! through the feature [`catalog`], into a [`decode::Cpu`]; [`analysis`] compares
//! CPUs; [`render`] formats results; [`commands`] wire these together for the CLI.
//! Analysis never does I/O; sources never format output.

pub mod analysis;
pub mod atomic_file;
pub mod baselines;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod cpuid;
pub mod decode;
pub mod error;
pub mod evc;
pub mod facts;
pub mod fleet;
pub mod guests;
pub mod local_file;
pub mod mask;
pub mod profiles;
pub mod remote;
pub mod render;
pub mod safe_text;
pub mod targets;
pub mod vms;

pub use error::{Error, Result};
