//! `vmcompat mask`: the minimal CPUID masks that let the chosen groups migrate
//! between each other (or one direction, or down to a named baseline), verified
//! against every member before they are printed; `--explain` reads mask lines;
//! `--apply` writes the mask into a `.vmx`.

use super::Outcome;
use crate::analysis::cpumodel;
use crate::analysis::fleet::{self, FleetHost};
use crate::analysis::mask_check::{self, MaskRefusal};
use crate::analysis::maskplan::{self, MaskPlan};
use crate::cli::MaskArgs;
use crate::cpuid::CpuLeaves;
use crate::mask::verify::CheckedMask;
use crate::mask::{build, explain, vmx, vmx_file};
use crate::render;
use crate::render::mask::MaskFormat;
use crate::sources::fleet::file;
use crate::util::error::{Error, Result};

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
    let mut input = super::fleet_input::collect_fleet(&spec, &args.remote.settings(&spec), true);
    let choices = super::target::choices(&spec, &args.target);
    super::target::apply_views(&mut input, &choices);
    let versions = super::target::versions(&args.target)?;
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
                        let b = crate::shipped::baselines::load(name)?;
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
                        super::output::note(&format!("note: {e}"))
                    }
                    Err(
                        e @ (maskplan::PlanError::MustMatch(_)
                        | maskplan::PlanError::LacksFloor(_)
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
    let mut findings = unmaskable > 0;
    // Clusters with Intel and AMD hosts: cold migration only, unless --cross-vendor.
    for (cluster, members) in mixed_vendor_clusters(&input.hosts) {
        let name = cluster.as_deref().unwrap_or("-");
        if !args.target.cross_vendor {
            super::output::note(&format!(
                "note: cluster {name}: {}",
                cpumodel::CROSS_VENDOR_BLOCKER
            ));
            continue;
        }
        if !matches!(
            args.format,
            MaskFormat::Qemu | MaskFormat::Libvirt | MaskFormat::Proxmox
        ) {
            return Err(Error::Usage(
                "--cross-vendor is for KVM targets: use --format qemu, libvirt or proxmox".into(),
            ));
        }
        let sets: Vec<_> = members
            .iter()
            .map(|&h| maskplan::visible(&input.hosts[h]))
            .collect();
        let (common, union) = cpumodel::cross_vendor_common(&sets);
        let hide = union.difference(&common);
        let empty = crate::catalog::FeatureSet::new();
        let want = cpumodel::Want {
            vendor: input.hosts[members[0]].cpu.vendor,
            guest: &common,
            where_present: &empty,
            hide: &hide,
            cross_vendor: true,
        };
        let k = cpumodel::plan_all(&want, versions, name)?;
        let mut notes = vec![
            format!(
                "vmcompat cross-vendor setting for cluster {name} ({} hosts, Intel and AMD): \
                 guests see the {} features both vendors share",
                members.len(),
                common.len()
            ),
            cpumodel::CROSS_VENDOR_WARNING.to_string(),
        ];
        let kind = render::mask::setting_of(args.format).ok_or_else(|| {
            Error::Usage(
                "--cross-vendor is for KVM targets: use --format qemu, libvirt or proxmox".into(),
            )
        })?;
        notes.extend(render::cpumodel::notes(kind, &k));
        let (open, close) = if args.format == MaskFormat::Libvirt {
            ("<!-- ", " -->")
        } else {
            ("# ", "")
        };
        for n in notes {
            out.push_str(&format!("{open}{}{close}\n", n.replace("--", "- -")));
        }
        out.push_str(&render::cpumodel::body(kind, &k));
        out.push('\n');
        findings = true;
    }
    let mut last_mask = None;
    // JSON: one document, an array with one object per mask (one per cluster and
    // vendor by default), never several documents one after another.
    let mut documents: Vec<serde_json::Value> = Vec::new();
    let crossed: Vec<Option<String>> = if args.target.cross_vendor {
        mixed_vendor_clusters(&input.hosts)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    } else {
        Vec::new()
    };
    for plan in &plans {
        let cluster = plan
            .members
            .first()
            .and_then(|&h| input.hosts.get(h))
            .map(|h| h.cluster.clone());
        if cluster.is_some_and(|c| crossed.contains(&c)) {
            continue;
        }
        let mut checked = verified_mask(plan, &input.hosts, &input.leaves, args.format)?;
        let kvm = match args.format {
            MaskFormat::Qemu | MaskFormat::Libvirt | MaskFormat::Proxmox | MaskFormat::Json => {
                let want = cpumodel::Want {
                    vendor: plan.vendor,
                    guest: &plan.guest,
                    where_present: &plan.firmware_pending,
                    hide: &plan.hide,
                    cross_vendor: false,
                };
                let id = plan
                    .groups
                    .first()
                    .map_or("fleet", |g| g.split('/').next().unwrap_or(g));
                let k = cpumodel::plan_all(&want, versions, id)?;
                let unexpressible = match args.format {
                    MaskFormat::Qemu => k.qemu.as_ref().map(|c| c.unexpressible),
                    MaskFormat::Libvirt => k.libvirt.as_ref().map(|c| c.unexpressible),
                    MaskFormat::Proxmox => k.proxmox.as_ref().map(|c| c.unexpressible),
                    // JSON carries the VMX lines (verified as such) and the models.
                    _ => Some(crate::catalog::FeatureSet::new()),
                };
                match unexpressible {
                    Some(u) => checked.unexpressible = u.names(),
                    None => checked.unexpressible = plan.hide.names(),
                }
                Some(k)
            }
            _ => None,
        };
        findings |= !checked.is_verified() || !plan.firmware_pending.is_empty();
        let rendered = render::mask::plan_with(
            plan,
            &checked,
            &input.hosts,
            args.format,
            args.compact,
            kvm.as_ref(),
        );
        if args.format == MaskFormat::Json {
            documents.push(serde_json::from_str(&rendered).map_err(|e| {
                Error::Internal(format!("the mask's JSON does not read back: {e}"))
            })?);
        } else {
            out.push_str(&super::target_comment(&choices, args.format));
            out.push_str(&super::guest_comment(&guests, &plan.guest, args.format));
            out.push_str(&rendered);
        }
        last_mask = Some(checked.mask);
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
    Ok(if findings {
        Outcome::Findings
    } else {
        Outcome::Good
    })
}

/// Clusters whose hosts are of more than one vendor, with their hosts' indices.
fn mixed_vendor_clusters(hosts: &[FleetHost]) -> Vec<(Option<String>, Vec<usize>)> {
    let mut clusters: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        match clusters.iter_mut().find(|(c, _)| *c == h.cluster) {
            Some((_, v)) => v.push(i),
            None => clusters.push((h.cluster.clone(), vec![i])),
        }
    }
    clusters
        .into_iter()
        .filter(|(_, v)| {
            v.iter()
                .any(|&i| hosts[i].cpu.vendor != hosts[v[0]].cpu.vendor)
        })
        .collect()
}

/// The mask of `plan` for `format`, verified ([`mask_check::verified_mask`]).
/// QEMU, libvirt and Proxmox output a named model: what it cannot express is
/// found by the planner (`crate::analysis::cpumodel`), in `run`.
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
    let mask = mask_check::verified_mask(plan, hosts, leaves, kind).map_err(|e| match e {
        MaskRefusal::FloorHidden(_) => Error::Usage(e.to_string()),
        MaskRefusal::Withheld(_) => Error::Internal(e.to_string()),
    })?;
    let _ = format;
    Ok(CheckedMask {
        mask,
        unexpressible: Vec::new(),
    })
}

