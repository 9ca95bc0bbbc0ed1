//! The shipped named baselines (`masks/`): they load, follow the public models
//! they name (libvirt's CPU models, the x86-64 psABI levels) with every
//! difference explained, and each CPU profile reaches the baseline of its own
//! generation and not the next.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use vmcompat::catalog::{self, FeatureSet};
use vmcompat::decode::{decode_dump, Vendor};
use vmcompat::shipped::baselines::{self, Baseline};
use vmcompat::shipped::profiles;

fn all() -> Vec<Baseline> {
    baselines::all().expect("every shipped baseline parses")
}

#[test]
fn baselines_load_and_are_well_formed() {
    let list = all();
    assert!(list.len() >= 24, "only {} baselines", list.len());
    let mut seen = BTreeSet::new();
    for b in &list {
        assert!(
            seen.insert((b.vendor, b.rank)),
            "{}: rank {} used twice",
            b.name,
            b.rank
        );
        assert!(!b.features.is_empty(), "{}", b.name);
        assert!(
            b.description.contains("EVC") || b.vendor.is_none(),
            "{}",
            b.name
        );
        assert_eq!(baselines::load(&b.name).expect("loads by name"), *b);
        for name in b.features.names() {
            assert!(catalog::lookup(name).is_some(), "{}: {name}", b.name);
        }
    }
    for vendor in [Vendor::Intel, Vendor::Amd] {
        assert!(
            list.iter().filter(|b| b.vendor == Some(vendor)).count() >= 9,
            "{vendor}"
        );
    }
    let e = baselines::load("intel-pentium-pro")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("intel-pentium-pro") && e.contains("intel-haswell"),
        "{e}"
    );
}

#[test]
fn qualification_respects_vendor_and_features() {
    // (libvirt's Haswell lacks F16C and LZCNT, so it does not reach x86-64-v3.)
    let haswell = baselines::load("intel-skylake").expect("shipped");
    let v3 = baselines::load("x86-64-v3").expect("shipped");
    assert!(baselines::qualifies(
        &haswell.features,
        Vendor::Intel,
        &haswell
    ));
    assert!(!baselines::qualifies(
        &haswell.features,
        Vendor::Amd,
        &haswell
    ));
    assert!(baselines::qualifies(&haswell.features, Vendor::Amd, &v3));
    let mut less = haswell.features;
    less.remove(catalog::lookup("avx2").expect("catalog has avx2"));
    // VT-x/AMD-V is a host requirement, not a baseline feature.
    assert!(!haswell
        .features
        .contains(catalog::lookup("vmx").expect("vmx")));
    for b in all() {
        assert!(
            !b.features.contains(catalog::lookup("svm").expect("svm")),
            "{}",
            b.name
        );
    }
    assert!(!baselines::qualifies(&less, Vendor::Intel, &haswell));
    assert!(baselines::highest_for(Vendor::Intel, &FeatureSet::new()).is_none());
    assert!(baselines::highest_level(&FeatureSet::new()).is_none());
}

/// libvirt feature name -> kind (`cpuid` or `msr`).
fn libvirt_kinds(shared: &std::path::Path) -> BTreeMap<String, String> {
    common::read_tsv(&shared.join("reference/libvirt_x86_features.tsv"))
        .into_iter()
        .map(|r| (r["name"].clone(), r["kind"].clone()))
        .collect()
}

/// Checks `b` against a reference list: `reference` maps each feature, in the
/// reference's spelling, to its catalog name (`None`: no catalog entry). Every
/// difference must be a key of `b.differences` (catalog name, or the reference
/// spelling for features the catalog lacks), and every key must be a difference.
fn check_against(b: &Baseline, reference: &BTreeMap<String, Option<&'static str>>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut differing = BTreeSet::new();
    let theirs: BTreeSet<&str> = reference.values().flatten().copied().collect();
    for (spelling, name) in reference {
        if name.is_none() {
            differing.insert(spelling.clone());
        }
    }
    for name in b.features.names() {
        if !theirs.contains(name) {
            differing.insert(name.to_string());
        }
    }
    for name in &theirs {
        if !b.features.names().contains(name) {
            differing.insert(name.to_string());
        }
    }
    for d in &differing {
        if !b.differences.contains_key(d) {
            problems.push(format!(
                "{}: unexplained difference from {}: {d}",
                b.name, b.follows
            ));
        }
    }
    for k in b.differences.keys() {
        if !differing.contains(k) {
            problems.push(format!("{}: stale [differences] entry {k:?}", b.name));
        }
    }
    println!(
        "{}: follows {}: {} features, {} differences (all explained: {})",
        b.name,
        b.follows,
        b.features.len(),
        differing.len(),
        problems.is_empty()
    );
    problems
}

