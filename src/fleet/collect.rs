//! Collecting every host's dump, in parallel. One bad host never stops the fleet:
//! it becomes a row that says what went wrong.

use rayon::prelude::*;

use super::file::{FleetSpec, HostSourceSpec, HostSpec};
use crate::cpuid::{self, RawDump};
use crate::error::Error;

/// One host after collection: its dump, or why there is none.
#[derive(Debug)]
pub struct Collected<'a> {
    /// The host as the fleet file gave it.
    pub spec: &'a HostSpec,
    /// The dump, or the error that prevented collecting it.
    pub dump: Result<RawDump, Error>,
}

/// Collects every host of the fleet (in parallel, order preserved).
pub fn collect(fleet: &FleetSpec) -> Vec<Collected<'_>> {
    collect_map(fleet, |spec, dump| Collected { spec, dump })
}

/// Collects every host in parallel and hands each dump to `f` as soon as it is
/// read, so a large fleet never holds every raw dump in memory at once (order
/// preserved).
pub fn collect_map<'a, T: Send>(
    fleet: &'a FleetSpec,
    f: impl Fn(&'a HostSpec, Result<RawDump, Error>) -> T + Sync + Send,
) -> Vec<T> {
    // The local CPU is probed once however many hosts name it.
    let needs_local = fleet
        .hosts
        .iter()
        .any(|h| h.source == HostSourceSpec::Local);
    let local = needs_local.then(cpuid::local::probe);
    fleet
        .hosts
        .par_iter()
        .map(|spec| f(spec, collect_one(spec, local.as_ref())))
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
        HostSourceSpec::Dump(path) => cpuid::formats::read_file(path),
        HostSourceSpec::Profile(name) => crate::profiles::load(name),
    }
}
