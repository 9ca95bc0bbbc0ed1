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
use crate::mask::{apply, build, explain, vmx, vmx_file, CpuidMask};
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
    let spec = file::read(fleet_path)?;
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
    let mut unmaskable = 0usize;
    let plans: Vec<MaskPlan> = match (&args.from, &args.to, &args.baseline) {
        (Some(from), Some(to), _) => {
            vec![maskplan::for_direction(&analysis, from, to).map_err(plan_error)?]
        }
        (Some(_), None, _) | (None, Some(_), _) => {
            return Err(Error::Usage("--from and --to go together".into()))
        }
        (None, None, baseline) => {
            let selections = match &args.groups {
                Some(g) => vec![g.clone()],
                None => maskplan::default_selections(&analysis),
            };
            let mut plans = Vec::new();
            for labels in selections {
                let plan = match baseline {
                    Some(name) => {
                        let b = crate::baselines::load(name)?;
                        maskplan::for_baseline(&analysis, &labels, &b)
                    }
                    None => maskplan::for_groups(&analysis, &labels),
                };
                match plan {
                    Ok(p) => plans.push(p),
                    // With the default selection (one mask per vendor), a vendor whose
                    // hosts cannot be masked is reported and skipped rather than
                    // failing the others; the exit code says a mask is missing.
                    Err(e @ maskplan::PlanError::BaselineVendor { .. })
                        if args.groups.is_none() =>
                    {
                        super::output::note(&format!("note: {e}"))
                    }
                    Err(
                        e @ (maskplan::PlanError::MustMatch(_)
                        | maskplan::PlanError::NobodyQualifies(_)),
                    ) if args.groups.is_none() => {
                        super::output::note(&format!(
                            "vmcompat: groups {}: {e}",
                            labels.join(", ")
                        ));
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
    // JSON: one document, an array with one object per mask (one per vendor by
    // default), never several documents one after another.
    let mut documents: Vec<serde_json::Value> = Vec::new();
    for plan in &plans {
        let mask = verified_mask(plan, &input.hosts, &input.leaves, args.format)?;
        let rendered = render::mask::plan(plan, &mask, &input.hosts, args.format, args.compact);
        if args.format == MaskFormat::Json {
            documents.push(
                serde_json::from_str(&rendered)
                    .map_err(|e| Error::Usage(format!("internal error: mask JSON: {e}")))?,
            );
        } else {
            out.push_str(&rendered);
        }
        last_mask = Some(mask);
    }
    if args.format == MaskFormat::Json {
        out = render::json(&documents);
    }
    if args.format == MaskFormat::Json {
        super::output::json(&out);
    } else {
        super::output::text_unwrapped(&out);
    }
    timer.mark("build, verify and render masks");
    if let Some(vmx_path) = &args.apply {
        let [_] = plans.as_slice() else {
            return Err(Error::Usage(format!(
                "--apply needs exactly one mask, and this selection gives {}: choose groups of one vendor with --groups",
                plans.len()
            )));
        };
        let mask = last_mask.unwrap_or_default();
        let outcome = vmx_file::apply_to_vmx_forced(vmx_path, &mask, args.force)?;
        super::output::note(&render::mask::applied(vmx_path, &outcome));
    }
    Ok(if unmaskable == 0 {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}

/// Builds the plan's mask and checks it against every member's dump: a mask that
/// fails its own check is an error, never output.
pub(crate) fn verified_mask(
    plan: &MaskPlan,
    hosts: &[FleetHost],
    leaves: &[CpuLeaves],
    format: MaskFormat,
) -> Result<CpuidMask> {
    let kind = match format {
        MaskFormat::Featmask => build::MaskKind::FeatMask,
        _ => build::MaskKind::CpuidLines,
    };
    let members: Vec<&CpuLeaves> = plan.members.iter().filter_map(|&i| leaves.get(i)).collect();
    let internal =
        |what: String| Error::Usage(format!("internal check failed, mask withheld: {what}"));
    let (mask, guest) =
        build::build_verified(&plan.hide, kind, &members).map_err(|e| internal(e.to_string()))?;
    for &d in &plan.destinations {
        let Some(dest) = hosts.get(d) else { continue };
        let lacking = guest.difference(&dest.cpu.compared_features());
        if !lacking.is_empty() {
            return Err(internal(format!(
                "masked guests would still see {} that {} lacks",
                lacking.names().join(" "),
                dest.name
            )));
        }
    }
    // Every member's guest sees exactly what the plan promised.
    if let Some(first) = members.first() {
        let seen = apply::guest_features(&mask, first);
        if seen != plan.guest {
            return Err(internal(format!(
                "guests would see {} where the plan says {}",
                seen.difference(&plan.guest).names().join(" "),
                plan.guest.difference(&seen).names().join(" ")
            )));
        }
    }
    Ok(mask)
}

fn explain_mask(what: &str, args: &MaskArgs) -> Result<Outcome> {
    let path = std::path::Path::new(what);
    // A file when it exists, or when it looks like a path rather than a mask line
    // (then a missing file is named as such, not called "not a mask line").
    let looks_like_path = !what.contains('=') && (what.contains('/') || what.ends_with(".vmx"));
    let mask = if path.exists() || looks_like_path || what == crate::local_file::STDIN {
        // Bytes, not UTF-8 text: a .vmx may be windows-1252 (`.encoding`), and
        // mask lines are ASCII; `--apply` and `vms` read such files too.
        let bytes = crate::local_file::read_bytes(path, vmx_file::MAX_VMX_BYTES)?;
        vmx::parse_vmx(
            &String::from_utf8_lossy(&bytes),
            &crate::local_file::origin(path),
        )?
    } else {
        vmx::parse_mask(what, "the --explain argument")?
    };
    if let Some(name) = explain::unknown_featmask_names(&mask).first() {
        let key = format!("featMask.vm.cpuid.{name}");
        let message = format!(
            "{key}: unknown featMask name; expected a feature's VMware name (e.g. AVX512F, NX, SSE3) \
             or one of {} (`vmcompat mask --explain` knows the catalog's names)",
            explain::VMWARE_VALUE_KEYS.join(", ")
        );
        return Err(if path.exists() {
            let bytes = crate::local_file::read_bytes(path, vmx_file::MAX_VMX_BYTES)?;
            let text = String::from_utf8_lossy(&bytes);
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start()
                        .to_ascii_lowercase()
                        .starts_with(&key.to_ascii_lowercase())
                })
                .map_or(1, |i| i + 1);
            Error::at_line(crate::local_file::origin(path), line, message)
        } else {
            Error::input("the --explain argument", message)
        });
    }
    let e = explain::explain(&mask);
    let text = match args.format {
        MaskFormat::Json => render::json(&e),
        _ => render::mask::explanation(&e),
    };
    super::output::print(&text, args.format == MaskFormat::Json);
    Ok(Outcome::Good)
}
