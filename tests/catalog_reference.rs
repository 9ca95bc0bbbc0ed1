//! Cross-checks the feature catalog (`src/catalog/table.rs`) against the public
//! reference facts in `../shared/reference`, and checks its internal consistency.
//!
//! Every disagreement the catalog keeps on purpose is listed below with its reason;
//! an exception that no longer matches anything is itself an error, so the lists
//! cannot silently go stale. Run with `cargo test --test catalog_reference --
//! --nocapture` to see the counts.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use vmcompat::catalog::{all, by_location, closure_of_dependents, lookup, BitLoc, FeatureSet};
use vmcompat::cpuid::Reg;

/// The registers whose every named bit the catalog must cover (leaf, subleaf, register).
const COVERED: &[(u32, u32, Reg)] = &[
    (0x1, 0, Reg::Ecx),
    (0x1, 0, Reg::Edx),
    (0x6, 0, Reg::Eax),
    (0x7, 0, Reg::Ebx),
    (0x7, 0, Reg::Ecx),
    (0x7, 0, Reg::Edx),
    (0x7, 1, Reg::Eax),
    (0x7, 1, Reg::Ebx),
    (0x7, 1, Reg::Ecx),
    (0x7, 1, Reg::Edx),
    (0x7, 2, Reg::Edx),
    (0xd, 1, Reg::Eax),
    (0x12, 0, Reg::Eax),
    (0x19, 0, Reg::Ebx),
    (0x8000_0001, 0, Reg::Ecx),
    (0x8000_0001, 0, Reg::Edx),
    (0x8000_0007, 0, Reg::Ebx),
    (0x8000_0007, 0, Reg::Edx),
    (0x8000_0008, 0, Reg::Ebx),
    (0x8000_000a, 0, Reg::Edx),
    (0x8000_0021, 0, Reg::Eax),
    (0x8000_0021, 0, Reg::Ecx),
    (0xc000_0001, 0, Reg::Edx),
];

/// Crosswalk locations where the catalog's canonical name deliberately differs from
/// the Linux name (`proc_cpuinfo`, else lowercase `linux_X86_FEATURE`).
const NAME_EXCEPTIONS: &[(&str, &str)] = &[(
    "0x80000007.0.edx[8]",
    // Linux has no cpuinfo flag for this bit: it derives the synthetic
    // `constant_tsc` *and* `nonstop_tsc` from it. `constant_tsc` alone is weaker than
    // invariance (an older Intel constant-rate TSC still stops in deep C-states), so
    // the catalog uses QEMU's and libvirt's `invtsc`; `constant_tsc` is libcpuid's alias.
    "invtsc: Linux derives constant_tsc+nonstop_tsc from it; QEMU/libvirt name the bit itself",
)];

/// Crosswalk rows in covered registers that deliberately have no catalog entry
/// (beyond the AMD duplicates of leaf 1 EDX, which are skipped by rule: their
/// `kvm_cap_kind` is `ALIASED`).
const MISSING_EXCEPTIONS: &[(&str, &str)] = &[];

/// libvirt names (kind = cpuid) that deliberately differ from `libvirt_name()`, or
/// catalog entries with a libvirt name where libvirt has none.
const LIBVIRT_EXCEPTIONS: &[(&str, &str)] = &[];

/// Crosswalk `qemu` column disagreements kept on purpose.
const QEMU_EXCEPTIONS: &[(&str, &str)] = &[];

/// Catalog psABI levels that the psABI table does not list as a CPUID capability row.
const PSABI_EXCEPTIONS: &[(&str, &str)] = &[(
    "0x1.0.ecx[26]",
    // The psABI's v3 row is OSXSAVE, an OS-enabled state bit (kind "os"), not a
    // capability: the catalog gives level 3 to `xsave`, which OSXSAVE requires.
    "xsave carries v3 in place of the OS-state row OSXSAVE",
)];