fn explain_mask(what: &str, args: &MaskArgs) -> Result<Outcome> {
    let path = std::path::Path::new(what);
    // A file when it exists, or when it looks like a path rather than a mask line
    // (then a missing file is named as such, not called "not a mask line").
    let looks_like_path = !what.contains('=') && (what.contains('/') || what.ends_with(".vmx"));
    let (mask, text) = if path.exists() || looks_like_path || what == crate::util::local_file::STDIN
    {
        // Bytes, not UTF-8 text: a .vmx may be windows-1252 (`.encoding`), and
        // mask lines are ASCII; `--apply` and `vms` read such files too.
        let bytes = crate::util::local_file::read_bytes(path, vmx_file::MAX_VMX_BYTES)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (
            vmx::parse_vmx(&text, &crate::util::local_file::origin(path))?,
            text,
        )
    } else {
        (
            vmx::parse_mask(what, "the --explain argument")?,
            what.to_string(),
        )
    };
    if let Some(name) = explain::unknown_featmask_names(&mask).first() {
        let key = format!("featMask.vm.cpuid.{name}");
        let message = format!(
            "{key}: unknown featMask name; expected a feature's VMware name (e.g. AVX512F, NX, SSE3) \
             or one of {} (`vmcompat mask --explain` knows the catalog's names)",
            explain::VMWARE_VALUE_KEYS.join(", ")
        );
        return Err(if path.exists() {
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start()
                        .to_ascii_lowercase()
                        .starts_with(&key.to_ascii_lowercase())
                })
                .map_or(1, |i| i + 1);
            Error::at_line(crate::util::local_file::origin(path), line, message)
        } else {
            Error::input("the --explain argument", message)
        });
    }
    // Per-VM EVC: `featureCompat.vm.completeMasks = "TRUE"` makes the lines the
    // whole list of what the guest may see.
    let complete = crate::model::vmx::parse(&text, "")
        .ok()
        .and_then(|v| v.flag("featureCompat.vm.completeMasks"))
        .unwrap_or(false);
    let e = explain::explain_with(&mask, complete);
    let text = match args.format {
        MaskFormat::Json => render::json(&e),
        _ => render::mask::explanation(&e),
    };
    super::output::print(&text, args.format == MaskFormat::Json);
    Ok(Outcome::Good)
}
