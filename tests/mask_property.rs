//! Property test over real CPUs: for random same-vendor subsets of the bare-metal
//! dumps of `../shared/corpus/`, the default mask and the `--baseline` mask of every
//! shipped baseline, applied to each member's CPUID, must
//!
//! 1. never hide a floor feature a member has;
//! 2. hide nothing every member has, except through a catalog edge from what the
//!    request asks to hide (what some member lacks, or the baseline lacks), or a
//!    non-migratable bit;
//! 3. hide no firmware-dependent bit that an update could bring (every host that
//!    lacks it has a twin with it) unless `--hide-firmware-features` is given;
//! 4. make every member's guest see the same features, apart from the firmware
//!    differences the plan names for updating.
//!
//! The checks apply the mask and decode the result here, independently of
//! `mask::verify`. Requests vmcompat refuses are counted, and each refusal is
//! checked to be justified. The counts are printed.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use proptest::prelude::*;
use vmcompat::analysis::fleet::{analyze, FleetHost};
use vmcompat::analysis::maskplan::{self, MaskOptions, MaskPlan, PlanError};
use vmcompat::catalog::{self, Class, FeatureSet};
use vmcompat::cpuid::{Completeness, CpuLeaves};
use vmcompat::decode::{decode_cpu, Vendor};
use vmcompat::mask::{apply, build_for, MaskKind};
use vmcompat::model::policy::Policy;
use vmcompat::shipped::baselines;
use vmcompat::sources::formats::corpus::parse_corpus;

struct Cpu {
    host: FleetHost,
    leaves: CpuLeaves,
}

/// Bare-metal server and desktop dumps of one vendor (hypervisor views excluded:
/// their bits are a hypervisor's choice).
fn corpus(vendor: Vendor) -> &'static [Cpu] {
    static INTEL: OnceLock<Vec<Cpu>> = OnceLock::new();
    static AMD: OnceLock<Vec<Cpu>> = OnceLock::new();
    let cell = if vendor == Vendor::Intel {
        &INTEL
    } else {
        &AMD
    };
    cell.get_or_init(|| {
        let Some(shared) = common::shared_dir() else {
            return Vec::new();
        };
        let dir = shared.join("corpus/libcpuid");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("corpus")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(p).ok()?;
                let f = parse_corpus(&text, &p.display().to_string()).ok()?;
                let leaves = f.dump.cpus.into_iter().next()?;
                let cpu = decode_cpu(&leaves, f.dump.completeness);
                let name = p.file_name()?.to_string_lossy().into_owned();
                (cpu.vendor == vendor && cpu.hypervisor.is_none()).then_some(Cpu {
                    host: FleetHost {
                        name,
                        cluster: None,
                        cpu,
                    },
                    leaves,
                })
            })
            .collect()
    })
}

/// What happened to each kind of request, for the printed counts.
#[derive(Default)]
struct Counts {
    verified: AtomicUsize,
    with_pending_firmware: AtomicUsize,
    refused_floor: AtomicUsize,
    nobody_qualifies: AtomicUsize,
}

fn counts() -> &'static Counts {
    static C: OnceLock<Counts> = OnceLock::new();
    C.get_or_init(Counts::default)
}

fn visible(cpu: &CpuLeaves) -> FeatureSet {
    decode_cpu(cpu, Completeness::Full)
        .features
        .intersection(catalog::guest_visible())
}

