//! VM readiness per destination: what each device of a VM uses (its NIC's port
//! group, its disks' and images' datastores, its RDMs' LUNs, its hardware
//! version) checked against every destination of its host, each fact in one of
//! three states: present, absent, or unknown (the fleet's sources do not say;
//! reported as "not checked" with how to declare it, never as a failure or a
//! pass). Pure: no I/O.

use serde::Serialize;

use super::finding::Severity;
use super::vm_readiness::{finding_in, Ctx, Finding, HostContext};
use crate::model::esxi_version::{first_release_for, max_hardware_version};
use crate::model::facts::{Datastore, FactsSource, HostFacts, StorageIdentity};
use crate::model::vm::VmSource;
use crate::model::vmx::Vmx;

/// Whether a destination has what a VM's device uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactState {
    /// It has it.
    Present,
    /// It lacks it (its sources describe that kind of fact, and it is not there).
    Absent,
    /// Nothing is known: its sources do not describe that kind of fact.
    Unknown,
}

/// Which kinds of facts a host's sources describe. Hosts read over SSH describe
/// all; a declared host describes the kinds whose keys it gives (`port_groups`
/// or `internal_port_groups`; `datastores`, `local_datastores` or `nfs`; `luns`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Described {
    /// Its port groups.
    pub port_groups: bool,
    /// Its datastores.
    pub datastores: bool,
    /// Its LUNs.
    pub luns: bool,
}

impl Described {
    /// Everything (facts read from the host itself).
    pub const ALL: Described = Described {
        port_groups: true,
        datastores: true,
        luns: true,
    };
}

/// Can the VM move to a destination?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CanMove {
    /// Nothing known stops it.
    Yes,
    /// Something stops it (see `because`).
    No,
    /// Nothing known stops it, but some of what it uses was not checked.
    NotChecked,
}

/// One destination's verdict for one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveVerdict {
    /// The destination host.
    pub host: String,
    /// Yes, no, or not checked.
    pub verdict: CanMove,
    /// What stops it (or was not checked): device and what it uses.
    pub because: Vec<String>,
}

/// What the host's sources describe: read from the host itself, or the given
/// declaration.
fn describes(h: &HostContext) -> Described {
    match h.facts.source {
        Some(FactsSource::Esxi | FactsSource::Linux | FactsSource::Vcenter) => Described::ALL,
        _ => h.described,
    }
}

/// Per destination, from the findings: no when one stops the move there, not
/// checked when one was not checked there, else yes.
pub fn verdicts(findings: &[Finding], dests: &[String]) -> Vec<MoveVerdict> {
    dests
        .iter()
        .map(|d| {
            let why = |f: &Finding| match (&f.device, &f.uses) {
                (Some(dev), Some(u)) => format!("{dev} ({u})"),
                (Some(dev), None) => format!("{dev} ({})", f.kind),
                (None, Some(u)) => u.clone(),
                (None, None) => f.kind.to_string(),
            };
            let stops: Vec<String> = findings
                .iter()
                .filter(|f| f.stops_move && f.destinations.contains(d))
                .map(why)
                .collect();
            let unknown: Vec<String> = findings
                .iter()
                .filter(|f| f.severity == Severity::NotChecked && f.destinations.contains(d))
                .map(why)
                .collect();
            let (verdict, because) = if !stops.is_empty() {
                (CanMove::No, stops)
            } else if !unknown.is_empty() {
                (CanMove::NotChecked, unknown)
            } else {
                (CanMove::Yes, Vec::new())
            };
            MoveVerdict {
                host: d.clone(),
                verdict,
                because,
            }
        })
        .collect()
}

