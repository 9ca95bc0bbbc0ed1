//! `vmcompat drift OLD NEW`: read two states of a fleet (each a snapshot made by
//! `audit --save`, or a fleet file collected now), compare them, print what
//! changed and what it does to migration.

use std::collections::BTreeMap;
use std::path::Path;

use super::Outcome;
use crate::analysis::audit::FailedHost;
use crate::analysis::drift::{self, OldMask, Side};
use crate::analysis::fleet::FleetHost;
use crate::analysis::maskplan;
use crate::cli::DriftArgs;
use crate::cpuid::{Completeness, CpuLeaves};
use crate::decode::decode_dump;
use crate::model::policy::Policy;
use crate::model::Fingerprint;
use crate::render;
use crate::render::drift::SideLabel;
use crate::sources::snapshot;
use crate::util::error::{Error, Result};

/// One side, read.
#[derive(Debug, Default)]
struct Loaded {
    label: Option<SideLabel>,
    policy: Option<Policy>,
    hosts: Vec<FleetHost>,
    leaves: Vec<CpuLeaves>,
    fingerprints: Vec<Fingerprint>,
    completeness: Vec<Completeness>,
    failed: Vec<FailedHost>,
    vms: BTreeMap<String, Vec<String>>,
    /// Hosts of a live side that could not be collected now.
    live_failures: usize,
}

impl Loaded {
    fn side(&self) -> Side<'_> {
        Side {
            hosts: &self.hosts,
            leaves: &self.leaves,
            fingerprints: &self.fingerprints,
            completeness: &self.completeness,
            failed: &self.failed,
            vms: &self.vms,
        }
    }
}

/// Runs the command. Exit: 0 when nothing changed, or nothing that affects
/// migration; 1 when a change affects migration (a cluster's baseline fell, its
/// mask no longer verifies, a move was lost); 2 on bad input or when a host of
/// a live fleet could not be collected.
pub fn run(args: &DriftArgs) -> Result<Outcome> {
    let old = load(&args.old, args)?;
    let new = load(&args.new, args)?;
    let policy = args
        .policy
        .or(old.policy)
        .or(new.policy)
        .unwrap_or_default();
    let masks = old_masks(&old, policy);
    let report = drift::drift(&old.side(), &new.side(), policy, &masks);
    let (lo, ln) = (
        old.label.clone().unwrap_or_else(|| blank_label(&args.old)),
        new.label.clone().unwrap_or_else(|| blank_label(&args.new)),
    );
    let affects = report.affects_migration;
    super::output::report(
        &render::drift::DriftOutput {
            old: lo,
            new: ln,
            drift: report,
        },
        args.format,
    );
    let failures = old.live_failures + new.live_failures;
    if failures > 0 {
        let names: Vec<&str> = old
            .failed
            .iter()
            .chain(&new.failed)
            .map(|f| f.name.as_str())
            .collect();
        return Err(Error::Collect {
            host: names.join(", "),
            message: format!("{failures} host(s) could not be collected (not compared)"),
        });
    }
    Ok(if affects {
        Outcome::Findings
    } else {
        Outcome::Good
    })
}

fn blank_label(path: &Path) -> SideLabel {
    SideLabel {
        path: path.display().to_string(),
        kind: "live",
        date: String::new(),
        hosts: 0,
    }
}

/// True when `path` is a snapshot: a directory, or a file that says it is a
/// snapshot index.
fn is_snapshot(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    path.file_name().is_some_and(|n| n == snapshot::INDEX)
        && std::fs::read_to_string(path)
            .is_ok_and(|t| t.contains(&format!("\"{}\"", snapshot::FORMAT_TAG)))
}

fn load(path: &Path, args: &DriftArgs) -> Result<Loaded> {
    if is_snapshot(path) {
        load_snapshot(path)
    } else {
        load_live(path, args)
    }
}

