//! A saved inventory: the directory `govc object.save` writes (and govmomi's
//! simulator `Model.Load(dir)` reads): one file per managed object,
//! `NNNN-<Type>-<id>.xml`, each an `ObjectContent` with every property
//! (`<propSet><name>config</name><val xsi:type="HostConfigInfo">...`), plus
//! sub-directories of method answers that are not read here. For audits where
//! the auditor never touches vCenter.

use std::path::Path;

use super::client::Object;
use super::inventory::Walks;
use super::xml;

/// Largest object file read (a host's full `config` is well under 1 MiB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads every `*.xml` object file of `dir` (not its sub-directories) into walks.
pub fn read_dir(dir: &Path) -> Result<Walks, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot read the directory: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no object files (*.xml) found; expected a directory written by `govc object.save -d DIR`",
            dir.display()
        ));
    }
    let mut w = Walks::default();
    for f in files {
        let bytes =
            crate::util::local_file::read_bytes(&f, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&bytes);
        let mut root = xml::parse(&text).map_err(|m| format!("{}: {m}", f.display()))?;
        if root.children.is_empty() {
            return Err(format!("{}: empty file", f.display()));
        }
        let o = Object::from_node(root.children.swap_remove(0));
        let Some(ty) = o.obj.as_ref().map(|r| r.ty.clone()) else {
            return Err(format!(
                "{}: not a saved ObjectContent (no <obj type=\"...\">)",
                f.display()
            ));
        };
        match ty.as_str() {
            "Folder" | "Datacenter" | "ComputeResource" | "ClusterComputeResource" => {
                w.entities.push(o)
            }
            "HostSystem" => w.hosts.push(o),
            "Datastore" => w.datastores.push(o),
            "Network"
            | "DistributedVirtualPortgroup"
            | "OpaqueNetwork"
            | "DistributedVirtualSwitch"
            | "VmwareDistributedVirtualSwitch" => w.networks.push(o),
            "VirtualMachine" => w.vms.push(o),
            _ => {}
        }
    }
    if w.hosts.is_empty() {
        return Err(format!(
            "{}: the export holds no HostSystem objects",
            dir.display()
        ));
    }
    Ok(w)
}
