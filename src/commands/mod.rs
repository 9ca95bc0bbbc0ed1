//! One file per subcommand, each thin: wire a source to analysis to a renderer.

pub mod audit;
pub mod diff;
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
    if let Some(host) = &source.host {
        return crate::remote::read_cli_host(host, source.esxi, &source.ssh);
    }
    match &source.dump {
        Some(path) => cpuid::formats::read_file(path),
        None => cpuid::local::probe(),
    }
}

/// Resolves a host argument of `diff` and `check`: `local` (this machine), a dump
/// file, or the name of a shipped profile.
pub fn read_named(arg: &str) -> Result<RawDump> {
    if arg == "local" {
        return cpuid::local::probe();
    }
    let path = std::path::Path::new(arg);
    if path.exists() {
        return cpuid::formats::read_file(path);
    }
    crate::profiles::load(arg).map_err(|_| {
        crate::error::Error::Usage(format!(
            "{arg:?} is neither a file nor a profile name (`vmcompat profiles` lists them; `local` means this machine)"
        ))
    })
}
