//! Wiring for `--vcenter URL` / `--vcenter-dir DIR` and the fleet file's
//! `vcenter = "URL"`: resolve the credentials and trust, read the inventory,
//! and add its hosts to the fleet as hosts whose CPU view, facts and VMs are
//! already read.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::VcenterArgs;
use crate::sources::fleet::file::{FleetSpec, HostSourceSpec, HostSpec, VcenterSpec};
use crate::sources::vcenter::client::{parse_thumbprint, Trust};
use crate::sources::vcenter::inventory::{Filter, Inventory};
use crate::sources::vcenter::{self, Connection};
use crate::util::error::{Error, Result};

/// Environment variable with the vCenter user name.
pub const USER_ENV: &str = "VMCOMPAT_VCENTER_USER";
/// Environment variable with the vCenter password.
pub const PASSWORD_ENV: &str = "VMCOMPAT_VCENTER_PASSWORD";

/// True when the command line names a vCenter or an export.
pub fn requested(args: &VcenterArgs) -> bool {
    args.vcenter.is_some() || args.vcenter_dir.is_some()
}

fn password(args: &VcenterArgs, spec: Option<&VcenterSpec>) -> Result<String> {
    let file = args
        .password_file
        .clone()
        .or_else(|| spec.and_then(|s| s.password_file.clone()));
    if let Some(f) = file {
        let bytes = crate::util::local_file::read_bytes(&f, 64 * 1024)?;
        let text = String::from_utf8_lossy(&bytes);
        let pw = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        if pw.is_empty() {
            return Err(Error::input(
                f.display().to_string(),
                "the password file is empty (its first line is the password)",
            ));
        }
        return Ok(pw);
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(Error::Usage(format!(
            "no vCenter password: put it in a file and give --password-file FILE (or `vcenter_password_file` in the fleet file), or set {PASSWORD_ENV}; it is never read from the command line"
        ))),
    }
}

fn trust(args: &VcenterArgs, spec: Option<&VcenterSpec>) -> Result<Trust> {
    if args.insecure {
        super::output::note(
            "vmcompat: WARNING: --insecure: the vCenter certificate is NOT checked; anyone on the path can read the password and forge the inventory. Pin it with --thumbprint instead",
        );
        return Ok(Trust::Insecure);
    }
    if let Some(t) = args.thumbprint.clone().or_else(|| {
        if args.ca_file.is_none() {
            spec.and_then(|s| s.thumbprint.clone())
        } else {
            None
        }
    }) {
        return parse_thumbprint(&t)
            .map(Trust::Thumbprint)
            .map_err(Error::Usage);
    }
    Ok(Trust::Roots(
        args.ca_file
            .clone()
            .or_else(|| spec.and_then(|s| s.ca_file.clone())),
    ))
}

/// Reads the vCenter (or export) the command line or the fleet file names.
/// `None` when neither names one.
pub fn read(
    args: &VcenterArgs,
    spec: Option<&VcenterSpec>,
    cluster: Option<&str>,
) -> Result<Option<Inventory>> {
    let filter = Filter {
        datacenter: args
            .datacenter
            .clone()
            .or_else(|| spec.and_then(|s| s.datacenter.clone())),
        cluster: cluster
            .map(str::to_string)
            .or_else(|| spec.and_then(|s| s.cluster.clone())),
    };
    let started = std::time::Instant::now();
    if let Some(dir) = &args.vcenter_dir {
        let inv = vcenter::read_export(dir, &filter).map_err(|m| Error::Collect {
            host: format!("vCenter export {}", dir.display()),
            message: m,
        })?;
        report_timing(&inv, started);
        return Ok(Some(inv));
    }
    let Some(url) = args.vcenter.clone().or_else(|| spec.map(|s| s.url.clone())) else {
        return Ok(None);
    };
    let user = std::env::var(USER_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| spec.and_then(|s| s.user.clone()))
        .ok_or_else(|| {
            Error::Usage(format!(
                "no vCenter user: set {USER_ENV} (e.g. auditor@vsphere.local) or `vcenter_user` in the fleet file's [fleet]"
            ))
        })?;
    let conn = Connection {
        url: url.clone(),
        trust: trust(args, spec)?,
        timeout: Duration::from_secs(args.vcenter_timeout.unwrap_or(60)),
        user,
        password: password(args, spec)?,
    };
    let inv = vcenter::read_live(&conn, &filter).map_err(|e| Error::Collect {
        host: format!("vCenter {url}"),
        message: e.message,
    })?;
    report_timing(&inv, started);
    Ok(Some(inv))
}

