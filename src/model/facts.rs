//! Non-CPU facts about a host that live migration depends on: the storage it
//! sees, the port groups it carries, and its vMotion network. Sources (ESXi
//! `esxcli`, Linux/KVM hosts, facts declared in the fleet file) produce
//! [`HostFacts`]; the storage/network checks and the VM readiness checks consume it.

use serde::{Deserialize, Serialize};

/// Where a host's facts came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactsSource {
    /// Declared in the fleet file (hosts not yet bought or not reachable).
    Declared,
    /// Read from an ESXi host over SSH (`esxcli`, `vim-cmd`).
    Esxi,
    /// Read from a Linux/KVM host over SSH.
    Linux,
    /// Read from vCenter (the vSphere API) or a saved export of it.
    Vcenter,
}

/// A block device (LUN) a host sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lun {
    /// Its identity across hosts: the naa/eui/t10 id or the WWN.
    pub id: String,
    /// The name the host shows for it (display name, model), if any.
    pub display_name: Option<String>,
    /// True when the host reports it as local (not shared).
    pub is_local: bool,
    /// True when the host reports it as shared cluster-wide.
    pub is_shared: bool,
}

/// How a datastore (or shared file system) is identified across hosts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StorageIdentity {
    /// A VMFS volume: its UUID, and the devices (LUN ids) it spans.
    Vmfs {
        /// VMFS UUID.
        uuid: String,
        /// Device ids of its extents.
        devices: Vec<String>,
    },
    /// An NFS export: server and path.
    Nfs {
        /// NFS server (host name or address, as the host mounts it).
        server: String,
        /// Exported path.
        path: String,
    },
    /// Another shared file system (Ceph, GlusterFS, ...): its source string.
    Other {
        /// File system type (`ceph`, `glusterfs`, ...).
        fstype: String,
        /// Mount source.
        source: String,
    },
    /// Only a name is known (declared facts).
    Named,
}

/// A datastore or shared mount a host has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Datastore {
    /// The datastore name as the host shows it (or the mount point on Linux).
    pub name: String,
    /// What it really is: identity is the device or export, not the name.
    pub identity: StorageIdentity,
    /// True when it is local to the host (not shared).
    pub is_local: bool,
}

/// A virtual switch (standard vSwitch, Linux bridge, OVS bridge, libvirt network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VSwitch {
    /// Its name.
    pub name: String,
    /// Physical uplinks (NICs). None: an internal-only switch.
    pub uplinks: Vec<String>,
}

/// A port group (or a bridge/network name on Linux/KVM) VMs attach to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortGroup {
    /// The label, exactly as configured (labels are case-sensitive for vMotion).
    pub label: String,
    /// The switch it lives on, if known.
    pub vswitch: Option<String>,
    /// VLAN id, if known.
    pub vlan: Option<u32>,
}

/// The VMkernel port enabled for vMotion.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VmotionPort {
    /// The VMkernel interface (`vmk1`).
    pub vmk: String,
    /// Link speed of the NIC behind it, in Mb/s, if known.
    pub speed_mbps: Option<u32>,
    /// Its MTU in bytes (`esxcli network ip interface list`: `MTU`), if known.
    #[serde(default)]
    pub mtu: Option<u32>,
    /// Its TCP/IP stack (`Netstack Instance`: `defaultTcpipStack`, `vmotion`), if known.
    #[serde(default)]
    pub netstack: Option<String>,
    /// Its IPv4 address (`esxcli network ip interface ipv4 get`), if known.
    #[serde(default)]
    pub ipv4: Option<std::net::Ipv4Addr>,
    /// The prefix length of its IPv4 subnet (from the netmask), if known.
    #[serde(default)]
    pub prefix_len: Option<u8>,
    /// The gateway of its stack (a routed vMotion stack has one), if known.
    #[serde(default)]
    pub gateway: Option<std::net::Ipv4Addr>,
}

/// A physical NIC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nic {
    /// Its name (`vmnic0`, `eno1`).
    pub name: String,
    /// Link speed in Mb/s, if known.
    pub speed_mbps: Option<u32>,
    /// Link up?
    pub link_up: Option<bool>,
}

/// Everything known about one host's storage and network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostFacts {
    /// Where the facts came from (None until a source fills them).
    pub source: Option<FactsSource>,
    /// LUNs (block devices).
    pub luns: Vec<Lun>,
    /// Datastores and shared mounts.
    pub datastores: Vec<Datastore>,
    /// Virtual switches with their uplinks.
    pub vswitches: Vec<VSwitch>,
    /// Port groups.
    pub port_groups: Vec<PortGroup>,
    /// The vMotion VMkernel port; None when no VMkernel port is enabled for vMotion.
    pub vmotion: Option<VmotionPort>,
    /// Physical NICs.
    pub nics: Vec<Nic>,
    /// The ESXi release (`vmware -vl`, or declared `esxi_version`), where known.
    #[serde(default)]
    pub esxi_version: Option<super::esxi_version::EsxiVersion>,
    /// Optional facts that could not be read (a command that hung and was
    /// stopped, or failed), each saying what and why: the others are still used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_read: Vec<String>,
}

/// One host's facts as collected, named (the storage/network checks read these).
#[derive(Debug, Clone)]
pub struct FactsHost {
    /// Host name.
    pub name: String,
    /// Cluster, if any.
    pub cluster: Option<String>,
    /// Its facts; `None` when the host has none (or they could not be read: see `error`).
    pub facts: Option<HostFacts>,
    /// Why its facts could not be read, if they could not.
    pub error: Option<String>,
}

impl HostFacts {
    /// The switch a port group lives on, if known.
    pub fn vswitch_of(&self, label: &str) -> Option<&VSwitch> {
        let pg = self.port_groups.iter().find(|p| p.label == label)?;
        let sw = pg.vswitch.as_deref()?;
        self.vswitches.iter().find(|v| v.name == sw)
    }

    /// True when the port group exists and lives on a switch with no uplinks
    /// (an internal-only network: a VM on it cannot keep its connectivity elsewhere).
    pub fn is_internal_port_group(&self, label: &str) -> bool {
        self.vswitch_of(label).is_some_and(|v| v.uplinks.is_empty())
    }
}
