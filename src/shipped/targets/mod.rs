//! Target hypervisors: what a guest sees of its host's CPU under vSphere (ESXi) or
//! KVM (QEMU/libvirt, and Proxmox VE, which runs QEMU/KVM), and the names each
//! hypervisor's configuration uses.
//!
//! Facts live in data files, each naming its public source:
//! - `targets/kvm.toml`: what KVM offers every guest whatever the host has
//!   (x2apic, TSC-deadline, TSC_ADJUST, ARCH_CAPABILITIES, ARAT: never blockers),
//!   what it never passes to guests, what QEMU refuses to migrate (Linux
//!   `arch/x86/kvm/cpuid.c`, QEMU `target/i386/cpu.c`);
//! - `targets/vsphere.toml`: VMware's guest visibility per bit (open-vm-tools
//!   `lib/include/x86cpuid.h`);
//! - `targets/qemu.toml`, `targets/libvirt.toml`: per release, the named CPU
//!   models with their features and the feature names that release accepts
//!   ([`models`]);
//! - `targets/proxmox.toml`: Proxmox VE's CPU types and VM-level flags.
//!
//! [`view`] turns a host's features into what its guests see under a target; the
//! commands apply it to every host before grouping, so the matrix, masks and
//! baselines all compare guest views.

pub mod models;
pub mod proxmox;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, FeatureSet};
use crate::cpuid::CpuLeaves;
use crate::decode::Cpu;

/// The hypervisor the fleet's VMs run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hypervisor {
    /// VMware vSphere (ESXi): EVC modes, VMX `cpuid.*` and `featMask` lines.
    Vsphere,
    /// KVM with QEMU/libvirt: a named QEMU/libvirt CPU model plus flags.
    Kvm,
    /// Proxmox VE (QEMU/KVM): a CPU type, or a custom model in cpu-models.conf.
    Proxmox,
}

impl Hypervisor {
    /// The name as the option and the fleet file spell it.
    pub fn key(self) -> &'static str {
        match self {
            Hypervisor::Vsphere => "vsphere",
            Hypervisor::Kvm => "kvm",
            Hypervisor::Proxmox => "proxmox",
        }
    }

    /// True for the QEMU/KVM-based targets.
    pub fn is_kvm(self) -> bool {
        matches!(self, Hypervisor::Kvm | Hypervisor::Proxmox)
    }
}

impl std::fmt::Display for Hypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// The target of a cluster (or of hosts without one), and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The cluster (`None`: the whole fleet or hosts without a cluster).
    pub cluster: Option<String>,
    /// The target.
    pub target: Hypervisor,
    /// Why (`--target`, `the fleet file's [cluster.prod] target`, `3 ESXi hosts`, ...).
    pub why: String,
}

/// How the hosts of a cluster were reached, for choosing a target from the sources.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceCounts {
    /// ESXi hosts, read over SSH or through vCenter.
    pub esxi: usize,
    /// Linux hosts read over SSH or locally, where KVM runs (`/dev/kvm` locally).
    pub linux_kvm: usize,
    /// Dumps and profiles: they do not say which hypervisor runs on them.
    pub other: usize,
}

