//! One file per subcommand, each thin: wire a source to analysis to a renderer.

pub mod audit;
pub mod check;
pub mod completions;
pub mod diff;
pub mod fleet_input;
pub mod mask;
pub mod output;
pub mod probe;
pub mod profiles;
pub mod report;
pub mod vms;

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
    if path.exists() || crate::local_file::is_stdin(path) {
        return cpuid::formats::read_file(path);
    }
    crate::profiles::load(arg).map_err(|_| {
        crate::error::Error::Usage(format!(
            "{arg:?} is neither a file nor a profile name (`vmcompat profiles` lists them; `local` means this machine)"
        ))
    })
}

/// Whether a CPU meets a named baseline (from `masks/`), for `--require`.
pub fn baseline_requirement(
    name: &str,
    cpu: &crate::decode::Cpu,
) -> Result<crate::analysis::check::Requirement> {
    let baseline = crate::baselines::load(name)?;
    let mut missing: Vec<String> = crate::baselines::required_of_host(&baseline)
        .difference(&cpu.features)
        .names()
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(v) = baseline.vendor.filter(|v| *v != cpu.vendor) {
        missing.insert(
            0,
            format!(
                "(vendor: the baseline is for {v}, the host is {})",
                cpu.maker()
            ),
        );
    }
    let met = crate::baselines::qualifies(&cpu.features, cpu.vendor, &baseline);
    Ok(crate::analysis::check::Requirement {
        name: baseline.name,
        met,
        missing,
    })
}

/// Phase timings on standard error when `VMCOMPAT_TIMING=1`: for benchmarks, so a
/// figure can be split into reading, collecting, analysing and rendering.
pub struct PhaseTimer {
    last: Option<std::time::Instant>,
}

impl PhaseTimer {
    /// A timer that prints only when `VMCOMPAT_TIMING=1`.
    pub fn from_env() -> PhaseTimer {
        let on = std::env::var("VMCOMPAT_TIMING").is_ok_and(|v| v == "1");
        PhaseTimer {
            last: on.then(std::time::Instant::now),
        }
    }

    /// Prints the time since the previous mark, labelled.
    pub fn mark(&mut self, phase: &str) {
        if let Some(last) = self.last {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {phase}: {:.1} ms",
                (now - last).as_secs_f64() * 1e3
            );
            self.last = Some(now);
        }
    }
}
