//! One finding type and one severity scale for every check (storage/network,
//! VM readiness). Each command's JSON keeps its own keys: the storage/network
//! section writes `subject`/`hosts`/`message`/`action`, the VM section
//! `vm`/`device`/`uses`/`state`/`destinations`/`stops_move`/`problem`/`fix`
//! (see [`as_fleet`] and [`as_vm`], used with `#[serde(serialize_with)]`).

use std::fmt;

use serde::Serialize;

use super::vm_placement::FactState;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// It stops the move: vMotion cannot proceed (DRS and maintenance mode
    /// stall on the VM), or a migration between hosts fails (exit status 1).
    Error,
    /// Worth fixing; the move may still work (or work to some destinations only).
    Warning,
    /// Not checked: the fleet's sources do not say (never a failure or a pass);
    /// the fix says how to declare it.
    NotChecked,
}

impl Severity {
    /// "error", "warning" or "not checked".
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::NotChecked => "not checked",
        }
    }
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// What a finding is about. Serialized (and displayed) as its
        /// kebab-case name, e.g. `lun-not-shared`, `port-group`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum FindingKind {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl FindingKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [FindingKind] = &[$(FindingKind::$variant),*];

            /// Its name as written in JSON and text (`lun-not-shared`).
            pub fn name(self) -> &'static str {
                match self { $(FindingKind::$variant => $name,)* }
            }

            /// The kind with this name; None for an unknown name.
            pub fn from_name(name: &str) -> Option<FindingKind> {
                match name { $($name => Some(FindingKind::$variant),)* _ => None }
            }
        }
    };
}

kinds! {
    // Storage/network (per cluster).
    /// A shared LUN some hosts of the cluster do not see.
    LunNotShared = "lun-not-shared",
    /// A datastore (by identity) some hosts of the cluster do not have.
    DatastoreNotShared = "datastore-not-shared",
    /// The same storage (VMFS UUID, NFS export) under different datastore names.
    DatastoreNameMismatch = "datastore-name-mismatch",
    /// The same datastore name pointing at different storage on different hosts.
    DatastoreIdentityConflict = "datastore-identity-conflict",
    /// A port group some hosts of the cluster lack.
    PortGroupMissing = "port-group-missing",
    /// Port-group labels equal but for case or surrounding whitespace.
    PortGroupLabelMismatch = "port-group-label-mismatch",
    /// No VMkernel port enabled for vMotion.
    NoVmotionPort = "no-vmotion-port",
    /// The vMotion link is slower than 1000 Mb/s.
    SlowVmotionLink = "slow-vmotion-link",
    /// The vMotion ports of a cluster have different MTUs.
    VmotionMtuMismatch = "vmotion-mtu-mismatch",
    /// The vMotion ports of a cluster are on different TCP/IP stacks.
    VmotionStackMismatch = "vmotion-stack-mismatch",
    /// The vMotion ports are on different subnets and vMotion is not routed.
    VmotionSubnetMismatch = "vmotion-subnet-mismatch",
    /// The host's storage/network facts could not be read.
    FactsUnavailable = "facts-unavailable",
    // VM readiness (per VM).
    /// A NIC on an internal-only (uplinkless) port group.
    InternalNetwork = "internal-network",
    /// A NIC on a port group the destinations lack (or may lack).
    PortGroup = "port-group",
    /// A device backed by the host's own hardware (passthrough, host CD drive).
    HostDevice = "host-device",
    /// A CD/floppy image on storage the destinations do not see.
    LocalImage = "local-image",
    /// CPU affinity pins the VM to this host's CPUs.
    CpuAffinity = "cpu-affinity",
    /// SCSI bus sharing (virtual or physical).
    SharedBus = "shared-bus",
    /// A disk shared with another VM (multi-writer, cluster node).
    ClusteredDisk = "clustered-disk",
    /// A disk on storage the destinations do not see.
    Storage = "storage",
    /// A raw device mapping.
    Rdm = "rdm",
    /// A virtual hardware version the destinations' ESXi does not run.
    HardwareVersion = "hardware-version",
    /// The VM has snapshots.
    Snapshots = "snapshots",
    /// VMware Tools heartbeat missing.
    NoHeartbeat = "no-heartbeat",
    /// The destinations' CPUs lack features the VM uses.
    Cpu = "cpu",
    /// The VM's own CPUID mask.
    Mask = "mask",
    /// The VM's own CPUID mask hides a feature another depends on.
    MaskDependency = "mask-dependency",
    /// The VM's configuration could not be read.
    Unreadable = "unreadable",
    /// A destination runs another node of the VM's guest cluster.
    ClusterNode = "cluster-node",
    /// No destination host for the VM.
    NoDestination = "no-destination",
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for FindingKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// A finding kind given as itself, or by its name (the form
/// `vm_placement::Need::kind` carries).
pub trait IntoKind {
    /// The kind.
    fn into_kind(self) -> FindingKind;
}

impl IntoKind for FindingKind {
    fn into_kind(self) -> FindingKind {
        self
    }
}

impl IntoKind for &'static str {
    /// Looks the name up; every name used in `src/analysis` is known (a unit
    /// test checks them), an unknown one becomes [`FindingKind::Unreadable`].
    fn into_kind(self) -> FindingKind {
        let k = FindingKind::from_name(self);
        debug_assert!(k.is_some(), "unknown finding kind {self:?}");
        k.unwrap_or(FindingKind::Unreadable)
    }
}

