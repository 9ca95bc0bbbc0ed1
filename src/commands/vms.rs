//! `vmcompat vms FLEET`: read every VM of the fleet's hosts and name what would
//! stop each from moving (and so stall maintenance mode on its host).

use super::Outcome;
use crate::analysis::fleet::{self, FleetAnalysis, FleetHost};
use crate::analysis::vm_readiness::{self, HostContext, VmReadiness};
use crate::cli::VmsArgs;
use crate::error::Result;
use crate::fleet::file::{FleetSpec, HostSourceSpec};
use crate::remote::fleet::RemoteSettings;
use crate::render::{self, OutputFormat};

/// Runs the command. Exit: 0 no VM has an error, 1 some VM has one, 2 bad input
/// or some host's VMs could not be read.
pub fn run(args: &VmsArgs) -> Result<Outcome> {
    let spec = crate::fleet::file::read(&args.fleet)?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = args.remote.settings(&spec);
    let input = super::fleet_input::collect_fleet(&spec, &settings, false);
    let cpu = fleet::analyze(&input.hosts, policy);
    // Every host's VMs are tried, even where the CPU could not be read (the VMs
    // matter more here; only the per-VM CPU verdicts are then missing).
    // Port groups, switches and datastores: read from ESXi/Linux hosts, declared
    // for the others.
    let facts = crate::facts::collect::gather(&spec.hosts, &[], &settings);
    let report = readiness(
        &spec,
        &settings,
        Some((&input.hosts, &cpu)),
        &[],
        Some(&facts),
    );
    for f in &input.failed {
        super::output::note(&format!(
            "vmcompat: note: the CPU of {} could not be read, so its VMs get no CPU verdicts: {}",
            f.name, f.error
        ));
    }
    let text = match args.format {
        OutputFormat::Table => render::vms::render(&report),
        OutputFormat::Json => render::json(&report),
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    let unread: Vec<&str> = report
        .hosts
        .iter()
        .filter(|h| h.error.is_some())
        .map(|h| h.host.as_str())
        .collect();
    if !unread.is_empty() {
        return Err(crate::error::Error::Collect {
            host: unread.join(", "),
            message: format!(
                "the VMs of {} host(s) could not be read (see above)",
                unread.len()
            ),
        });
    }
    Ok(outcome(&report))
}

/// Exit 1 when some VM has an error.
pub fn outcome(r: &VmReadiness) -> Outcome {
    if r.errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Good
    }
}

/// True when some host of the fleet has VMs to read (`vms_dir`, or an ESXi host).
pub fn has_vms(spec: &FleetSpec) -> bool {
    spec.hosts
        .iter()
        .any(|h| h.vm_keys.vms_dir.is_some() || matches!(h.source, HostSourceSpec::Esxi(_)))
}

/// Reads every host's VMs (a `vms_dir`, or over SSH for ESXi hosts) and checks
/// them; `cpu`: the collected hosts and their analysis, for the per-VM masks.
/// ESXi hosts in `failed` (their CPU could not be collected) are not tried again.
pub fn readiness(
    spec: &FleetSpec,
    settings: &RemoteSettings,
    cpu: Option<(&[FleetHost], &FleetAnalysis)>,
    failed: &[crate::analysis::audit::FailedHost],
    collected: Option<&[crate::analysis::storage_network::FactsHost]>,
) -> VmReadiness {
    let contexts: Vec<HostContext> = spec
        .hosts
        .iter()
        .map(|h| HostContext {
            name: h.name.clone(),
            cluster: h.cluster.clone(),
            facts: collected_facts(collected, &h.name).unwrap_or_else(|| crate::vms::host_facts(h)),
            group: cpu.and_then(|(hosts, a)| {
                hosts
                    .iter()
                    .position(|x| x.name == h.name)
                    .and_then(|i| a.host_group.get(i).copied())
            }),
        })
        .collect();
    let with_vms: Vec<usize> = (0..spec.hosts.len())
        .filter(|&i| {
            let h = &spec.hosts[i];
            h.vm_keys.vms_dir.is_some() || matches!(h.source, HostSourceSpec::Esxi(_))
        })
        .collect();
    let inputs = crate::remote::pool::run(&with_vms, settings.jobs, |&i| {
        let h = &spec.hosts[i];
        let vms = match (&h.vm_keys.vms_dir, &h.source) {
            (Some(dir), _) => crate::vms::inventory::read_dir(&h.name, dir),
            (None, HostSourceSpec::Esxi(_)) if failed.iter().any(|f| f.name == h.name) => {
                Err(crate::error::Error::Collect {
                    host: h.name.clone(),
                    message: "not tried: the host could not be collected (see its row)".into(),
                })
            }
            (None, HostSourceSpec::Esxi(r)) => {
                let mut opts = settings.ssh.clone();
                if r.identity.is_some() {
                    opts.identity = r.identity.clone();
                }
                crate::vms::inventory::read_esxi(&h.name, &r.target, &opts)
            }
            (None, _) => Ok(Vec::new()),
        };
        (h.name.clone(), vms.map_err(|e| e.to_string()))
    });
    vm_readiness::check(&contexts, &inputs, cpu.map(|(_, a)| a))
}

/// JSON of `report` (an object) with the VM readiness added as `"vms"`.
pub fn json_with_vms<T: serde::Serialize>(report: &T, vms: Option<&VmReadiness>) -> String {
    let Some(vms) = vms else {
        return render::json(report);
    };
    match (serde_json::to_value(report), serde_json::to_value(vms)) {
        (Ok(serde_json::Value::Object(mut m)), Ok(v)) => {
            m.insert("vms".into(), v);
            render::json(&serde_json::Value::Object(m))
        }
        _ => render::json(report),
    }
}

/// Facts read from a host (ESXi `esxcli`, Linux), when the storage/network
/// collection has them; declared facts stay with [`crate::vms::host_facts`], which
/// also knows the VM-readiness keys (`internal_port_groups`, `local_datastores`).
fn collected_facts(
    collected: Option<&[crate::analysis::storage_network::FactsHost]>,
    host: &str,
) -> Option<crate::facts::HostFacts> {
    collected?
        .iter()
        .find(|f| f.name == host)?
        .facts
        .clone()
        .filter(|f| f.source != Some(crate::facts::FactsSource::Declared))
}