/// "esx02" / "esx02 and esx03" / "esx02, esx03 and esx04".
pub fn and_list(v: &[String]) -> String {
    match v {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One device's need, to be judged against every destination.
pub(super) struct Need<'a> {
    /// Finding kind.
    pub kind: &'static str,
    /// The device.
    pub device: Option<&'a str>,
    /// What it uses (`port group "VM-Prod"`).
    pub uses: String,
    /// The start of the problem sentence (`ethernet0 is connected to port group "VM-Prod"`).
    pub subject: String,
    /// Connected (or otherwise in use) now: an absent fact stops the move.
    pub connected: bool,
    /// The verb for destinations that lack it, after "which": singular and
    /// plural (`("lacks", "lack")`).
    pub lacks: (&'static str, &'static str),
    /// Why that matters.
    pub consequence: &'static str,
    /// The fix when it is absent and connected.
    pub fix_absent: String,
    /// The fix when it is absent and not connected (None: no finding then).
    pub fix_disconnected: Option<String>,
    /// How to declare it when unknown.
    pub fix_unknown: String,
}

/// Turns per-destination states into findings: absent everywhere is an error
/// (when connected), absent on some a warning naming where it can still go,
/// unknown a "not checked" finding naming the destinations. `states`: per
/// destination, its state and (absent) a note, a template in which `%H`
/// stands for the hosts that share it.
pub(super) fn judge(
    need: Need,
    states: &[(String, FactState, Option<String>)],
    out: &mut Vec<Finding>,
) {
    let of = |s: FactState| -> Vec<String> {
        states
            .iter()
            .filter(|x| x.1 == s)
            .map(|x| x.0.clone())
            .collect()
    };
    let (absent, unknown, present) = (
        of(FactState::Absent),
        of(FactState::Unknown),
        of(FactState::Present),
    );
    // Notes are templates: "%H" stands for the hosts that share the note.
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (h, _, n) in states.iter().filter(|x| x.1 == FactState::Absent) {
        let Some(n) = n else { continue };
        match grouped.iter_mut().find(|(t, _)| t == n) {
            Some((_, hs)) => hs.push(h.clone()),
            None => grouped.push((n.clone(), vec![h.clone()])),
        }
    }
    let notes: Vec<String> = grouped
        .iter()
        .map(|(t, hs)| t.replace("%H", &and_list(hs)))
        .collect();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    if !absent.is_empty() {
        let verb = if absent.len() == 1 {
            need.lacks.0
        } else {
            need.lacks.1
        };
        let whom = format!("{} {verb}{notes}", and_list(&absent));
        let (severity, problem, fix) = if !need.connected {
            let Some(fix) = need.fix_disconnected.clone() else {
                return;
            };
            (
                Severity::Warning,
                format!(
                    "{}, which {whom}: it is not connected, so vMotion may proceed; connecting it would pin the VM",
                    need.subject
                ),
                fix,
            )
        } else if present.is_empty() && unknown.is_empty() {
            (
                Severity::Error,
                format!(
                    "{}, which {whom}: {}, so the VM cannot move to any other host of its cluster",
                    need.subject, need.consequence
                ),
                need.fix_absent.clone(),
            )
        } else {
            let rest = match (present.is_empty(), unknown.is_empty()) {
                (false, _) => format!("; it can move to {}", and_list(&present)),
                (true, false) => format!("; {} not checked (see below)", and_list(&unknown)),
                (true, true) => String::new(),
            };
            (
                Severity::Warning,
                format!(
                    "{}, which {whom}: {}, so the VM cannot move to {}{rest}",
                    need.subject,
                    need.consequence,
                    and_list(&absent)
                ),
                need.fix_absent.clone(),
            )
        };
        let mut f = finding_in(
            FactState::Absent,
            severity,
            need.kind,
            need.device,
            problem,
            fix,
        );
        f.uses = Some(need.uses.clone());
        f.destinations = absent;
        f.stops_move = need.connected;
        out.push(f);
    }
    if !unknown.is_empty() && need.connected {
        let mut f = finding_in(
            FactState::Unknown,
            Severity::NotChecked,
            need.kind,
            need.device,
            format!(
                "{}; whether {} {} it is not known (not checked)",
                need.subject,
                and_list(&unknown),
                if unknown.len() == 1 { "has" } else { "have" }
            ),
            need.fix_unknown.clone(),
        );
        f.uses = Some(need.uses);
        f.destinations = unknown;
        out.push(f);
    }
}

/// Every connected NIC's port group, against each destination (NICs on an
/// internal switch are the `internal-network` check's).
pub(super) fn port_groups(c: &Ctx, out: &mut Vec<Finding>) {
    let vmx = &c.vm.vmx;
    if c.dests.is_empty() {
        return;
    }
    for dev in vmx.devices("ethernet") {
        if vmx.flag(&format!("{dev}.present")) != Some(true) {
            continue;
        }
        let Some(label) = vmx.get(&format!("{dev}.networkName")) else {
            continue;
        };
        if c.src.facts.is_internal_port_group(label) {
            continue;
        }
        let connected = super::vm_readiness::connected(vmx, &dev);
        let states: Vec<(String, FactState, Option<String>)> = c
            .dests
            .iter()
            .map(|d| {
                let (s, note) = port_group_state(label, d);
                (d.name.clone(), s, note)
            })
            .collect();
        judge(
            Need {
                kind: "port-group",
                device: Some(&dev),
                uses: format!("port group \"{label}\""),
                subject: format!(
                    "{dev} is {} port group \"{label}\"",
                    if connected { "connected to" } else { "on" }
                ),
                connected,
                lacks: ("lacks", "lack"),
                consequence: "vMotion needs the same port-group label (case-sensitive) on the destination",
                fix_absent: format!(
                    "create port group \"{label}\" (same VLAN) on the hosts named, or rename theirs to exactly \"{label}\"; or connect {dev} to a port group every host has ({dev}.networkName = \"<port group>\")"
                ),
                fix_disconnected: None,
                fix_unknown: "declare the destination's port groups in the fleet file (port_groups = [...]) or read it over SSH (esxi = \"root@HOST\")".into(),
            },
            &states,
            out,
        );
    }
}

fn port_group_state(label: &str, d: &HostContext) -> (FactState, Option<String>) {
    if !describes(d).port_groups {
        return (FactState::Unknown, None);
    }
    if d.facts.port_groups.iter().any(|p| p.label == label) {
        return (FactState::Present, None);
    }
    let near = d
        .facts
        .port_groups
        .iter()
        .find(|p| p.label.trim().eq_ignore_ascii_case(label.trim()));
    (
        FactState::Absent,
        near.map(|p| {
            format!(
                "%H: \"{}\" instead, which differs only by case or spaces (labels are case-sensitive)",
                p.label
            )
        }),
    )
}

fn find_ds<'a>(facts: &'a HostFacts, key: &str) -> Option<&'a Datastore> {
    facts.datastores.iter().find(|d| {
        d.name == key || matches!(&d.identity, StorageIdentity::Vmfs { uuid, .. } if uuid == key)
    })
}

