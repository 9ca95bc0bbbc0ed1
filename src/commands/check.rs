//! `vmcompat check FLEET --candidate X [--candidate Y ...]`: would each candidate
//! join the fleet, and what would it cost? Exit 0 when every candidate fits
//! without lowering anything, 1 otherwise, 2 on bad input.

use super::{read_named, Outcome};
use crate::analysis::check::{check, Fit};
use crate::analysis::fleet::FleetHost;
use crate::cli::CheckArgs;
use crate::decode::decode_dump;
use crate::error::{Error, Result};
use crate::fleet::file;
use crate::render::{self, OutputFormat};

/// Runs the command.
pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let spec = file::read(&args.fleet)?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let (hosts, failed) = super::fleet_input::collect_and_decode(&spec);
    if let Some(f) = failed.first() {
        return Err(Error::Collect {
            host: f.name.clone(),
            message: format!(
                "{}; the fleet must be complete to judge a candidate ({} host(s) failed)",
                f.error,
                failed.len()
            ),
        });
    }
    let mut checks = Vec::new();
    for name in &args.candidates {
        let dump = read_named(name)?;
        let cpu = decode_dump(&dump)
            .ok_or_else(|| Error::input(name.clone(), "the dump holds no logical CPU"))?;
        let candidate = FleetHost {
            name: name.clone(),
            cluster: None,
            cpu,
        };
        let requirement = match &args.require {
            Some(req) => Some(super::baseline_requirement(req, &candidate.cpu)?),
            None => None,
        };
        checks.push(check(&hosts, &candidate, policy, requirement));
    }
    let text = match args.format {
        OutputFormat::Table => render::check::render(&checks),
        OutputFormat::Json => render::json(&checks),
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    Ok(if checks.iter().all(|c| c.fit == Fit::Fits) {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}
