//! QEMU, libvirt and Proxmox VE CPU settings as people write them: a named,
//! versioned model plus flags (from [`crate::analysis::cpumodel`]), with notes on
//! what the release cannot name.

use crate::analysis::cpumodel::{KvmSettings, ModelChoice, ProxmoxChoice};
use crate::render::mask::MaskFormat;

/// Notes on a model choice: the release, the table used, what guests lose for
/// want of a name, and what stays visible.
pub fn notes(format: MaskFormat, kvm: &KvmSettings) -> Vec<String> {
    let mut out = Vec::new();
    let (choice, label): (Option<&ModelChoice>, &str) = match format {
        MaskFormat::Qemu => (kvm.qemu.as_ref(), "QEMU"),
        MaskFormat::Libvirt => (kvm.libvirt.as_ref(), "libvirt"),
        MaskFormat::Proxmox => (kvm.qemu.as_ref(), "QEMU (Proxmox VE)"),
        _ => return out,
    };
    let Some(c) = choice else {
        out.push(format!(
            "{label}: no CPU model of this release fits these hosts"
        ));
        return out;
    };
    out.push(format!(
        "written for {label} {} (names and models of {label} {}): named model {}, never \
         `host` (host passthrough is not safe for live migration between different hosts)",
        c.version, c.table, c.model
    ));
    if let Some(n) = &c.version_note {
        out.push(n.clone());
    }
    let lost = match format {
        MaskFormat::Proxmox => kvm.proxmox.as_ref().map_or(c.lost, |p| p.lost),
        _ => c.lost,
    };
    if !lost.is_empty() {
        out.push(format!(
            "guests will not see (no model or name of {label} {} carries them; a newer \
             release may: --{}-version): {}",
            c.table,
            if format == MaskFormat::Libvirt {
                "libvirt"
            } else {
                "qemu"
            },
            lost.names().join(" ")
        ));
    }
    if format == MaskFormat::Qemu {
        out.push(
            "add ,enforce on KVM hosts to refuse starting on a host that lacks a flag \
             (without it QEMU warns and leaves the flag out)"
                .into(),
        );
    }
    out
}

/// The setting itself: `-cpu ...`, the `<cpu>` element, or Proxmox's lines.
pub fn body(format: MaskFormat, kvm: &KvmSettings) -> String {
    match format {
        MaskFormat::Qemu => kvm
            .qemu
            .as_ref()
            .map_or_else(String::new, |c| format!("{}\n", c.qemu_arg())),
        MaskFormat::Libvirt => kvm
            .libvirt
            .as_ref()
            .map_or_else(String::new, |c| c.libvirt_lines().join("\n") + "\n"),
        MaskFormat::Proxmox => kvm.proxmox.as_ref().map_or_else(String::new, proxmox),
        _ => String::new(),
    }
}

/// Proxmox's lines: the cpu-models.conf entry when needed, then the VM's `cpu:`.
pub fn proxmox(p: &ProxmoxChoice) -> String {
    let mut s = String::new();
    if let Some(entry) = &p.custom_model {
        s.push_str("# /etc/pve/virtual-guest/cpu-models.conf (add this entry):\n");
        for l in entry {
            s.push_str(l);
            s.push('\n');
        }
        s.push_str("# the VM's configuration (qm set VMID --cpu ...):\n");
    }
    s.push_str(&format!("cpu: {}\n", p.cpu_line));
    s
}