/// Whether `dest` sees datastore `key` (a name or a VMFS UUID) of `src`.
/// Unknown when no host of the fleet (`all`) knows the datastore, or `dest`
/// does not describe its datastores; absent on every destination when it is
/// local to `src`.
pub(super) fn datastore_state(
    key: &str,
    src: &HostContext,
    dest: &HostContext,
    all: &[&HostContext],
) -> (FactState, Option<String>) {
    let s = find_ds(&src.facts, key);
    if s.is_some_and(|s| s.is_local) {
        return (
            FactState::Absent,
            Some(format!("it is local to {}", src.name)),
        );
    }
    let known_anywhere = s.is_some()
        || all
            .iter()
            .chain(std::iter::once(&src))
            .any(|h| find_ds(&h.facts, key).is_some());
    if !known_anywhere || !describes(dest).datastores {
        return (FactState::Unknown, None);
    }
    let d = match s {
        Some(s) if s.identity != StorageIdentity::Named => dest
            .facts
            .datastores
            .iter()
            .find(|d| d.identity == s.identity)
            .or_else(|| find_ds(&dest.facts, &s.name)),
        Some(s) => find_ds(&dest.facts, &s.name),
        None => find_ds(&dest.facts, key),
    };
    let seen = d.is_some_and(|d| {
        !d.is_local
            && match s {
                Some(s) => {
                    s.identity == StorageIdentity::Named
                        || d.identity == StorageIdentity::Named
                        || s.identity == d.identity
                }
                None => true,
            }
    });
    if seen {
        (FactState::Present, None)
    } else {
        (FactState::Absent, None)
    }
}

/// Whether `dest` sees LUN `id`: unknown when `dest` does not describe its LUNs.
pub(super) fn lun_state(
    id: &str,
    src: &HostContext,
    dest: &HostContext,
) -> (FactState, Option<String>) {
    let same = |l: &&crate::model::facts::Lun| l.id.eq_ignore_ascii_case(id);
    if src.facts.luns.iter().find(same).is_some_and(|l| l.is_local) {
        return (
            FactState::Absent,
            Some(format!("it is local to {}", src.name)),
        );
    }
    if !describes(dest).luns {
        return (FactState::Unknown, None);
    }
    if dest
        .facts
        .luns
        .iter()
        .find(same)
        .is_some_and(|l| !l.is_local)
    {
        (FactState::Present, None)
    } else {
        (FactState::Absent, None)
    }
}

