//! Running VMs and a cluster's EVC mode: which VMs must be power-cycled to pick
//! up a target mode, and which must be powered off first so that the mode can
//! be applied at all. Pure: no I/O.
//!
//! VMware: a running VM keeps the CPU features it was powered on with; after a
//! cluster's EVC mode is enabled or raised it does not use the new mode's
//! features until it is powered off and on again (vSphere "Determine the EVC
//! Mode of a Virtual Machine"). Enabling EVC, or lowering it, needs every VM
//! that runs with features beyond the target mode powered off or moved out of
//! the cluster first ("EVC Requirements for Hosts"). A VM's current features are
//! its *feature requirements*: vCenter's `runtime.featureRequirement`, or the
//! `VM Features Required: cpuid.X - Bool:Min:1` lines its `vmware.log` writes at
//! power-on. A per-VM EVC VM carries its own mode (its `featMask` lines): the
//! cluster's mode never changes what it sees, but it cannot exceed it.

use serde::Serialize;

use crate::catalog::{self, FeatureSet};
use crate::decode::Vendor;
use crate::shipped::evc::EvcMode;

/// What is known of the features a VM runs with now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RunningFeatures {
    /// From a source that shows them.
    Known {
        /// The features (catalog names on serialization).
        #[serde(serialize_with = "names")]
        features: FeatureSet,
        /// Where they were read (`vmware.log`, `per-VM EVC featMask lines`).
        source: String,
    },
    /// A per-VM EVC VM: what its own mask grants on its host.
    PerVmEvc {
        /// The features its mask lets it see on its host.
        #[serde(serialize_with = "names")]
        features: FeatureSet,
    },
    /// No source shows them.
    NotKnown,
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

/// One VM as the transition sees it.
#[derive(Debug, Clone)]
pub struct VmState {
    /// Its host.
    pub host: String,
    /// Its name.
    pub name: String,
    /// `Some(true)` powered on, `Some(false)` off (or suspended), `None` not known.
    pub powered_on: Option<bool>,
    /// Its current features.
    pub running: RunningFeatures,
}

/// What a VM needs for the target mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmAction {
    /// Its host.
    pub host: String,
    /// Its name.
    pub name: String,
    /// Why, naming the features.
    pub why: String,
}

/// The outcome for one cluster and one target mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvcTransition {
    /// The cluster (`None`: hosts without one).
    pub cluster: Option<String>,
    /// The target mode key.
    pub mode: String,
    /// Hosts of the cluster that cannot run the mode, with what they lack.
    pub hosts_not_qualifying: Vec<VmAction>,
    /// VMs that run with features beyond the mode: power them off (or move
    /// them out of the cluster) before the mode is applied.
    pub power_off_first: Vec<VmAction>,
    /// Running VMs with fewer features than the mode: they pick it up only
    /// after a power cycle (a guest reboot is not enough).
    pub power_cycle: Vec<VmAction>,
    /// Running (or possibly running) VMs whose current features no source shows.
    pub not_known: Vec<VmAction>,
    /// VMs that need nothing (powered off, or already at the mode).
    pub unaffected: Vec<String>,
}

/// The features compared for EVC: hosts' compared classes, without the
/// firmware-dependent speculation controls and TSX that VMware adds to a
/// mode only when every host's microcode has them.
fn evc_relevant(set: &FeatureSet) -> FeatureSet {
    set.iter()
        .filter(|id| catalog::by_id(*id).class.is_compared())
        .filter(|id| !crate::shipped::evc::FIRMWARE_DEPENDENT.contains(id))
        .collect()
}

