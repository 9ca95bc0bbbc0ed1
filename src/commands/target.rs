//! Wiring for target hypervisors: which target each cluster uses (the option,
//! the fleet file, or what the sources say), the guest view applied to every
//! collected host before analysis, and the QEMU/libvirt releases asked for.

use crate::analysis::cpumodel::Versions;
use crate::cli::TargetArgs;
use crate::shipped::targets::{self, Choice, Hypervisor, SourceCounts};
use crate::sources::fleet::file::{FleetSpec, HostSourceSpec};
use crate::util::error::{Error, Result};

/// The target of each cluster of `spec` (one entry per cluster, `None` for hosts
/// without one), in the order clusters first appear.
pub fn choices(spec: &FleetSpec, args: &TargetArgs) -> Vec<Choice> {
    let mut clusters: Vec<Option<String>> = Vec::new();
    for h in &spec.hosts {
        if !clusters.contains(&h.cluster) {
            clusters.push(h.cluster.clone());
        }
    }
    let local_kvm = std::path::Path::new("/dev/kvm").exists();
    clusters
        .into_iter()
        .map(|c| {
            let mut counts = SourceCounts::default();
            for h in spec.hosts.iter().filter(|h| h.cluster == c) {
                match &h.source {
                    HostSourceSpec::Esxi(_) | HostSourceSpec::Vcenter(_) => counts.esxi += 1,
                    HostSourceSpec::Ssh(_) => counts.linux_kvm += 1,
                    HostSourceSpec::Local if local_kvm => counts.linux_kvm += 1,
                    _ => counts.other += 1,
                }
            }
            let explicit = match (
                args.target,
                c.as_ref().and_then(|n| spec.cluster_targets.get(n)),
                spec.target,
            ) {
                (Some(t), _, _) => Some((t, "--target".to_string())),
                (None, Some(t), _) => Some((
                    *t,
                    format!(
                        "the fleet file's [cluster.{}] target",
                        c.as_deref().unwrap_or("")
                    ),
                )),
                (None, None, Some(t)) => Some((t, "the fleet file's [fleet] target".to_string())),
                _ => None,
            };
            targets::choose(c.as_deref(), explicit, counts)
        })
        .collect()
}

/// The target of hosts of `cluster`.
pub fn target_of(choices: &[Choice], cluster: Option<&str>) -> Hypervisor {
    choices
        .iter()
        .find(|c| c.cluster.as_deref() == cluster)
        .map_or(Hypervisor::Vsphere, |c| c.target)
}

/// Applies each host's target view to the collected input (its decoded features
/// and, when kept, its raw leaves).
pub fn apply_views(input: &mut super::fleet_input::FleetInput, choices: &[Choice]) {
    for (i, h) in input.hosts.iter_mut().enumerate() {
        let t = target_of(choices, h.cluster.as_deref());
        targets::apply(t, &mut h.cpu, input.leaves.get_mut(i));
    }
}

/// One line per cluster: the target used and why.
pub fn describe(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| {
            let who = match &c.cluster {
                Some(n) => format!("cluster {n}"),
                None => "hosts without a cluster".to_string(),
            };
            format!("target for {who}: {} ({})", c.target, c.why)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The QEMU and libvirt releases asked for (defaults: Debian 12's 7.2 and 9.0).
pub fn versions(args: &TargetArgs) -> Result<Versions> {
    let parse = |v: &Option<String>, flag: &str, default| -> Result<_> {
        match v {
            None => Ok(default),
            Some(s) => s
                .parse()
                .map_err(|e: String| Error::Usage(format!("{flag}: {e}"))),
        }
    };
    let d = Versions::default();
    Ok(Versions {
        qemu: parse(&args.qemu_version, "--qemu-version", d.qemu)?,
        libvirt: parse(&args.libvirt_version, "--libvirt-version", d.libvirt)?,
    })
}

/// The releases read from the hosts over SSH (`qemu-system-x86_64 --version`,
/// `virtqemud --version` or `libvirtd --version`), for the versions not given on the command line: the
/// oldest of each across the hosts that have it (what every host accepts), with
/// a line saying so.
pub fn learn_versions(
    args: &TargetArgs,
    mut versions: Versions,
    facts: &[crate::model::facts::FactsHost],
) -> (Versions, Option<String>) {
    use crate::shipped::targets::models::Version;
    let oldest = |get: &dyn Fn(&crate::model::facts::HostFacts) -> Option<&String>| {
        facts
            .iter()
            .filter_map(|h| {
                let v: Version = get(h.facts.as_ref()?)?.parse().ok()?;
                Some((v, h.name.clone()))
            })
            .min_by_key(|(v, _)| *v)
    };
    let mut said = Vec::new();
    if args.qemu_version.is_none() {
        if let Some((v, host)) = oldest(&|f| f.qemu_version.as_ref()) {
            versions.qemu = v;
            said.push(format!("QEMU {v} (the oldest, on {host})"));
        }
    }
    if args.libvirt_version.is_none() {
        if let Some((v, host)) = oldest(&|f| f.libvirt_version.as_ref()) {
            versions.libvirt = v;
            said.push(format!("libvirt {v} (the oldest, on {host})"));
        }
    }
    let line = (!said.is_empty()).then(|| {
        format!(
            "releases learned from the hosts over SSH: {}",
            said.join(", ")
        )
    });
    (versions, line)
}
