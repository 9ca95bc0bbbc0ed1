//! `vmcompat mask`: the minimal CPUID masks that let the chosen groups migrate
//! between each other (or one direction, or down to a named baseline), verified
//! against every member before they are printed; `--explain` reads mask lines;
//! `--apply` writes the mask into a `.vmx`.

use super::Outcome;
use crate::analysis::fleet::{self, FleetHost};
use crate::analysis::maskplan::{self, MaskPlan};
use crate::cli::{MaskArgs, MaskFormat};
use crate::cpuid::CpuLeaves;
use crate::error::{Error, Result};
use crate::fleet::file;
use crate::mask::verify::CheckedMask;
use crate::mask::{build, explain, verify, vmx, vmx_file};
use crate::render;

/// Runs the command.
pub fn run(args: &MaskArgs) -> Result<Outcome> {
    if let Some(what) = &args.explain {
        return explain_mask(what, args);
    }
    let Some(fleet_path) = &args.fleet else {
        return Err(Error::Usage(
            "give a fleet file (vmcompat mask FLEET.toml), or --explain FILE|LINE".into(),
        ));
    };
    let mut timer = super::PhaseTimer::from_env();
    let mut spec = file::read(fleet_path)?;
    super::restrict_to_cluster(&mut spec, args.cluster.as_deref())?;
    let guests = super::guests_for(&args.guests, &spec)?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let input = super::fleet_input::collect_fleet(
        &spec,
        &super::fleet_input::default_settings(&spec),
        true,
    );
    if let Some(f) = input.failed.first() {
        return Err(Error::Collect {
            host: f.name.clone(),
            message: format!(
                "{}; every host must be collected to compute a mask",
                f.error
            ),
        });
    }
    timer.mark("read, collect and decode");
    let analysis = fleet::analyze(&input.hosts, policy);
    timer.mark("analyze");
    let plan_error = |e: maskplan::PlanError| Error::Usage(e.to_string());
    let opts = maskplan::MaskOptions {
        hide_firmware: args.hide_firmware_features,
    };
    let hosts = &input.hosts;
    let mut unmaskable = 0usize;
    let plans: Vec<MaskPlan> = match (&args.from, &args.to, &args.baseline) {
        (Some(from), Some(to), _) => {
            vec![maskplan::for_direction(&analysis, hosts, from, to, opts).map_err(plan_error)?]
        }
        (Some(_), None, _) | (None, Some(_), _) => {
            return Err(Error::Usage("--from and --to go together".into()))
        }
        (None, None, baseline) => {
            let selections = match &args.groups {
                Some(g) => vec![g.clone()],
                None => super::cluster_selections(&analysis),
            };
            let mut plans = Vec::new();
            for labels in selections {
                let plan = match baseline {
                    Some(name) => {
                        let b = crate::baselines::load(name)?;
                        maskplan::for_baseline(&analysis, hosts, &labels, &b, opts)
                    }
                    None => maskplan::for_groups(&analysis, hosts, &labels, opts),
                };
                match plan {
                    Ok(p) => plans.push(p),
                    // With the default selection (one mask per vendor), a vendor whose
                    // hosts cannot be masked is reported and skipped rather than
                    // failing the others; the exit code says a mask is missing.
                    Err(e @ maskplan::PlanError::BaselineVendor { .. })
                        if args.groups.is_none() =>
                    {
                        eprintln!("note: {e}")
                    }
                    Err(
                        e @ (maskplan::PlanError::MustMatch(_)
                        | maskplan::PlanError::LacksFloor(_)
                        | maskplan::PlanError::NobodyQualifies(_)),
                    ) if args.groups.is_none() => {
                        eprintln!("vmcompat: groups {}: {e}", labels.join(", "));
                        unmaskable += 1;
                    }
                    Err(e) => return Err(plan_error(e)),
                }
            }
            plans
        }
    };
    let mut out = String::new();
    let mut last_mask = None;
    let mut findings = unmaskable > 0;
    for plan in &plans {
        let checked = verified_mask(plan, &input.hosts, &input.leaves, args.format)?;
        findings |= !checked.is_verified() || !plan.firmware_pending.is_empty();
        out.push_str(&super::guest_comment(&guests, &plan.guest, args.format));
        out.push_str(&render::mask::plan(
            plan,
            &checked,
            &input.hosts,
            args.format,
            args.compact,
        ));
        last_mask = Some(checked.mask);
    }
    println!("{}", out.trim_end());
    timer.mark("build, verify and render masks");
    if let Some(vmx_path) = &args.apply {
        let [_] = plans.as_slice() else {
            return Err(Error::Usage(format!(
                "--apply needs exactly one mask, and this selection gives {}: choose groups of one vendor with --groups",
                plans.len()
            )));
        };
        let mask = last_mask.unwrap_or_default();
        let outcome = vmx_file::apply_to_vmx(vmx_path, &mask)?;
        eprintln!("{}", render::mask::applied(vmx_path, &outcome));
    }
    Ok(if findings {
        Outcome::Findings
    } else {
        Outcome::Good
    })
}