/// The transition of one cluster to `mode`: `hosts` are the cluster's hosts
/// (name, vendor, compared features), `vms` its VMs.
pub fn transition(
    cluster: Option<&str>,
    mode: &EvcMode,
    hosts: &[(String, Vendor, FeatureSet)],
    vms: &[VmState],
) -> EvcTransition {
    let mut t = EvcTransition {
        cluster: cluster.map(str::to_string),
        mode: mode.key.clone(),
        hosts_not_qualifying: Vec::new(),
        power_off_first: Vec::new(),
        power_cycle: Vec::new(),
        not_known: Vec::new(),
        unaffected: Vec::new(),
    };
    for (name, vendor, features) in hosts {
        if *vendor != mode.vendor {
            t.hosts_not_qualifying.push(VmAction {
                host: name.clone(),
                name: name.clone(),
                why: format!(
                    "its CPU is {vendor}; {} is a {} mode",
                    mode.key, mode.vendor
                ),
            });
        } else if !mode.qualifies(*vendor, features) {
            t.hosts_not_qualifying.push(VmAction {
                host: name.clone(),
                name: name.clone(),
                why: format!("lacks {}", mode.lacking(features).names().join(" ")),
            });
        }
    }
    let target = evc_relevant(&mode.features);
    for vm in vms {
        let action = |why: String| VmAction {
            host: vm.host.clone(),
            name: vm.name.clone(),
            why,
        };
        let off = vm.powered_on == Some(false);
        match &vm.running {
            RunningFeatures::PerVmEvc { features } => {
                let beyond = evc_relevant(features).difference(&target);
                if beyond.is_empty() {
                    t.unaffected.push(vm.name.clone());
                } else {
                    t.power_off_first.push(action(format!(
                        "its per-VM EVC mask grants {} beyond {}; a VM's EVC mode cannot exceed its cluster's: power it off and lower its per-VM EVC mode",
                        beyond.names().join(" "),
                        mode.key
                    )));
                }
            }
            _ if off => t.unaffected.push(vm.name.clone()),
            RunningFeatures::NotKnown => t.not_known.push(action(format!(
                "{}; no source shows the features it runs with (no vmware.log beside its .vmx; vCenter's runtime.featureRequirement has them)",
                match vm.powered_on {
                    Some(true) => "powered on",
                    _ => "power state not known",
                }
            ))),
            RunningFeatures::Known { features, source } => {
                let current = evc_relevant(features);
                let beyond = current.difference(&target);
                let gains = target.difference(&current);
                if !beyond.is_empty() {
                    t.power_off_first.push(action(format!(
                        "runs with {} beyond {} (from {source}): power it off, or move it out of the cluster, before the mode is applied",
                        beyond.names().join(" "),
                        mode.key
                    )));
                } else if !gains.is_empty() {
                    t.power_cycle.push(action(format!(
                        "runs below {} (from {source}); it gets {} only after a power cycle (power off, then on)",
                        mode.key,
                        gains.names().join(" ")
                    )));
                } else {
                    t.unaffected.push(vm.name.clone());
                }
            }
        }
    }
    t
}

/// [`transition`], where `releases` holds the ESXi release of the cluster's
/// hosts where known (host name, release): a host whose release does not know
/// the mode (introduced later, `evc/<key>.toml`) cannot run it either, and is
/// listed with why (`intel-icelake needs ESXi 7.0 U2; esx67 runs 6.7`).
pub fn transition_with_releases(
    cluster: Option<&str>,
    mode: &EvcMode,
    hosts: &[(String, Vendor, FeatureSet)],
    vms: &[VmState],
    releases: &[(String, crate::model::esxi_version::EsxiVersion)],
) -> EvcTransition {
    let mut t = transition(cluster, mode, hosts, vms);
    for (name, v) in releases {
        if crate::analysis::setting::release_knows(v, mode) {
            continue;
        }
        let why = format!(
            "{} needs {}; {name} runs {}",
            mode.key,
            mode.introduced,
            crate::analysis::setting::short_release(v)
        );
        match t.hosts_not_qualifying.iter_mut().find(|a| &a.name == name) {
            Some(a) => a.why = format!("{}; and {why}", a.why),
            None => t.hosts_not_qualifying.push(VmAction {
                host: name.clone(),
                name: name.clone(),
                why,
            }),
        }
    }
    t
}

