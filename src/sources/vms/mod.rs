//! Virtual machines as their hosts hold them: `.vmx` files read from a local
//! directory or over SSH from ESXi hosts, and the tail of each `vmware.log`.
//! The types are [`crate::model::vm`]; the checks live in [`crate::analysis`].

pub mod inventory;
pub mod runlog;

use crate::model::vm::VmSource;
use crate::sources::fleet::file::{FleetSpec, HostSourceSpec, HostSpec};
use crate::sources::fleet::remote::RemoteSettings;
use crate::util::error::{Error, Result};
use inventory::RunningVms;

/// The hosts of `spec` that have VMs to read: a `vms_dir`, or an ESXi host.
fn with_vms(spec: &FleetSpec) -> Vec<usize> {
    (0..spec.hosts.len())
        .filter(|&i| {
            let h = &spec.hosts[i];
            h.vm_keys.vms_dir.is_some()
                || matches!(
                    h.source,
                    HostSourceSpec::Esxi(_) | HostSourceSpec::Vcenter(_)
                )
        })
        .collect()
}

/// Every host's VMs (hosts with a `vms_dir` or ESXi hosts; at most
/// `settings.jobs` at once), as (host name, VMs or why they could not be
/// read). ESXi hosts named in `not_collected` are not tried again.
pub fn read_all(
    spec: &FleetSpec,
    settings: &RemoteSettings,
    not_collected: &[&str],
) -> Vec<(String, std::result::Result<Vec<VmSource>, String>)> {
    crate::sources::ssh::pool::run(&with_vms(spec), settings.jobs, |&i| {
        let h = &spec.hosts[i];
        let vms = match (&h.vm_keys.vms_dir, &h.source) {
            (Some(dir), _) => inventory::read_dir(&h.name, dir),
            (None, HostSourceSpec::Esxi(_)) if not_collected.contains(&h.name.as_str()) => {
                Err(Error::Collect {
                    host: h.name.clone(),
                    message: "not tried: the host could not be collected (see its row)".into(),
                })
            }
            (None, HostSourceSpec::Vcenter(v)) => Ok(v.vms.clone()),
            (None, HostSourceSpec::Esxi(r)) => {
                inventory::read_esxi(&h.name, &r.target, &r.options(&settings.ssh))
            }
            (None, _) => Ok(Vec::new()),
        };
        (h.name.clone(), vms.map_err(|e| e.to_string()))
    })
}

/// Every host's VMs with the tail of each one's `vmware.log` (beside the
/// `.vmx` in a folder, or `tail -c` over SSH) and the release an ESXi host
/// reports, as (index in `spec.hosts`, what was read).
pub fn read_all_running(
    spec: &FleetSpec,
    settings: &RemoteSettings,
) -> Vec<(usize, Result<RunningVms>)> {
    crate::sources::ssh::pool::run(&with_vms(spec), settings.jobs, |&i| {
        let h: &HostSpec = &spec.hosts[i];
        let vms = match (&h.vm_keys.vms_dir, &h.source) {
            (Some(dir), _) => inventory::read_dir(&h.name, dir).map(|vms| RunningVms {
                vms: vms
                    .into_iter()
                    .map(|vm| {
                        let log = runlog::read_beside(std::path::Path::new(&vm.vmx.origin));
                        (vm, log)
                    })
                    .collect(),
                esxi_version: None,
            }),
            (None, HostSourceSpec::Esxi(r)) => {
                inventory::read_esxi_running(&h.name, &r.target, &r.options(&settings.ssh))
            }
            (None, _) => Ok(RunningVms::default()),
        };
        (i, vms)
    })
}
