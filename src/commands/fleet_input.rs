//! Reading a fleet for the fleet commands: parse the file, collect every host in
//! parallel, decode; hosts that fail become rows, never a stop.

use crate::analysis::audit::FailedHost;
use crate::analysis::fleet::FleetHost;
use crate::decode::decode_dump;
use crate::fleet::{collect, file::FleetSpec};

/// The decoded hosts of a fleet, and those that could not be collected.
pub fn collect_and_decode(spec: &FleetSpec) -> (Vec<FleetHost>, Vec<FailedHost>) {
    let decoded: Vec<Result<FleetHost, FailedHost>> = collect::collect_map(spec, |host, dump| {
        let failed = |error: String| FailedHost {
            name: host.name.clone(),
            cluster: host.cluster.clone(),
            error,
        };
        match dump {
            Ok(dump) => match decode_dump(&dump) {
                Some(cpu) => Ok(FleetHost {
                    name: host.name.clone(),
                    cluster: host.cluster.clone(),
                    cpu,
                }),
                None => Err(failed("the dump holds no logical CPU".into())),
            },
            Err(e) => Err(failed(e.to_string())),
        }
    });
    let (mut hosts, mut failed) = (Vec::new(), Vec::new());
    for d in decoded {
        match d {
            Ok(h) => hosts.push(h),
            Err(f) => failed.push(f),
        }
    }
    (hosts, failed)
}
