//! vSphere inventory -> the model every other source produces: per host a
//! [`RawDump`] (cpuFeature joined with featureCapability), [`HostFacts`]
//! (datastores with identity, standard and distributed port groups, the vMotion
//! VMkernel port and its link speed) and its VMs as [`VmSource`]s (a `.vmx`
//! view built from `config.extraConfig`, the devices, CPU affinity, per-VM
//! feature mask; snapshots; Tools), so audit, storage/network and VM readiness
//! run unchanged.
//!
//! The same mapping reads a live walk ([`super::client::Client::walk`], one per
//! object type) and a saved export ([`super::export`]), whose objects carry
//! whole properties (`config`) instead of paths (`config.featureCapability`):
//! [`Object::values`] reads both.

use std::collections::{BTreeMap, HashMap};

use super::client::{permission_message, Object};
use super::soap::MoRef;
use super::xml::Node;
use crate::cpuid::{Completeness, CpuLeaves, Provenance, RawDump, Regs, SourceKind};
use crate::model::facts::{
    Datastore, FactsSource, HostFacts, Lun, Nic, PortGroup, StorageIdentity, VSwitch, VmotionPort,
};
use crate::model::vm::VmSource;
use crate::model::{vmsd, vmx};
use crate::sources::vmware_features::{join, Capability, EvcFacts};

/// Inventory folders, datacenters and compute resources: names and parents.
pub const ENTITY_TYPES: &[&str] = &["Folder", "Datacenter", "ComputeResource"];
/// What is read of them.
pub const ENTITY_PROPS: &[(&str, &[&str])] = &[
    ("Folder", &["name", "parent"]),
    ("Datacenter", &["name", "parent"]),
    ("ComputeResource", &["name", "parent"]),
    ("ClusterComputeResource", &["summary"]),
];
/// What is read of each host.
pub const HOST_PROPS: &[&str] = &[
    "name",
    "parent",
    "runtime.connectionState",
    "hardware.cpuFeature",
    "hardware.cpuPkg",
    "config.featureCapability",
    "config.product.version",
    "config.network.vswitch",
    "config.network.portgroup",
    "config.network.pnic",
    "config.network.vnic",
    "config.virtualNicManagerInfo.netConfig",
    "summary.maxEVCModeKey",
    "summary.currentEVCModeKey",
    "datastore",
    "network",
];
/// What is read of each datastore.
pub const DATASTORE_PROPS: &[&str] = &["name", "summary.type", "summary.url", "info"];
/// Networks, distributed port groups and their switches.
pub const NETWORK_TYPES: &[&str] = &["Network", "DistributedVirtualSwitch"];
/// What is read of them.
pub const NETWORK_PROPS: &[(&str, &[&str])] = &[
    ("Network", &["name"]),
    (
        "DistributedVirtualPortgroup",
        &["key", "config.distributedVirtualSwitch", "config.uplink"],
    ),
    ("DistributedVirtualSwitch", &["name", "uuid"]),
];
/// What is read of each VM.
pub const VM_PROPS: &[&str] = &[
    "name",
    "config.template",
    "config.version",
    "config.files.vmPathName",
    "config.extraConfig",
    "config.hardware.device",
    "config.cpuAffinity",
    "runtime.host",
    "runtime.powerState",
    "runtime.featureMask",
    "snapshot",
    "guest.toolsStatus",
    "guest.toolsRunningStatus",
    "guestHeartbeatStatus",
];

/// Every object read, by walk.
#[derive(Debug, Default)]
pub struct Walks {
    /// Folders, datacenters, compute resources and clusters.
    pub entities: Vec<Object>,
    /// Hosts.
    pub hosts: Vec<Object>,
    /// Datastores.
    pub datastores: Vec<Object>,
    /// Networks, DV port groups, DV switches.
    pub networks: Vec<Object>,
    /// Virtual machines.
    pub vms: Vec<Object>,
}

/// Which part of the inventory to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only hosts of this datacenter (name).
    pub datacenter: Option<String>,
    /// Only hosts of this cluster (name).
    pub cluster: Option<String>,
}

