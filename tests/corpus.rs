//! Decodes every real CPUID dump of `../shared/corpus` and compares vendor class,
//! family, model, stepping, extended family and model, and every expected flag that
//! maps to a catalog feature, with the file's `# expected` lines (libcpuid's own
//! output). Every disagreement must be a documented source erratum below.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use vmcompat::catalog;
use vmcompat::catalog::id;
use vmcompat::decode::{decode_cpu, Cpu, Vendor};
use vmcompat::sources::formats::corpus::parse_corpus;

/// Known errors in the source's expected values, each with its reason. A finding is
/// excused when (file, field) matches; an erratum that excuses nothing fails the
/// test, so this list cannot go stale.
const ERRATA: &[(&str, &str, &str)] = &[
    // The VIA C3 "Samuel" answers leaf 1 with garbage in EBX/ECX; libcpuid decoded the
    // garbage. vmcompat ignores leaf 1 ECX on a CPU without SSE2 (see decode).
    (
        "via-samuel.txt",
        "flag:monitor",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:ssse3",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:sse4_2",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:movbe",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:fma3",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:rdrand",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:x2apic",
        "garbage leaf 1 ECX decoded by the source",
    ),
    (
        "via-samuel.txt",
        "flag:hypervisor",
        "garbage leaf 1 ECX decoded by the source",
    ),
];

/// How libcpuid decodes, as opposed to errors: a flag vmcompat decodes that
/// libcpuid does not show on a vendor class, by design. (vendor class, libcpuid flag, reason)
const SOURCE_CONVENTIONS: &[(&str, &str, &str)] = &[
    ("intel", "3dnowprefetch", "libcpuid reads 0x80000001 ECX[8] only on AMD; on Intel the bit is PREFETCHW (Broadwell on), which Linux also calls 3dnowprefetch"),
    ("via", "3dnowprefetch", "as for Intel: libcpuid reads 0x80000001 ECX[8] only on AMD"),
    ("zhaoxin", "3dnowprefetch", "as for Intel: libcpuid reads 0x80000001 ECX[8] only on AMD"),
];

/// libcpuid decodes the Intel-defined leaf 1 and 0x80000001 bits below only on
/// Intel parts; VIA and Zhaoxin parts set them too (they implement Intel's layout).
const INTEL_ONLY_IN_LIBCPUID: &[&str] = &[
    "vmx", "smx", "est", "tm", "tm2", "xtpr", "acpi", "ss", "pbe", "xd",
];

/// The libcpuid vendor class vmcompat assigns.
fn vendor_class(cpu: &Cpu) -> &'static str {
    match cpu.vendor {
        Vendor::Intel => "intel",
        Vendor::Amd => "amd",
        Vendor::Hygon => "hygon",
        Vendor::Zhaoxin => "zhaoxin",
        Vendor::Centaur | Vendor::Via => match cpu.maker() {
            "Zhaoxin" => "zhaoxin",
            _ => "via",
        },
        _ => "other",
    }
}

/// Maps a libcpuid flag name to the catalog feature carrying that libcpuid name.
fn libcpuid_index() -> BTreeMap<&'static str, catalog::FeatureId> {
    let mut map = BTreeMap::new();
    for (i, def) in catalog::all().iter().enumerate() {
        if let Some(name) = def.libcpuid_name() {
            if let Some(id) = catalog::lookup(def.name) {
                assert_eq!(id.index(), i);
                map.insert(name, id);
            }
        }
    }
    map
}