/// Builds the plan's mask and checks it against every member's dump
/// (`mask::verify`): a mask that fails its own check is an internal error, never
/// output; a plan that would hide floor features is refused.
pub(crate) fn verified_mask(
    plan: &MaskPlan,
    hosts: &[FleetHost],
    leaves: &[CpuLeaves],
    format: MaskFormat,
) -> Result<CheckedMask> {
    let kind = match format {
        MaskFormat::Featmask => build::MaskKind::FeatMask,
        _ => build::MaskKind::CpuidLines,
    };
    let floor_hidden = plan.hide.intersection(&crate::catalog::floor());
    if !floor_hidden.is_empty() {
        return Err(Error::Usage(format!(
            "refused: the mask would hide {} (the floor of an x86-64 guest)",
            floor_hidden.names().join(" ")
        )));
    }
    let members: Vec<&CpuLeaves> = plan.members.iter().filter_map(|&i| leaves.get(i)).collect();
    let seen = plan
        .members
        .iter()
        .chain(&plan.destinations)
        .filter_map(|&i| hosts.get(i))
        .fold(crate::catalog::FeatureSet::new(), |acc, h| {
            acc.union(&h.cpu.features)
        });
    let absent = crate::catalog::guest_visible().difference(&seen);
    let mask = build::build_for(&plan.hide, &absent, kind);
    let destinations: Vec<crate::catalog::FeatureSet> = plan
        .destinations
        .iter()
        .filter_map(|&d| hosts.get(d))
        .map(maskplan::visible)
        .collect();
    let exp = verify::Expectation {
        requested: &plan.requested,
        pending: &plan.firmware_pending,
        guest: &plan.guest,
        destinations: &destinations,
    };
    match verify::verify_plan(&mask, &members, &exp) {
        Ok(_) => {}
        Err(verify::Failure::FloorHidden(s)) => {
            return Err(Error::Usage(format!(
                "refused: the mask would hide {} (the floor of an x86-64 guest)",
                s.names().join(" ")
            )))
        }
        Err(e) => return Err(Error::Internal(format!("mask withheld: {e}"))),
    }
    let unexpressible = match format {
        MaskFormat::Libvirt => render::libvirt::without_libvirt_name(&plan.hide),
        MaskFormat::Qemu => render::qemu::without_qemu_name(&plan.hide),
        _ => Vec::new(),
    };
    Ok(CheckedMask {
        mask,
        unexpressible,
    })
}

fn explain_mask(what: &str, args: &MaskArgs) -> Result<Outcome> {
    let path = std::path::Path::new(what);
    let (mask, text) = if path.exists() {
        let text = crate::cpuid::formats::read_text(path)?;
        (vmx::parse_vmx(&text, &path.display().to_string())?, text)
    } else {
        (
            vmx::parse_mask(what, "the --explain argument")?,
            what.to_string(),
        )
    };
    // Per-VM EVC: `featureCompat.vm.completeMasks = "TRUE"` makes the lines the
    // whole list of what the guest may see.
    let complete = crate::vms::vmx::parse(&text, "")
        .ok()
        .and_then(|v| v.flag("featureCompat.vm.completeMasks"))
        .unwrap_or(false);
    let e = explain::explain_with(&mask, complete);
    let text = match args.format {
        MaskFormat::Json => render::json(&e),
        _ => render::mask::explanation(&e),
    };
    println!("{}", text.trim_end());
    Ok(Outcome::Good)
}