/// The target for hosts whose sources are `counts`, unless `explicit` (the
/// option, or the fleet file, with its reason) decides.
pub fn choose(
    cluster: Option<&str>,
    explicit: Option<(Hypervisor, String)>,
    counts: SourceCounts,
) -> Choice {
    let (target, why) = match explicit {
        Some(e) => e,
        None if counts.esxi > 0 && counts.linux_kvm == 0 => (
            Hypervisor::Vsphere,
            format!("{} ESXi host(s) (SSH or vCenter)", counts.esxi),
        ),
        None if counts.linux_kvm > 0 && counts.esxi == 0 => (
            Hypervisor::Kvm,
            format!("{} Linux host(s) with KVM", counts.linux_kvm),
        ),
        None if counts.linux_kvm > 0 => (
            Hypervisor::Vsphere,
            format!(
                "{} ESXi and {} Linux host(s): vsphere, the default; set --target or target = \"...\"",
                counts.esxi, counts.linux_kvm
            ),
        ),
        None => (
            Hypervisor::Vsphere,
            "dumps and profiles do not say which hypervisor runs on them: vsphere, the default \
             (--target kvm|proxmox, or target = \"...\" in the fleet file)"
                .to_string(),
        ),
    };
    Choice {
        cluster: cluster.map(str::to_string),
        target,
        why,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacts {
    source: String,
    #[serde(default)]
    emulated: Vec<String>,
    #[serde(default)]
    not_exposed: Vec<String>,
    #[serde(default)]
    not_migratable: Vec<String>,
    #[serde(default)]
    guest_visible_extra: Vec<String>,
}

/// What a hypervisor's guests see of the host CPU (from `targets/<name>.toml`).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The public source the file names.
    pub source: String,
    /// Offered to every guest whatever the host has: never a blocker.
    pub emulated: FeatureSet,
    /// Never passed to guests: not compared.
    pub not_exposed: FeatureSet,
    /// Kept from migratable guests.
    pub not_migratable: FeatureSet,
    /// Bits the catalog calls informational that this hypervisor's guests see.
    pub guest_visible_extra: FeatureSet,
}

fn parse_facts(text: &str, origin: &str) -> Result<Facts, String> {
    let raw: RawFacts = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    let set = |names: &[String], key: &str| -> Result<FeatureSet, String> {
        names
            .iter()
            .map(|n| catalog::canonical(n).map_err(|e| format!("{origin}: {key}: {e}")))
            .collect()
    };
    Ok(Facts {
        emulated: set(&raw.emulated, "emulated")?,
        not_exposed: set(&raw.not_exposed, "not_exposed")?,
        not_migratable: set(&raw.not_migratable, "not_migratable")?,
        guest_visible_extra: set(&raw.guest_visible_extra, "guest_visible_extra")?,
        source: raw.source,
    })
}

const KVM_TOML: &str = include_str!("../../../targets/kvm.toml");
const VSPHERE_TOML: &str = include_str!("../../../targets/vsphere.toml");

/// Checks that the shipped facts files parse and name only catalog features
/// (for the test suite): the number of features each names.
pub fn facts_ok() -> Result<(usize, usize), String> {
    let k = parse_facts(KVM_TOML, "targets/kvm.toml")?;
    let v = parse_facts(VSPHERE_TOML, "targets/vsphere.toml")?;
    let n = |f: &Facts| {
        f.emulated.len()
            + f.not_exposed.len()
            + f.not_migratable.len()
            + f.guest_visible_extra.len()
    };
    Ok((n(&k), n(&v)))
}

/// The facts of a target (Proxmox VE runs KVM: its guests see what KVM gives).
pub fn facts(h: Hypervisor) -> &'static Facts {
    static KVM: OnceLock<Facts> = OnceLock::new();
    static VSPHERE: OnceLock<Facts> = OnceLock::new();
    // Shipped data, checked by a test (`facts_ok`): a parse failure is a build
    // defect, and then the target changes nothing.
    match h {
        Hypervisor::Kvm | Hypervisor::Proxmox => {
            KVM.get_or_init(|| parse_facts(KVM_TOML, "targets/kvm.toml").unwrap_or_default())
        }
        Hypervisor::Vsphere => VSPHERE
            .get_or_init(|| parse_facts(VSPHERE_TOML, "targets/vsphere.toml").unwrap_or_default()),
    }
}

/// What guests see of a CPU with `features` under target `h`: the features the
/// hypervisor passes through, plus what it offers every guest. `has_leaf(leaf,
/// subleaf)` says whether the host reports the leaf a bit lives in (an emulated
/// bit of a leaf the host lacks is not added, so the view stays what the dump can
/// show).
pub fn view(
    h: Hypervisor,
    features: &FeatureSet,
    has_leaf: &dyn Fn(u32, u32) -> bool,
) -> FeatureSet {
    let f = facts(h);
    let added: FeatureSet = f
        .emulated
        .iter()
        .filter(|id| {
            let loc = catalog::by_id(*id).loc;
            has_leaf(loc.leaf, loc.subleaf)
        })
        .collect();
    features.difference(&f.not_exposed).union(&added)
}