#[test]
fn corpus_decodes_as_the_source_expects() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 526, "the corpus holds 526 dumps");

    let by_libcpuid = libcpuid_index();
    // Flags libcpuid emits anywhere in the corpus: only these can be checked both ways.
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    let mut parsed = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read corpus file");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = parse_corpus(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        emitted.extend(file.expected_flags.iter().cloned());
        parsed.push((name, file));
    }

    let mut findings: Vec<(String, String, String)> = Vec::new();
    let (mut flags_checked, mut flags_unmapped, mut fields_checked) = (0usize, 0usize, 0usize);
    let mut unmapped_names: BTreeSet<String> = BTreeSet::new();
    let mut conventions_used = vec![false; SOURCE_CONVENTIONS.len()];
    let mut excused_by_convention = 0usize;
    for (name, file) in &parsed {
        let leaves = file.dump.first().expect("one CPU");
        let cpu = decode_cpu(leaves, file.dump.completeness);
        let sig = cpu.signature;
        let lib_ext_family = if cpu.vendor.is_amd_like() && sig.base_family < 0xf {
            sig.base_family
        } else {
            sig.base_family + sig.ext_family
        };
        let ours: [(&str, String); 8] = [
            ("vendor_class", vendor_class(&cpu).to_string()),
            ("family", sig.base_family.to_string()),
            ("model", sig.base_model.to_string()),
            ("stepping", sig.stepping.to_string()),
            ("ext_family", lib_ext_family.to_string()),
            (
                "ext_model",
                (sig.base_model + (sig.ext_model << 4)).to_string(),
            ),
            // The display values people quote agree with libcpuid's extended ones.
            ("display_family=ext_family", sig.family.to_string()),
            ("display_model=ext_model", sig.model.to_string()),
        ];
        for (field, got) in ours {
            let key = field.split('=').next_back().unwrap_or(field);
            let Some(want) = file.expected.get(key) else {
                continue;
            };
            fields_checked += 1;
            if *want != got {
                findings.push((
                    name.clone(),
                    field.to_string(),
                    format!("expected {want}, decoded {got}"),
                ));
            }
        }
        // libcpuid names the NX bit `xd` on Intel and `nx` on AMD; the catalog carries
        // `xd` as its libcpuid alias.
        let expected: BTreeSet<&str> = file
            .expected_flags
            .iter()
            .map(|f| if f == "nx" { "xd" } else { f.as_str() })
            .collect();
        for flag in &expected {
            match by_libcpuid.get(flag) {
                Some(id) => {
                    flags_checked += 1;
                    if !cpu.features.contains(*id) {
                        findings.push((
                            name.clone(),
                            format!("flag:{flag}"),
                            "expected, not decoded".into(),
                        ));
                    }
                }
                None => {
                    flags_unmapped += 1;
                    unmapped_names.insert(flag.to_string());
                }
            }
        }
        for id in cpu.features.iter() {
            let def = catalog::by_id(id);
            let Some(lib) = def.libcpuid_name() else {
                continue;
            };
            if !emitted.contains(lib) || expected.contains(lib) {
                continue;
            }
            // Corrections decode made on purpose are documented in the Cpu itself.
            if cpu.normalizations.iter().any(|n| n.starts_with(def.name)) {
                continue;
            }
            let class = vendor_class(&cpu);
            if let Some(i) = SOURCE_CONVENTIONS
                .iter()
                .position(|(v, f, _)| *v == class && *f == lib)
            {
                conventions_used[i] = true;
                excused_by_convention += 1;
                continue;
            }
            if matches!(class, "via" | "zhaoxin") && INTEL_ONLY_IN_LIBCPUID.contains(&lib) {
                excused_by_convention += 1;
                continue;
            }
            // libcpuid shows `ht` only when the package has more than one logical CPU
            // (leaf 1 EBX[23:16] > 1); early Pentium 4 and Celeron set HTT with one.
            if lib == "ht" && (leaves.get_or_zero(1, 0).ebx >> 16) & 0xff <= 1 {
                excused_by_convention += 1;
                continue;
            }
            findings.push((
                name.clone(),
                format!("extra:{lib}"),
                "decoded, not expected".into(),
            ));
        }
    }

    let mut used = vec![false; ERRATA.len()];
    let mut unexplained = Vec::new();
    for (file, field, what) in &findings {
        match ERRATA
            .iter()
            .position(|(f, fl, _)| f == file && fl == field)
        {
            Some(i) => used[i] = true,
            None => unexplained.push(format!("{file}: {field}: {what}")),
        }
    }
    println!(
        "corpus: {} dumps; {fields_checked} identity fields and {flags_checked} flags checked; \
         {flags_unmapped} expected flags name no catalog feature ({}); {excused_by_convention} extra flags are \
         libcpuid decoding conventions; {} findings, {} excused as source errata",
        parsed.len(),
        unmapped_names.iter().cloned().collect::<Vec<_>>().join(" "),
        findings.len(),
        findings.len() - unexplained.len()
    );
    let stale: Vec<_> = ERRATA
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| format!("{} {}", e.0, e.1))
        .collect();
    assert!(
        stale.is_empty(),
        "errata that excuse nothing (remove them): {stale:?}"
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained disagreements:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}