/// One host as vCenter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcHost {
    /// Its name in the inventory.
    pub name: String,
    /// Its cluster (`None`: a standalone host).
    pub cluster: Option<String>,
    /// Its datacenter, where known.
    pub datacenter: Option<String>,
    /// Its CPU view, or why it could not be read.
    pub dump: Result<RawDump, String>,
    /// Storage and network facts.
    pub facts: HostFacts,
    /// Its VMs (templates left out).
    pub vms: Vec<VmSource>,
    /// featureCapability names the catalog does not know.
    pub unknown_names: Vec<String>,
    /// EVC facts.
    pub evc: EvcFacts,
}

/// The inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// The vCenter URL or export directory.
    pub origin: String,
    /// `about.fullName`, where known.
    pub about: String,
    /// The hosts, ordered by cluster and name.
    pub hosts: Vec<VcHost>,
    /// Each cluster's current EVC mode (`None`: EVC off).
    pub cluster_evc: BTreeMap<String, Option<String>>,
    /// HTTP round trips made (0 for an export).
    pub round_trips: usize,
    /// Bytes of SOAP answers read (0 for an export).
    pub bytes: u64,
}

fn key_of(o: &Object) -> Option<&MoRef> {
    o.obj.as_ref()
}

fn leaf_regs(n: &Node) -> Option<(u32, Regs)> {
    let level: i64 = n.text_of("level")?.trim().parse().ok()?;
    let bits = |r: &str| -> Option<u32> {
        let s: String = n.text_of(r)?.chars().filter(|&c| c != ':').collect();
        if s.len() != 32 {
            return None;
        }
        u32::from_str_radix(&s, 2).ok()
    };
    Some((
        level as i32 as u32,
        Regs::new(bits("eax")?, bits("ebx")?, bits("ecx")?, bits("edx")?),
    ))
}

/// The first NoPermission fault among `paths`, said plainly.
fn denied(o: &Object, paths: &[&str], what: &str) -> Option<String> {
    o.missing
        .iter()
        .find(|(p, _)| {
            paths
                .iter()
                .any(|w| p == w || w.starts_with(&format!("{p}.")))
        })
        .map(|(p, f)| permission_message(f, &format!("read {p} of {what}")))
}

fn cpu_dump(
    o: &Object,
    name: &str,
    origin: &str,
) -> (Result<RawDump, String>, Vec<String>, EvcFacts) {
    let evc = EvcFacts {
        max_evc_mode: o.text("summary.maxEVCModeKey").map(str::to_string),
        current_evc_mode: o.text("summary.currentEVCModeKey").map(str::to_string),
    };
    if let Some(m) = denied(
        o,
        &[
            "hardware.cpuFeature",
            "config.featureCapability",
            "hardware.cpuPkg",
        ],
        &format!("host {name}"),
    ) {
        return (Err(m), Vec::new(), evc);
    }
    match o.text("runtime.connectionState") {
        Some("disconnected") | Some("notResponding") => {
            let s = o.text("runtime.connectionState").unwrap_or("");
            return (
                Err(format!(
                    "vCenter reports host {name} as {s}: its hardware cannot be read until it is connected again"
                )),
                Vec::new(),
                evc,
            );
        }
        _ => {}
    }
    let mut leaves: Vec<(u32, Regs)> = o
        .values("hardware.cpuFeature")
        .into_iter()
        .filter_map(leaf_regs)
        .collect();
    if leaves.is_empty() {
        // The first package's list, as the SSH reader falls back to.
        if let Some(pkg) = o.values("hardware.cpuPkg").into_iter().next() {
            leaves = pkg.all("cpuFeature").filter_map(leaf_regs).collect();
        }
    }
    let mut cpu = CpuLeaves::new(0);
    for (l, r) in &leaves {
        cpu.insert(*l, 0, *r);
    }
    if cpu.get(0, 0).is_none() || cpu.get(1, 0).is_none() {
        return (
            Err(format!(
                "vCenter gave no hardware.cpuFeature leaves 0 and 1 for host {name}"
            )),
            Vec::new(),
            evc,
        );
    }
    let caps: Vec<Capability> = o
        .values("config.featureCapability")
        .into_iter()
        .filter_map(|c| {
            Some(Capability {
                name: c
                    .text_of("featureName")
                    .or_else(|| c.text_of("key"))?
                    .trim()
                    .to_string(),
                value: c.text_of("value")?.trim().to_string(),
            })
        })
        .collect();
    let brand = o
        .values("hardware.cpuPkg")
        .into_iter()
        .next()
        .and_then(|p| p.text_of("description"))
        .map(|d| format!(" ({})", d.trim()))
        .unwrap_or_default();
    let how = format!("vCenter {origin}: hardware.cpuFeature{brand}");
    if caps.is_empty() {
        let mut d = RawDump::new(
            Provenance {
                kind: SourceKind::Vcenter,
                origin: name.to_string(),
                detail: format!(
                    "{how}; no config.featureCapability: {}",
                    crate::sources::ssh::esxi::CANNOT_SHOW
                ),
            },
            Completeness::BasicLeavesOnly,
        );
        d.cpus.push(cpu);
        return (Ok(d), Vec::new(), evc);
    }
    let mut j = join(&cpu, &caps, &evc, name, &how);
    j.dump.provenance.kind = SourceKind::Vcenter;
    (Ok(j.dump), j.unknown, evc)
}

