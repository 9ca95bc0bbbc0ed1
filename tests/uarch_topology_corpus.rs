//! Microarchitecture names and cores/threads per package, checked against every
//! dump of `../shared/corpus/libcpuid` and libcpuid's own expected values.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vmcompat::cpuid::{Completeness, CpuLeaves};
use vmcompat::decode::{decode_cpu, Cpu, Vendor};
use vmcompat::sources::formats::corpus::parse_corpus;

/// One corpus dump: its file stem, its leaves and its `# expected:` values.
struct Dump {
    name: String,
    cpu: CpuLeaves,
    expected: BTreeMap<String, String>,
}

/// Reads one corpus file with the project's own corpus reader.
fn parse(path: &Path) -> Dump {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file = parse_corpus(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let cpu = file
        .dump
        .cpus
        .into_iter()
        .next()
        .expect("one CPU per corpus file");
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Dump {
        name,
        cpu,
        expected: file.expected,
    }
}

fn corpus() -> Option<Vec<(Dump, Cpu)>> {
    let dir: PathBuf = common::shared_dir()?.join("corpus/libcpuid");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(
        paths.len() > 500,
        "expected the full corpus, found {}",
        paths.len()
    );
    Some(
        paths
            .iter()
            .map(|p| {
                let d = parse(p);
                let cpu = decode_cpu(&d.cpu, Completeness::Full);
                (d, cpu)
            })
            .collect(),
    )
}

/// Intel family-6 display models from Core 2 on (big cores, Atom lines, Xeon Phi):
/// every dump with one of these must get a microarchitecture name.
const INTEL_CORE2_AND_LATER: &[u32] = &[
    0x0f, 0x16, 0x17, 0x1d, // Merom, Penryn
    0x1a, 0x1e, 0x1f, 0x2e, 0x25, 0x2c, 0x2f, // Nehalem, Westmere
    0x2a, 0x2d, 0x3a, 0x3e, // Sandy Bridge, Ivy Bridge
    0x3c, 0x3f, 0x45, 0x46, 0x3d, 0x47, 0x4f, 0x56, // Haswell, Broadwell
    0x4e, 0x5e, 0x55, 0x8e, 0x9e, 0xa5, 0xa6, // Skylake and its refreshes
    0x66, 0x6a, 0x6c, 0x7d, 0x7e, 0x9d, 0x8c, 0x8d, 0xa7, // Cannon, Ice, Tiger, Rocket Lake
    0x8a, 0x97, 0x9a, 0xb7, 0xba, 0xbf, 0xaa, 0xac, 0xb5, 0xc5, 0xc6, 0xbd, // hybrid clients
    0x8f, 0xcf, 0xad, 0xae, 0xaf, // Sapphire, Emerald, Granite Rapids, Sierra Forest
    0x1c, 0x26, 0x27, 0x35, 0x36, 0x37, 0x4a, 0x4d, 0x5a, 0x4c, 0x75, // Bonnell .. Airmont
    0x5c, 0x5f, 0x7a, 0x86, 0x96, 0x9c, 0xbe, // Goldmont .. Gracemont
    0x57, 0x85, // Xeon Phi
];

/// Corpus codename fragment -> the microarchitecture names that agree with it.
/// The first fragment found in a dump's codename decides (longer fragments first
/// where one contains another).
const CODENAMES: &[(&str, &[&str])] = &[
    // Intel, P6 to NetBurst.
    ("Pentium II (", &["P6"]),
    ("Katmai", &["P6"]),
    ("Coppermine", &["P6"]),
    ("Tualatin", &["P6"]),
    ("Banias", &["Pentium M"]),
    ("Shelton", &["Pentium M"]),
    ("Dothan", &["Pentium M"]),
    ("Yonah", &["Yonah"]),
    ("Willamette", &["NetBurst"]),
    ("Northwood", &["NetBurst"]),
    ("Prestonia", &["NetBurst"]),
    ("Prescott", &["NetBurst"]),
    ("Nocona", &["NetBurst"]),
    ("Irwindale", &["NetBurst"]),
    ("Cranford", &["NetBurst"]),
    ("Paxville", &["NetBurst"]),
    ("SmithField", &["NetBurst"]),
    ("Cedar Mill", &["NetBurst"]),
    ("Presler", &["NetBurst"]),
    ("Dempsey", &["NetBurst"]),
    ("Tulsa", &["NetBurst"]),
    // Intel big cores.
    ("Conroe", &["Merom"]),
    ("Merom", &["Merom"]),
    ("Allendale", &["Merom"]),
    ("Kentsfield", &["Merom"]),
    ("Clovertown", &["Merom"]),
    ("Penryn", &["Penryn"]),
    ("Wolfdale", &["Penryn"]),
    ("Yorkfield", &["Penryn"]),
    ("Harpertown", &["Penryn"]),
    ("Dunnington", &["Penryn"]),
    ("Bloomfield", &["Nehalem"]),
    ("Gainestown", &["Nehalem"]),
    ("Lynnfield", &["Nehalem"]),
    ("Clarksfield", &["Nehalem"]),
    ("Beckton", &["Nehalem"]),
    ("Clarkdale", &["Westmere"]),
    ("Arrandale", &["Westmere"]),
    ("Gulftown", &["Westmere"]),
    ("Westmere", &["Westmere"]),
    ("Sandy Bridge", &["Sandy Bridge"]),
    ("Ivy Bridge", &["Ivy Bridge"]),
    ("Haswell", &["Haswell"]),
    ("Broadwell", &["Broadwell"]),
    ("Cascade Lake", &["Cascade Lake"]),
    ("Cooper Lake", &["Cooper Lake"]),
    ("Skylake", &["Skylake"]),
    ("Kaby Lake", &["Kaby Lake"]),
    // Amber Lake-Y is a Kaby Lake die; its first stepping (9) is Kaby Lake's.
    ("Amber Lake", &["Kaby Lake", "Comet Lake"]),
    // Whiskey Lake-U V0 shares model 0x8E stepping 0xC with Comet Lake-U.
    ("Whiskey Lake", &["Whiskey Lake", "Comet Lake"]),
    ("Coffee Lake", &["Coffee Lake"]),
    ("Comet Lake", &["Comet Lake"]),
    ("Cannon Lake", &["Cannon Lake"]),
    ("Ice Lake", &["Ice Lake"]),
    ("Tiger Lake", &["Tiger Lake"]),
    ("Rocket Lake", &["Rocket Lake"]),
    ("Lakefield", &["Lakefield"]),
    ("Alder Lake-N", &["Gracemont"]),
    ("Twin Lake", &["Gracemont"]),
    ("Alder Lake", &["Alder Lake"]),
    ("Raptor Lake", &["Raptor Lake"]),
    ("Meteor Lake", &["Meteor Lake"]),
    ("Arrow Lake", &["Arrow Lake"]),
    ("Lunar Lake", &["Lunar Lake"]),
    ("Sapphire Rapids", &["Sapphire Rapids"]),
    ("Emerald Rapids", &["Emerald Rapids"]),
    ("Granite Rapids", &["Granite Rapids"]),
    ("Sierra Forest", &["Sierra Forest"]),
    // Intel Atom lines.
    ("Diamondville", &["Bonnell"]),
    ("Pineview", &["Bonnell"]),
    ("Lincroft", &["Bonnell"]),
    ("Tunnel Creek", &["Bonnell"]),
    ("Cedarview", &["Saltwell"]),
    ("Penwell", &["Saltwell"]),
    ("Bay Trail", &["Silvermont"]),
    ("Avoton", &["Silvermont"]),
    ("Rangeley", &["Silvermont"]),
    ("Cherry Trail", &["Airmont"]),
    ("Braswell", &["Airmont"]),
    ("Airmont", &["Airmont"]),
    ("Apollo Lake", &["Goldmont"]),
    ("Denverton", &["Goldmont"]),
    ("Gemini Lake", &["Goldmont Plus"]),
    ("Elkhart Lake", &["Tremont"]),
    ("Jasper Lake", &["Tremont"]),
    // AMD before Zen.
    ("K5", &["K5"]),
    ("K6", &["K6"]),
    ("Argon", &["K7"]),
    ("Pluto", &["K7"]),
    ("Spitfire", &["K7"]),
    ("Palomino", &["K7"]),
    ("Thoroughbred", &["K7"]),
    ("Applebred", &["K7"]),
    ("Barton", &["K7"]),
    ("Hammer", &["K8"]),
    ("Venice", &["K8"]),
    ("Manchester", &["K8"]),
    ("Windsor", &["K8"]),
    ("Brisbane", &["K8"]),
    ("Sherman", &["K8"]),
    ("Sonora", &["K8"]),
    ("Keene", &["K8"]),
    ("Palermo", &["K8"]),
    ("Sparta", &["K8"]),
    ("Lancaster", &["K8"]),
    ("Santa Rosa", &["K8"]),
    ("Opteron (Dual Core)", &["K8"]),
    ("Barcelona", &["K10"]),
    ("Agena", &["K10"]),
    ("Kuma", &["K10"]),
    ("Shanghai", &["K10"]),
    ("Callisto", &["K10"]),
    ("Heka", &["K10"]),
    ("Deneb", &["K10"]),
    ("Rana", &["K10"]),
    ("Propus", &["K10"]),
    ("Regor", &["K10"]),
    ("Sargas", &["K10"]),
    ("Champlain", &["K10"]),
    ("Istanbul", &["K10"]),
    ("Lisbon", &["K10"]),
    ("Magny-Cours", &["K10"]),
    ("Thuban", &["K10"]),
    ("Griffin", &["Griffin"]),
    ("Llano", &["Llano"]),
    ("Ontario", &["Bobcat"]),
    ("Zacate", &["Bobcat"]),
    ("Zambezi", &["Bulldozer"]),
    ("Interlagos", &["Bulldozer"]),
    ("Vishera", &["Piledriver"]),
    ("Abu Dhabi", &["Piledriver"]),
    ("Trinity", &["Piledriver"]),
    ("Richland", &["Piledriver"]),
    ("Kaveri", &["Steamroller"]),
    ("Godavari", &["Steamroller"]),
    ("Bald Eagle", &["Steamroller"]),
    ("Carrizo", &["Excavator"]),
    ("Bristol Ridge", &["Excavator"]),
    ("Stoney Ridge", &["Excavator"]),
    ("Toronto", &["Excavator"]),
    ("Kabini", &["Jaguar"]),
    ("Beema", &["Puma"]),
    ("Steppe Eagle", &["Puma"]),
    // AMD Zen.
    ("Summit Ridge", &["Zen"]),
    ("Naples", &["Zen"]),
    ("Whitehaven", &["Zen"]),
    ("Raven Ridge", &["Zen"]),
    ("Dali", &["Zen"]),
    ("Pinnacle Ridge", &["Zen+"]),
    ("Colfax", &["Zen+"]),
    ("Picasso", &["Zen+"]),
    ("Rome", &["Zen 2"]),
    ("Castle Peak", &["Zen 2"]),
    ("Matisse", &["Zen 2"]),
    ("Renoir", &["Zen 2"]),
    ("Lucienne", &["Zen 2"]),
    ("Van Gogh", &["Zen 2"]),
    ("Mendocino", &["Zen 2"]),
    ("Zen 2", &["Zen 2"]),
    ("Milan", &["Zen 3"]),
    ("Vermeer", &["Zen 3"]),
    ("Cezanne", &["Zen 3"]),
    ("Barceló", &["Zen 3"]),
    ("Rembrandt", &["Zen 3+"]),
    ("Genoa", &["Zen 4"]),
    ("Storm Peak", &["Zen 4"]),
    ("Raphael", &["Zen 4"]),
    ("Phoenix", &["Zen 4"]),
    ("Hawk Point", &["Zen 4"]),
    ("Turin", &["Zen 5"]),
    ("Granite Ridge", &["Zen 5"]),
    ("Strix", &["Zen 5"]),
    ("Krackan", &["Zen 5"]),
    ("Dhyana", &["Dhyana"]),
    // Centaur, VIA, Zhaoxin.
    ("Samuel 2", &["Samuel 2"]),
    ("Samuel", &["Samuel"]),
    ("Ezra-T", &["Ezra-T"]),
    ("Ezra", &["Ezra"]),
    ("Nehemiah", &["Nehemiah"]),
    ("Esther", &["Esther"]),
    ("Isaiah", &["Isaiah"]),
    // Zhaoxin ZX-C is an Isaiah derivative with the Eden X4's very signature (0x6FE).
    ("ZhangJiang", &["Isaiah"]),
    ("LuJiaZui", &["LuJiaZui"]),
    ("Yongfeng", &["Yongfeng"]),
];

/// Dumps whose microarchitecture does not match their corpus codename, and why.
const UARCH_EXCEPTIONS: &[(&str, &str)] = &[
    // Signature 0x506A0 (family 6 model 0x5A) is Intel's Moorefield/Anniedale Atom
    // (Silvermont; the libcpuid test sits under x86-atom/silvermont), which
    // libcpuid's database misnames "Pentium III (Coppermine)".
    (
        "intel-genuine-intel-cpu-4000",
        "libcpuid misnames a Silvermont Atom as Coppermine",
    ),
];

#[test]
fn microarchitecture_coverage_and_codenames() {
    let Some(dumps) = corpus() else { return };

    let mut intel_total = 0;
    let mut amd_total = 0;
    let mut missing = Vec::new();
    for (d, cpu) in &dumps {
        let sig = cpu.signature;
        let in_scope = match cpu.vendor {
            Vendor::Intel => sig.family == 6 && INTEL_CORE2_AND_LATER.contains(&sig.model),
            Vendor::Amd => (0xf..=0x1a).contains(&sig.family),
            Vendor::Hygon => sig.family == 0x18,
            _ => false,
        };
        if !in_scope {
            continue;
        }
        if cpu.vendor == Vendor::Intel {
            intel_total += 1;
        } else {
            amd_total += 1;
        }
        if cpu.microarchitecture.is_none() {
            missing.push(format!(
                "{} ({} family {:#x} model {:#x} stepping {:#x})",
                d.name, cpu.vendor, sig.family, sig.model, sig.stepping
            ));
        }
    }
    let named = dumps
        .iter()
        .filter(|(_, c)| c.microarchitecture.is_some())
        .count();
    println!(
        "microarchitecture: {named} of {} dumps named; in scope: {intel_total} Intel \
         family-6 Core-2-and-later, {amd_total} AMD/Hygon family 0xF..=0x1A; unnamed in scope: {}",
        dumps.len(),
        missing.len()
    );
    for m in &missing {
        println!("  unnamed: {m}");
    }
    assert!(
        missing.is_empty(),
        "in-scope dumps without a name: {missing:#?}"
    );

    let mut agree = 0;
    let mut unmapped = Vec::new();
    let mut wrong = Vec::new();
    let mut seen_exceptions = Vec::new();
    for (d, cpu) in &dumps {
        let codename = d.expected.get("codename").map_or("", String::as_str);
        let Some((_, accepted)) = CODENAMES.iter().find(|(frag, _)| codename.contains(frag)) else {
            unmapped.push(format!(
                "{}: {codename:?} -> {:?}",
                d.name, cpu.microarchitecture
            ));
            continue;
        };
        let ok = cpu.microarchitecture.is_some_and(|u| accepted.contains(&u));
        let excepted = UARCH_EXCEPTIONS.iter().any(|(f, _)| *f == d.name);
        match (ok, excepted) {
            (true, false) => agree += 1,
            (false, true) => seen_exceptions.push(d.name.clone()),
            (true, true) => {
                wrong.push(format!("{}: listed as an exception but now agrees", d.name))
            }
            (false, false) => wrong.push(format!(
                "{}: codename {codename:?} expects {accepted:?}, decoded {:?}",
                d.name, cpu.microarchitecture
            )),
        }
    }
    println!(
        "codenames: {agree} agree, {} listed exceptions, {} codenames outside the curated mapping",
        seen_exceptions.len(),
        unmapped.len()
    );
    for u in &unmapped {
        println!("  unmapped: {u}");
    }
    assert!(wrong.is_empty(), "codename disagreements: {wrong:#?}");
    assert_eq!(
        seen_exceptions.len(),
        UARCH_EXCEPTIONS.len(),
        "every listed exception must name a corpus file"
    );
}

/// Dumps whose cores/threads per package differ from libcpuid's, and why. Every
/// disagreement must be listed here (a new one fails the test), and an entry that
/// starts agreeing must be removed.
const TOPOLOGY_EXCEPTIONS: &[(&str, &str)] = &[
    // Hybrid Intel parts: the corpus has one file per core type and libcpuid counts
    // that core type across all CPUs of the dump. One CPU's leaf 0x1F/0xB gives the
    // package's thread total and its own SMT width only, so cores stay unknown.
    ("intel-12th-gen-intel-core-i3-1220p-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i3-1220p-pcore", HYBRID),
    ("intel-12th-gen-intel-core-i7-12700h-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i7-12700h-pcore", HYBRID),
    ("intel-12th-gen-intel-core-i7-12800hx-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i7-12800hx-pcore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900h-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900h-pcore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900hk-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900hk-pcore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900k-ecore", HYBRID),
    ("intel-12th-gen-intel-core-i9-12900k-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i5-13500-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i5-13500-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i5-13600k-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i5-13600k-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i7-1365u", HYBRID),
    ("intel-13th-gen-intel-core-i7-13700k-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i7-13700k-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900h-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900h-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900k-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900k-pcore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900kf-ecore", HYBRID),
    ("intel-13th-gen-intel-core-i9-13900kf-pcore", HYBRID),
    ("intel-13th-gen-intel-coret-i7-1370p-ecore", HYBRID),
    ("intel-13th-gen-intel-coret-i7-1370p-pcore", HYBRID),
    ("intel-core-i5-14600k-ecore", HYBRID),
    ("intel-core-i5-14600k-pcore", HYBRID),
    ("intel-core-i5-l16g7-cpu-ecore", HYBRID),
    ("intel-core-i5-l16g7-cpu-pcore", HYBRID),
    ("intel-core-i7-14700k-ecore", HYBRID),
    ("intel-core-i7-14700k-pcore", HYBRID),
    ("intel-core-i9-14900k-ecore", HYBRID),
    ("intel-core-i9-14900k-pcore", HYBRID),
    ("intel-core-ultra-5-125h-ecore", HYBRID),
    ("intel-core-ultra-5-125h-lpecore", HYBRID),
    ("intel-core-ultra-5-125h-pcore", HYBRID),
    ("intel-core-ultra-5-245k-ecore", HYBRID),
    ("intel-core-ultra-5-245k-pcore", HYBRID),
    ("intel-core-ultra-7-155h-ecore", HYBRID),
    ("intel-core-ultra-7-155h-lpecore", HYBRID),
    ("intel-core-ultra-7-155h-pcore", HYBRID),
    ("intel-core-ultra-7-265k-ecore", HYBRID),
    ("intel-core-ultra-7-265k-pcore", HYBRID),
    ("intel-core-ultra-7-265u-ecore", HYBRID),
    ("intel-core-ultra-7-265u-lpecore", HYBRID),
    ("intel-core-ultra-7-265u-pcore", HYBRID),
    ("intel-core-ultra-9-275hx-ecore", HYBRID),
    ("intel-core-ultra-9-275hx-pcore", HYBRID),
    ("intel-core-ultra-9-285h-ecore", HYBRID),
    ("intel-core-ultra-9-285h-lpecore", HYBRID),
    ("intel-core-ultra-9-285h-pcore", HYBRID),
    ("intel-core-ultra-9-288v-lpecore", HYBRID),
    ("intel-core-ultra-9-288v-pcore", HYBRID),
    ("intel-pentium-gold-8505-ecore", HYBRID),
    ("intel-pentium-gold-8505-pcore", HYBRID),
    // AMD Zen 5 + Zen 5c parts, one file per core type as above; 0x8000_0026
    // describes the whole package (e.g. HX 370: 12 cores, 24 threads).
    (
        "amd-ryzen-ai-7-pro-350-with-radeon-860m-ecore",
        AMD_TWO_CORE_TYPES,
    ),
    (
        "amd-ryzen-ai-7-pro-350-with-radeon-860m-pcore",
        AMD_TWO_CORE_TYPES,
    ),
    (
        "amd-ryzen-ai-7-pro-360-with-radeon-880m-ecore",
        AMD_TWO_CORE_TYPES,
    ),
    (
        "amd-ryzen-ai-7-pro-360-with-radeon-880m-pcore",
        AMD_TWO_CORE_TYPES,
    ),
    (
        "amd-ryzen-ai-9-hx-370-with-radeon-890m-ecore",
        AMD_TWO_CORE_TYPES,
    ),
    (
        "amd-ryzen-ai-9-hx-370-with-radeon-890m-pcore",
        AMD_TWO_CORE_TYPES,
    ),
    // Dumps of multi-socket hosts: libcpuid counted logical CPUs of every package;
    // CPUID (and this decoder) describes one package.
    (
        "amd-dual-core-amd-opteron-processor-2210-he-quad",
        MULTI_SOCKET,
    ),
    (
        "amd-dual-core-amd-opteron-processor-8220-se-octo",
        MULTI_SOCKET,
    ),
    ("amd-epyc-9965-192-core-processor-dual", MULTI_SOCKET),
    ("amd-opteron-processor-240-he-dual", MULTI_SOCKET),
    ("amd-opteron-processor-4176-he-dual", MULTI_SOCKET),
    ("amd-opteron-processor-6238-dual", MULTI_SOCKET),
    ("amd-opteron-processor-6274-dual", MULTI_SOCKET),
    ("amd-opteron-processor-6344-dual", MULTI_SOCKET),
    ("amd-opteron-processor-6376-quad", MULTI_SOCKET),
    ("amd-quad-core-amd-opteron-processor-2344-he", MULTI_SOCKET),
    (
        "amd-quad-core-amd-opteron-processor-2347-he-dual",
        MULTI_SOCKET,
    ),
    (
        "amd-quad-core-amd-opteron-processor-2378-dual",
        MULTI_SOCKET,
    ),
    ("amd-six-core-amd-opteron-processor-2431-dual", MULTI_SOCKET),
    ("intel-pentium-iii-cpu-family-1266mhz", MULTI_SOCKET),
    ("intel-pentium-iii-katmai-dual", MULTI_SOCKET),
    ("intel-xeon-7020-quad", MULTI_SOCKET),
    ("intel-xeon-7140m-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-2-80ghz-nocona-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-3-00ghz-tulsa-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-3-40ghz-cranford-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-3-40ghz-irwindale-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-e5462-dual", MULTI_SOCKET),
    ("intel-xeon-cpu-e7450-quad", MULTI_SOCKET),
    ("intel-xeon-cpu-l5320", MULTI_SOCKET),
    // libcpuid's expected value contradicts both CPUID and the part's specification;
    // the decoder gives the specified count.
    (
        "amd-ryzen-7-5800x3d-8-core-processor",
        "libcpuid wrong: the part is 8C/16T; libcpuid says 48 logical",
    ),
    (
        "intel-atom-cpu-z2460",
        "libcpuid wrong: the part is 1C/2T (Hyper-Threading); libcpuid says 1 thread",
    ),
    (
        "intel-celeron-cpu-g1610",
        "libcpuid wrong: the part is 2C/2T; libcpuid says 1 core",
    ),
    (
        "intel-core-cpu-q-820",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 8 cores",
    ),
    (
        "intel-core-i5-cpu-650",
        "libcpuid wrong: the part is 2C/4T; libcpuid says 4 cores",
    ),
    (
        "intel-core-i7-2600-cpu",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 8 cores",
    ),
    (
        "intel-core-i7-3770k-cpu",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 8 cores",
    ),
    (
        "intel-core-i7-3960x-cpu",
        "libcpuid wrong: the part is 6C/12T; libcpuid says 12 cores",
    ),
    (
        "intel-core-i7-4500u-cpu",
        "libcpuid wrong: the part is 2C/4T; libcpuid says 4 cores",
    ),
    (
        "intel-core-i7-cpu-q-720",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 8 cores",
    ),
    (
        "intel-core-i7-cpu-x-990",
        "libcpuid wrong: the part is 6C/12T; libcpuid says 12 cores",
    ),
    (
        "intel-core-i9-10900k-cpu",
        "libcpuid wrong: the part is 10C/20T; libcpuid says 16 logical",
    ),
    (
        "intel-genuine-intel-cpu-4000",
        "libcpuid wrong: a quad-core Moorefield Atom (leaf 0xB: 4); libcpuid says 1",
    ),
    (
        "intel-spreadtrum-sc9853i-ia",
        "libcpuid wrong: the part is 8C/8T Airmont (leaf 0xB: 8 cores); libcpuid says 1",
    ),
    (
        "intel-xeon-cpu-e3-1230-v2",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 1 core, 1 thread",
    ),
    (
        "intel-xeon-cpu-e3-1245-v3",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 8 cores",
    ),
    (
        "intel-xeon-cpu-x5667",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 16 (both packages of a 2-socket host)",
    ),
    (
        "intel-xeon-cpu-x5667-nehalem",
        "libcpuid wrong: the part is 4C/8T; libcpuid says 16 (both packages of a 2-socket host)",
    ),
    (
        "intel-xeon-platinum-8570",
        "libcpuid wrong: the part is 56C/112T; libcpuid says 32 cores, 56 threads",
    ),
    // CPUID itself over- or under-reports; the decoder reports what CPUID says.
    (
        "intel-pentium-gold-g5400-cpu",
        "2C/4T part, but leaf 0xB EBX reports the 4C/8T die (the SDM calls EBX informational)",
    ),
    (
        "via-quadcore-l4700",
        "4 cores, but leaf 4 EAX[31:26] and leaf 1 EBX[23:16] count 8 addressable IDs",
    ),
    (
        "via-nano-processor",
        "2 cores, but leaf 1 EDX[28] (HTT) is clear and leaf 4 is empty: CPUID says 1",
    ),
];

const HYBRID: &str =
    "hybrid: libcpuid counts one core type; one CPU gives threads per package only";
const AMD_TWO_CORE_TYPES: &str = "Zen 5 + Zen 5c: libcpuid counts one core type; CPUID the package";
const MULTI_SOCKET: &str = "multi-socket host: libcpuid counted more than one package";

#[test]
fn topology_matches_libcpuid() {
    let Some(dumps) = corpus() else { return };
    let mut compared = 0;
    let mut cores_agree = 0;
    let mut threads_agree = 0;
    let mut both_agree = 0;
    let mut new_disagreements = Vec::new();
    let mut stale = Vec::new();
    let mut excepted = 0;
    for (d, cpu) in &dumps {
        let expect = |k: &str| d.expected.get(k).and_then(|v| v.parse::<u32>().ok());
        let (Some(cores), Some(logical)) = (expect("cores"), expect("logical")) else {
            continue;
        };
        compared += 1;
        let t = cpu.topology;
        let c_ok = t.cores_per_package == Some(cores);
        let t_ok = t.threads_per_package == Some(logical);
        cores_agree += usize::from(c_ok);
        threads_agree += usize::from(t_ok);
        let listed = TOPOLOGY_EXCEPTIONS.iter().any(|(f, _)| *f == d.name);
        if c_ok && t_ok {
            both_agree += 1;
            if listed {
                stale.push(d.name.clone());
            }
        } else if listed {
            excepted += 1;
        } else {
            new_disagreements.push(format!(
                "{}: expected cores={cores} logical={logical}, decoded cores={:?} threads={:?} \
                 (per core {:?}, from {:?})",
                d.name, t.cores_per_package, t.threads_per_package, t.threads_per_core, t.source
            ));
        }
    }
    println!(
        "topology: {compared} dumps compared; cores agree {cores_agree}, threads agree \
         {threads_agree}, both agree {both_agree}; {excepted} listed exceptions"
    );
    for n in &new_disagreements {
        println!("  {n}");
    }
    // About a fifth of the corpus cannot agree: hybrid parts (per-core-type counts),
    // multi-socket dumps and libcpuid's own mistakes, all listed above.
    assert!(
        both_agree * 4 >= compared * 3,
        "agreement below 75%: {both_agree} of {compared}"
    );
    let mut names: Vec<&str> = TOPOLOGY_EXCEPTIONS.iter().map(|(f, _)| *f).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        TOPOLOGY_EXCEPTIONS.len(),
        "duplicate exception entries"
    );
    let unknown: Vec<&&str> = names
        .iter()
        .filter(|n| !dumps.iter().any(|(d, _)| d.name == **n))
        .collect();
    assert!(
        unknown.is_empty(),
        "exceptions naming no corpus file: {unknown:?}"
    );
    assert!(
        stale.is_empty(),
        "exceptions that now agree (remove them): {stale:?}"
    );
    assert!(
        new_disagreements.is_empty(),
        "disagreements not in TOPOLOGY_EXCEPTIONS: {new_disagreements:#?}"
    );
}