/// One finding of any check. Storage/network findings fill `cluster`,
/// `subject` and `hosts`; VM findings fill `vm`, `device`, `uses`, `state`,
/// `destinations` and `stops_move`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error, warning, or not checked.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: FindingKind,
    /// Storage/network: the cluster (None: hosts without a cluster).
    pub cluster: Option<String>,
    /// Storage/network: what it is about (a LUN id, a datastore, a port-group
    /// label, a host).
    pub subject: String,
    /// Storage/network: the hosts involved (those lacking something, or the
    /// host concerned).
    pub hosts: Vec<String>,
    /// VM: the VM's name.
    pub vm: String,
    /// VM: the device (`ethernet0`, `ide1:0`, `scsi0:1`), if one.
    pub device: Option<String>,
    /// VM: what the device uses on the destinations (its port group, datastore,
    /// LUN, hardware version), when the finding is about one.
    pub uses: Option<String>,
    /// VM: whether the destinations have it: `absent` (they lack what the VM
    /// uses), `unknown` (the sources do not say), `present` (they have it: the
    /// finding is about the VM's own setting, such as CPU affinity or snapshots).
    pub state: FactState,
    /// VM: the destinations it concerns: those that lack it (`absent`), those
    /// not checked (`unknown`), else every destination of the host.
    pub destinations: Vec<String>,
    /// VM: true when it stops the move to `destinations` (as configured now).
    pub stops_move: bool,
    /// What is wrong and why it matters (JSON `problem`; `message` in the
    /// storage/network section).
    pub problem: String,
    /// What to change: the exact setting, or how to declare the unknown fact
    /// (JSON `fix`; `action` in the storage/network section).
    pub fix: String,
}

impl Finding {
    /// A finding with only severity, kind and texts set (other fields empty,
    /// state `present`).
    pub fn new(severity: Severity, kind: FindingKind, problem: String, fix: String) -> Finding {
        Finding {
            severity,
            kind,
            cluster: None,
            subject: String::new(),
            hosts: Vec::new(),
            vm: String::new(),
            device: None,
            uses: None,
            state: FactState::Present,
            destinations: Vec::new(),
            stops_move: false,
            problem,
            fix,
        }
    }
}

/// An empty finding for struct-update syntax (`..Default::default()`): every
/// literal sets severity, kind and texts.
impl Default for Finding {
    fn default() -> Finding {
        Finding::new(
            Severity::Warning,
            FindingKind::Unreadable,
            String::new(),
            String::new(),
        )
    }
}

#[derive(Serialize)]
struct FleetView<'a> {
    severity: Severity,
    kind: FindingKind,
    cluster: &'a Option<String>,
    subject: &'a str,
    hosts: &'a [String],
    message: &'a str,
    action: &'a str,
}

#[derive(Serialize)]
struct VmView<'a> {
    vm: &'a str,
    severity: Severity,
    kind: FindingKind,
    device: &'a Option<String>,
    uses: &'a Option<String>,
    state: FactState,
    destinations: &'a [String],
    stops_move: bool,
    problem: &'a str,
    fix: &'a str,
}

/// Storage/network findings as JSON objects with keys `severity`, `kind`,
/// `cluster`, `subject`, `hosts`, `message`, `action` (for `serialize_with`).
pub fn as_fleet<S: serde::Serializer>(v: &[Finding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|f| FleetView {
        severity: f.severity,
        kind: f.kind,
        cluster: &f.cluster,
        subject: &f.subject,
        hosts: &f.hosts,
        message: &f.problem,
        action: &f.fix,
    }))
}

/// VM findings as JSON objects with keys `vm`, `severity`, `kind`, `device`,
/// `uses`, `state`, `destinations`, `stops_move`, `problem`, `fix` (for
/// `serialize_with`).
pub fn as_vm<S: serde::Serializer>(v: &[Finding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|f| VmView {
        vm: &f.vm,
        severity: f.severity,
        kind: f.kind,
        device: &f.device,
        uses: &f.uses,
        state: f.state,
        destinations: &f.destinations,
        stops_move: f.stops_move,
        problem: &f.problem,
        fix: &f.fix,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for &k in FindingKind::ALL {
            assert_eq!(FindingKind::from_name(k.name()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
    }

    #[test]
    fn every_kind_name_in_analysis_is_known() {
        // The names vm_placement's Need literals carry (kind: "...").
        for file in ["vm_placement.rs", "vm_readiness.rs", "vm_clustered.rs"] {
            let path = format!("{}/src/analysis/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("kind: \"").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(FindingKind::from_name(name).is_some(), "{file}: {name}");
            }
        }
    }
}
