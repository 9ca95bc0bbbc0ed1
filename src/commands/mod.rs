//! One file per subcommand, each thin: wire a source to analysis to a renderer.

pub mod audit;
pub mod probe;
pub mod report;

use crate::cli::HostSource;
use crate::cpuid::{self, RawDump};
use crate::error::Result;

/// What a command wants the process to exit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is fine (exit 0).
    Good,
    /// The command found incompatibilities (exit 1).
    Findings,
}

/// Reads the dump a single-host command names: a file, or the local CPU.
pub fn read_host(source: &HostSource) -> Result<RawDump> {
    match &source.dump {
        Some(path) => cpuid::formats::read_file(path),
        None => cpuid::local::probe(),
    }
}
