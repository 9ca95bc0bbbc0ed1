//! VMware's EVC modes (`evc/`): one test per mode (its feature set is the data
//! file's, every real CPU of its generation in `../shared/corpus` qualifies),
//! the superset order of each vendor's track, VMware's own per-VM EVC exports,
//! and the textbook Harpertown + Nehalem cluster (EVC Penryn, no invariant TSC).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vmcompat::catalog::{self, Class, FeatureSet};
use vmcompat::decode::{decode_dump, Cpu, Vendor};
use vmcompat::shipped::evc::{self, EvcMode};

const KEYS: &[&str] = &[
    "intel-merom",
    "intel-penryn",
    "intel-nehalem",
    "intel-westmere",
    "intel-sandybridge",
    "intel-ivybridge",
    "intel-haswell",
    "intel-broadwell",
    "intel-skylake",
    "intel-cascadelake",
    "intel-icelake",
    "intel-sapphirerapids",
    "amd-rev-e",
    "amd-rev-f",
    "amd-greyhound-no3dnow",
    "amd-greyhound",
    "amd-bulldozer",
    "amd-piledriver",
    "amd-steamroller",
    "amd-zen",
    "amd-zen2",
    "amd-zen3",
    "amd-zen4",
];

/// The features the data file lists, read with the TOML parser directly (not
/// through `vmcompat::shipped::evc`).
fn file_features(key: &str) -> FeatureSet {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("evc/{key}.toml"));
    let text = std::fs::read_to_string(&path).expect("the mode file reads");
    let v: toml::Value = toml::from_str(&text).expect("TOML");
    let names: Vec<&str> = v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f.as_str().expect("a name"))
        .collect();
    FeatureSet::from_names(&names).expect("catalog names")
}

fn corpus() -> Option<Vec<(String, Cpu)>> {
    let dir = common::shared_dir()?.join("corpus/libcpuid");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("corpus dir") {
        let p: PathBuf = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "txt") {
            let dump = vmcompat::sources::formats::read_file(&p).expect("corpus dump reads");
            if let Some(cpu) = decode_dump(&dump) {
                let name = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string();
                out.push((name, cpu));
            }
        }
    }
    assert!(out.len() > 500, "only {} corpus dumps", out.len());
    Some(out)
}

/// The corpus CPUs of a mode's generation (not dumps taken under a hypervisor).
fn generation<'a>(m: &EvcMode, corpus: &'a [(String, Cpu)]) -> Vec<&'a (String, Cpu)> {
    let g = &m.generation;
    corpus
        .iter()
        .filter(|(file, cpu)| {
            cpu.vendor == m.vendor
                && cpu.hypervisor.is_none()
                && cpu
                    .microarchitecture
                    .is_some_and(|u| g.microarchitectures.iter().any(|x| x == u))
                && g.brands.iter().any(|b| {
                    cpu.brand
                        .as_deref()
                        .is_some_and(|br| br.to_lowercase().contains(&b.to_lowercase()))
                })
                && (g.files.is_empty() || g.files.contains(file))
        })
        .collect()
}

fn check_mode(key: &str) {
    let m = evc::mode(key).expect("the mode loads");
    assert_eq!(m.key, key);
    assert_eq!(
        m.features,
        file_features(key),
        "{key}: API and data file differ"
    );
    assert!(m.documented.is_subset(&m.features), "{key}");
    assert!(m.introduced_version().is_some(), "{key}: {}", m.introduced);
    let Some(corpus) = corpus() else { return };
    let members = generation(m, &corpus);
    assert!(
        !members.is_empty(),
        "{key}: no corpus CPU of its generation {:?}",
        m.generation
    );
    for (file, cpu) in &members {
        let lacks = m.lacking(&cpu.features);
        let excused: BTreeSet<&str> = m
            .exceptions
            .iter()
            .filter(|e| &e.file == file)
            .flat_map(|e| e.lacks.iter().map(String::as_str))
            .collect();
        let unexcused: Vec<&str> = lacks
            .names()
            .into_iter()
            .filter(|n| !excused.contains(n))
            .collect();
        assert!(
            unexcused.is_empty(),
            "{key}: corpus CPU {file} ({:?}) of the generation lacks {unexcused:?}",
            cpu.brand
        );
        if excused.is_empty() {
            assert!(m.qualifies(cpu.vendor, &cpu.features), "{key}: {file}");
        }
    }
    // Every exception is real: the CPU is in the generation and lacks exactly that.
    for e in &m.exceptions {
        let (_, cpu) = members
            .iter()
            .find(|(f, _)| *f == e.file)
            .unwrap_or_else(|| panic!("{key}: exception {} is not of the generation", e.file));
        let lacks = m.lacking(&cpu.features);
        let mut named: Vec<&str> = e.lacks.iter().map(String::as_str).collect();
        named.sort_unstable();
        let mut got = lacks.names();
        got.sort_unstable();
        assert_eq!(got, named, "{key}: exception {}", e.file);
    }
    println!(
        "{key} ({}, {}): {} features, {} corpus CPUs of the generation qualify",
        m.level,
        m.introduced,
        m.features.len(),
        members.len()
    );
}

