//! Reading a fleet for the fleet commands: parse the file, collect every host in
//! parallel, decode; hosts that fail become rows, never a stop.

use crate::analysis::audit::FailedHost;
use crate::analysis::fleet::FleetHost;
use crate::analysis::host_blockers::{host_blockers, HostBlocker, HostBlockers};
use crate::cpuid::CpuLeaves;
use crate::decode::decode_dump;
use crate::sources::fleet::remote::RemoteSettings;
use crate::sources::fleet::{collect, file::FleetSpec};

/// A fleet after collection.
#[derive(Debug, Default)]
pub struct FleetInput {
    /// The decoded hosts, in fleet-file order.
    pub hosts: Vec<FleetHost>,
    /// The first logical CPU's raw leaves of each host (same order), kept only when
    /// asked for: masks are verified against them.
    pub leaves: Vec<CpuLeaves>,
    /// Each host's dump cut to its first logical CPU (what the fleet analysis
    /// compares), with its provenance, completeness, OS flags and fingerprint;
    /// kept with the leaves (same order): `audit --save` writes them, `drift`
    /// compares their fingerprints.
    pub dumps: Vec<crate::cpuid::RawDump>,
    /// Hosts that could not be collected.
    pub failed: Vec<FailedHost>,
    /// The host-level blockers found in each collected host's dump (hosts with
    /// none are left out), in fleet-file order.
    pub blockers: Vec<HostBlockers>,
}

/// Collects and decodes every host; with `keep_leaves`, also keeps each host's
/// first logical CPU (large fleets otherwise drop raw dumps as soon as decoded).
pub fn collect_fleet(spec: &FleetSpec, settings: &RemoteSettings, keep_leaves: bool) -> FleetInput {
    type Kept = Option<(CpuLeaves, crate::cpuid::RawDump)>;
    type One = Result<(FleetHost, Kept, Vec<HostBlocker>), FailedHost>;
    let decoded: Vec<One> = collect::collect_map(spec, settings, |host, dump| {
        let failed = |error: String| FailedHost {
            name: host.name.clone(),
            cluster: host.cluster.clone(),
            error,
        };
        let dump = dump.map_err(|e| failed(e.to_string()))?;
        let cpu =
            decode_dump(&dump).ok_or_else(|| failed("the dump holds no logical CPU".into()))?;
        let blockers = host_blockers(&dump, &cpu);
        let leaves = if keep_leaves {
            let mut dump = dump;
            dump.cpus.truncate(1);
            dump.cpus.first().cloned().map(|c| (c, dump))
        } else {
            None
        };
        Ok((
            FleetHost {
                name: host.name.clone(),
                cluster: host.cluster.clone(),
                cpu,
            },
            leaves,
            blockers,
        ))
    });
    let mut input = FleetInput::default();
    for d in decoded {
        match d {
            Ok((h, leaves, blockers)) => {
                if !blockers.is_empty() {
                    input.blockers.push(HostBlockers {
                        host: h.name.clone(),
                        blockers,
                    });
                }
                input.hosts.push(h);
                if let Some((leaves, dump)) = leaves {
                    input.leaves.push(leaves);
                    input.dumps.push(dump);
                }
            }
            Err(f) => input.failed.push(f),
        }
    }
    input
}
