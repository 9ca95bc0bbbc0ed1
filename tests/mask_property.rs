//! Property test over real CPUs: for random same-vendor subsets of corpus dumps,
//! the generated mask passes its own verification, and what it hides is exactly
//! (union − intersection) closed under requirements (limited to features some
//! member has).

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use vmcompat::analysis::fleet::{analyze, FleetHost, Policy};
use vmcompat::analysis::maskplan;
use vmcompat::catalog::{closure_of_dependents, FeatureSet};
use vmcompat::cpuid::{formats::corpus::parse_corpus, CpuLeaves};
use vmcompat::decode::{decode_cpu, Vendor};
use vmcompat::mask::{build, MaskKind};

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

fn check_subset(vendor: Vendor, picks: &[usize]) -> Result<(), TestCaseError> {
    let all = corpus(vendor);
    if all.is_empty() {
        return Ok(());
    }
    let chosen: Vec<&Cpu> = picks.iter().map(|i| &all[i % all.len()]).collect();
    let hosts: Vec<FleetHost> = chosen.iter().map(|c| c.host.clone()).collect();
    let analysis = analyze(&hosts, Policy::Evc);
    let labels: Vec<String> = analysis.groups.iter().map(|g| g.label.clone()).collect();
    let plan = match maskplan::for_groups(&analysis, &labels) {
        Ok(p) => p,
        // Hosts that differ in a must-match feature (invariant TSC) cannot be
        // masked together; the plan says so instead of hiding it.
        Err(maskplan::PlanError::MustMatch(_)) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(e.to_string())),
    };
    let (mut union, mut inter) = (FeatureSet::new(), None::<FeatureSet>);
    for h in &hosts {
        let f = h.cpu.compared_features();
        union = union.union(&f);
        inter = Some(inter.map_or(f, |i| i.intersection(&f)));
    }
    let expected =
        closure_of_dependents(&union.difference(&inter.unwrap_or_default())).intersection(&union);
    prop_assert_eq!(plan.hide, expected, "hidden set");
    let members: Vec<&CpuLeaves> = chosen.iter().map(|c| &c.leaves).collect();
    let verified = build::build_verified(&plan.hide, MaskKind::CpuidLines, &members);
    prop_assert!(
        verified.is_ok(),
        "mask fails its own check: {:?}",
        verified.err()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn intel_subsets_mask_verifies(picks in proptest::collection::vec(0usize..10_000, 2..8)) {
        check_subset(Vendor::Intel, &picks)?;
    }

    #[test]
    fn amd_subsets_mask_verifies(picks in proptest::collection::vec(0usize..10_000, 2..8)) {
        check_subset(Vendor::Amd, &picks)?;
    }
}

#[test]
fn the_property_runs_on_real_cpus() {
    if common::shared_dir().is_none() {
        return;
    }
    let (intel, amd) = (corpus(Vendor::Intel).len(), corpus(Vendor::Amd).len());
    println!("property test population: {intel} Intel and {amd} AMD bare-metal dumps");
    assert!(intel > 200 && amd > 100, "{intel} Intel, {amd} AMD");
    // And a known case by hand: Haswell + Sandy Bridge hide exactly what SNB lacks.
    let pick = |needle: &str| {
        corpus(Vendor::Intel)
            .iter()
            .position(|c| c.host.name.contains(needle))
            .expect("in corpus")
    };
    check_subset(Vendor::Intel, &[pick("i7-4770-cpu"), pick("i7-2600-cpu")]).expect("verifies");
}
