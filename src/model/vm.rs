//! Virtual machines as their configuration says: the `.vmx` ([`super::vmx`]),
//! the `.vmsd` beside it (snapshots, [`super::vmsd`]) and what the host reports
//! about VMware Tools. Read by [`crate::sources::vms`]; checked by
//! [`crate::analysis::vm_readiness`].

use super::{vmsd, vmx};
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
    /// A VM of `host` read from its `.vmx` (no snapshots, runtime or problem yet).
    pub fn new(host: &str, name: &str, path: &str, vmx: vmx::Vmx) -> VmSource {
        VmSource {
            host: host.to_string(),
            name: name.to_string(),
            path: path.to_string(),
            home_datastore: None,
            vmx,
            snapshots: None,
            runtime: None,
            problem: None,
        }
    }

    /// A VM whose configuration could not be read.
    pub fn unreadable(host: &str, name: &str, path: &str, problem: String) -> VmSource {
        VmSource {
            problem: Some(problem),
            ..VmSource::new(host, name, path, vmx::Vmx::default())
        }
    }
}