fn load_snapshot(path: &Path) -> Result<Loaded> {
    let snap = snapshot::read(path)?;
    let index_origin = crate::util::local_file::origin(&snap.dir.join(snapshot::INDEX));
    let mut out = Loaded {
        policy: match &snap.index.policy {
            None => None,
            Some(p) => Some(
                serde_json::from_value(serde_json::Value::String(p.clone())).map_err(|_| {
                    Error::input(
                        index_origin.clone(),
                        format!("policy: expected \"evc\" or \"esx3\", found {p:?}"),
                    )
                })?,
            ),
        },
        label: Some(SideLabel {
            path: path.display().to_string(),
            kind: "snapshot",
            date: snap.index.date.clone(),
            hosts: snap.index.hosts.len(),
        }),
        ..Default::default()
    };
    for (h, dump) in snap.index.hosts.iter().zip(snap.dumps) {
        let decoded = dump.and_then(|d| decode_dump(&d).map(|cpu| (cpu, d)));
        if let Some(vms) = &h.vms {
            out.vms.insert(h.name.clone(), vms.clone());
        }
        match decoded {
            Some((cpu, mut d)) => {
                out.hosts.push(FleetHost {
                    name: h.name.clone(),
                    cluster: h.cluster.clone(),
                    cpu,
                });
                out.fingerprints.push(std::mem::take(&mut d.fingerprint));
                out.completeness.push(d.completeness);
                out.leaves.extend(d.cpus.into_iter().next());
            }
            None => out.failed.push(FailedHost {
                name: h.name.clone(),
                cluster: h.cluster.clone(),
                error: h
                    .error
                    .clone()
                    .unwrap_or_else(|| "the dump holds no logical CPU".into()),
            }),
        }
    }
    Ok(out)
}

fn load_live(path: &Path, args: &DriftArgs) -> Result<Loaded> {
    let spec = crate::sources::fleet::remote::fleet_spec(Some(path), &[])?;
    let settings = args.remote.settings(&spec);
    let input = super::fleet_input::collect_fleet(&spec, &settings, true);
    let vms = vm_names(&spec, &settings, &input.failed);
    let date = snapshot::utc_date(std::time::SystemTime::now());
    Ok(Loaded {
        label: Some(SideLabel {
            path: path.display().to_string(),
            kind: "live",
            date,
            hosts: spec.hosts.len(),
        }),
        policy: spec.policy,
        fingerprints: input.dumps.iter().map(|d| d.fingerprint.clone()).collect(),
        completeness: input.dumps.iter().map(|d| d.completeness).collect(),
        live_failures: input.failed.len(),
        hosts: input.hosts,
        leaves: input.leaves,
        failed: input.failed,
        vms,
    })
}

/// The VMs on each host, when the fleet has a VM inventory (`vms_dir`, ESXi hosts).
pub fn vm_names(
    spec: &crate::sources::fleet::file::FleetSpec,
    settings: &crate::sources::fleet::remote::RemoteSettings,
    failed: &[FailedHost],
) -> BTreeMap<String, Vec<String>> {
    if !super::vms::has_vms(spec) {
        return BTreeMap::new();
    }
    names_of(&super::vms::readiness(spec, settings, None, failed, None))
}

/// Host name -> VM names of a VM readiness report (hosts whose VMs were read).
pub fn names_of(r: &crate::analysis::vm_readiness::VmReadiness) -> BTreeMap<String, Vec<String>> {
    r.hosts
        .iter()
        .filter(|h| h.error.is_none())
        .map(|h| {
            (
                h.host.clone(),
                h.vms.iter().map(|v| v.name.clone()).collect(),
            )
        })
        .collect()
}

/// The old side's cluster masks (one per cluster and vendor, as `audit` makes
/// them), each verified against the old dumps before it is re-checked against
/// the new ones. A mask that cannot be made (a floor bit) is left out.
fn old_masks(old: &Loaded, policy: Policy) -> Vec<OldMask> {
    let a = crate::analysis::fleet::analyze(&old.hosts, policy);
    if old.leaves.len() != old.hosts.len() {
        return Vec::new();
    }
    super::cluster_selections(&a)
        .into_iter()
        .filter_map(|labels| {
            let plan = maskplan::for_groups(&a, &old.hosts, &labels, Default::default()).ok()?;
            let checked = super::mask::verified_mask(
                &plan,
                &old.hosts,
                &old.leaves,
                crate::render::mask::MaskFormat::Vmx,
            )
            .ok()?;
            let cluster = labels
                .first()
                .and_then(|l| a.groups.iter().find(|g| &g.label == l))
                .and_then(|g| g.cluster.clone());
            Some(OldMask {
                cluster,
                vendor: plan.vendor,
                plan,
                mask: checked.mask,
            })
        })
        .collect()
}
