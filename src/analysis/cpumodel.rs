//! The one planner for QEMU, libvirt and Proxmox VE CPU settings: given what every
//! guest must see, the named CPU model (with its version) of the chosen release
//! that needs the fewest flags, plus the flags to add or disable; never `host`
//! (QEMU documents host passthrough as unsafe for live migration between
//! different hosts). `vmcompat mask --format qemu|libvirt|proxmox` and the
//! audit's "What to set" both use it. Pure analysis over the release tables of
//! `crate::shipped::targets::models`; no I/O.
//!
//! Under a named model a guest sees the model's features plus the flags added,
//! less the flags disabled; nothing else of the host passes through. So a feature
//! to hide is hidden by leaving it out, and a feature the release has no name
//! for is simply not seen ([`ModelChoice::lost`]): the output stays safe, and
//! says what guests give up.

use serde::Serialize;

use crate::catalog::{self, id, Class, FeatureSet};
use crate::decode::Vendor;
use crate::shipped::targets::models::{Release, Tool, Version};
use crate::shipped::targets::{self, Hypervisor};

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// What the guests of a set of hosts must, may and must not see.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    /// The hosts' vendor.
    pub vendor: Vendor,
    /// Features every guest must see (a mask plan's guest view, or the hosts'
    /// common features).
    pub guest: &'a FeatureSet,
    /// Features left visible where a host has them (firmware-dependent bits some
    /// hosts lack until updated): QEMU `+flag` (filtered with a warning on a host
    /// without it), libvirt `policy='optional'`.
    pub where_present: &'a FeatureSet,
    /// Features that must not be visible (the mask's hidden set).
    pub hide: &'a FeatureSet,
    /// Intel and AMD hosts together (`--cross-vendor`): any vendor's model.
    pub cross_vendor: bool,
}

/// A named model of one release with its flags.
#[derive(Debug, Clone, Serialize)]
pub struct ModelChoice {
    /// QEMU or libvirt.
    pub tool: Tool,
    /// The release asked for.
    pub version: Version,
    /// The table used (the newest at or below `version`).
    pub table: Version,
    /// Why the table differs from the release asked for, if it does.
    pub version_note: Option<String>,
    /// The model, as the tool spells it (`Cascadelake-Server-v5`, `EPYC-Rome`).
    pub model: String,
    /// Features to add (`+flag`, `policy='require'`), as the tool spells them.
    pub add: Vec<String>,
    /// Features left visible where present (`+flag`, `policy='optional'`).
    pub optional: Vec<String>,
    /// Features of the model to disable (`-flag`, `policy='disable'`).
    pub disable: Vec<String>,
    /// Guest-visible catalog features a guest sees under it (by the release's
    /// own model definition and names).
    #[serde(serialize_with = "names")]
    pub visible: FeatureSet,
    /// Features every guest should see that it will not: the release has no name
    /// for them and the model lacks them (or the model universe leaves them out).
    #[serde(serialize_with = "names")]
    pub lost: FeatureSet,
    /// Features meant hidden that stay visible: this release cannot express the
    /// plan (never with a named model, but checked).
    #[serde(serialize_with = "names")]
    pub unexpressible: FeatureSet,
}

impl ModelChoice {
    /// `-cpu MODEL,+a,-b`.
    pub fn qemu_arg(&self) -> String {
        let mut s = format!("-cpu {}", self.model);
        for f in self.add.iter().chain(&self.optional) {
            s.push_str(",+");
            s.push_str(f);
        }
        for f in &self.disable {
            s.push_str(",-");
            s.push_str(f);
        }
        s
    }

    /// The libvirt domain `<cpu>` element, one line per entry.
    pub fn libvirt_lines(&self) -> Vec<String> {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('\'', "&apos;")
        };
        let mut v = vec![
            "<cpu mode='custom' match='exact' check='partial'>".to_string(),
            format!("  <model fallback='forbid'>{}</model>", esc(&self.model)),
        ];
        let mut push = |policy: &str, list: &[String]| {
            for f in list {
                v.push(format!("  <feature policy='{policy}' name='{}'/>", esc(f)));
            }
        };
        push("require", &self.add);
        push("optional", &self.optional);
        push("disable", &self.disable);
        v.push("</cpu>".into());
        v
    }
}

/// The features KVM offers every guest (they may stay in a model whatever the
/// hosts have).
fn kvm_emulated() -> FeatureSet {
    targets::facts(Hypervisor::Kvm).emulated
}

/// Every feature some model of the release carries, and the firmware-dependent
/// bits it can name (speculation controls): what a setting may add. Host-only
/// bits (MONITOR, VMX, performance monitoring) stay out.
fn universe(r: &Release) -> FeatureSet {
    universe_all(r)
        .difference(&nested())
        .difference(&kvm_not_exposed())
}

