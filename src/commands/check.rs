//! `vmcompat check FLEET --candidate X [--candidate Y ...]`: would each candidate
//! join its cluster, and what would it cost? A candidate is judged against every
//! cluster of its vendor (or the one `--cluster` names). Exit 0 when every
//! candidate fits without lowering anything, 1 otherwise, 2 on bad input.

use super::{read_named, Outcome};
use crate::analysis::check::{check, Fit, Requirement};
use crate::analysis::fleet::FleetHost;
use crate::decode::{decode_dump, Cpu, Vendor};
use crate::model::policy::Policy;
use crate::render;
use crate::sources::fleet::file;
use crate::util::error::{Error, Result};

/// Runs the command.
pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let mut spec = file::read(&args.fleet)?;
    super::restrict_to_cluster(&mut spec, args.cluster.as_deref())?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let input = super::fleet_input::collect_fleet(&spec, &args.remote.settings(&spec), false);
    let (mut hosts, failed) = (input.hosts, input.failed);
    let choices = super::target::choices(
        &spec,
        &crate::cli::TargetArgs {
            target: args.target,
            ..Default::default()
        },
    );
    for h in &mut hosts {
        let t = super::target::target_of(&choices, h.cluster.as_deref());
        crate::shipped::targets::apply(t, &mut h.cpu, None);
    }
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
    let mut clusters: Vec<Option<String>> = Vec::new();
    for h in &hosts {
        if !clusters.contains(&h.cluster) {
            clusters.push(h.cluster.clone());
        }
    }
    let mut checks = Vec::new();
    for name in &args.candidates {
        let (cpu, is_setting) = candidate_cpu(name)?;
        // The clusters with hosts of its vendor; none: the whole fleet (it does not fit).
        let mine: Vec<&Option<String>> = clusters
            .iter()
            .filter(|c| {
                hosts
                    .iter()
                    .any(|h| &h.cluster == *c && h.cpu.vendor == cpu.vendor)
            })
            .collect();
        let targets: Vec<Option<&Option<String>>> = if mine.is_empty() {
            vec![None]
        } else {
            mine.into_iter().map(Some).collect()
        };
        for cluster in targets {
            let members: Vec<FleetHost> = hosts
                .iter()
                .filter(|h| cluster.map_or(true, |c| &h.cluster == c))
                .cloned()
                .collect();
            let mut cpu = cpu.clone();
            // The candidate as the cluster's guests would see it.
            let t = super::target::target_of(&choices, cluster.and_then(|c| c.as_deref()));
            crate::shipped::targets::apply(t, &mut cpu, None);
            if is_setting {
                // A model or EVC key stands for a host of that class: its features,
                // plus the platform bits no named model carries (invariant TSC,
                // MONITOR, VMX, ...) that every host of the cluster has.
                let common = members
                    .iter()
                    .filter(|h| h.cpu.vendor == cpu.vendor)
                    .map(|h| h.cpu.features)
                    .reduce(|a, b| a.intersection(&b))
                    .unwrap_or_default();
                let platform = common.difference(&crate::analysis::setting::model_universe());
                cpu.features = cpu.features.union(&platform);
            }
            let candidate = FleetHost {
                name: name.clone(),
                cluster: cluster.cloned().flatten(),
                cpu,
            };
            let requirement = match &args.require {
                Some(req) => Some(requirement_for(req, &candidate, &members, policy)?),
                None => None,
            };
            let mut c = check(&members, &candidate, policy, requirement);
            if cluster.is_none() {
                c.cluster = None;
            }
            checks.push(c);
        }
    }
    let output = render::check::CheckOutput {
        checks: &checks,
        require: args.require.as_deref(),
    };
    super::output::report(&output, args.format);
    Ok(if checks.iter().all(|c| c.fit == Fit::Fits) {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}

use crate::cli::CheckArgs;

/// A candidate's CPU: a host, dump or profile (`read_named`), or else an EVC mode
/// key (`intel-icelake`) or a QEMU/libvirt model name (`Icelake-Server-noTSX`)
/// that a shipped baseline follows: then a CPU with exactly that baseline's
/// features (the flag says so).
fn candidate_cpu(name: &str) -> Result<(Cpu, bool)> {
    let dump = match read_named(name) {
        Ok(d) => d,
        Err(e) => match baseline_named(name) {
            Some(b) => return Ok((cpu_of_baseline(&b)?, true)),
            None => {
                return Err(Error::Usage(format!(
                    "{e}; nor is it an EVC mode key or a QEMU/libvirt model name that a shipped baseline follows"
                )))
            }
        },
    };
    decode_dump(&dump)
        .map(|c| (c, false))
        .ok_or_else(|| Error::input(name.to_string(), "the dump holds no logical CPU"))
}

/// The vendor baseline whose name (EVC mode key) or followed model is `name`.
fn baseline_named(name: &str) -> Option<crate::shipped::baselines::Baseline> {
    crate::shipped::baselines::all()
        .ok()?
        .into_iter()
        .find(|b| {
            b.vendor.is_some()
                && (b.name.eq_ignore_ascii_case(name)
                    || crate::analysis::setting::model_of(b)
                        .is_some_and(|m| m.eq_ignore_ascii_case(name)))
        })
}

/// A CPU with exactly the baseline's features (synthesized like a profile).
fn cpu_of_baseline(b: &crate::shipped::baselines::Baseline) -> Result<Cpu> {
    let vendor = b.vendor.unwrap_or(Vendor::Unknown);
    let (vendor_string, signature) = if vendor.is_amd_like() {
        ("AuthenticAMD", 0x0080_0f00)
    } else {
        ("GenuineIntel", 0x0000_0600)
    };
    let profile = crate::shipped::profiles::Profile {
        name: b.name.clone(),
        description: b.description.clone(),
        vendor_string: vendor_string.to_string(),
        vendor,
        signature,
        brand: format!("{} ({})", b.name, b.follows),
        max_basic_leaf: 0xd,
        max_extended_leaf: 0x8000_0008,
        cores: None,
        threads: None,
        physical_address_bits: None,
        virtual_address_bits: None,
        features: b.features,
        notes: String::new(),
        corpus_differences: Default::default(),
    };
    let mut cpu = decode_dump(&profile.dump()).ok_or_else(|| {
        Error::input(
            format!("masks/{}.toml", b.name),
            "the synthesized dump holds no CPU",
        )
    })?;
    cpu.features = b.features;
    Ok(cpu)
}

/// `--require`: a baseline the candidate must meet, or a feature the cluster must
/// keep with the candidate in it (the candidate has it, and so does every host).
fn requirement_for(
    req: &str,
    candidate: &FleetHost,
    members: &[FleetHost],
    policy: Policy,
) -> Result<Requirement> {
    if crate::shipped::baselines::names().iter().any(|n| n == req) {
        return super::baseline_requirement(req, &candidate.cpu);
    }
    let Some(id) = crate::catalog::lookup(req) else {
        return Err(Error::Usage(format!(
            "--require {req:?}: neither a baseline ({}) nor a feature name of the catalog",
            crate::shipped::baselines::names().join(", ")
        )));
    };
    let name = crate::catalog::by_id(id).name;
    let mut missing = Vec::new();
    if !candidate.cpu.features.contains(id) {
        missing.push(format!("the candidate lacks {name}"));
    }
    let lacking: Vec<&str> = members
        .iter()
        .filter(|h| h.cpu.vendor == candidate.cpu.vendor)
        .filter(|h| !policy.compared(&h.cpu).contains(id))
        .map(|h| h.name.as_str())
        .collect();
    if !lacking.is_empty() {
        missing.push(format!(
            "the cluster's own host(s) {} lack {name}, so its VMs cannot use it anyway",
            lacking.join(", ")
        ));
    }
    Ok(Requirement {
        name: name.to_string(),
        met: missing.is_empty(),
        missing,
    })
}
