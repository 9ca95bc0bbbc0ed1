//! `vmcompat audit FLEET`: collect, decode, group, matrix, baselines, verdict.

use super::Outcome;
use crate::analysis::audit::audit;
use crate::analysis::storage_network;
use crate::cli::{AuditArgs, AuditOnly};
use crate::render;
use crate::util::error::{Error, Result};

/// Runs the command. Exit: 0 when every cluster is ready (inside each cluster every
/// group reaches every other, with masks where needed; differences between
/// clusters are information), no storage/network error and no VM readiness error;
/// 1 when not; 2 when a host could not be collected or input is bad.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let mut spec = super::vcenter::fleet_with_vcenter(
        args.fleet.as_deref(),
        &args.ansible_tree,
        &args.vcenter,
        args.cluster.as_deref(),
    )?;
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
    let input = super::fleet_input::collect_fleet(
        &spec,
        &settings,
        args.html.is_some() || args.save.is_some(),
    );
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
    if releases.iter().any(Option::is_some) {
        report.settings = crate::analysis::setting::settings_with_releases(
            &report.cpu,
            hosts,
            &guests,
            &releases,
        );
    }
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
    let output = render::audit::AuditOutput {
        report: &report,
        vms: vms.as_ref(),
    };
    super::output::report(&output, args.format);
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
    if let Some(dir) = &args.save {
        save(dir, &spec, &input, policy, vms.as_ref())?;
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

/// `--save DIR`: the snapshot of what was collected (one dump per host with its
/// fingerprint, the failures, the VMs read), for `vmcompat drift`.
fn save(
    dir: &std::path::Path,
    spec: &crate::sources::fleet::file::FleetSpec,
    input: &super::fleet_input::FleetInput,
    policy: crate::model::policy::Policy,
    vms: Option<&crate::analysis::vm_readiness::VmReadiness>,
) -> Result<()> {
    use crate::sources::snapshot::{self, SaveHost};
    let vm_names = vms.map(super::drift::names_of).unwrap_or_default();
    let collected: std::collections::HashMap<&str, usize> = input
        .hosts
        .iter()
        .enumerate()
        .map(|(k, h)| (h.name.as_str(), k))
        .collect();
    let failed: std::collections::HashMap<&str, &str> = input
        .failed
        .iter()
        .map(|f| (f.name.as_str(), f.error.as_str()))
        .collect();
    let hosts: Vec<SaveHost<'_>> = spec
        .hosts
        .iter()
        .filter_map(|h| {
            let dump = match collected.get(h.name.as_str()) {
                Some(&k) => Ok(input.dumps.get(k)?),
                None => Err(*failed.get(h.name.as_str()).unwrap_or(&"not collected")),
            };
            Some(SaveHost {
                name: &h.name,
                cluster: h.cluster.as_deref(),
                dump,
                vms: vm_names.get(&h.name).cloned(),
            })
        })
        .collect();
    let policy_name = match serde_json::to_value(policy) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    let index = snapshot::Index {
        format: snapshot::FORMAT_TAG.into(),
        version: snapshot::VERSION,
        fleet: spec.name.clone(),
        date: snapshot::utc_date(std::time::SystemTime::now()),
        source: Some(spec.path.display().to_string()),
        policy: policy_name,
        hosts: Vec::new(),
    };
    snapshot::write(dir, index, &hosts)?;
    super::output::note(&format!(
        "saved a snapshot of {} in {} (compare later: vmcompat drift {} {})",
        render::count(hosts.len(), "host"),
        dir.display(),
        dir.display(),
        spec.path.display()
    ));
    Ok(())
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
    if args.html.is_some() || args.save.is_some() {
        return Err(Error::Usage(
            "--html and --save need the CPU audit: drop --only, or use --only cpu".into(),
        ));
    }
    let facts = crate::sources::facts::collect::gather(&spec.hosts, &[], settings);
    let r = storage_network::check(&facts, storage, network);
    let output = render::storage_network::FactsOnly {
        fleet: &spec.name,
        hosts: spec.hosts.len(),
        report: &r,
    };
    super::output::report(&output, args.format);
    Ok(if r.errors() == 0 {
        Outcome::Good
    } else {
        Outcome::Findings
    })
}

/// The masks of the HTML report: one verified VMX mask per cluster and vendor
/// (`None` when some host could not be collected).
fn mask_sections(
    report: &crate::analysis::audit::AuditReport,
    input: &super::fleet_input::FleetInput,
) -> Result<Vec<render::html::Section>> {
    use crate::analysis::maskplan;
    let mut masks = Vec::new();
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
            let vmx = crate::render::mask::MaskFormat::Vmx;
            let mask = super::mask::verified_mask(&plan, &input.hosts, &input.leaves, vmx)?;
            masks.push((plan, mask));
        }
    }
    let complete = input.failed.is_empty();
    Ok(vec![render::audit::masks_html(
        &masks,
        &input.hosts,
        complete,
    )])
}
