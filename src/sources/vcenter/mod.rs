//! vCenter as a host source: the vSphere Web Services API (SOAP at `/sdk`),
//! read with one paged `PropertyCollector.RetrievePropertiesEx` walk per object
//! type over a `ContainerView` (folders/datacenters/clusters, hosts, datastores,
//! networks, VMs), or the same inventory from a saved export
//! (`govc object.save`). Both give an [`inventory::Inventory`]: per host the
//! same `RawDump`, `HostFacts` and `VmSource`s the SSH and file sources give.

pub mod client;
pub mod export;
pub mod inventory;
pub mod soap;
pub mod xml;

use std::time::Duration;

use client::{Client, Trust, VcError};
use inventory::{Filter, Inventory, Walks};

/// Objects per `RetrievePropertiesEx` page (`VMCOMPAT_VCENTER_PAGE` overrides
/// it, 1..=100000: smaller pages use less memory, larger ones fewer round trips).
pub const PAGE: u32 = 1000;

fn page() -> u32 {
    std::env::var("VMCOMPAT_VCENTER_PAGE")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (1..=100_000).contains(n))
        .unwrap_or(PAGE)
}

/// How to reach a vCenter.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `https://vc.example.com/sdk`.
    pub url: String,
    /// How its certificate is trusted.
    pub trust: Trust,
    /// Per-request time limit.
    pub timeout: Duration,
    /// User name.
    pub user: String,
    /// Password (never from the command line).
    pub password: String,
}

/// Reads the inventory from a live vCenter: login, one walk per object type,
/// logout (also after a failed walk).
pub fn read_live(c: &Connection, filter: &Filter) -> Result<Inventory, VcError> {
    let mut client = Client::connect(&c.url, c.trust.clone(), c.timeout)?;
    client.login(&c.user, &c.password)?;
    let walks = walks(&mut client);
    client.logout();
    let walks = walks?;
    let mut inv = inventory::build(&walks, filter, client.url()).map_err(|m| VcError {
        kind: client::ErrorKind::Other,
        message: m,
    })?;
    inv.about = client.content.full_name.clone();
    inv.round_trips = client.round_trips;
    inv.bytes = client.bytes;
    Ok(inv)
}

/// The five walks. The VM walk, the longest, runs on a second connection of
/// the same session while the others run on this one.
fn walks(client: &mut Client) -> Result<Walks, VcError> {
    let page = page();
    let mut second = client.fork();
    let (vms, rest) = std::thread::scope(|s| {
        let vms = s.spawn(move || {
            let r = second.walk(
                &["VirtualMachine"],
                &[("VirtualMachine", inventory::VM_PROPS)],
                page,
            );
            (r, second)
        });
        let rest = (|| -> Result<_, VcError> {
            let entities = client.walk(inventory::ENTITY_TYPES, inventory::ENTITY_PROPS, page)?;
            let hosts = client.walk(
                &["HostSystem"],
                &[("HostSystem", inventory::HOST_PROPS)],
                page,
            )?;
            let datastores = client.walk(
                &["Datastore"],
                &[("Datastore", inventory::DATASTORE_PROPS)],
                page,
            )?;
            let networks = client.walk(inventory::NETWORK_TYPES, inventory::NETWORK_PROPS, page)?;
            Ok((entities, hosts, datastores, networks))
        })();
        (vms.join(), rest)
    });
    let (vms, second) = vms.map_err(|_| VcError {
        kind: client::ErrorKind::Other,
        message: "the VM walk stopped unexpectedly".into(),
    })?;
    client.absorb(&second);
    let (entities, hosts, datastores, networks) = rest?;
    Ok(Walks {
        entities,
        hosts,
        datastores,
        networks,
        vms: vms?,
    })
}

/// Reads the inventory from a saved export directory.
pub fn read_export(dir: &std::path::Path, filter: &Filter) -> Result<Inventory, String> {
    let walks = export::read_dir(dir)?;
    inventory::build(&walks, filter, &dir.display().to_string())
}
