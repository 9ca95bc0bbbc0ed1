//! Reading a fleet for the fleet commands: parse the file, collect every host in
//! parallel, decode; hosts that fail become rows, never a stop.

use rayon::prelude::*;

use crate::analysis::audit::FailedHost;
use crate::analysis::fleet::FleetHost;
use crate::decode::decode_dump;
use crate::fleet::{collect, file::FleetSpec};

/// The decoded hosts of a fleet, and those that could not be collected.
pub fn collect_and_decode(spec: &FleetSpec) -> (Vec<FleetHost>, Vec<FailedHost>) {
    let collected = collect::collect(spec);
    let decoded: Vec<Result<FleetHost, FailedHost>> = collected
        .into_par_iter()
        .map(|c| {
            let failed = |error: String| FailedHost {
                name: c.spec.name.clone(),
                cluster: c.spec.cluster.clone(),
                error,
            };
            match c.dump {
                Ok(dump) => match decode_dump(&dump) {
                    Some(cpu) => Ok(FleetHost {
                        name: c.spec.name.clone(),
                        cluster: c.spec.cluster.clone(),
                        cpu,
                    }),
                    None => Err(failed("the dump holds no logical CPU".into())),
                },
                Err(e) => Err(failed(e.to_string())),
            }
        })
        .collect();
    let (mut hosts, mut failed) = (Vec::new(), Vec::new());
    for d in decoded {
        match d {
            Ok(h) => hosts.push(h),
            Err(f) => failed.push(f),
        }
    }
    (hosts, failed)
}
