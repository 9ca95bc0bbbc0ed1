//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use rayon::prelude::*;

use super::Outcome;
use crate::analysis::audit::{audit, FailedHost};
use crate::analysis::fleet::FleetHost;
use crate::cli::AuditArgs;
use crate::decode::decode_dump;
use crate::error::{Error, Result};
use crate::fleet::collect;
use crate::render::{self, OutputFormat};

/// Runs the command. Exit: 0 every group reaches every other (with masks where
/// needed), 1 when not, 2 when a host could not be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let spec = crate::remote::fleet::fleet_spec(args.fleet.as_deref(), &args.ansible_tree)?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = crate::remote::fleet::RemoteSettings::new(&spec.ssh, &args.ssh, args.jobs);
    let collected = collect::collect_with(&spec, &settings);
    let decoded: Vec<std::result::Result<FleetHost, FailedHost>> = collected
        .into_par_iter()
        .map(|c| match c.dump {
            Ok(dump) => match decode_dump(&dump) {
                Some(cpu) => Ok(FleetHost {
                    name: c.spec.name.clone(),
                    cluster: c.spec.cluster.clone(),
                    cpu,
                }),
                None => Err(FailedHost {
                    name: c.spec.name.clone(),
                    cluster: c.spec.cluster.clone(),
                    error: "the dump holds no logical CPU".into(),
                }),
            },
            Err(e) => Err(FailedHost {
                name: c.spec.name.clone(),
                cluster: c.spec.cluster.clone(),
                error: e.to_string(),
            }),
        })
        .collect();
    let (mut hosts, mut failed) = (Vec::new(), Vec::new());
    for d in decoded {
        match d {
            Ok(h) => hosts.push(h),
            Err(f) => failed.push(f),
        }
    }
    let report = audit(&spec.name, &hosts, &failed, policy);
    let text = match args.format {
        OutputFormat::Table => render::audit::render(&report),
        OutputFormat::Json => render::json(&report),
    };
    println!("{}", text.trim_end());
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