/// The feature requirements a running VM's `vmware.log` shows: the names of the
/// `VM Features Required: cpuid.<NAME> - Bool:Min:1` (or `Num:Min:N`, N > 0)
/// lines of its last power-on (after the last `FeatureCompat: Requirements`
/// header when there is one), as VMware spells them. Empty when none.
pub fn requirements_in_log(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.contains("FeatureCompat: Requirements"))
        .unwrap_or(0);
    let mut out = Vec::new();
    for l in &lines[start..] {
        let Some((_, rest)) = l.split_once("VM Features Required:") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(" - ") else {
            continue;
        };
        let Some(name) = name.trim().strip_prefix("cpuid.") else {
            continue;
        };
        let min = value
            .trim()
            .rsplit(':')
            .next()
            .and_then(|n| {
                n.strip_prefix("0x").map_or_else(
                    || n.parse::<u64>().ok(),
                    |h| u64::from_str_radix(h, 16).ok(),
                )
            })
            .unwrap_or(0);
        if value.contains("Min") && min > 0 && !out.iter().any(|o: &String| o == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// The catalog features of VMware requirement names on a host of `vendor`
/// (names that are not one-bit features, such as `Intel` or `NUMLEVELS`, drop out).
pub fn features_of_requirements(names: &[String], vendor: Vendor) -> FeatureSet {
    names
        .iter()
        .filter_map(|n| crate::mask::feature_of_featmask_on(n, vendor))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2024-01-01T00:00:00.000Z In(05) vmx - FeatureCompat: Requirements:\n\
        2024-01-01T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.sse3 - Bool:Min:1\n\
        2024-01-02T00:00:00.000Z In(05) vmx - FeatureCompat: Requirements:\n\
        2024-01-02T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.ssse3 - Bool:Min:1\n\
        2024-01-02T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.AVX - Bool:Min:1\n\
        2024-01-02T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.Intel - Bool:Min:1\n\
        2024-01-02T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.numlevels - Num:Min:0xd\n\
        2024-01-02T00:00:00.000Z In(05) vmx - VM Features Required: cpuid.rdrand - Bool:Min:0\n";

    #[test]
    fn reads_the_last_power_on_of_a_log() {
        assert_eq!(
            requirements_in_log(LOG),
            ["ssse3", "AVX", "Intel", "numlevels"]
        );
        let f = features_of_requirements(&requirements_in_log(LOG), Vendor::Intel);
        assert_eq!(f.names(), ["ssse3", "avx"]);
        assert!(requirements_in_log("nothing here\n").is_empty());
    }

    fn mode(key: &str) -> &'static EvcMode {
        crate::shipped::evc::mode(key).expect("shipped mode")
    }

    #[test]
    fn raising_lowering_and_unknown() {
        let penryn = mode("intel-penryn");
        let merom = mode("intel-merom").features;
        let nehalem = mode("intel-nehalem").features;
        let hosts = vec![
            ("h1".to_string(), Vendor::Intel, nehalem),
            ("h2".to_string(), Vendor::Intel, merom),
        ];
        let vm = |name: &str, on: Option<bool>, running: RunningFeatures| VmState {
            host: "h1".into(),
            name: name.into(),
            powered_on: on,
            running,
        };
        let known = |f: FeatureSet| RunningFeatures::Known {
            features: f,
            source: "vmware.log".into(),
        };
        let t = transition(
            Some("c"),
            penryn,
            &hosts,
            &[
                vm("low", Some(true), known(merom)),
                vm("high", Some(true), known(nehalem)),
                vm("off", Some(false), RunningFeatures::NotKnown),
                vm("who", None, RunningFeatures::NotKnown),
                vm("at", Some(true), known(penryn.features)),
            ],
        );
        assert_eq!(t.hosts_not_qualifying.len(), 1);
        assert_eq!(t.hosts_not_qualifying[0].name, "h2");
        assert!(t.hosts_not_qualifying[0].why.contains("sse4_1"));
        assert_eq!(t.power_cycle.len(), 1);
        assert!(
            t.power_cycle[0].why.contains("sse4_1"),
            "{:?}",
            t.power_cycle
        );
        assert_eq!(t.power_off_first.len(), 1);
        assert_eq!(t.power_off_first[0].name, "high");
        assert!(t.power_off_first[0].why.contains("sse4_2"));
        assert_eq!(t.not_known.len(), 1);
        assert_eq!(t.not_known[0].name, "who");
        assert_eq!(t.unaffected, ["off", "at"]);
    }

    #[test]
    fn a_host_whose_esxi_release_does_not_know_the_mode_cannot_run_it() {
        let icelake = mode("intel-icelake");
        let hosts = vec![
            ("esx67".to_string(), Vendor::Intel, icelake.features),
            ("esx70".to_string(), Vendor::Intel, icelake.features),
        ];
        let v = |s: &str| crate::model::esxi_version::parse(s).expect("version");
        let releases = vec![
            ("esx67".to_string(), v("6.7.0")),
            ("esx70".to_string(), v("7.0.2")),
        ];
        let t = transition_with_releases(Some("c"), icelake, &hosts, &[], &releases);
        assert_eq!(t.hosts_not_qualifying.len(), 1, "{t:?}");
        assert_eq!(t.hosts_not_qualifying[0].name, "esx67");
        assert_eq!(
            t.hosts_not_qualifying[0].why,
            "intel-icelake needs ESXi 7.0 U2; esx67 runs 6.7"
        );
        // Without releases the CPUs alone decide.
        let t = transition_with_releases(Some("c"), icelake, &hosts, &[], &[]);
        assert!(t.hosts_not_qualifying.is_empty());
    }
}