/// VT-x and AMD-V with the nested-only SVM features: nested virtualization is a
/// per-VM choice, never added by a setting, and left as the model has it.
fn nested() -> FeatureSet {
    [id::VMX, id::SVM]
        .into_iter()
        .collect::<FeatureSet>()
        .union(&catalog::of_class(Class::NestedOnly))
}

/// What a KVM guest never sees (MONITOR, Intel PT, RDT, ...): never added.
fn kvm_not_exposed() -> FeatureSet {
    targets::facts(Hypervisor::Kvm).not_exposed
}

fn universe_all(r: &Release) -> FeatureSet {
    let models = r
        .models
        .iter()
        .fold(FeatureSet::new(), |u, m| u.union(&m.features));
    let firmware: FeatureSet = r
        .nameable()
        .iter()
        .filter(|id| catalog::by_id(*id).class == Class::Firmware)
        .collect();
    models
        .union(&firmware)
        .intersection(catalog::guest_visible())
}

struct Candidate {
    name: String,
    features: FeatureSet,
    index: usize,
}

fn plan_on(
    r: &Release,
    w: &Want,
    candidates: Vec<Candidate>,
) -> Option<(Candidate, FeatureSet, FeatureSet, FeatureSet)> {
    let visible_cls = catalog::guest_visible();
    let managed = r.nameable().intersection(visible_cls);
    let uni = universe(r);
    let target = w.guest.intersection(&managed).intersection(&uni);
    let optional_t = w
        .where_present
        .intersection(&managed)
        .intersection(&uni)
        .difference(&target);
    let keep = kvm_emulated().union(&nested()).difference(w.hide);
    candidates
        .into_iter()
        .map(|c| {
            let mf = c.features.intersection(visible_cls);
            let add = target.difference(&mf);
            let opt = optional_t.difference(&mf);
            let disable = mf
                .difference(&target)
                .difference(&keep)
                .difference(w.where_present);
            // A disabled feature counts three times an added one: people expect the
            // model of the hosts' generation plus a few flags, not a newer model
            // with parts taken away.
            let cost = (add.len() + opt.len() + 3 * disable.len(), disable.len());
            (cost, c, add, opt, disable)
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.index.cmp(&a.1.index)))
        .map(|(_, c, add, opt, disable)| (c, add, opt, disable))
}

fn spelled(r: &Release, set: &FeatureSet) -> Vec<String> {
    set.iter()
        .filter_map(|id| r.name_of(id).map(str::to_string))
        .collect()
}

fn vendor_ok(m: Option<Vendor>, w: &Want) -> bool {
    w.cross_vendor || m.is_none() || m == Some(w.vendor)
}

/// The model of release `r` (QEMU or libvirt) that needs the fewest flags for `w`,
/// with those flags; `None` when the release has no model at all for the vendor.
pub fn choose(r: &Release, w: &Want) -> Option<ModelChoice> {
    let mut candidates: Vec<Candidate> = r
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| vendor_ok(m.vendor, w) && m.vendor.is_some())
        .map(|(index, m)| Candidate {
            name: m.name.clone(),
            features: m.features,
            index,
        })
        .collect();
    if candidates.is_empty() {
        candidates = r
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| vendor_ok(m.vendor, w))
            .map(|(index, m)| Candidate {
                name: m.name.clone(),
                features: m.features,
                index,
            })
            .collect();
    }
    let (c, add, opt, disable) = plan_on(r, w, candidates)?;
    Some(finish(r, w, c.name, &c.features, &add, &opt, &disable))
}

fn finish(
    r: &Release,
    w: &Want,
    model: String,
    features: &FeatureSet,
    add: &FeatureSet,
    opt: &FeatureSet,
    disable: &FeatureSet,
) -> ModelChoice {
    let visible = features
        .union(add)
        .union(opt)
        .difference(disable)
        .intersection(catalog::guest_visible());
    let not_exposed = targets::facts(Hypervisor::Kvm).not_exposed;
    ModelChoice {
        tool: r.tool,
        version: r.requested,
        table: r.table,
        version_note: r.note(),
        model,
        add: spelled(r, add),
        optional: spelled(r, opt),
        disable: spelled(r, disable),
        lost: w
            .guest
            .intersection(catalog::compared_classes())
            .difference(&visible)
            .difference(&not_exposed)
            .difference(&kvm_emulated())
            .difference(&nested()),
        unexpressible: w.hide.intersection(&visible).difference(w.where_present),
        visible,
    }
}

/// The releases the KVM-side settings are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Versions {
    /// QEMU release (`--qemu-version`; default 7.2, Debian 12's).
    pub qemu: Version,
    /// libvirt release (`--libvirt-version`; default 9.0, Debian 12's).
    pub libvirt: Version,
}

