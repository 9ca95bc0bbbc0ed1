//! The shipped CPU profiles: each loads, decodes to what it claims, names its
//! generation, and agrees with real dumps of the same model in the corpus, every
//! difference explained in the profile's own `[corpus_differences]`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use vmcompat::catalog;
use vmcompat::cpuid::{Completeness, SourceKind};
use vmcompat::decode::{decode_cpu, decode_dump, Cpu};
use vmcompat::shipped::profiles;
use vmcompat::sources::formats::corpus::parse_corpus;

fn decoded(name: &str) -> Cpu {
    let dump = profiles::load(name).unwrap_or_else(|e| panic!("profile {name}: {e}"));
    assert_eq!(dump.completeness, Completeness::FromProfile, "{name}");
    assert_eq!(dump.provenance.kind, SourceKind::Profile, "{name}");
    decode_dump(&dump).unwrap_or_else(|| panic!("profile {name}: empty dump"))
}

#[test]
fn there_are_enough_profiles_across_vendors() {
    let names = profiles::names();
    assert!(names.len() >= 16, "only {} profiles", names.len());
    let infos = profiles::describe_all().expect("every shipped profile parses");
    assert_eq!(infos.len(), names.len());
    for vendor in ["Intel", "AMD"] {
        assert!(
            infos
                .iter()
                .filter(|i| i.vendor.display_name() == vendor)
                .count()
                >= 6,
            "too few {vendor} profiles"
        );
    }
}

#[test]
fn every_profile_decodes_to_what_it_claims() {
    for p in profiles::all().expect("every shipped profile parses") {
        let cpu = decoded(&p.name);
        assert_eq!(cpu.vendor, p.vendor, "{}", p.name);
        assert_eq!(cpu.vendor_string, p.vendor_string, "{}", p.name);
        assert_eq!(cpu.signature.raw, p.signature, "{}", p.name);
        assert_eq!(cpu.brand.as_deref(), Some(p.brand.as_str()), "{}", p.name);
        assert_eq!(cpu.max_basic_leaf, p.max_basic_leaf, "{}", p.name);
        assert_eq!(
            cpu.max_extended_leaf,
            Some(p.max_extended_leaf),
            "{}",
            p.name
        );
        // The synthesized dump carries exactly the listed features, no more, no less
        // (decode may add syscall for Intel long-mode parts, which profiles list anyway).
        assert_eq!(
            cpu.features.names(),
            p.features.names(),
            "{}: decoded features differ from the listed ones",
            p.name
        );
        assert!(
            cpu.normalizations.is_empty(),
            "{}: {:?}",
            p.name,
            cpu.normalizations
        );
        assert_eq!(cpu.topology.cores_per_package, p.cores, "{}: cores", p.name);
        assert_eq!(
            cpu.topology.threads_per_package, p.threads,
            "{}: threads",
            p.name
        );
        assert!(cpu.hypervisor.is_none(), "{}", p.name);
        assert!(cpu.has_virtualization(), "{}: no VT-x/AMD-V", p.name);
        assert!(cpu.x86_64_level >= 1, "{}: not even x86-64-v1", p.name);
        // Everything a listed feature requires is listed too.
        for id in p.features.iter() {
            for req in catalog::by_id(id).requires {
                assert!(
                    cpu.has(vmcompat::catalog::lookup(req).expect("catalog name")),
                    "{}: {} requires {req}, which is not listed",
                    p.name,
                    catalog::by_id(id).name
                );
            }
        }
    }
}

/// True when `token` names `uarch`: equal, or `uarch` followed by `-` or by a
/// space and a non-digit ("Haswell-EP", "K8 revision F", but not "Zen 3" for "Zen").
fn names_uarch(token: &str, uarch: &str) -> bool {
    match token.strip_prefix(uarch) {
        Some("") => true,
        Some(rest) => {
            rest.starts_with('-')
                || (rest.starts_with(' ') && !rest[1..].starts_with(|c: char| c.is_ascii_digit()))
        }
        None => false,
    }
}

#[test]
fn microarchitecture_matches_the_description() {
    for info in profiles::describe_all().expect("every shipped profile parses") {
        let uarch = info
            .microarchitecture
            .unwrap_or_else(|| panic!("{}: signature decodes to no microarchitecture", info.name));
        let generation = info
            .description
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(inside, _)| inside)
            .unwrap_or_else(|| panic!("{}: description names no generation in (...)", info.name));
        assert!(
            generation
                .split([',', ';'])
                .map(str::trim)
                .any(|t| names_uarch(t, uarch)),
            "{}: description {:?} does not name the decoded microarchitecture {uarch:?}",
            info.name,
            info.description
        );
    }
}