#[test]
fn vendor_baselines_follow_their_libvirt_models() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let kinds = libvirt_kinds(&shared);
    let models: BTreeMap<String, (String, Vec<String>)> =
        common::read_tsv(&shared.join("reference/libvirt_x86_models.tsv"))
            .into_iter()
            .map(|r| {
                let feats = r["features(resolved)"]
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                (r["model"].clone(), (r["vendor"].clone(), feats))
            })
            .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for b in all().iter().filter(|b| b.vendor.is_some()) {
        let model = b.follows.strip_prefix("libvirt ").unwrap_or_else(|| {
            panic!("{}: follows {:?} is not a libvirt model", b.name, b.follows)
        });
        let (vendor, feats) = models
            .get(model)
            .unwrap_or_else(|| panic!("{}: libvirt has no model {model:?}", b.name));
        // The newest version of that model (e.g. one that drops mpx or adds
        // mitigation bits): `<base>-vN` with no higher N in the reference.
        let (base, version) = model
            .rsplit_once("-v")
            .and_then(|(base, n)| Some((base, n.parse::<u32>().ok()?)))
            .unwrap_or_else(|| panic!("{}: {model} is not a versioned model", b.name));
        let newest = models
            .keys()
            .filter_map(|m| {
                m.strip_prefix(base)?
                    .strip_prefix("-v")?
                    .parse::<u32>()
                    .ok()
            })
            .max();
        assert_eq!(
            newest,
            Some(version),
            "{}: {model} is not the newest {base}",
            b.name
        );
        let expected_vendor = match b.vendor {
            Some(Vendor::Intel) => "Intel",
            _ => "AMD",
        };
        assert_eq!(vendor, expected_vendor, "{}: {model}", b.name);
        // MSR-based entries (vmx-*, IA32_ARCH_CAPABILITIES bits) are not CPUID.
        let reference: BTreeMap<String, Option<&'static str>> = feats
            .iter()
            .filter(|f| !matches!(kinds.get(*f), Some(k) if k != "cpuid"))
            .map(|f| {
                (
                    f.clone(),
                    catalog::lookup(f).map(|id| catalog::by_id(id).name),
                )
            })
            .collect();
        problems.extend(check_against(b, &reference));
        checked += 1;
    }
    assert!(checked >= 21, "only {checked} vendor baselines checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn psabi_baselines_follow_the_psabi_table_and_the_catalog() {
    // x86-64-vN = the x86-64 floor (catalog class `Floor`) + the psABI rows up to N.
    let floor = catalog::floor();
    for level in 1..=4u8 {
        let b = baselines::load(&format!("x86-64-v{level}")).expect("shipped");
        assert!(b.vendor.is_none());
        assert_eq!(b.rank, u32::from(level));
        let from_catalog: FeatureSet = catalog::all()
            .iter()
            .filter(|d| (1..=level).contains(&d.psabi_level))
            .filter_map(|d| catalog::lookup(d.name))
            .collect();
        let want = from_catalog.union(&floor);
        assert_eq!(
            b.features.names(),
            want.names(),
            "{}: differs from the floor plus the catalog's psabi_level marks",
            b.name
        );
    }
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let rows = common::read_tsv(&shared.join("reference/x86_64_psabi_levels.tsv"));
    let mut problems = Vec::new();
    for level in 1..=4u32 {
        let mut b = baselines::load(&format!("x86-64-v{level}")).expect("shipped");
        // The floor is the part the psABI table does not list (it assumes it).
        b.features = b.features.difference(
            &floor.difference(
                &FeatureSet::from_names(&[
                    "fpu", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2", "syscall", "lm",
                ])
                .expect("catalog names"),
            ),
        );
        let reference: BTreeMap<String, Option<&'static str>> = rows
            .iter()
            .filter(|r| {
                r["level"]
                    .strip_prefix("x86-64-v")
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n <= level)
            })
            .filter(|r| r["kind"] == "cpuid")
            .map(|r| {
                let name = r["linux_cpuinfo"].clone();
                let id = catalog::lookup(&name).map(|id| catalog::by_id(id).name);
                (name, id)
            })
            .collect();
        problems.extend(check_against(&b, &reference));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The vendor baseline each profile's generation corresponds to.
const EXPECTED: &[(&str, &str)] = &[
    ("xeon-5100", "intel-merom"),
    ("xeon-5400", "intel-penryn"),
    ("xeon-5500", "intel-nehalem"),
    ("xeon-5600", "intel-westmere"),
    ("xeon-e5-2600", "intel-sandybridge"),
    ("xeon-e5-2600-v2", "intel-ivybridge"),
    ("xeon-e5-2600-v3", "intel-haswell"),
    ("xeon-e5-2600-v4", "intel-broadwell"),
    ("xeon-scalable-1st-gen", "intel-skylake"),
    ("xeon-scalable-2nd-gen", "intel-cascadelake"),
    ("xeon-scalable-3rd-gen", "intel-icelake"),
    ("xeon-scalable-4th-gen", "intel-sapphirerapids"),
    // No Emerald Rapids baseline: its ISA is Sapphire Rapids'.
    ("xeon-scalable-5th-gen", "intel-sapphirerapids"),
    ("opteron-2200", "amd-rev-f"),
    ("opteron-2300", "amd-greyhound"),
    ("opteron-6200", "amd-bulldozer"),
    ("opteron-6300", "amd-piledriver"),
    ("epyc-7001", "amd-zen"),
    ("epyc-7002", "amd-zen2"),
    ("epyc-7003", "amd-zen3"),
    ("epyc-9004", "amd-zen4"),
    // No Zen 5 baseline yet.
    ("epyc-9005", "amd-zen4"),
];

#[test]
fn each_profile_reaches_its_own_generation_and_not_the_next() {
    let list = all();
    let names = profiles::names();
    for name in &names {
        assert!(
            EXPECTED.iter().any(|(p, _)| p == name),
            "profile {name} has no expected baseline in this test"
        );
    }
    for (profile, expected) in EXPECTED {
        let cpu = decode_dump(&profiles::load(profile).expect("profile loads")).expect("one CPU");
        let got = baselines::highest_for(cpu.vendor, &cpu.features)
            .unwrap_or_else(|| panic!("{profile}: reaches no baseline"));
        let want = baselines::load(expected).expect("shipped");
        if got.name != *expected {
            let missing = want.features.difference(&cpu.features);
            panic!(
                "{profile}: highest baseline {} instead of {expected} (missing for {expected}: {:?})",
                got.name, missing
            );
        }
        assert!(baselines::qualifies(&cpu.features, cpu.vendor, &want));
        if let Some(next) = list
            .iter()
            .filter(|b| b.vendor == want.vendor && b.rank > want.rank)
            .min_by_key(|b| b.rank)
        {
            assert!(
                !baselines::qualifies(&cpu.features, cpu.vendor, next),
                "{profile} also reaches {}",
                next.name
            );
            println!(
                "{profile}: reaches {expected}; not {} (lacks {:?})",
                next.name,
                next.features.difference(&cpu.features)
            );
        }
        // The psABI baseline agrees with decode's level (no baseline below v2).
        let level = baselines::highest_level(&cpu.features).map_or(cpu.x86_64_level.min(1), |b| {
            u8::try_from(b.rank).expect("small rank")
        });
        assert_eq!(level, cpu.x86_64_level, "{profile}: psABI level");
    }
}