#[test]
fn corpus_oddities_are_handled() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let decode = |file: &str| -> Cpu {
        let text = std::fs::read_to_string(dir.join(file)).expect("read");
        let f = parse_corpus(&text, file).expect("parse");
        decode_cpu(f.dump.first().expect("cpu"), f.dump.completeness)
    };
    // Real hardware captured under Windows Hyper-V: flagged, with the signature.
    for file in [
        "amd-athlon-5370-apu-with-radeon-r3.txt",
        "intel-xeon-cpu-x7560-dual.txt",
        "intel-xeon-w-1290p-cpu.txt",
    ] {
        let cpu = decode(file);
        let hv = cpu
            .hypervisor
            .unwrap_or_else(|| panic!("{file}: hypervisor not flagged"));
        assert_eq!(hv.name, Some("Hyper-V"), "{file}");
    }
    assert!(decode("intel-qemu-virtual-cpu-version.txt")
        .hypervisor
        .is_some());
    // Intel P6 echoes the highest basic leaf at 0x80000000: no extended leaves, no brand.
    for file in ["intel-celeron-coppermine.txt", "intel-pentium-ii-dixon.txt"] {
        let cpu = decode(file);
        assert_eq!(cpu.max_extended_leaf, None, "{file}");
        assert_eq!(cpu.brand, None, "{file}");
        assert!(!cpu.has(id::LM) && !cpu.has(id::NX), "{file}");
    }
    // The Samuel's garbage leaf 1 ECX is not believed, and the note says why.
    let samuel = decode("via-samuel.txt");
    assert!(samuel.hypervisor.is_none() && !samuel.has(id::SSSE3));
    assert!(samuel.normalizations.iter().any(|n| n.contains("garbage")));
    // SYSCALL is restored on 64-bit Intel dumps taken by 32-bit code.
    let haswell = decode("intel-core-i7-4770-cpu.txt");
    assert!(haswell.has(id::LM) && haswell.has(id::SYSCALL));
}

#[test]
fn hybrid_parts_are_compared_per_core_type() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let read = |file: &str, index: u32| {
        let text = std::fs::read_to_string(dir.join(file)).expect("read");
        let mut cpu = parse_corpus(&text, file)
            .expect("parse")
            .dump
            .cpus
            .remove(0);
        cpu.index = index;
        cpu
    };
    // One dump of a 12th-generation Core with two P-core and two E-core CPUs.
    let p = "intel-12th-gen-intel-core-i7-12700h-pcore.txt";
    let e = "intel-12th-gen-intel-core-i7-12700h-ecore.txt";
    let mut dump = vmcompat::cpuid::RawDump::new(
        vmcompat::cpuid::Provenance {
            kind: vmcompat::cpuid::SourceKind::Corpus,
            origin: "hybrid".into(),
            detail: String::new(),
        },
        vmcompat::cpuid::Completeness::Full,
    );
    dump.cpus = vec![read(p, 0), read(p, 1), read(e, 2), read(e, 3)];
    let c = vmcompat::decode::compare_cpus(&dump);
    assert_eq!(
        c.groups.len(),
        2,
        "P-cores and E-cores form their own groups"
    );
    assert!(
        c.identical(),
        "no difference within a core type: {:?}",
        c.differences
    );
    let report = vmcompat::analysis::host::host_report(&dump).expect("report");
    assert!(report.summary.hybrid);
    // A P-core that differs from the other P-core is named, leaf and CPU.
    let mut odd = read(p, 1);
    let mut l7 = odd.get_or_zero(7, 0);
    l7.ebx ^= 1 << 5; // AVX2
    odd.insert(7, 0, l7);
    dump.cpus[1] = odd;
    let c = vmcompat::decode::compare_cpus(&dump);
    assert_eq!(c.differences.len(), 1);
    assert_eq!(c.differences[0].cpus, vec![1]);
    assert_eq!(c.differences[0].key, vmcompat::cpuid::LeafKey::new(7, 0));
}