macro_rules! mode_tests {
    ($($name:ident => $key:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_mode($key);
            }
        )*
        const TESTED: &[&str] = &[$($key),*];
    };
}

mode_tests! {
    intel_merom => "intel-merom",
    intel_penryn => "intel-penryn",
    intel_nehalem => "intel-nehalem",
    intel_westmere => "intel-westmere",
    intel_sandybridge => "intel-sandybridge",
    intel_ivybridge => "intel-ivybridge",
    intel_haswell => "intel-haswell",
    intel_broadwell => "intel-broadwell",
    intel_skylake => "intel-skylake",
    intel_cascadelake => "intel-cascadelake",
    intel_icelake => "intel-icelake",
    intel_sapphirerapids => "intel-sapphirerapids",
    amd_rev_e => "amd-rev-e",
    amd_rev_f => "amd-rev-f",
    amd_greyhound_no3dnow => "amd-greyhound-no3dnow",
    amd_greyhound => "amd-greyhound",
    amd_bulldozer => "amd-bulldozer",
    amd_piledriver => "amd-piledriver",
    amd_steamroller => "amd-steamroller",
    amd_zen => "amd-zen",
    amd_zen2 => "amd-zen2",
    amd_zen3 => "amd-zen3",
    amd_zen4 => "amd-zen4",
}

#[test]
fn every_mode_is_shipped_tested_and_ordered() {
    let modes = evc::modes().expect("every mode file parses");
    let keys: BTreeSet<&str> = modes.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, KEYS.iter().copied().collect(), "shipped modes");
    assert_eq!(
        TESTED.iter().copied().collect::<BTreeSet<_>>(),
        keys,
        "a test per mode"
    );
    let mut ranks = BTreeSet::new();
    for m in modes {
        assert!(ranks.insert((m.vendor, m.rank)), "{}: rank reused", m.key);
        assert_eq!(
            m.key.starts_with("intel-"),
            m.vendor == Vendor::Intel,
            "{}",
            m.key
        );
        // Never invariant TSC (it does not migrate) nor any must-match bit,
        // nor a firmware-dependent one.
        for id in m.features.iter() {
            let def = catalog::by_id(id);
            assert_ne!(def.class, Class::MustMatch, "{}", m.key);
            assert!(
                !evc::FIRMWARE_DEPENDENT
                    .contains(&catalog::lookup(def.name).expect("catalog name")),
                "{}: {}",
                m.key,
                def.name
            );
        }
        if let Some(lower) = &m.superset_of {
            let l = evc::mode(lower).expect("superset_of names a mode");
            assert_eq!(l.vendor, m.vendor);
            assert!(l.rank < m.rank, "{} over {lower}", m.key);
            let lost = l.features.difference(&m.features);
            assert!(
                lost.is_empty(),
                "{} lacks {:?} of {lower}, which it claims to contain",
                m.key,
                lost.names()
            );
        }
    }
    for n in evc::FIRMWARE_DEPENDENT
        .iter()
        .map(|id| catalog::by_id(*id).name)
    {
        assert!(catalog::lookup(n).is_some(), "FIRMWARE_DEPENDENT: {n}");
    }
    let e = evc::mode("intel-pentium-pro").unwrap_err().to_string();
    assert!(e.contains("intel-merom") && e.contains("amd-zen4"), "{e}");
}

#[test]
fn merom_mode_has_cmpxchg16b_and_libvirt_conroe_keeps_its_own() {
    let cx16 = catalog::lookup("cx16").expect("catalog");
    let m = evc::mode("intel-merom").expect("mode");
    assert!(m.features.contains(cx16) && m.documented.contains(cx16));
    // masks/ follows libvirt's Conroe for the KVM target: left as it is.
    let libvirt = vmcompat::shipped::baselines::load("intel-merom").expect("baseline");
    assert!(!libvirt.features.contains(cx16));
}

