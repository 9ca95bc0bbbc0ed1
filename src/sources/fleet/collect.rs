//! Collecting every host's dump, in parallel. One bad host never stops the fleet:
//! it becomes a row that says what went wrong.

use rayon::prelude::*;

use super::file::{FleetSpec, HostSourceSpec, HostSpec};
use crate::cpuid::RawDump;
use crate::sources::fleet::remote::RemoteSettings;
use crate::util::error::Error;

/// Collects every host and hands each dump to `f` as soon as it is read, so a
/// large fleet never holds every raw dump in memory at once (order preserved).
pub fn collect_map<'a, T: Send>(
    fleet: &'a FleetSpec,
    settings: &RemoteSettings,
    f: impl Fn(&'a HostSpec, Result<RawDump, Error>) -> T + Sync + Send,
) -> Vec<T> {
    let mut remote: Vec<Option<Result<RawDump, Error>>> =
        fleet.hosts.iter().map(|_| None).collect();
    for (i, r) in crate::sources::fleet::remote::collect_all(&fleet.hosts, settings) {
        if let Some(slot) = remote.get_mut(i) {
            *slot = Some(r);
        }
    }
    // The local CPU is probed once however many hosts name it.
    let needs_local = fleet
        .hosts
        .iter()
        .any(|h| h.source == HostSourceSpec::Local);
    let local = needs_local.then(crate::sources::local::probe);
    fleet
        .hosts
        .par_iter()
        .zip(remote.into_par_iter())
        .map(|(spec, remote)| {
            f(
                spec,
                remote.unwrap_or_else(|| collect_one(spec, local.as_ref())),
            )
        })
        .collect()
}

fn collect_one(spec: &HostSpec, local: Option<&Result<RawDump, Error>>) -> Result<RawDump, Error> {
    match &spec.source {
        HostSourceSpec::Local => match local {
            Some(Ok(d)) => Ok(d.clone()),
            Some(Err(e)) => Err(Error::Collect {
                host: spec.name.clone(),
                message: e.to_string(),
            }),
            None => Err(Error::Collect {
                host: spec.name.clone(),
                message: "the local CPU was not probed".into(),
            }),
        },
        HostSourceSpec::Dump(path) => crate::sources::formats::read_file(path),
        HostSourceSpec::Profile(name) => crate::shipped::profiles::load(name),
        HostSourceSpec::AnsibleResult(path) => crate::sources::ansible::read(path, &spec.name),
        HostSourceSpec::Vcenter(h) => h.dump.clone().map_err(|message| Error::Collect {
            host: spec.name.clone(),
            message,
        }),
        HostSourceSpec::Address {
            scheme,
            value,
            base,
        } => (scheme.read)(value, base),
        HostSourceSpec::Ssh(_) | HostSourceSpec::Esxi(_) => Err(Error::Collect {
            host: spec.name.clone(),
            message: "remote host was not collected".into(),
        }),
    }
}