/// How to declare a datastore nobody describes (`key` a name or a VMFS UUID).
pub(super) fn declare_datastore(key: &str, dev: &str, file: &str) -> String {
    if looks_like_vmfs_uuid(key) {
        format!(
            "the path names VMFS volume {key} by UUID, and no source maps that UUID to a datastore: read the hosts over SSH (esxi = \"root@HOST\"; `esxcli storage vmfs extent list` gives each datastore's UUID), or write the path with the datastore's name ({dev}.fileName = \"[datastore] {}\") and declare that datastore for each host that mounts it",
            base_name(file)
        )
    } else {
        format!(
            "declare where datastore \"{key}\" is mounted: add it to `datastores` (shared) or `local_datastores` of each host of the cluster that sees it, or read the hosts over SSH (esxi = \"root@HOST\")"
        )
    }
}

/// A VMFS UUID such as `5f3a9c1e-2b4d6e80-7a1c-0050569a1b2c`.
pub fn looks_like_vmfs_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 4
        && parts
            .iter()
            .zip([8, 8, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The file name of a `fileName` value (after the last `/` or `]`).
pub fn base_name(f: &str) -> &str {
    f.rsplit(['/', ']']).next().unwrap_or(f).trim()
}

/// The VM's `virtualHW.version`, when given and a number.
pub fn hardware_version(vmx: &Vmx) -> Option<u32> {
    vmx.get("virtualHW.version")
        .and_then(|v| v.trim().parse().ok())
}

/// The VM's hardware version against each destination's ESXi release: a
/// destination whose release cannot run it is absent. Destinations whose
/// release is unknown give no per-VM finding (the host's `not_checked` says
/// it once, see [`host_not_checked`]).
pub(super) fn hardware(c: &Ctx, hw: Option<u32>, out: &mut Vec<Finding>) {
    let Some(hw) = hw else { return };
    let states: Vec<(String, FactState, Option<String>)> = c
        .dests
        .iter()
        .filter_map(|d| {
            let v = d.esxi.as_ref()?;
            let (max, _) = max_hardware_version(v)?;
            Some(if hw <= max {
                (d.name.clone(), FactState::Present, None)
            } else {
                (
                    d.name.clone(),
                    FactState::Absent,
                    Some(format!("%H: {v}, which runs hardware versions up to {max}")),
                )
            })
        })
        .collect();
    if !states.iter().any(|s| s.1 == FactState::Absent) {
        return;
    }
    let needs =
        first_release_for(hw).map_or_else(String::new, |r| format!("; {r} or later runs it"));
    let absent: Vec<String> = states
        .iter()
        .filter(|s| s.1 == FactState::Absent)
        .map(|s| s.0.clone())
        .collect();
    judge(
        Need {
            kind: "hardware-version",
            device: None,
            uses: format!("hardware version {hw}"),
            subject: format!("the VM has hardware version {hw} (virtualHW.version = \"{hw}\"{needs})"),
            connected: true,
            lacks: ("cannot run", "cannot run"),
            consequence: "a host cannot run a VM of a newer hardware version than its ESXi release supports",
            fix_absent: format!(
                "upgrade ESXi on {} first (rolling upgrade: empty the old hosts onto upgraded ones), or keep the VM on hosts that run it; a hardware version cannot be lowered in place (only by restoring a copy or converting it)",
                and_list(&absent)
            ),
            fix_disconnected: None,
            fix_unknown: String::new(),
        },
        &states,
        out,
    );
}

/// The host-level "not checked" notes: the hardware-version check where a
/// destination's ESXi release is unknown (and some VM gives its hardware version).
pub fn host_not_checked(dests: &[&HostContext], vms: &[VmSource]) -> Vec<String> {
    let mut out = Vec::new();
    if !vms.iter().any(|v| hardware_version(&v.vmx).is_some()) {
        return out;
    }
    let unknown: Vec<String> = dests
        .iter()
        .filter(|d| d.esxi.as_ref().and_then(max_hardware_version).is_none())
        .map(|d| match &d.esxi {
            Some(v) => format!("{} ({v}: a release the table does not list)", d.name),
            None => d.name.clone(),
        })
        .collect();
    if !unknown.is_empty() {
        out.push(format!(
            "hardware-version check not made for {}: the ESXi version is not known, so whether it runs each VM's hardware version (virtualHW.version) was not checked; declare it (esxi_version = \"7.0.3\") or read the host over SSH (esxi = \"root@HOST\", where `vmware -vl` gives it)",
            and_list(&unknown)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_uuids() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&s(&["a"])), "a");
        assert_eq!(and_list(&s(&["a", "b", "c"])), "a, b and c");
        assert!(looks_like_vmfs_uuid("5f3a9c1e-2b4d6e80-7a1c-0050569a1b2c"));
        assert!(!looks_like_vmfs_uuid("nfs-iso-lib"));
    }
}
