//! QEMU, libvirt and Proxmox VE CPU settings as people write them: a named,
//! versioned model plus flags (from [`crate::analysis::cpumodel`]), with notes on
//! what the release cannot name.

use crate::analysis::cpumodel::{KvmSettings, ModelChoice, ProxmoxChoice};

/// Which of the three KVM-side settings to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `qemu-system-x86_64 -cpu ...`.
    Qemu,
    /// libvirt's `<cpu>` element.
    Libvirt,
    /// Proxmox VE's `cpu:` line (and cpu-models.conf entry).
    Proxmox,
}

/// Notes on a model choice: the release, the table used, what guests lose for
/// want of a name, and what stays visible.
pub fn notes(format: Setting, kvm: &KvmSettings) -> Vec<String> {
    let mut out = Vec::new();
    let (choice, label): (Option<&ModelChoice>, &str) = match format {
        Setting::Qemu => (kvm.qemu.as_ref(), "QEMU"),
        Setting::Libvirt => (kvm.libvirt.as_ref(), "libvirt"),
        Setting::Proxmox => (kvm.qemu.as_ref(), "QEMU (Proxmox VE)"),
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
        Setting::Proxmox => kvm.proxmox.as_ref().map_or(c.lost, |p| p.lost),
        _ => c.lost,
    };
    if !lost.is_empty() {
        out.push(format!(
            "guests will not see (no model or name of {label} {} carries them; a newer \
             release may: --{}-version): {}",
            c.table,
            if format == Setting::Libvirt {
                "libvirt"
            } else {
                "qemu"
            },
            lost.names().join(" ")
        ));
    }
    if format == Setting::Qemu {
        out.push(
            "add ,enforce on KVM hosts to refuse starting on a host that lacks a flag \
             (without it QEMU warns and leaves the flag out)"
                .into(),
        );
    }
    out
}

/// The setting itself: `-cpu ...`, the `<cpu>` element, or Proxmox's lines.
pub fn body(format: Setting, kvm: &KvmSettings) -> String {
    match format {
        Setting::Qemu => kvm
            .qemu
            .as_ref()
            .map_or_else(String::new, |c| format!("{}\n", c.qemu_arg())),
        Setting::Libvirt => kvm
            .libvirt
            .as_ref()
            .map_or_else(String::new, |c| c.libvirt_lines().join("\n") + "\n"),
        Setting::Proxmox => kvm.proxmox.as_ref().map_or_else(String::new, proxmox),
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
