//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use super::Outcome;
use crate::analysis::audit::audit;
use crate::cli::AuditArgs;
use crate::error::{Error, Result};
use crate::fleet::file;
use crate::render::{self, OutputFormat};

/// Runs the command. Exit: 0 every group reaches every other (with masks where
/// needed), 1 when not, 2 when a host could not be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let spec = file::read(&args.fleet)?;
    timer.mark("read fleet file");
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let (hosts, failed) = super::fleet_input::collect_and_decode(&spec);
    timer.mark("collect and decode");
    let report = audit(&spec.name, &hosts, &failed, policy);
    timer.mark("analyze");
    let text = match args.format {
        OutputFormat::Table => render::audit::render(&report),
        OutputFormat::Json => render::json(&report),
    };
    println!("{}", text.trim_end());
    timer.mark("render");
    if let Some(path) = &args.html {
        let html = render::html::render(&report, &[]);
        super::probe::write_atomically(path, html.as_bytes())?;
    }
    if !failed.is_empty() {
        return Err(Error::Collect {
            host: failed
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            message: format!(
                "{} host(s) could not be collected (see the table above)",
                failed.len()
            ),
        });
    }
    Ok(if report.cpu.all_reachable() {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}
