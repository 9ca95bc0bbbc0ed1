//! Virtual machines as their configuration says: `.vmx` files read from a local
//! directory or over SSH from ESXi hosts, the `.vmsd` beside each (snapshots),
//! and what the host reports about VMware Tools. The checks that decide whether
//! a VM can move live in [`crate::analysis::vm_readiness`] (no I/O there).

pub mod inventory;
pub mod runlog;
pub mod vmsd;
pub mod vmx;

use serde::Serialize;

/// One VM as read from its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmSource {
    /// The host it is registered on (fleet-file name).
    pub host: String,
    /// Its name: `displayName`, else the name the host lists, else the file name.
    pub name: String,
    /// Where its `.vmx` is: `[datastore] dir/vm.vmx` when the datastore is known,
    /// else the file path.
    pub path: String,
    /// The datastore its `.vmx` lives on (relative disk and ISO paths point there).
    pub home_datastore: Option<String>,
    /// Its configuration (empty when it could not be read: see `problem`).
    #[serde(skip)]
    pub vmx: vmx::Vmx,
    /// Its snapshots, when a `.vmsd` was found.
    pub snapshots: Option<vmsd::Snapshots>,
    /// What the host reports about it (power state, VMware Tools), where it does.
    pub runtime: Option<vmsd::Runtime>,
    /// Why it could not be read, if it could not.
    pub problem: Option<String>,
}

impl VmSource {
    /// A VM whose configuration could not be read.
    pub fn unreadable(host: &str, name: &str, path: &str, problem: String) -> VmSource {
        VmSource {
            host: host.to_string(),
            name: name.to_string(),
            path: path.to_string(),
            home_datastore: None,
            vmx: vmx::Vmx::default(),
            snapshots: None,
            runtime: None,
            problem: Some(problem),
        }
    }
}

/// The storage/network facts VM readiness uses for one host when none were
/// read from it: the facts declared in the fleet file
/// ([`crate::facts::declared::from_spec`]: `luns`, `datastores`, `nfs`,
/// `port_groups`, `vmotion`) plus the VM-readiness keys `internal_port_groups`
/// (port groups on a switch with no uplinks) and `local_datastores`.
pub fn host_facts(spec: &crate::fleet::file::HostSpec) -> crate::facts::HostFacts {
    use crate::facts::{Datastore, FactsSource, PortGroup, StorageIdentity, VSwitch};
    let k = &spec.vm_keys;
    let mut f = crate::facts::declared::from_spec(spec).unwrap_or_default();
    if f.source.is_none() && k.internal_port_groups.is_none() && k.local_datastores.is_none() {
        return f;
    }
    f.source = Some(FactsSource::Declared);
    const UPLINKED: &str = "declared switch with uplinks";
    const INTERNAL: &str = "declared internal switch (no uplinks)";
    f.vswitches.push(VSwitch {
        name: UPLINKED.into(),
        uplinks: vec!["declared".into()],
    });
    f.vswitches.push(VSwitch {
        name: INTERNAL.into(),
        uplinks: Vec::new(),
    });
    for p in &mut f.port_groups {
        p.vswitch = Some(UPLINKED.into());
    }
    for l in k.internal_port_groups.iter().flatten() {
        f.port_groups.push(PortGroup {
            label: l.clone(),
            vswitch: Some(INTERNAL.into()),
            vlan: None,
        });
    }
    for n in k.local_datastores.iter().flatten() {
        f.datastores.push(Datastore {
            name: n.clone(),
            identity: StorageIdentity::Named,
            is_local: true,
        });
    }
    f
}
