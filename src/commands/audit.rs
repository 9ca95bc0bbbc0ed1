//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use super::Outcome;
use crate::analysis::audit::audit;
use crate::cli::AuditArgs;
use crate::error::{Error, Result};
use crate::render::{self, OutputFormat};

/// Runs the command. Exit: 0 every group reaches every other (with masks where
/// needed), 1 when not, 2 when a host could not be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let spec = crate::remote::fleet::fleet_spec(args.fleet.as_deref(), &args.ansible_tree)?;
    timer.mark("read fleet file");
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = crate::remote::fleet::RemoteSettings::new(&spec.ssh, &args.ssh, args.jobs);
    let input = super::fleet_input::collect_fleet(&spec, &settings, false);
    let (hosts, failed) = (input.hosts, input.failed);
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