impl Default for Versions {
    fn default() -> Self {
        Versions {
            qemu: Tool::Qemu.default_version(),
            libvirt: Tool::Libvirt.default_version(),
        }
    }
}

/// A Proxmox VE CPU setting.
#[derive(Debug, Clone, Serialize)]
pub struct ProxmoxChoice {
    /// The VM's `cpu:` value (`x86-64-v3`, `Cascadelake-Server-v5,flags=+pcid`,
    /// `custom-vmcompat-prod`).
    pub cpu_line: String,
    /// The built-in type used, or the custom model's reported model.
    pub base: String,
    /// Flags, in Proxmox's `+flag;-flag` order.
    pub flags: Vec<String>,
    /// The cpu-models.conf entry, when flags a VM may not set are needed.
    pub custom_model: Option<Vec<String>>,
    /// What a guest sees.
    #[serde(serialize_with = "names")]
    pub visible: FeatureSet,
    /// Features every guest should see that it will not.
    #[serde(serialize_with = "names")]
    pub lost: FeatureSet,
    /// Features meant hidden that stay visible.
    #[serde(serialize_with = "names")]
    pub unexpressible: FeatureSet,
}

/// Proxmox VE's setting for `w`, with QEMU release `r` (Proxmox runs QEMU):
/// a built-in type (a named model, unversioned names being QEMU's `-v1`, or
/// Proxmox's own `x86-64-v2-AES`/`v3`/`v4`) when its VM-level flags suffice,
/// else a custom model for `/etc/pve/virtual-guest/cpu-models.conf` named
/// `vmcompat-<id>` (`id` lower-cased, other characters as `-`).
pub fn proxmox(r: &Release, w: &Want, id: &str) -> Option<ProxmoxChoice> {
    let data = targets::proxmox::data();
    let qemu_features = |t: &str| -> Option<(FeatureSet, Option<Vendor>)> {
        let versioned = if t
            .rsplit_once("-v")
            .is_some_and(|(_, n)| n.parse::<u32>().is_ok())
        {
            t.to_string()
        } else {
            format!("{t}-v1")
        };
        r.model(&versioned).map(|m| (m.features, m.vendor))
    };
    let generic = ["kvm64", "qemu64", "kvm32", "qemu32"];
    let mut candidates: Vec<(String, FeatureSet, bool)> = Vec::new();
    for t in &data.cpu_types {
        if let Some(b) = data.builtin.get(t) {
            let Some((base, _)) = qemu_features(&b.reported_model) else {
                continue;
            };
            let mut f = base;
            for flag in &b.flags {
                if let Some(id) = flag.strip_prefix('+').and_then(catalog::lookup) {
                    f.insert(id);
                }
            }
            candidates.push((t.clone(), f, true));
        } else if let Some((f, v)) = qemu_features(t) {
            let is_generic = generic.contains(&t.as_str());
            if is_generic || vendor_ok(v, w) {
                candidates.push((t.clone(), f, is_generic));
            }
        }
    }
    let visible_cls = catalog::guest_visible();
    let managed = r.nameable().intersection(visible_cls);
    // What KVM emulates (x2apic, TSC-deadline, ...) is left as the type has it:
    // adding it is never worth a custom model.
    let uni = universe(r).difference(&kvm_emulated());
    let target = w.guest.intersection(&managed).intersection(&uni);
    let optional_t = w
        .where_present
        .intersection(&managed)
        .intersection(&uni)
        .difference(&target);
    let keep = kvm_emulated().union(&nested()).difference(w.hide);
    let vm_flag = |f: &str| data.vm_flags.iter().any(|v| v == f);
    struct Scored {
        needs_custom: bool,
        cost: usize,
        order: usize,
        name: String,
        features: FeatureSet,
        add: FeatureSet,
        opt: FeatureSet,
        dis: FeatureSet,
    }
    let best = candidates
        .into_iter()
        .enumerate()
        .map(|(i, (name, f, _))| {
            let mf = f.intersection(visible_cls);
            let add = target.difference(&mf);
            let opt = optional_t.difference(&mf);
            let dis = mf
                .difference(&target)
                .difference(&keep)
                .difference(w.where_present);
            let all_vm = spelled(r, &add.union(&opt).union(&dis))
                .iter()
                .all(|s| vm_flag(s));
            Scored {
                needs_custom: !all_vm,
                cost: add.len() + opt.len() + 3 * dis.len(),
                order: usize::MAX - i,
                name,
                features: f,
                add,
                opt,
                dis,
            }
        })
        .min_by_key(|s| (s.needs_custom, s.cost, s.order))?;
    let Scored {
        needs_custom,
        name,
        features: f,
        add,
        opt,
        dis,
        ..
    } = best;
    let mc = finish(r, w, name.clone(), &f, &add, &opt, &dis);
    let mut flags: Vec<String> = mc
        .add
        .iter()
        .chain(&mc.optional)
        .map(|s| format!("+{s}"))
        .collect();
    flags.extend(mc.disable.iter().map(|s| format!("-{s}")));
    if !needs_custom {
        let cpu_line = if flags.is_empty() {
            name.clone()
        } else {
            format!("{name},flags={}", flags.join(";"))
        };
        return Some(ProxmoxChoice {
            cpu_line,
            base: name,
            flags,
            custom_model: None,
            visible: mc.visible,
            lost: mc.lost,
            unexpressible: mc.unexpressible,
        });
    }
    // A custom model reports a type of $cpu_vendor_list: a built-in x86-64-v*
    // type becomes its reported model plus its flags.
    let (reported, mut all_flags) = match data.builtin.get(&name) {
        Some(b) => (b.reported_model.clone(), b.flags.clone()),
        None => (name.clone(), Vec::new()),
    };
    for fl in &flags {
        let bare = &fl[1..];
        all_flags.retain(|x| &x[1..] != bare);
        all_flags.push(fl.clone());
    }
    let section: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let section = format!("vmcompat-{}", section.trim_matches('-'));
    Some(ProxmoxChoice {
        cpu_line: format!("custom-{section}"),
        base: reported.clone(),
        flags: all_flags.clone(),
        custom_model: Some(vec![
            format!("cpu-model: {section}"),
            format!("    flags {}", all_flags.join(";")),
            format!("    reported-model {reported}"),
        ]),
        visible: mc.visible,
        lost: mc.lost,
        unexpressible: mc.unexpressible,
    })
}