/// Dependency edges of `union_deps_by_cpuid.tsv` (feature, depends_on) between two
/// catalog locations that the catalog deliberately does not imply.
const DEP_EXCEPTIONS: &[((&str, &str), &str)] = &[
    // Edges the reference lists that real CPUs of ../shared/corpus break, removed
    // from the catalog on purpose (issue 10: a mask's closure uses only edges real
    // silicon obeys; see the table's header for each).
    (
        ("0x80000008.0.ebx[3]", "0x1.0.ecx[17]"),
        "invlpgb without pcid: AMD 4700S",
    ),
    (
        ("0x1.0.edx[15]", "0x1.0.edx[24]"),
        "cmov without fxsr: AMD K7",
    ),
    (
        ("0x1.0.edx[23]", "0x1.0.edx[24]"),
        "mmx without fxsr: AMD K6",
    ),
    (
        ("0x7.0.ebx[20]", "0x80000001.0.edx[20]"),
        "SMAP does not need NX (SDM Vol. 3A 4.6); NX is floor",
    ),
    (
        ("0x80000001.0.ecx[0]", "0x80000001.0.edx[29]"),
        "lahf_lm on 32-bit Atoms (N270, Z2460)",
    ),
    (
        ("0x80000008.0.ebx[15]", "0x80000008.0.ebx[14]"),
        "Zen 2: STIBP without IBRS",
    ),
    (
        ("0x80000008.0.ebx[18]", "0x80000008.0.ebx[14]"),
        "Zen 2: IBRS-fast without IBRS",
    ),
    (
        ("0x80000008.0.ebx[19]", "0x80000008.0.ebx[14]"),
        "Zen 2: IBRS-same-mode without IBRS",
    ),
    (
        ("0x80000008.0.ebx[24]", "0x80000008.0.ebx[14]"),
        "Zen 2: SSBD without IBRS",
    ),
    (
        ("0x80000008.0.ebx[17]", "0x80000008.0.ebx[15]"),
        "AMD 4700S: STIBP-always-on without STIBP",
    ),
];

fn reference_dir() -> Option<PathBuf> {
    common::shared_dir().map(|d| d.join("reference"))
}

/// Same normalization as `catalog::lookup`: case-insensitive, `-`/`.` = `_`.
fn norm(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn make_loc(leaf: &str, subleaf: &str, reg: &str, bit: &str) -> Option<BitLoc> {
    Some(BitLoc {
        leaf: parse_u32(leaf)?,
        subleaf: parse_u32(subleaf)?,
        reg: Reg::parse(reg.trim())?,
        bit: bit.trim().parse().ok()?,
    })
}

/// Parses the `0x7.0.ebx[5]` notation of the reference files.
fn parse_loc(s: &str) -> Option<BitLoc> {
    let (head, bit) = s.trim().strip_suffix(']')?.split_once('[')?;
    let mut parts = head.split('.');
    let (leaf, subleaf, reg) = (parts.next()?, parts.next()?, parts.next()?);
    make_loc(leaf, subleaf, reg, bit)
}

fn is_covered(loc: &BitLoc) -> bool {
    COVERED
        .iter()
        .any(|&(l, s, r)| loc.leaf == l && loc.subleaf == s && loc.reg == r)
}

fn def_at(loc: BitLoc) -> Option<&'static vmcompat::catalog::FeatureDef> {
    by_location(loc).map(|id| &all()[id.index()])
}

fn tsv(dir: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    common::read_tsv(&dir.join(name))
}

fn col<'a>(row: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    row.get(name).map(|s| s.trim()).unwrap_or("")
}

/// Collects failures; fails once at the end with all of them, after checking that
/// every exception was used.
struct Report {
    what: &'static str,
    failures: Vec<String>,
    used: BTreeSet<String>,
}

impl Report {
    fn new(what: &'static str) -> Report {
        Report {
            what,
            failures: Vec::new(),
            used: BTreeSet::new(),
        }
    }

