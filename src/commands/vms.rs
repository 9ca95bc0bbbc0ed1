//! `vmcompat vms FLEET`: read every VM of the fleet's hosts and name what would
//! stop each from moving (and so stall maintenance mode on its host).

use super::Outcome;
use crate::analysis::fleet::{self, FleetAnalysis, FleetHost};
use crate::analysis::vm_readiness::{self, Described, HostContext, VmReadiness};
use crate::cli::VmsArgs;
use crate::render::{self, OutputFormat};
use crate::sources::fleet::file::{FleetSpec, HostSourceSpec};
use crate::sources::fleet::remote::RemoteSettings;
use crate::util::error::Result;

/// Runs the command. Exit: 0 no VM has an error, 1 some VM has one, 2 bad input
/// or some host's VMs could not be read.
pub fn run(args: &VmsArgs) -> Result<Outcome> {
    let mut spec = crate::sources::fleet::file::read(&args.fleet)?;
    super::restrict_to_cluster(&mut spec, args.cluster.as_deref())?;
    let policy = args.policy.or(spec.policy).unwrap_or_default();
    let settings = args.remote.settings(&spec);
    let input = super::fleet_input::collect_fleet(&spec, &settings, false);
    if let Some(key) = &args.evc_mode {
        return evc_mode(&spec, &settings, &input, key, args.format);
    }
    let cpu = fleet::analyze(&input.hosts, policy);
    // Every host's VMs are tried, even where the CPU could not be read (the VMs
    // matter more here; only the per-VM CPU verdicts are then missing).
    // Port groups, switches and datastores: read from ESXi/Linux hosts, declared
    // for the others.
    let facts = crate::sources::facts::collect::gather(&spec.hosts, &[], &settings);
    let report = readiness_in(
        &spec,
        &settings,
        Some((&input.hosts, &cpu)),
        &[],
        Some(&facts),
        args.all_clusters,
    );
    for f in &input.failed {
        super::output::note(&format!(
            "vmcompat: note: the CPU of {} could not be read, so its VMs get no CPU verdicts: {}",
            f.name, f.error
        ));
    }
    super::output::report(&report, args.format);
    let unread: Vec<&str> = report
        .hosts
        .iter()
        .filter(|h| h.error.is_some())
        .map(|h| h.host.as_str())
        .collect();
    if !unread.is_empty() {
        return Err(crate::util::error::Error::Collect {
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
        .any(|h| h.vm_keys.vms_dir.is_some() || has_own_vms(&h.source))
}

/// True for sources that list their own VMs (ESXi over SSH, vCenter).
fn has_own_vms(s: &HostSourceSpec) -> bool {
    matches!(s, HostSourceSpec::Esxi(_) | HostSourceSpec::Vcenter(_))
}

/// Reads every host's VMs (a `vms_dir`, or over SSH for ESXi hosts) and checks
/// them; `cpu`: the collected hosts and their analysis, for the per-VM masks.
/// ESXi hosts in `failed` (their CPU could not be collected) are not tried again.
pub fn readiness(
    spec: &FleetSpec,
    settings: &RemoteSettings,
    cpu: Option<(&[FleetHost], &FleetAnalysis)>,
    failed: &[crate::analysis::audit::FailedHost],
    collected: Option<&[crate::model::facts::FactsHost]>,
) -> VmReadiness {
    readiness_in(spec, settings, cpu, failed, collected, false)
}

/// [`readiness`]; with `all_clusters` every other host of the fleet is a
/// destination (the hosts are checked as one cluster), not only the hosts of
/// the VM's cluster.
pub fn readiness_in(
    spec: &FleetSpec,
    settings: &RemoteSettings,
    cpu: Option<(&[FleetHost], &FleetAnalysis)>,
    failed: &[crate::analysis::audit::FailedHost],
    collected: Option<&[crate::model::facts::FactsHost]>,
    all_clusters: bool,
) -> VmReadiness {
    let contexts: Vec<HostContext> = spec
        .hosts
        .iter()
        .map(|h| {
            let read = collected_facts(collected, &h.name);
            let described = if read.is_some() {
                Described::ALL
            } else {
                declared_kinds(h)
            };
            let esxi = read
                .as_ref()
                .and_then(|f| f.esxi_version.clone())
                .or_else(|| h.vm_keys.esxi_version.clone());
            HostContext {
                name: h.name.clone(),
                cluster: if all_clusters {
                    None
                } else {
                    h.cluster.clone()
                },
                facts: read.unwrap_or_else(|| crate::sources::facts::declared::host_facts(h)),
                group: cpu.and_then(|(hosts, a)| {
                    hosts
                        .iter()
                        .position(|x| x.name == h.name)
                        .and_then(|i| a.host_group.get(i).copied())
                }),
                described,
                esxi,
            }
        })
        .collect();
    let not_collected: Vec<&str> = failed.iter().map(|f| f.name.as_str()).collect();
    let inputs = crate::sources::vms::read_all(spec, settings, &not_collected);
    vm_readiness::check(&contexts, &inputs, cpu.map(|(_, a)| a))
}

/// The kinds of facts a host declares in the fleet file: port groups
/// (`port_groups`, `internal_port_groups`), datastores (`datastores`,
/// `local_datastores`, `nfs`), LUNs (`luns`). What it does not declare is unknown.
fn declared_kinds(h: &crate::sources::fleet::file::HostSpec) -> Described {
    Described {
        port_groups: h.port_groups.is_some() || h.vm_keys.internal_port_groups.is_some(),
        datastores: h.datastores.is_some()
            || h.vm_keys.local_datastores.is_some()
            || h.nfs.is_some(),
        luns: h.luns.is_some(),
    }
}

/// Facts read from a host (ESXi `esxcli`, Linux), when the storage/network
/// collection has them; declared facts stay with [`crate::sources::facts::declared::host_facts`], which
/// also knows the VM-readiness keys (`internal_port_groups`, `local_datastores`).
fn collected_facts(
    collected: Option<&[crate::model::facts::FactsHost]>,
    host: &str,
) -> Option<crate::model::facts::HostFacts> {
    collected?
        .iter()
        .find(|f| f.name == host)?
        .facts
        .clone()
        .filter(|f| f.source != Some(crate::model::facts::FactsSource::Declared))
}

/// `vms --evc-mode KEY`: per cluster, what the mode means for its hosts and
/// VMs. Exit: 1 when a host cannot run the mode or a VM must be powered off
/// first, else 0; 2 for an unknown mode or unreadable VMs.
fn evc_mode(
    spec: &FleetSpec,
    settings: &RemoteSettings,
    input: &super::fleet_input::FleetInput,
    key: &str,
    format: OutputFormat,
) -> Result<Outcome> {
    use crate::analysis::evc_transition::{self, RunningFeatures, VmState};
    let mode = crate::shipped::evc::mode(key)?;
    let mut clusters: Vec<Option<String>> = Vec::new();
    for h in &spec.hosts {
        if !clusters.contains(&h.cluster) {
            clusters.push(h.cluster.clone());
        }
    }
    // Each VM with the tail of its vmware.log, and the release an ESXi host reports.
    let read = crate::sources::vms::read_all_running(spec, settings);
    // ESXi releases: read from the host, else declared (`esxi_version`).
    let mut releases: Vec<(String, crate::model::esxi_version::EsxiVersion)> = Vec::new();
    for h in &spec.hosts {
        let read_version = read
            .iter()
            .find(|(i, _)| spec.hosts[*i].name == h.name)
            .and_then(|(_, r)| r.as_ref().ok())
            .and_then(|r| r.esxi_version.clone());
        if let Some(v) = read_version.or_else(|| h.vm_keys.esxi_version.clone()) {
            releases.push((h.name.clone(), v));
        }
    }
    let mut unreadable = Vec::new();
    let mut states: Vec<(Option<String>, VmState)> = Vec::new();
    for (i, vms) in read {
        let h = &spec.hosts[i];
        let cpu = input
            .hosts
            .iter()
            .find(|x| x.name == h.name)
            .map(|x| &x.cpu);
        let vms = match vms {
            Ok(v) => v.vms,
            Err(e) => {
                unreadable.push(format!("{}: {e}", h.name));
                continue;
            }
        };
        for (vm, log) in vms {
            let powered_on = vm
                .runtime
                .as_ref()
                .and_then(|r| r.power_state.as_deref())
                .map(|p| p != "poweredOff");
            let complete = vm.vmx.flag("featureCompat.vm.completeMasks") == Some(true);
            let running = match (complete, vm.vmx.mask(), cpu) {
                (true, Ok(mask), Some(cpu)) => RunningFeatures::PerVmEvc {
                    features: crate::mask::per_vm::GuestView::of(&mask, true, cpu.vendor)
                        .visible(&cpu.compared_features()),
                },
                _ => match (log, cpu) {
                    (Some(log), Some(cpu)) => {
                        let names = evc_transition::requirements_in_log(&log);
                        if names.is_empty() {
                            RunningFeatures::NotKnown
                        } else {
                            RunningFeatures::Known {
                                features: evc_transition::features_of_requirements(
                                    &names, cpu.vendor,
                                ),
                                source: "vmware.log".into(),
                            }
                        }
                    }
                    _ => RunningFeatures::NotKnown,
                },
            };
            states.push((
                h.cluster.clone(),
                VmState {
                    host: h.name.clone(),
                    name: vm.name.clone(),
                    powered_on,
                    running,
                },
            ));
        }
    }
    let transitions: Vec<_> = clusters
        .iter()
        .map(|c| {
            let hosts: Vec<_> = input
                .hosts
                .iter()
                .filter(|h| &h.cluster == c)
                .map(|h| (h.name.clone(), h.cpu.vendor, h.cpu.compared_features()))
                .collect();
            let vms: Vec<VmState> = states
                .iter()
                .filter(|(cl, _)| cl == c)
                .map(|(_, v)| v.clone())
                .collect();
            let known: Vec<_> = releases
                .iter()
                .filter(|(n, _)| spec.hosts.iter().any(|h| &h.name == n && &h.cluster == c))
                .cloned()
                .collect();
            evc_transition::transition_with_releases(c.as_deref(), mode, &hosts, &vms, &known)
        })
        .collect();
    let output = render::evc_transition::EvcTransitions {
        mode,
        transitions: &transitions,
    };
    super::output::report(&output, format);
    for f in &input.failed {
        super::output::note(&format!(
            "vmcompat: note: the CPU of {} could not be read, so it is not judged against {}: {}",
            f.name, mode.key, f.error
        ));
    }
    if !unreadable.is_empty() {
        return Err(crate::util::error::Error::Collect {
            host: unreadable.join("; "),
            message: "the VMs of some hosts could not be read".into(),
        });
    }
    let blocked = transitions
        .iter()
        .any(|t| !t.hosts_not_qualifying.is_empty() || !t.power_off_first.is_empty());
    Ok(if blocked {
        Outcome::Findings
    } else {
        Outcome::Good
    })
}
