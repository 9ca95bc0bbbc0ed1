//! Facts declared in the fleet file (`luns`, `datastores`, `nfs`,
//! `port_groups`, `vmotion`) for hosts not yet bought or not reachable.

use crate::model::facts::{
    Datastore, FactsSource, HostFacts, Lun, PortGroup, StorageIdentity, VSwitch, VmotionPort,
};
use crate::sources::fleet::file::HostSpec;

/// The host's declared facts; `None` when it declares none of the keys.
pub fn from_spec(h: &HostSpec) -> Option<HostFacts> {
    if h.luns.is_none()
        && h.datastores.is_none()
        && h.port_groups.is_none()
        && h.vmotion.is_none()
        && h.nfs.is_none()
    {
        return None;
    }
    let mut f = HostFacts {
        source: Some(FactsSource::Declared),
        ..HostFacts::default()
    };
    for id in h.luns.iter().flatten() {
        f.luns.push(Lun {
            id: id.trim().to_string(),
            display_name: None,
            is_local: false,
            is_shared: true,
        });
    }
    for name in h.datastores.iter().flatten() {
        f.datastores.push(Datastore {
            name: name.clone(),
            identity: StorageIdentity::Named,
            is_local: false,
        });
    }
    for export in h.nfs.iter().flatten() {
        let (server, path) = export
            .rsplit_once(":/")
            .map_or((export.as_str(), String::from("/")), |(s, p)| {
                (s, format!("/{p}"))
            });
        f.datastores.push(Datastore {
            name: export.clone(),
            identity: StorageIdentity::Nfs {
                server: server.to_string(),
                path,
            },
            is_local: false,
        });
    }
    for label in h.port_groups.iter().flatten() {
        f.port_groups.push(PortGroup {
            label: label.clone(),
            vswitch: None,
            vlan: None,
        });
    }
    let ip = h
        .vmotion
        .as_ref()
        .and_then(|v| v.ipv4())
        .and_then(Result::ok);
    f.vmotion = h.vmotion.as_ref().map(|v| VmotionPort {
        vmk: v.vmk.clone(),
        speed_mbps: v.speed_mbps,
        mtu: v.mtu,
        netstack: v.netstack.clone(),
        ipv4: ip.map(|(a, _)| a),
        prefix_len: ip.map(|(_, p)| p),
        gateway: v.gateway,
    });
    Some(f)
}

/// The storage/network facts VM readiness uses for one host when none were
/// read from it: the facts declared in the fleet file
/// ([`from_spec`]: `luns`, `datastores`, `nfs`,
/// `port_groups`, `vmotion`) plus the VM-readiness keys `internal_port_groups`
/// (port groups on a switch with no uplinks) and `local_datastores`.
pub fn host_facts(spec: &HostSpec) -> HostFacts {
    let k = &spec.vm_keys;
    let mut f = from_spec(spec).unwrap_or_default();
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