fn mo_list(o: &Object, path: &str) -> Vec<MoRef> {
    o.values(path)
        .into_iter()
        .filter_map(MoRef::from_node)
        .collect()
}

fn datastore_of(o: &Object) -> Option<Datastore> {
    let name = o.text("name")?.to_string();
    let ty = o.text("summary.type").unwrap_or("").to_ascii_uppercase();
    let info = o.value("info");
    let (identity, is_local) = match ty.as_str() {
        "VMFS" => {
            let v = info.and_then(|i| i.child("vmfs"));
            let uuid = v
                .and_then(|v| v.text_of("uuid"))
                .unwrap_or("")
                .trim()
                .to_string();
            let devices = v
                .map(|v| {
                    v.all("extent")
                        .filter_map(|e| e.text_of("diskName"))
                        .map(|s| s.trim().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let local = v
                .and_then(|v| v.child("local"))
                .and_then(Node::as_bool)
                .unwrap_or(false);
            (StorageIdentity::Vmfs { uuid, devices }, local)
        }
        "NFS" | "NFS41" => {
            let n = info.and_then(|i| i.child("nas"));
            let server = n
                .and_then(|n| {
                    n.text_of("remoteHost")
                        .or_else(|| n.text_of("remoteHostNames"))
                })
                .unwrap_or("")
                .trim()
                .to_string();
            let path = n
                .and_then(|n| n.text_of("remotePath"))
                .unwrap_or("")
                .trim()
                .to_string();
            (StorageIdentity::Nfs { server, path }, false)
        }
        _ => (
            StorageIdentity::Other {
                fstype: ty.to_ascii_lowercase(),
                source: o.text("summary.url").unwrap_or(&name).to_string(),
            },
            false,
        ),
    };
    Some(Datastore {
        name,
        identity,
        is_local,
    })
}

struct NetIndex {
    /// Network or DVPG moref -> (name, DVS name if distributed, uplink port group).
    by_ref: HashMap<MoRef, (String, Option<String>, bool)>,
    /// DVPG key -> name.
    dvpg_key: HashMap<String, String>,
}

fn net_index(objs: &[Object]) -> NetIndex {
    let mut dvs: HashMap<MoRef, String> = HashMap::new();
    for o in objs {
        if let (Some(r), Some(n)) = (key_of(o), o.text("name")) {
            if r.ty.contains("DistributedVirtualSwitch") {
                dvs.insert(r.clone(), n.to_string());
            }
        }
    }
    let mut idx = NetIndex {
        by_ref: HashMap::new(),
        dvpg_key: HashMap::new(),
    };
    for o in objs {
        let (Some(r), Some(name)) = (key_of(o), o.text("name")) else {
            continue;
        };
        if r.ty.contains("DistributedVirtualSwitch") {
            continue;
        }
        let sw = o
            .value("config.distributedVirtualSwitch")
            .and_then(MoRef::from_node)
            .and_then(|m| dvs.get(&m).cloned());
        let uplink = o
            .value("config.uplink")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        if let Some(k) = o.text("key") {
            idx.dvpg_key.insert(k.to_string(), name.to_string());
        }
        let distributed = r.ty == "DistributedVirtualPortgroup";
        idx.by_ref.insert(
            r.clone(),
            (
                name.to_string(),
                if distributed {
                    Some(sw.unwrap_or_default())
                } else {
                    None
                },
                uplink,
            ),
        );
    }
    idx
}

fn host_facts(o: &Object, ds: &HashMap<MoRef, Datastore>, nets: &NetIndex) -> HostFacts {
    let mut f = HostFacts {
        source: Some(FactsSource::Vcenter),
        ..HostFacts::default()
    };
    for r in mo_list(o, "datastore") {
        if let Some(d) = ds.get(&r) {
            if let StorageIdentity::Vmfs { devices, .. } = &d.identity {
                for id in devices {
                    if !f.luns.iter().any(|l| &l.id == id) {
                        f.luns.push(Lun {
                            id: id.clone(),
                            display_name: None,
                            is_local: d.is_local,
                            is_shared: !d.is_local,
                        });
                    }
                }
            }
            f.datastores.push(d.clone());
        }
    }
    // Physical NICs by key (`key-vim.host.PhysicalNic-vmnic0`).
    let mut pnic_by_key: HashMap<String, String> = HashMap::new();
    for p in o.values("config.network.pnic") {
        let Some(dev) = p.text_of("device") else {
            continue;
        };
        let speed = p
            .path("linkSpeed.speedMb")
            .and_then(|s| s.text.trim().parse().ok());
        if let Some(k) = p.text_of("key") {
            pnic_by_key.insert(k.to_string(), dev.to_string());
        }
        f.nics.push(Nic {
            name: dev.to_string(),
            speed_mbps: speed,
            link_up: Some(speed.is_some()),
        });
    }
    for s in o.values("config.network.vswitch") {
        let Some(name) = s.text_of("name") else {
            continue;
        };
        let uplinks = s
            .all("pnic")
            .map(|k| {
                pnic_by_key
                    .get(k.text.trim())
                    .cloned()
                    .unwrap_or_else(|| k.text.trim().to_string())
            })
            .collect();
        f.vswitches.push(VSwitch {
            name: name.to_string(),
            uplinks,
        });
    }
    for p in o.values("config.network.portgroup") {
        let Some(spec) = p.child("spec") else {
            continue;
        };
        let Some(label) = spec.text_of("name") else {
            continue;
        };
        f.port_groups.push(PortGroup {
            label: label.to_string(),
            vswitch: spec.text_of("vswitchName").map(str::to_string),
            vlan: spec.text_of("vlanId").and_then(|v| v.trim().parse().ok()),
        });
    }
    for r in mo_list(o, "network") {
        if let Some((name, Some(dvs), uplink)) = nets.by_ref.get(&r) {
            if *uplink || f.port_groups.iter().any(|p| &p.label == name) {
                continue;
            }
            f.port_groups.push(PortGroup {
                label: name.clone(),
                vswitch: (!dvs.is_empty()).then(|| dvs.clone()),
                vlan: None,
            });
        }
    }
    f.vmotion = vmotion_port(o, &f);
    f.esxi_version = o
        .text("config.product.version")
        .and_then(|v| crate::model::esxi_version::parse(v).ok());
    f
}

fn vmotion_port(o: &Object, f: &HostFacts) -> Option<VmotionPort> {
    let mut chosen: Option<&Node> = None;
    for nc in o.values("config.virtualNicManagerInfo.netConfig") {
        if nc.text_of("nicType") != Some("vmotion") {
            continue;
        }
        let selected: Vec<&str> = nc.all("selectedVnic").map(|s| s.text.trim()).collect();
        chosen = nc.all("candidateVnic").find(|c| {
            c.text_of("key")
                .is_some_and(|k| selected.iter().any(|s| s.ends_with(k.trim())))
        });
    }
    let vnics = o.values("config.network.vnic");
    if chosen.is_none() {
        chosen = vnics.iter().copied().find(|v| {
            v.path("spec.netStackInstanceKey")
                .is_some_and(|n| n.text.trim() == "vmotion")
        });
    }
    let v = chosen?;
    let spec = v.child("spec");
    let pg = v.text_of("portgroup").unwrap_or("");
    let speed = f
        .port_groups
        .iter()
        .find(|p| p.label == pg)
        .and_then(|p| p.vswitch.as_deref())
        .and_then(|sw| f.vswitches.iter().find(|s| s.name == sw))
        .and_then(|sw| {
            sw.uplinks
                .iter()
                .filter_map(|u| {
                    f.nics
                        .iter()
                        .find(|n| &n.name == u)
                        .and_then(|n| n.speed_mbps)
                })
                .max()
        });
    let ip = spec.and_then(|s| s.child("ip"));
    let ipv4 = ip
        .and_then(|i| i.text_of("ipAddress"))
        .and_then(|a| a.trim().parse().ok());
    let prefix_len = ip
        .and_then(|i| i.text_of("subnetMask"))
        .and_then(|m| m.trim().parse::<std::net::Ipv4Addr>().ok())
        .map(|m| u32::from(m).count_ones() as u8);
    Some(VmotionPort {
        vmk: v.text_of("device").unwrap_or("").to_string(),
        speed_mbps: speed,
        mtu: spec
            .and_then(|s| s.text_of("mtu"))
            .and_then(|m| m.trim().parse().ok()),
        netstack: spec
            .and_then(|s| s.text_of("netStackInstanceKey"))
            .map(str::to_string),
        ipv4,
        prefix_len,
        gateway: None,
    })
}

fn is_nic(ty: &str) -> bool {
    ty.starts_with("VirtualE1000")
        || ty.starts_with("VirtualVmxnet")
        || ty == "VirtualPCNet32"
        || ty == "VirtualSriovEthernetCard"
}

fn bool_word(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// The `.vmx` entries the VM readiness checks read, from a VM's devices.
fn device_entries(devices: &[&Node], nets: &NetIndex, out: &mut Vec<(String, String)>) {
    let mut controllers: HashMap<String, String> = HashMap::new();
    for d in devices {
        let ty = d.ty.as_deref().unwrap_or("");
        let (Some(key), Some(bus)) = (d.text_of("key"), d.text_of("busNumber")) else {
            continue;
        };
        let fam = match ty {
            "VirtualIDEController" => "ide",
            "VirtualAHCIController" => "sata",
            "VirtualNVMEController" => "nvme",
            t if t.ends_with("SCSIController")
                || t.starts_with("VirtualLsiLogic")
                || t == "VirtualBusLogicController" =>
            {
                "scsi"
            }
            _ => continue,
        };
        let prefix = format!("{fam}{}", bus.trim());
        if fam == "scsi" {
            out.push((format!("{prefix}.present"), bool_word(true)));
            let shared = match d.text_of("sharedBus").map(str::trim) {
                Some("virtualSharing") => "virtual",
                Some("physicalSharing") => "physical",
                _ => "none",
            };
            out.push((format!("{prefix}.sharedBus"), shared.to_string()));
        }
        controllers.insert(key.trim().to_string(), prefix);
    }
    let mut nic = 0;
    let mut floppy = 0;
    for d in devices {
        let ty = d.ty.as_deref().unwrap_or("");
        let backing = d.child("backing");
        let bty = backing.and_then(|b| b.ty.as_deref()).unwrap_or("");
        let conn = d.child("connectable");
        let connectable = |dev: &str, out: &mut Vec<(String, String)>| {
            if let Some(c) = conn {
                for k in ["startConnected", "connected"] {
                    if let Some(b) = c.child(k).and_then(Node::as_bool) {
                        out.push((format!("{dev}.{k}"), bool_word(b)));
                    }
                }
            }
        };
        let slot = || {
            let c = controllers.get(d.text_of("controllerKey")?.trim())?;
            Some(format!("{c}:{}", d.text_of("unitNumber")?.trim()))
        };
        let file = backing
            .and_then(|b| b.text_of("fileName"))
            .unwrap_or("")
            .to_string();
        let device_name = backing
            .and_then(|b| b.text_of("deviceName"))
            .unwrap_or("")
            .to_string();
        match ty {
            "VirtualCdrom" => {
                let Some(dev) = slot() else { continue };
                out.push((format!("{dev}.present"), bool_word(true)));
                let (dtype, name, client) = match bty {
                    "VirtualCdromIsoBackingInfo" => ("cdrom-image", file, false),
                    "VirtualCdromPassthroughBackingInfo" => ("cdrom-raw", device_name, false),
                    "VirtualCdromRemotePassthroughBackingInfo"
                    | "VirtualCdromRemoteAtapiBackingInfo" => ("atapi-cdrom", device_name, true),
                    _ => ("atapi-cdrom", device_name, false),
                };
                out.push((format!("{dev}.deviceType"), dtype.to_string()));
                if !name.is_empty() {
                    out.push((format!("{dev}.fileName"), name));
                }
                if client {
                    out.push((format!("{dev}.clientDevice"), bool_word(true)));
                }
                connectable(&dev, out);
            }
            "VirtualFloppy" => {
                let dev = format!("floppy{floppy}");
                floppy += 1;
                out.push((format!("{dev}.present"), bool_word(true)));
                let (ft, name, client) = match bty {
                    "VirtualFloppyImageBackingInfo" => ("file", file, false),
                    "VirtualFloppyRemoteDeviceBackingInfo" => ("device", device_name, true),
                    _ => ("device", device_name, false),
                };
                out.push((format!("{dev}.fileType"), ft.to_string()));
                if !name.is_empty() {
                    out.push((format!("{dev}.fileName"), name));
                }
                if client {
                    out.push((format!("{dev}.clientDevice"), bool_word(true)));
                }
                connectable(&dev, out);
            }
            "VirtualDisk" => {
                let Some(dev) = slot() else { continue };
                out.push((format!("{dev}.present"), bool_word(true)));
                if bty == "VirtualDiskRawDiskMappingVer1BackingInfo" {
                    let id = device_name.rsplit('/').next().unwrap_or("").to_string();
                    out.push((format!("{dev}.deviceType"), "rawDisk".into()));
                    out.push((
                        format!("{dev}.fileName"),
                        format!("/vmfs/devices/disks/{id}"),
                    ));
                } else {
                    out.push((
                        format!("{dev}.deviceType"),
                        format!(
                            "{}-hardDisk",
                            dev.split(|c: char| c.is_ascii_digit())
                                .next()
                                .unwrap_or("scsi")
                        ),
                    ));
                    out.push((format!("{dev}.fileName"), file));
                }
                if backing.and_then(|b| b.text_of("sharing")).map(str::trim)
                    == Some("sharingMultiWriter")
                {
                    out.push((format!("{dev}.sharing"), "multi-writer".into()));
                }
            }
            t if is_nic(t) => {
                let dev = format!("ethernet{nic}");
                nic += 1;
                out.push((format!("{dev}.present"), bool_word(true)));
                out.push((
                    format!("{dev}.virtualDev"),
                    t.trim_start_matches("Virtual").to_ascii_lowercase(),
                ));
                let label = match bty {
                    "VirtualEthernetCardDistributedVirtualPortBackingInfo" => {
                        backing.and_then(|b| b.path("port.portgroupKey")).map(|k| {
                            nets.dvpg_key
                                .get(k.text.trim())
                                .cloned()
                                .unwrap_or_else(|| k.text.trim().to_string())
                        })
                    }
                    "VirtualEthernetCardOpaqueNetworkBackingInfo" => backing
                        .and_then(|b| b.text_of("opaqueNetworkId"))
                        .map(str::to_string),
                    _ => (!device_name.is_empty()).then_some(device_name),
                };
                if let Some(l) = label {
                    out.push((format!("{dev}.networkName"), l));
                }
                connectable(&dev, out);
            }
            _ => {}
        }
    }
}

fn count_snapshots(list: &[&Node], names: &mut Vec<String>) {
    for s in list {
        names.push(s.text_of("name").unwrap_or("").to_string());
        let children: Vec<&Node> = s.all("childSnapshotList").collect();
        count_snapshots(&children, names);
    }
}

fn vm_source(o: &Object, host: &str, nets: &NetIndex) -> Option<VmSource> {
    if o.value("config.template").and_then(Node::as_bool) == Some(true) {
        return None;
    }
    let name = o.text("name").unwrap_or("?").to_string();
    let path = o.text("config.files.vmPathName").unwrap_or("").to_string();
    let home = path
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(d, _)| d.to_string());
    if let Some(m) = denied(
        o,
        &[
            "config.extraConfig",
            "config.hardware.device",
            "config.version",
        ],
        &format!("VM {name}"),
    ) {
        return Some(VmSource::unreadable(host, &name, &path, m));
    }
    let mut entries: Vec<(String, String)> = vec![("displayName".into(), name.clone())];
    if let Some(v) = o.text("config.version") {
        entries.push((
            "virtualHW.version".into(),
            v.trim_start_matches("vmx-").to_string(),
        ));
    }
    for e in o.values("config.extraConfig") {
        if let (Some(k), Some(v)) = (e.text_of("key"), e.child("value")) {
            entries.push((k.to_string(), v.text.clone()));
        }
    }
    for m in o.values("runtime.featureMask") {
        if let (Some(k), Some(v)) = (
            m.text_of("featureName").or_else(|| m.text_of("key")),
            m.text_of("value"),
        ) {
            let key = format!("featMask.vm.{}", k.trim());
            if !entries.iter().any(|(e, _)| e.eq_ignore_ascii_case(&key)) {
                entries.push((key, v.trim().to_string()));
            }
        }
    }
    let affinity: Vec<String> = o
        .values("config.cpuAffinity")
        .into_iter()
        .flat_map(|a| a.all("affinitySet").map(|s| s.text.trim().to_string()))
        .collect();
    if !affinity.is_empty() {
        entries.push(("sched.cpu.affinity".into(), affinity.join(",")));
    }
    let devices = o.values("config.hardware.device");
    device_entries(&devices, nets, &mut entries);
    let snaps = o.value("snapshot").map(|s| {
        let mut names = Vec::new();
        count_snapshots(&s.all("rootSnapshotList").collect::<Vec<_>>(), &mut names);
        vmsd::Snapshots {
            count: names.len(),
            names,
        }
    });
    let mut tools_running = o.text("guest.toolsRunningStatus").map(str::to_string);
    if tools_running.is_none() && o.text("guestHeartbeatStatus") == Some("gray") {
        tools_running = Some("guestToolsNotRunning".into());
    }
    let runtime = vmsd::Runtime {
        power_state: o.text("runtime.powerState").map(str::to_string),
        tools_status: o.text("guest.toolsStatus").map(str::to_string),
        tools_running,
    };
    Some(VmSource {
        host: host.to_string(),
        name,
        path: path.clone(),
        home_datastore: home,
        vmx: vmx::from_pairs(&format!("vCenter VM {path}"), entries),
        snapshots: snaps,
        runtime: Some(runtime),
        problem: None,
    })
}

/// Builds the inventory from the walks.
pub fn build(w: &Walks, filter: &Filter, origin: &str) -> Result<Inventory, String> {
    // Names and parents of folders, datacenters and compute resources.
    let mut parent: HashMap<&MoRef, MoRef> = HashMap::new();
    let mut names: HashMap<&MoRef, String> = HashMap::new();
    let mut cluster_evc_by_ref: HashMap<&MoRef, Option<String>> = HashMap::new();
    for o in &w.entities {
        let Some(r) = key_of(o) else { continue };
        if let Some(p) = o.value("parent").and_then(MoRef::from_node) {
            parent.insert(r, p);
        }
        if let Some(n) = o.text("name") {
            names.insert(r, n.to_string());
        }
        if r.ty == "ClusterComputeResource" {
            cluster_evc_by_ref.insert(r, o.text("summary.currentEVCModeKey").map(str::to_string));
        }
    }
    let datacenter_of = |r: &MoRef| -> Option<String> {
        let mut cur = r.clone();
        for _ in 0..64 {
            if cur.ty == "Datacenter" {
                return names.get(&cur).cloned();
            }
            cur = parent.get(&cur)?.clone();
        }
        None
    };
    // Cluster names; a name used in two datacenters is written DC/cluster.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for r in cluster_evc_by_ref.keys() {
        *by_name
            .entry(names.get(*r).cloned().unwrap_or_default())
            .or_default() += 1;
    }
    let cluster_name = |r: &MoRef| -> String {
        let n = names.get(r).cloned().unwrap_or_else(|| r.value.clone());
        if by_name.get(&n).copied().unwrap_or(0) > 1 {
            format!("{}/{n}", datacenter_of(r).unwrap_or_default())
        } else {
            n
        }
    };
    if let Some(dc) = &filter.datacenter {
        if !names.iter().any(|(r, n)| r.ty == "Datacenter" && n == dc) {
            let mut known: Vec<&String> = names
                .iter()
                .filter(|(r, _)| r.ty == "Datacenter")
                .map(|(_, n)| n)
                .collect();
            known.sort();
            return Err(format!(
                "{origin} has no datacenter {dc:?}; its datacenters: {}",
                known
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut ds: HashMap<MoRef, Datastore> = HashMap::new();
    for o in &w.datastores {
        if let (Some(r), Some(d)) = (key_of(o), datastore_of(o)) {
            ds.insert(r.clone(), d);
        }
    }
    let nets = net_index(&w.networks);
    let mut hosts: Vec<VcHost> = Vec::new();
    let mut host_index: HashMap<&MoRef, usize> = HashMap::new();
    let mut cluster_evc = BTreeMap::new();
    for o in &w.hosts {
        let Some(r) = key_of(o) else { continue };
        let name = o.text("name").unwrap_or(&r.value).to_string();
        let cr = o.value("parent").and_then(MoRef::from_node);
        let cluster = cr
            .as_ref()
            .filter(|c| c.ty == "ClusterComputeResource")
            .map(&cluster_name);
        let datacenter = cr.as_ref().and_then(&datacenter_of);
        if filter
            .datacenter
            .as_ref()
            .is_some_and(|d| Some(d) != datacenter.as_ref())
        {
            continue;
        }
        if filter
            .cluster
            .as_ref()
            .is_some_and(|c| Some(c) != cluster.as_ref())
        {
            continue;
        }
        let (dump, unknown_names, mut evc) = cpu_dump(o, &name, origin);
        if let Some(c) = cr.as_ref().and_then(|c| cluster_evc_by_ref.get(c)) {
            if let Some(cl) = &cluster {
                cluster_evc.insert(cl.clone(), c.clone());
            }
            if evc.current_evc_mode.is_none() {
                evc.current_evc_mode = c.clone();
            }
        }
        host_index.insert(r, hosts.len());
        hosts.push(VcHost {
            name,
            cluster,
            datacenter,
            dump,
            facts: host_facts(o, &ds, &nets),
            vms: Vec::new(),
            unknown_names,
            evc,
        });
    }
    for o in &w.vms {
        let Some(h) = o.value("runtime.host").and_then(MoRef::from_node) else {
            continue;
        };
        let Some(&i) = host_index.get(&h) else {
            continue;
        };
        let host = hosts[i].name.clone();
        if let Some(vm) = vm_source(o, &host, &nets) {
            hosts[i].vms.push(vm);
        }
    }
    if filter.cluster.is_some() && hosts.is_empty() {
        let mut known: Vec<String> = cluster_evc_by_ref.keys().map(|r| cluster_name(r)).collect();
        known.sort();
        return Err(format!(
            "{origin} has no host in cluster {:?}; its clusters: {}",
            filter.cluster.as_deref().unwrap_or(""),
            known.join(", ")
        ));
    }
    hosts.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));
    for h in &mut hosts {
        h.vms.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(Inventory {
        origin: origin.to_string(),
        about: String::new(),
        hosts,
        cluster_evc,
        round_trips: 0,
        bytes: 0,
    })
}