/// The three KVM-side settings for `w`.
#[derive(Debug, Clone, Serialize)]
pub struct KvmSettings {
    /// `qemu-system-x86_64 -cpu ...`.
    pub qemu: Option<ModelChoice>,
    /// libvirt's `<cpu>`.
    pub libvirt: Option<ModelChoice>,
    /// Proxmox VE.
    pub proxmox: Option<ProxmoxChoice>,
}

/// Plans all three for `w` at `versions`; `id` names a Proxmox custom model.
/// Errors: a version older than every table.
pub fn plan_all(w: &Want, versions: Versions, id: &str) -> crate::util::error::Result<KvmSettings> {
    let q = crate::shipped::targets::models::release(Tool::Qemu, versions.qemu)?;
    let l = crate::shipped::targets::models::release(Tool::Libvirt, versions.libvirt)?;
    Ok(KvmSettings {
        qemu: choose(&q, w),
        libvirt: choose(&l, w),
        proxmox: proxmox(&q, w, id),
    })
}

/// Why Intel and AMD hosts cannot live-migrate VMs between them by default.
pub const CROSS_VENDOR_BLOCKER: &str = "Intel and AMD hosts: no mask lets a running VM move \
between vendors (cold migration only): the guest keeps the vendor string, family/model and \
the vendor-specific code paths it chose at boot; --cross-vendor (KVM targets) computes the \
features both vendors share, for Linux guests only";

/// The warning printed with a cross-vendor setting.
pub const CROSS_VENDOR_WARNING: &str = "WARNING: Intel <-> AMD live migration under KVM, for \
Linux guests only. A guest keeps the vendor string, family/model/stepping and the errata \
workarounds and speculative-execution mitigations it selected at boot for the CPU it booted \
on; after a move to the other vendor they may be wrong (reboot the guest to re-select them). \
Such guests cannot rely on vendor-specific instructions, MSRs and mitigations (IBRS/STIBP/SSBD \
differ in form, SYSENTER/SYSCALL differ for 32-bit code), performance counters, or microcode \
revisions. Windows and other systems do not support it; test before relying on it";

/// Intel and AMD hosts together (`--cross-vendor`): the compared features every
/// host in `hosts` has, less those only one vendor defines (catalog
/// `intel_only`/`amd_only`), and the compared features some host has.
pub fn cross_vendor_common(hosts: &[FeatureSet]) -> (FeatureSet, FeatureSet) {
    let compared = catalog::compared_classes();
    let union = hosts
        .iter()
        .fold(FeatureSet::new(), |u, f| u.union(f))
        .intersection(compared);
    let common = hosts
        .iter()
        .copied()
        .reduce(|a, b| a.intersection(&b))
        .unwrap_or_default()
        .intersection(compared);
    let neutral: FeatureSet = common
        .iter()
        .filter(|id| {
            let d = catalog::by_id(*id);
            !d.intel_only && !d.amd_only
        })
        .collect();
    (neutral, union)
}