/// Applies [`view`] to a decoded host and, when kept, its raw leaves (so that
/// checks which read the leaves, such as mask verification, see the same view).
pub fn apply(h: Hypervisor, cpu: &mut Cpu, leaves: Option<&mut CpuLeaves>) {
    let before = cpu.features;
    let max_basic = cpu.max_basic_leaf;
    let has_leaf = |leaf: u32, sub: u32| match leaves.as_deref() {
        Some(l) => l.get(leaf, sub).is_some(),
        None => leaf < 0x4000_0000 && leaf <= max_basic,
    };
    let after = view(h, &before, &has_leaf);
    if let Some(l) = leaves {
        for id in after.difference(&before).iter() {
            set_bit(l, id, true);
        }
        for id in before.difference(&after).iter() {
            set_bit(l, id, false);
        }
    }
    cpu.features = after;
}

fn set_bit(leaves: &mut CpuLeaves, id: catalog::FeatureId, on: bool) {
    let loc = catalog::by_id(id).loc;
    let key = crate::cpuid::LeafKey::new(loc.leaf, loc.subleaf);
    if let Some(regs) = leaves.leaves.get_mut(&key) {
        let r = regs.get_mut(loc.reg);
        if on {
            *r |= 1 << loc.bit;
        } else {
            *r &= !(1 << loc.bit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_facts_parse_and_name_catalog_features() {
        let (kvm, vsphere) = facts_ok().expect("targets/kvm.toml and vsphere.toml");
        assert!(kvm > 50 && vsphere > 10, "{kvm} {vsphere}");
        assert!(proxmox::data_ok().expect("targets/proxmox.toml") > 40);
        assert_eq!(proxmox::data().builtin.len(), 4);
    }

    #[test]
    fn kvm_view_adds_what_kvm_emulates_and_drops_what_it_never_shows() {
        let host: FeatureSet = [catalog::id::SSE2, catalog::id::MONITOR, catalog::id::AVX2]
            .into_iter()
            .collect();
        let v = view(Hypervisor::Kvm, &host, &|_, _| true);
        for n in [
            "x2apic",
            "tsc_deadline_timer",
            "tsc_adjust",
            "arch_capabilities",
            "sse2",
            "avx2",
        ] {
            assert!(v.contains(catalog::lookup(n).expect(n)), "{n}");
        }
        assert!(!v.contains(catalog::lookup("monitor").expect("monitor")));
        // An emulated bit of a leaf the host lacks is not added.
        let old = view(Hypervisor::Kvm, &host, &|leaf, _| leaf < 7);
        assert!(!old.contains(catalog::lookup("tsc_adjust").expect("tsc_adjust")));
    }

    #[test]
    fn target_follows_the_sources_and_says_why() {
        let esxi = SourceCounts {
            esxi: 3,
            ..Default::default()
        };
        let c = choose(Some("prod"), None, esxi);
        assert_eq!(
            (c.target, c.why.as_str()),
            (Hypervisor::Vsphere, "3 ESXi host(s) (SSH or vCenter)")
        );
        let linux = SourceCounts {
            linux_kvm: 2,
            ..Default::default()
        };
        assert_eq!(choose(None, None, linux).target, Hypervisor::Kvm);
        let dumps = SourceCounts {
            other: 2,
            ..Default::default()
        };
        assert!(choose(None, None, dumps).why.contains("default"));
        let forced = choose(None, Some((Hypervisor::Proxmox, "--target".into())), esxi);
        assert_eq!(
            (forced.target, forced.why.as_str()),
            (Hypervisor::Proxmox, "--target")
        );
    }
}