fn report_timing(inv: &Inventory, started: std::time::Instant) {
    let verbose = std::env::var("VMCOMPAT_TIMING").is_ok_and(|v| v == "1");
    if verbose {
        eprintln!(
            "vcenter: {}: {} hosts, {} VMs, {} HTTP round trips, {:.1} MB, {:.2} s",
            inv.origin,
            inv.hosts.len(),
            inv.hosts.iter().map(|h| h.vms.len()).sum::<usize>(),
            inv.round_trips,
            inv.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    // Names the catalog does not know: reported once for the inventory.
    let mut unknown: std::collections::BTreeMap<&str, usize> = Default::default();
    for h in &inv.hosts {
        for n in &h.unknown_names {
            *unknown.entry(n.as_str()).or_default() += 1;
        }
    }
    if !unknown.is_empty() {
        super::output::note(&format!(
            "vmcompat: note: featureCapability names the catalog does not know (reported, not compared): {}",
            unknown
                .iter()
                .map(|(n, c)| format!("{n} ({c} host{})", if *c == 1 { "" } else { "s" }))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// Adds the inventory's hosts to `spec`; a name already in the fleet file is an error.
pub fn extend(spec: &mut FleetSpec, inv: Inventory) -> Result<()> {
    let names: std::collections::HashSet<String> =
        spec.hosts.iter().map(|h| h.name.clone()).collect();
    for h in inv.hosts {
        if names.contains(&h.name) {
            return Err(Error::Usage(format!(
                "host {:?} of {} is also in the fleet file; give each host once",
                h.name, inv.origin
            )));
        }
        spec.hosts.push(HostSpec {
            name: h.name.clone(),
            cluster: h.cluster.clone(),
            source: HostSourceSpec::Vcenter(Arc::new(h)),
            line: 0,
            luns: None,
            datastores: None,
            port_groups: None,
            vmotion: None,
            nfs: None,
            vm_keys: Default::default(),
        });
    }
    Ok(())
}

/// The fleet for a command: the fleet file (or Ansible trees) plus the vCenter
/// hosts. With only `--vcenter`, the fleet is named after the vCenter.
pub fn fleet_with_vcenter(
    fleet: Option<&std::path::Path>,
    trees: &[std::path::PathBuf],
    args: &VcenterArgs,
    cluster: Option<&str>,
) -> Result<FleetSpec> {
    let mut spec = if fleet.is_none() && trees.is_empty() {
        let name = args
            .vcenter
            .as_deref()
            .map(|u| {
                u.trim_start_matches("https://")
                    .split(['/', ':'])
                    .next()
                    .unwrap_or(u)
                    .to_string()
            })
            .or_else(|| {
                args.vcenter_dir
                    .as_ref()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "vcenter".into());
        FleetSpec {
            path: std::path::PathBuf::from(&name),
            name,
            policy: None,
            guests: Vec::new(),
            hosts: Vec::new(),
            ssh: Default::default(),
            vcenter: None,
        }
    } else {
        crate::sources::fleet::remote::fleet_spec(fleet, trees)?
    };
    if let Some(inv) = read(args, spec.vcenter.clone().as_ref(), cluster)? {
        extend(&mut spec, inv)?;
    }
    if spec.hosts.is_empty() {
        return Err(Error::Usage("the fleet has no hosts".into()));
    }
    Ok(spec)
}