    /// True (and the exception marked used) when `key` is in `exceptions`.
    fn excepted(&mut self, exceptions: &[(&str, &str)], key: &str) -> bool {
        if exceptions.iter().any(|(k, _)| *k == key) {
            self.used.insert(key.to_string());
            true
        } else {
            false
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }

    fn finish(mut self, exceptions: &[&str]) {
        for e in exceptions {
            if !self.used.contains(*e) {
                self.failures
                    .push(format!("stale exception (matched nothing): {e}"));
            }
        }
        assert!(
            self.failures.is_empty(),
            "{}: {} problem(s):\n  {}",
            self.what,
            self.failures.len(),
            self.failures.join("\n  ")
        );
    }
}

#[test]
fn names_agree_with_the_linux_crosswalk() {
    let Some(dir) = reference_dir() else { return };
    let rows = tsv(&dir, "feature_name_crosswalk.tsv");
    let mut r = Report::new("crosswalk names");
    let (mut compared, mut nameless, mut aliased, mut excepted) = (0, 0, 0, 0);
    for row in &rows {
        let Some(loc) = make_loc(
            col(row, "leaf"),
            col(row, "subleaf"),
            col(row, "reg"),
            col(row, "bit"),
        ) else {
            r.fail(format!("unparsable crosswalk row {row:?}"));
            continue;
        };
        let key = loc.to_string();
        let def = def_at(loc);
        if col(row, "kvm_cap_kind") == "ALIASED" {
            // AMD's copies of leaf 1 EDX in 0x80000001 EDX: not catalog entries.
            aliased += 1;
            if let Some(d) = def {
                r.fail(format!(
                    "{key}: AMD alias of leaf 1 EDX has entry `{}`",
                    d.name
                ));
            }
            continue;
        }
        let linux = col(row, "linux_X86_FEATURE").to_ascii_lowercase();
        let expected = match col(row, "proc_cpuinfo") {
            "" if linux.is_empty() => None,
            "" => Some(linux),
            p => Some(p.to_string()),
        };
        match (def, expected) {
            (Some(d), Some(exp)) => {
                compared += 1;
                if d.name != exp {
                    if r.excepted(NAME_EXCEPTIONS, &key) {
                        excepted += 1;
                    } else {
                        r.fail(format!("{key}: catalog `{}`, Linux `{exp}`", d.name));
                    }
                }
            }
            (Some(_), None) => nameless += 1,
            (None, _) if is_covered(&loc) => {
                if r.excepted(MISSING_EXCEPTIONS, &key) {
                    excepted += 1;
                } else {
                    r.fail(format!("{key}: crosswalk row {row:?} has no catalog entry"));
                }
            }
            (None, _) => {}
        }
    }
    println!(
        "crosswalk: {} rows; {compared} catalog names compared with Linux, {nameless} entries \
         at rows without a Linux name, {aliased} AMD leaf-1 aliases skipped, {excepted} exceptions",
        rows.len()
    );
    let keys: Vec<&str> = NAME_EXCEPTIONS
        .iter()
        .chain(MISSING_EXCEPTIONS)
        .map(|(k, _)| *k)
        .collect();
    r.finish(&keys);
}

#[test]
fn qemu_names_agree_with_the_crosswalk() {
    let Some(dir) = reference_dir() else { return };
    let rows = tsv(&dir, "feature_name_crosswalk.tsv");
    let mut r = Report::new("QEMU names");
    let (mut compared, mut excepted) = (0, 0);
    for row in &rows {
        let Some(loc) = make_loc(
            col(row, "leaf"),
            col(row, "subleaf"),
            col(row, "reg"),
            col(row, "bit"),
        ) else {
            continue;
        };
        let Some(def) = def_at(loc) else { continue };
        let key = loc.to_string();
        let expected = Some(col(row, "qemu")).filter(|q| !q.is_empty());
        compared += 1;
        if def.qemu_name() != expected {
            if r.excepted(QEMU_EXCEPTIONS, &key) {
                excepted += 1;
            } else {
                r.fail(format!(
                    "{key} `{}`: catalog QEMU name {:?}, crosswalk {:?}",
                    def.name,
                    def.qemu_name(),
                    expected
                ));
            }
        }
    }
    println!("qemu: {compared} entries compared with the crosswalk, {excepted} exceptions");
    let keys: Vec<&str> = QEMU_EXCEPTIONS.iter().map(|(k, _)| *k).collect();
    r.finish(&keys);
}

#[test]
fn libvirt_names_agree_with_cpu_map() {
    let Some(dir) = reference_dir() else { return };
    let rows = tsv(&dir, "libvirt_x86_features.tsv");
    let mut r = Report::new("libvirt names");
    let mut libvirt_at: HashMap<BitLoc, String> = HashMap::new();
    let (mut compared, mut excepted) = (0, 0);
    for row in rows.iter().filter(|row| col(row, "kind") == "cpuid") {
        let Some(loc) = make_loc(
            col(row, "leaf_or_msr"),
            col(row, "subleaf"),
            col(row, "reg"),
            col(row, "bit"),
        ) else {
            r.fail(format!("unparsable libvirt row {row:?}"));
            continue;
        };
        let name = col(row, "name").to_string();
        libvirt_at.insert(loc, name.clone());
        let key = loc.to_string();
        match def_at(loc) {
            Some(def) => {
                compared += 1;
                if def.libvirt_name() != Some(name.as_str()) {
                    if r.excepted(LIBVIRT_EXCEPTIONS, &key) {
                        excepted += 1;
                    } else {
                        r.fail(format!(
                            "{key} `{}`: catalog libvirt name {:?}, libvirt `{name}`",
                            def.name,
                            def.libvirt_name()
                        ));
                    }
                }
            }
            None if is_covered(&loc) && !r.excepted(LIBVIRT_EXCEPTIONS, &key) => {
                r.fail(format!("{key}: libvirt `{name}` has no catalog entry"));
            }
            None => {}
        }
    }
    // The other way round: a libvirt name for a bit libvirt does not know.
    for def in all() {
        if let Some(name) = def.libvirt_name() {
            if !libvirt_at.contains_key(&def.loc) {
                let key = def.loc.to_string();
                if r.excepted(LIBVIRT_EXCEPTIONS, &key) {
                    excepted += 1;
                } else {
                    r.fail(format!(
                        "{key} `{}`: libvirt name `{name}` but libvirt has no such feature",
                        def.name
                    ));
                }
            }
        }
    }
    println!(
        "libvirt: {} cpuid features, {compared} compared with the catalog, {excepted} exceptions",
        libvirt_at.len()
    );
    let keys: Vec<&str> = LIBVIRT_EXCEPTIONS.iter().map(|(k, _)| *k).collect();
    r.finish(&keys);
}

#[test]
fn psabi_levels_agree() {
    let Some(dir) = reference_dir() else { return };
    let rows = tsv(&dir, "x86_64_psabi_levels.tsv");
    let mut r = Report::new("psABI levels");
    let mut expected: HashMap<BitLoc, u8> = HashMap::new();
    let mut os_rows = 0;
    for row in &rows {
        if col(row, "kind") != "cpuid" {
            os_rows += 1;
            continue;
        }
        let level = col(row, "level")
            .strip_prefix("x86-64-v")
            .and_then(|l| l.parse::<u8>().ok());
        let loc = make_loc(
            col(row, "leaf"),
            col(row, "subleaf"),
            col(row, "reg"),
            col(row, "bit"),
        );
        match (loc, level) {
            (Some(loc), Some(level)) => {
                expected.insert(loc, level);
            }
            _ => r.fail(format!("unparsable psABI row {row:?}")),
        }
    }
    for (loc, level) in &expected {
        match def_at(*loc) {
            Some(d) if d.psabi_level == *level => {}
            Some(d) => r.fail(format!(
                "{loc} `{}`: catalog level {}, psABI v{level}",
                d.name, d.psabi_level
            )),
            None => r.fail(format!("{loc}: psABI v{level} bit has no catalog entry")),
        }
    }
    let mut excepted = 0;
    for d in all().iter().filter(|d| d.psabi_level != 0) {
        if !expected.contains_key(&d.loc) {
            if r.excepted(PSABI_EXCEPTIONS, &d.loc.to_string()) {
                excepted += 1;
            } else {
                r.fail(format!(
                    "{} `{}`: catalog says v{}, the psABI table does not list it",
                    d.loc, d.name, d.psabi_level
                ));
            }
        }
    }
    println!(
        "psabi: {} CPUID rows checked ({os_rows} OS-state rows skipped), {excepted} exceptions",
        expected.len()
    );
    let keys: Vec<&str> = PSABI_EXCEPTIONS.iter().map(|(k, _)| *k).collect();
    r.finish(&keys);
}

#[test]
fn reference_dependency_edges_are_implied() {
    let Some(dir) = reference_dir() else { return };
    let rows = tsv(&dir, "union_deps_by_cpuid.tsv");
    let mut r = Report::new("dependency edges");
    let (mut checked, mut outside, mut excepted) = (0, 0, 0);
    let mut used = BTreeSet::new();
    for row in &rows {
        let (Some(feat), Some(dep)) = (
            parse_loc(col(row, "feature_cpuid")),
            parse_loc(col(row, "depends_on_cpuid")),
        ) else {
            r.fail(format!("unparsable dependency row {row:?}"));
            continue;
        };
        let (Some(feat_id), Some(dep_id)) = (by_location(feat), by_location(dep)) else {
            outside += 1;
            continue;
        };
        checked += 1;
        let mut hidden = FeatureSet::new();
        hidden.insert(dep_id);
        if closure_of_dependents(&hidden).contains(feat_id) {
            continue;
        }
        let key = (feat.to_string(), dep.to_string());
        if DEP_EXCEPTIONS
            .iter()
            .any(|((f, d), _)| *f == key.0 && *d == key.1)
        {
            used.insert(key);
            excepted += 1;
        } else {
            r.fail(format!(
                "{} `{}` requires {} `{}` ({}), but hiding the latter does not hide the former",
                key.0,
                all()[feat_id.index()].name,
                key.1,
                all()[dep_id.index()].name,
                col(row, "sources")
            ));
        }
    }
    for ((f, d), _) in DEP_EXCEPTIONS {
        if !used.contains(&(f.to_string(), d.to_string())) {
            r.fail(format!("stale exception (matched nothing): {f} -> {d}"));
        }
    }
    println!(
        "deps: {} edges; {checked} between catalog bits checked, {outside} with an end outside \
         the catalog skipped, {excepted} exceptions",
        rows.len()
    );
    r.finish(&[]);
}

/// `featMask.vm.cpuid.<KEY>` keys of the ESXi samples that are not single CPUID
/// feature bits, with the reason.
const VMWARE_NON_BITS: &[(&str, &str)] = &[
    ("FAMILY", "numeric field of leaf 1 EAX"),
    ("MODEL", "numeric field of leaf 1 EAX"),
    ("STEPPING", "numeric field of leaf 1 EAX"),
    ("NUMLEVELS", "numeric: max basic leaf"),
    ("NUM_EXT_LEVELS", "numeric: max extended leaf"),
    ("Intel", "vendor selector"),
    ("AMD", "vendor selector"),
    (
        "VT",
        "VMware's virtualization-capability pseudo-feature, not one bit",
    ),
    (
        "XCR0_MASTER_SSE",
        "leaf 0xD.0 EAX XSAVE component, outside the catalog",
    ),
    (
        "XCR0_MASTER_YMM_H",
        "leaf 0xD.0 EAX XSAVE component, outside the catalog",
    ),
    // VMware's IBRS/IBPB keys are derived, cross-vendor features (leaf 7 EDX[26] on
    // Intel, 0x80000008 EBX[12]/[14] on AMD); no single catalog bit carries them.
    ("IBRS", "cross-vendor speculation-control pseudo-feature"),
    ("IBPB", "cross-vendor speculation-control pseudo-feature"),
];

#[test]
fn vmware_featmask_keys_of_the_samples_resolve() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let esxi = shared.join("samples/esxi");
    let mut r = Report::new("VMware featMask keys");
    let mut keys = BTreeSet::new();
    for name in [
        "featmask_vm_perVM_EVC_template.vmx.txt",
        "vmx_cpuid_mask_examples.txt",
    ] {
        let text = std::fs::read_to_string(esxi.join(name))
            .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        for part in text.split("featMask.vm.cpuid.").skip(1) {
            let key: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !key.is_empty() {
                keys.insert(key);
            }
        }
    }
    let mut resolved = 0;
    for key in &keys {
        if r.excepted(VMWARE_NON_BITS, key) {
            continue;
        }
        match lookup(key).map(|id| &all()[id.index()]) {
            Some(d) if d.vmware_name() == Some(key.as_str()) => resolved += 1,
            Some(d) => r.fail(format!(
                "`{key}` finds `{}` but its VMware name is {:?}",
                d.name,
                d.vmware_name()
            )),
            None => r.fail(format!("featMask key `{key}` is not in the catalog")),
        }
    }
    println!(
        "vmware: {} featMask keys in the samples, {resolved} resolve to their catalog bit, {} \
         listed as not single bits",
        keys.len(),
        r.used.len()
    );
    let keys: Vec<&str> = VMWARE_NON_BITS.iter().map(|(k, _)| *k).collect();
    r.finish(&keys);
}

