//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use super::Outcome;
use crate::analysis::audit::audit;
use crate::analysis::storage_network;
use crate::cli::{AuditArgs, AuditOnly};
use crate::render::{self, OutputFormat};
use crate::util::error::{Error, Result};

/// Runs the command. Exit: 0 when every cluster is ready (inside each cluster every
/// group reaches every other, with masks where needed; differences between
/// clusters are information), no storage/network error and no VM readiness error;
/// 1 when not; 2 when a host could not be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let mut spec =
        crate::sources::fleet::remote::fleet_spec(args.fleet.as_deref(), &args.ansible_tree)?;
    super::restrict_to_cluster(&mut spec, args.cluster.as_deref())?;
    let guests = super::guests_for(&args.guests, &spec)?;
    timer.mark("read fleet file");
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = args.remote.settings(&spec);
    let (storage, network) = match args.only {
        None => (true, true),
        Some(AuditOnly::Cpu) => (false, false),
        Some(AuditOnly::Storage) => (true, false),
        Some(AuditOnly::Network) => (false, true),
    };
    if args.only.is_some_and(|o| o != AuditOnly::Cpu) {
        return storage_network_only(args, &spec, &settings, storage, network);
    }
    if storage || network {
        // One connection per host: the facts are read on the CPU session.
        crate::sources::ssh::prefetch::enable(crate::sources::facts::collect::script_for);
    }
    // The HTML report carries the masks, verified against every member's leaves.
    let mut input = super::fleet_input::collect_fleet(&spec, &settings, args.html.is_some());
    // What guests see under each cluster's target hypervisor is what is compared.
    let choices = super::target::choices(&spec, &args.target);
    super::target::apply_views(&mut input, &choices);
    let mut versions = super::target::versions(&args.target)?;
    let (hosts, failed) = (&input.hosts, &input.failed);
    timer.mark("collect and decode");
    let mut report = audit(&spec.name, hosts, failed, policy, &guests);
    report.host_blockers = input.blockers.clone();
    let mut facts = None;
    if storage || network {
        let skip: Vec<String> = failed.iter().map(|f| f.name.clone()).collect();
        let gathered = crate::sources::facts::collect::gather(&spec.hosts, &skip, &settings);
        report.storage_network = Some(storage_network::check(&gathered, storage, network));
        facts = Some(gathered);
    }
    // A cluster's EVC mode must be one its hosts' ESXi releases know: the
    // releases read (`vmware -vl`) or declared (`esxi_version`).
    let releases = esxi_releases(&spec, hosts, facts.as_deref());
    let mut learned = None;
    if let Some(f) = facts.as_deref() {
        (versions, learned) = super::target::learn_versions(&args.target, versions, f);
    }
    report.settings =
        crate::analysis::setting::settings_full(&report.cpu, hosts, &guests, &releases, versions);
    // A KVM or Proxmox cluster is not set with a vSphere EVC mode.
    for s in &mut report.settings {
        if super::target::target_of(&choices, s.cluster.as_deref()).is_kvm() {
            s.evc = None;
        }
    }
    report.targets = choices.clone();
    // VM readiness, when some host has VMs to read (vms_dir, or an ESXi host).
    let vms = (args.only.is_none() && super::vms::has_vms(&spec)).then(|| {
        super::vms::readiness(
            &spec,
            &settings,
            Some((hosts, &report.cpu)),
            failed,
            facts.as_deref(),
        )
    });
    timer.mark("analyze");
    let text = match args.format {
        OutputFormat::Table => {
            let mut t = super::target::describe(&choices);
            if let Some(l) = &learned {
                t.push('\n');
                t.push_str(l);
            }
            t.push_str("\n\n");
            t.push_str(&render::audit::render(&report));
            if let Some(sn) = &report.storage_network {
                t.push_str(&render::storage_network::render(sn));
            }
            if let Some(v) = &vms {
                t.push('\n');
                t.push_str(&render::vms::render(v));
            }
            t.push_str(&render::audit::overall(
                &report,
                vms.as_ref().map(|v| v.errors),
            ));
            t
        }
        OutputFormat::Json => super::vms::json_with_vms(&report, vms.as_ref()),
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    timer.mark("render");
    if let Some(path) = &args.html {
        let mut sections = mask_sections(&report, &input)?;
        sections.extend(render::audit::blockers_html(&report));
        if let Some(sn) = &report.storage_network {
            sections.push(render::storage_network::html(sn));
        }
        sections.extend(vms.as_ref().map(render::vms::html));
        let html = render::html::render(&report, &sections);
        crate::util::atomic_file::write(path, html.as_bytes())?;
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
    let sn_errors = report.storage_network.as_ref().map_or(0, |r| r.errors());
    let vms_ok = vms.as_ref().map_or(Outcome::Good, super::vms::outcome) == Outcome::Good;
    let hosts_ok = report.host_blockers.is_empty();
    Ok(
        if report.cpu.all_reachable() && sn_errors == 0 && vms_ok && hosts_ok {
            Outcome::Good
        } else {
            Outcome::Findings
        },
    )
}

/// The ESXi release of each collected host (in `hosts` order), where known:
/// read from the host (`vmware -vl`, in the collected facts), else declared in
/// the fleet file (`esxi_version`).
pub fn esxi_releases(
    spec: &crate::sources::fleet::file::FleetSpec,
    hosts: &[crate::analysis::fleet::FleetHost],
    facts: Option<&[crate::model::facts::FactsHost]>,
) -> Vec<Option<crate::model::esxi_version::EsxiVersion>> {
    hosts
        .iter()
        .map(|h| {
            let read = facts
                .and_then(|f| f.iter().find(|x| x.name == h.name))
                .and_then(|x| x.facts.as_ref())
                .and_then(|f| f.esxi_version.clone());
            read.or_else(|| {
                spec.hosts
                    .iter()
                    .find(|s| s.name == h.name)
                    .and_then(|s| s.vm_keys.esxi_version.clone())
            })
        })
        .collect()
}

/// `audit --only storage|network`: no CPU collection; only the facts and their
/// checks. Exit: 1 on an error finding, else 0.
fn storage_network_only(
    args: &AuditArgs,
    spec: &crate::sources::fleet::file::FleetSpec,
    settings: &crate::sources::fleet::remote::RemoteSettings,
    storage: bool,
    network: bool,
) -> Result<Outcome> {
    if args.html.is_some() {
        return Err(Error::Usage(
            "--html needs the CPU audit: drop --only, or use --only cpu".into(),
        ));
    }
    let facts = crate::sources::facts::collect::gather(&spec.hosts, &[], settings);
    let r = storage_network::check(&facts, storage, network);
    let text = match args.format {
        OutputFormat::Table => format!(
            "Fleet {:?}: {}\n{}",
            spec.name,
            render::count(spec.hosts.len(), "host"),
            render::storage_network::render(&r)
        ),
        OutputFormat::Json => render::json(&serde_json::json!({
            "fleet": spec.name,
            "storage_network": r,
        })),
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    Ok(if r.errors() == 0 {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}

/// The masks section of the HTML report: one verified VMX mask per vendor.
fn mask_sections(
    report: &crate::analysis::audit::AuditReport,
    input: &super::fleet_input::FleetInput,
) -> Result<Vec<render::html::Section>> {
    use crate::analysis::maskplan;
    let mut html = String::new();
    if input.failed.is_empty() {
        for labels in super::cluster_selections(&report.cpu) {
            let Ok(plan) = maskplan::for_groups(
                &report.cpu,
                &input.hosts,
                &labels,
                maskplan::MaskOptions::default(),
            ) else {
                continue;
            };
            let mask = super::mask::verified_mask(
                &plan,
                &input.hosts,
                &input.leaves,
                crate::render::mask::MaskFormat::Vmx,
            )?;
            let text = render::mask::plan(
                &plan,
                &mask,
                &input.hosts,
                crate::render::mask::MaskFormat::Vmx,
                false,
            );
            html.push_str(&format!("<pre>{}</pre>\n", render::html::esc(&text)));
        }
    } else {
        html.push_str("<p class=\"note\">Not computed: some hosts could not be collected.</p>");
    }
    Ok(vec![render::html::Section {
        title: "Masks (VMX lines that let each vendor's groups migrate freely)".into(),
        html,
    }])
}