#[test]
fn unknown_profile_and_broken_files_are_clear_errors() {
    // Issue 15: no longer every name (a 700-character message) but where to
    // find them, and the closest name when it is a typo.
    let e = profiles::load("no-such-cpu").unwrap_err().to_string();
    assert!(
        e.contains("no-such-cpu") && e.contains("`vmcompat profiles` lists"),
        "{e}"
    );
    let e = profiles::load("xeon-e5-2600-v9").unwrap_err().to_string();
    assert!(e.contains("Did you mean \"xeon-e5-2600-v"), "{e}");

    let good = profiles::names()
        .first()
        .map(|n| n.to_string())
        .expect("at least one profile");
    let p = profiles::get(&good).expect("parses");
    let text = format!(
        "name = {:?}\ndescription = \"x\"\nvendor = {:?}\nsignature = \"0x1\"\nbrand = \"b\"\n\
         max_basic_leaf = \"0x1\"\nmax_extended_leaf = \"0x80000001\"\nfeatures = [\n  \"fpu\",\n  \"warp_drive\",\n]\nnotes = \"\"\n",
        p.name, p.vendor_string
    );
    let origin = format!("profiles/{}.toml", p.name);
    let e = profiles::parse(&text, &origin).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{origin}:10:")) && e.contains("warp_drive") && e.contains(&p.name),
        "{e}"
    );
    let e = profiles::parse(&text.replace("notes", "colour = 1\nnotes"), &origin)
        .unwrap_err()
        .to_string();
    assert!(e.contains("colour") && e.contains(&origin), "{e}");
    let e = profiles::parse(&text.replace("\"warp_drive\"", "\"avx2\""), &origin)
        .unwrap_err()
        .to_string();
    assert!(e.contains("avx2") && e.contains("beyond"), "{e}");
}

struct CorpusCpu {
    file: String,
    cpu: Cpu,
}

fn corpus() -> Option<Vec<CorpusCpu>> {
    let dir = common::shared_dir()?.join("corpus/libcpuid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    Some(
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("readable corpus file");
                let origin = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                let parsed = parse_corpus(&text, origin).unwrap_or_else(|e| panic!("{e}"));
                let leaves = parsed.dump.first().expect("one CPU per corpus file");
                CorpusCpu {
                    file: origin.to_string(),
                    cpu: decode_cpu(leaves, parsed.dump.completeness),
                }
            })
            .collect(),
    )
}

/// For each profile: the corpus dumps of the same vendor, display family, display
/// model and microarchitecture (the last separates Skylake-SP from Cascade Lake,
/// which share model 55h), taken on bare metal. Every compared feature on which one of them differs
/// from the profile must be listed in `[corpus_differences]`, and every listed
/// feature must still differ from at least one of them.
#[test]
fn profiles_agree_with_corpus_dumps_of_the_same_model() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    let mut compared_profiles = 0;
    for p in profiles::all().expect("every shipped profile parses") {
        let cpu = decoded(&p.name);
        let mine = cpu.compared_features();
        let model_matches = |c: &&CorpusCpu| {
            c.cpu.vendor == cpu.vendor
                && c.cpu.signature.family == cpu.signature.family
                && c.cpu.signature.model == cpu.signature.model
                && c.cpu.microarchitecture == cpu.microarchitecture
        };
        // Dumps taken inside a VM show the hypervisor's masked view, not the silicon.
        let virtualized = corpus
            .iter()
            .filter(model_matches)
            .filter(|c| c.cpu.hypervisor.is_some())
            .count();
        let same: Vec<&CorpusCpu> = corpus
            .iter()
            .filter(|c| {
                c.cpu.hypervisor.is_none()
                    && c.cpu.vendor == cpu.vendor
                    && c.cpu.signature.family == cpu.signature.family
                    && c.cpu.signature.model == cpu.signature.model
                    && c.cpu.microarchitecture == cpu.microarchitecture
            })
            .collect();
        // feature -> (files lacking it that the profile has, files having it that the profile lacks)
        let mut diffs: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
        for c in &same {
            let theirs = c.cpu.compared_features();
            for id in mine.difference(&theirs).iter() {
                diffs
                    .entry(catalog::by_id(id).name)
                    .or_default()
                    .0
                    .push(&c.file);
            }
            for id in theirs.difference(&mine).iter() {
                diffs
                    .entry(catalog::by_id(id).name)
                    .or_default()
                    .1
                    .push(&c.file);
            }
        }
        println!(
            "{}: compared with {} corpus dump(s) ({} taken under a hypervisor skipped) [{}]: {} differing feature(s), {} explained in the profile",
            p.name,
            same.len(),
            virtualized,
            same.iter().map(|c| c.file.as_str()).collect::<Vec<_>>().join(", "),
            diffs.len(),
            p.corpus_differences.len()
        );
        if !same.is_empty() {
            compared_profiles += 1;
        }
        for (feature, (lacking, having)) in &diffs {
            if !p.corpus_differences.contains_key(*feature) {
                failures.push(format!(
                    "{}: unexplained difference {feature:?}: profile has it, absent in [{}]; profile lacks it, present in [{}]",
                    p.name,
                    lacking.join(", "),
                    having.join(", ")
                ));
            }
        }
        let differing: BTreeSet<&str> = diffs.keys().copied().collect();
        for feature in p.corpus_differences.keys() {
            if !differing.contains(feature.as_str()) {
                failures.push(format!(
                    "{}: stale [corpus_differences] entry {feature:?}: no corpus dump of the model differs on it",
                    p.name
                ));
            }
        }
    }
    assert!(
        compared_profiles >= 16,
        "only {compared_profiles} profiles had corpus dumps to compare with"
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