/// Checks one plan by applying its mask to every member.
fn check_plan(
    plan: &MaskPlan,
    hosts: &[FleetHost],
    chosen: &[&Cpu],
    asked: &FeatureSet,
    opts: MaskOptions,
) -> Result<(), TestCaseError> {
    let members: Vec<&CpuLeaves> = plan.members.iter().map(|&i| &chosen[i].leaves).collect();
    let seen = members
        .iter()
        .fold(FeatureSet::new(), |a, m| a.union(&visible(m)));
    let absent = catalog::guest_visible().difference(&seen);
    let mask = build_for(&plan.hide, &absent, MaskKind::CpuidLines);
    let floor = catalog::floor();
    let firmware_pending = plan.firmware_pending;
    // Pending firmware differences are firmware-dependent, and an update brings them.
    for f in firmware_pending.iter() {
        prop_assert!(
            maskplan::update_brings(hosts, &plan.members, f),
            "{} left pending but no update brings it",
            catalog::by_id(f).name
        );
    }
    let host_views: Vec<FeatureSet> = members.iter().map(|m| visible(m)).collect();
    let guest_views: Vec<FeatureSet> = members
        .iter()
        .map(|m| {
            decode_cpu(&apply(&mask, m), Completeness::Full)
                .features
                .intersection(catalog::guest_visible())
        })
        .collect();
    let common = host_views
        .iter()
        .copied()
        .reduce(|a, b| a.intersection(&b))
        .unwrap_or_default();
    let allowed =
        catalog::closure_of_dependents(asked).union(&catalog::of_class(Class::NonMigratable));
    for (i, (host, guest)) in host_views.iter().zip(&guest_views).enumerate() {
        let name = &hosts[plan.members[i]].name;
        // 1. floor
        let lost_floor = host.intersection(&floor).difference(guest);
        prop_assert!(
            lost_floor.is_empty(),
            "{name}: floor hidden: {:?}",
            lost_floor
        );
        // 2. nothing common hidden except through an edge from what was asked
        let bad = common.difference(guest).difference(&allowed);
        prop_assert!(bad.is_empty(), "{name}: common features hidden: {:?}", bad);
        // 3. no firmware bit an update could bring is hidden without the option
        if !opts.hide_firmware {
            let hidden_fw: Vec<&str> = host
                .difference(guest)
                .iter()
                .filter(|f| maskplan::update_brings(hosts, &plan.members, *f))
                .map(|f| catalog::by_id(f).name)
                .collect();
            prop_assert!(
                hidden_fw.is_empty(),
                "{name}: firmware bits hidden: {:?}",
                hidden_fw
            );
        }
    }
    // The XSAVE state of hidden features is hidden too: a component whose owners
    // are all hidden or absent (at least one hidden) reads 0 on every guest (on
    // AMD the CET components follow SHSTK alone, as AMD has no IBT).
    for comp in catalog::XSAVE_COMPONENTS {
        let owners = FeatureSet::from_names(comp.owners).expect("catalog names");
        let hidden_here = owners.intersection(&plan.hide);
        if owners.is_empty() || hidden_here.is_empty() {
            continue;
        }
        if !owners.difference(&plan.hide).intersection(&seen).is_empty() {
            continue;
        }
        let loc = comp.cpuid_bit();
        for m in &members {
            let v = apply(&mask, m)
                .get_or_zero(loc.leaf, loc.subleaf)
                .get(loc.reg);
            prop_assert_eq!(v & loc.mask(), 0, "XSAVE component {} visible", comp.bit);
        }
    }
    // 4. members agree, apart from the pending firmware differences
    let first = guest_views[0].difference(&firmware_pending);
    for (i, g) in guest_views.iter().enumerate() {
        prop_assert_eq!(
            g.difference(&firmware_pending),
            first,
            "member {} disagrees with member 0",
            hosts[plan.members[i]].name.clone()
        );
    }
    counts().verified.fetch_add(1, Ordering::Relaxed);
    if !firmware_pending.is_empty() {
        counts()
            .with_pending_firmware
            .fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// A refusal because some member lacks floor features: true when one does.
fn refusal_is_justified(hosts: &[FleetHost]) -> bool {
    let floor = catalog::floor();
    let union = hosts
        .iter()
        .fold(FeatureSet::new(), |a, h| a.union(&h.cpu.features));
    hosts.iter().any(|h| {
        !floor
            .intersection(&union)
            .difference(&h.cpu.features)
            .is_empty()
    })
}

fn check_subset(vendor: Vendor, picks: &[usize], opts: MaskOptions) -> Result<(), TestCaseError> {
    let all = corpus(vendor);
    if all.is_empty() {
        return Ok(());
    }
    let chosen: Vec<&Cpu> = picks.iter().map(|i| &all[i % all.len()]).collect();
    let hosts: Vec<FleetHost> = chosen.iter().map(|c| c.host.clone()).collect();
    let analysis = analyze(&hosts, Policy::Evc);
    let labels: Vec<String> = analysis.groups.iter().map(|g| g.label.clone()).collect();
    let views: Vec<FeatureSet> = hosts
        .iter()
        .map(|h| h.cpu.features.intersection(catalog::guest_visible()))
        .collect();
    let union = views.iter().fold(FeatureSet::new(), |a, v| a.union(v));
    // The default mask: asked to hide what some member lacks.
    match maskplan::for_groups(&analysis, &hosts, &labels, opts) {
        Ok(plan) => {
            let inter = views
                .iter()
                .copied()
                .reduce(|a, b| a.intersection(&b))
                .unwrap_or_default();
            check_plan(&plan, &hosts, &chosen, &union.difference(&inter), opts)?;
        }
        Err(PlanError::LacksFloor(_)) => {
            prop_assert!(refusal_is_justified(&hosts), "refused without cause");
            counts().refused_floor.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => return Err(TestCaseError::fail(e.to_string())),
    }
    // `--baseline` of every shipped baseline of this vendor (and the psABI levels).
    for b in baselines::all().expect("baselines parse") {
        if b.vendor.is_some_and(|v| v != vendor) {
            continue;
        }
        match maskplan::for_baseline(&analysis, &hosts, &labels, &b, opts) {
            Ok(plan) => {
                let members_union = plan
                    .members
                    .iter()
                    .fold(FeatureSet::new(), |a, &m| a.union(&views[m]));
                let asked = members_union.difference(&b.features);
                check_plan(&plan, &hosts, &chosen, &asked, opts)?;
            }
            Err(PlanError::NobodyQualifies(_)) => {
                counts().nobody_qualifies.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => return Err(TestCaseError::fail(format!("{}: {e}", b.name))),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn intel_subsets(picks in proptest::collection::vec(0usize..10_000, 2..8)) {
        check_subset(Vendor::Intel, &picks, MaskOptions::default())?;
    }

    #[test]
    fn amd_subsets(picks in proptest::collection::vec(0usize..10_000, 2..8)) {
        check_subset(Vendor::Amd, &picks, MaskOptions::default())?;
    }

    #[test]
    fn subsets_with_hide_firmware_features(
        picks in proptest::collection::vec(0usize..10_000, 2..6),
        amd in any::<bool>(),
    ) {
        let vendor = if amd { Vendor::Amd } else { Vendor::Intel };
        check_subset(vendor, &picks, MaskOptions { hide_firmware: true })?;
    }
}

/// Runs after the property tests in the same binary when tests run in one thread,
/// and prints what they saw; on its own it runs a fixed sample so the counts are
/// never empty.
#[test]
fn the_property_runs_on_real_cpus_and_prints_its_counts() {
    if common::shared_dir().is_none() {
        return;
    }
    let (intel, amd) = (corpus(Vendor::Intel).len(), corpus(Vendor::Amd).len());
    println!("property test population: {intel} Intel and {amd} AMD bare-metal dumps");
    assert!(intel > 200 && amd > 100, "{intel} Intel, {amd} AMD");
    // A fixed sample besides the random ones: consecutive triples of each vendor.
    for vendor in [Vendor::Intel, Vendor::Amd] {
        let n = corpus(vendor).len();
        for start in (0..n).step_by(7) {
            check_subset(
                vendor,
                &[start, start + 3, start + 5],
                MaskOptions::default(),
            )
            .expect("fixed sample holds");
        }
    }
    // And a known case by hand: Haswell + Sandy Bridge hide exactly what SNB lacks.
    let pick = |needle: &str| {
        corpus(Vendor::Intel)
            .iter()
            .position(|c| c.host.name.contains(needle))
            .expect("in corpus")
    };
    check_subset(
        Vendor::Intel,
        &[pick("i7-4770-cpu"), pick("i7-2600-cpu")],
        MaskOptions::default(),
    )
    .expect("verifies");
    let c = counts();
    println!(
        "masks checked and verified: {} ({} leave firmware differences for host updates); \
         refused because a member lacks floor features: {}; baselines no member reaches: {}",
        c.verified.load(Ordering::Relaxed),
        c.with_pending_firmware.load(Ordering::Relaxed),
        c.refused_floor.load(Ordering::Relaxed),
        c.nobody_qualifies.load(Ordering::Relaxed)
    );
    assert!(c.verified.load(Ordering::Relaxed) > 100);
}