#[test]
fn catalog_is_internally_consistent() {
    let mut r = Report::new("catalog consistency");
    let defs = all();
    let mut canonical: HashMap<String, &str> = HashMap::new();
    let mut locs: HashMap<BitLoc, &str> = HashMap::new();
    for d in defs {
        if let Some(prev) = canonical.insert(norm(d.name), d.name) {
            r.fail(format!("duplicate canonical name `{}` / `{prev}`", d.name));
        }
        if let Some(prev) = locs.insert(d.loc, d.name) {
            r.fail(format!("{} holds both `{}` and `{prev}`", d.loc, d.name));
        }
        if d.loc.bit > 31 {
            r.fail(format!("`{}`: bit {} out of range", d.name, d.loc.bit));
        }
        if d.psabi_level > 4 {
            r.fail(format!("`{}`: psABI level {}", d.name, d.psabi_level));
        }
        if d.amd_only && d.intel_only {
            r.fail(format!("`{}` is both AMD-only and Intel-only", d.name));
        }
        if d.description.trim().is_empty() {
            r.fail(format!("`{}` has no description", d.name));
        }
        if d.name != d.name.trim() || d.name.is_empty() || d.name != d.name.to_ascii_lowercase() {
            r.fail(format!(
                "canonical name `{}` is not trimmed lowercase",
                d.name
            ));
        }
    }
    // Aliases: none may be another entry's canonical name, and no two entries may
    // share one (lookup would then depend on table order).
    let mut alias_owner: HashMap<String, &str> = HashMap::new();
    let mut alias_count = 0;
    for d in defs {
        let aliases = [
            d.qemu_name(),
            d.libvirt_name(),
            d.vmware_name(),
            d.libcpuid_name(),
            Some(d.manual).filter(|m| !m.is_empty()),
        ];
        let mut own = BTreeSet::new();
        for a in aliases.into_iter().flatten() {
            own.insert(norm(a));
        }
        own.remove(&norm(d.name));
        for a in own {
            alias_count += 1;
            if let Some(other) = canonical.get(&a) {
                r.fail(format!(
                    "`{}` has alias `{a}`, the canonical name of `{other}`",
                    d.name
                ));
            }
            if let Some(other) = alias_owner.insert(a.clone(), d.name) {
                r.fail(format!(
                    "alias `{a}` is shared by `{other}` and `{}`",
                    d.name
                ));
            }
        }
    }
    // Every name and alias finds its own entry; every requirement resolves, is
    // spelled canonically, is not the entry itself.
    for (i, d) in defs.iter().enumerate() {
        if lookup(d.name).map(|id| id.index()) != Some(i) {
            r.fail(format!("lookup(`{}`) does not find its own entry", d.name));
        }
        if by_location(d.loc).map(|id| id.index()) != Some(i) {
            r.fail(format!("by_location({}) does not find `{}`", d.loc, d.name));
        }
        for req in d.requires {
            match lookup(req) {
                None => r.fail(format!("`{}` requires unknown `{req}`", d.name)),
                Some(id) if id.index() == i => r.fail(format!("`{}` requires itself", d.name)),
                Some(id) if defs[id.index()].name != *req => r.fail(format!(
                    "`{}` requires `{req}`: spell it canonically as `{}`",
                    d.name,
                    defs[id.index()].name
                )),
                Some(_) => {}
            }
        }
    }
    // No dependency cycles: a feature's dependents never include what it requires.
    for (i, d) in defs.iter().enumerate() {
        let Some(id) = lookup(d.name) else { continue };
        let mut set = FeatureSet::new();
        set.insert(id);
        let closure = closure_of_dependents(&set);
        for req in d.requires {
            if let Some(rid) = lookup(req) {
                if closure.contains(rid) {
                    r.fail(format!(
                        "dependency cycle through `{}` and `{req}`",
                        defs[i].name
                    ));
                }
            }
        }
    }
    let requires: usize = defs.iter().map(|d| d.requires.len()).sum();
    println!(
        "consistency: {} entries, {} locations, {alias_count} distinct aliases, {requires} \
         requirement edges",
        defs.len(),
        locs.len()
    );
    r.finish(&[]);
}