fn cpu_of(file: &str) -> Option<Cpu> {
    let p = common::shared_dir()?.join("corpus/libcpuid").join(file);
    let dump = vmcompat::sources::formats::read_file(&p).expect("dump reads");
    decode_dump(&dump)
}

#[test]
fn harpertown_and_nehalem_make_an_evc_penryn_cluster() {
    // Xeon E5420/E5462 (Harpertown) with Xeon E5520 (Nehalem-EP): the textbook
    // EVC Penryn cluster. Invariant TSC (Nehalem has it, Harpertown not) is no
    // part of any mode, so the mode is Penryn.
    let (Some(h1), Some(h2), Some(n)) = (
        cpu_of("intel-xeon-cpu-e5420.txt"),
        cpu_of("intel-xeon-cpu-e5462-dual.txt"),
        cpu_of("intel-xeon-cpu-e5520.txt"),
    ) else {
        return;
    };
    let invtsc = catalog::lookup("invtsc").expect("catalog");
    assert!(n.features.contains(invtsc) && !h1.features.contains(invtsc));
    let best =
        evc::best_mode_for(Vendor::Intel, &[h1.features, h2.features, n.features]).expect("a mode");
    assert_eq!(best.key, "intel-penryn");
    assert!(!best.features.contains(invtsc));
    assert_eq!(
        evc::best_mode_for(Vendor::Intel, &[n.features])
            .expect("a mode")
            .key,
        "intel-nehalem"
    );
    assert!(evc::best_mode_for(Vendor::Amd, &[n.features]).is_none());
    assert!(evc::best_mode_for(Vendor::Intel, &[]).is_none());
    let supported: Vec<&str> = evc::supported_by(Vendor::Intel, &h1.features)
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(supported, ["intel-merom", "intel-penryn"]);
}

#[test]
fn vmware_per_vm_evc_exports_fit_their_modes() {
    // VMware's own export of the Sandy Bridge mode (per-VM EVC featMask lines):
    // every feature it grants that hosts are compared on, apart from the
    // firmware-dependent speculation controls, is in the mode, and the mode
    // adds only what VMware offers on every host (x2APIC, TSC deadline) and
    // the basic x86-64 set.
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let path = shared.join("cases/per-vm-evc/template.txt");
    let text = std::fs::read_to_string(&path).expect("template reads");
    let mask = vmcompat::mask::parse_mask(&text, &path.display().to_string())
        .or_else(|_| vmcompat::mask::parse_vmx(&text, "template"))
        .expect("parses");
    let granted = vmcompat::mask::per_vm::granted_on(&mask, Vendor::Intel);
    let firmware = FeatureSet::from_names(&[
        "spec_ctrl",
        "intel_stibp",
        "spec_ctrl_ssbd",
        "flush_l1d",
        "md_clear",
    ])
    .expect("catalog names");
    let compared: FeatureSet = granted
        .iter()
        .filter(|id| catalog::by_id(*id).class.is_compared())
        .collect();
    let m = evc::mode("intel-sandybridge").expect("mode");
    let want = compared.difference(&firmware);
    assert!(
        want.is_subset(&m.features),
        "the export grants {:?} beyond the mode",
        want.difference(&m.features).names()
    );
    let extra = m
        .features
        .difference(&granted)
        .difference(&vmcompat::mask::per_vm::implicit_features());
    assert!(
        extra.is_subset(
            &FeatureSet::from_names(&["x2apic", "tsc_deadline_timer"]).expect("catalog names")
        ),
        "the mode has {:?} the export does not grant",
        extra.names()
    );
}

#[test]
fn report_names_the_hosts_highest_evc_mode() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dump = shared.join("corpus/libcpuid/intel-xeon-cpu-e5420.txt");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["report", "--format", "json", "--dump"])
        .arg(&dump)
        .output()
        .expect("vmcompat runs");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let s = &v["summary"];
    assert!(
        s["vmware_evc_mode"]
            .as_str()
            .is_some_and(|m| m.starts_with("intel-penryn ")),
        "{s}"
    );
    assert_eq!(s["next_vmware_evc_mode"][0], "intel-nehalem");
    let lacks: Vec<&str> = s["next_vmware_evc_mode"][1]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        lacks.contains(&"sse4_2") && lacks.contains(&"popcnt"),
        "{s}"
    );
}
