//! The mask and baseline cases of `../shared/cases/`, each point of their
//! `EXPECTED.md` checked by running the real binary on the case's files in place
//! (and, where the binary cannot be asked, the library):
//! `zen3-to-zen2-mitigations`, `psabi-level-baseline`, `proc-cpuinfo-cluster`,
//! `cascadelake-icelake-mpx`. (Naming the setting to use per cluster belongs to
//! the clusters issue and is not checked here.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vmcompat::analysis::fleet::{analyze, FleetHost};
use vmcompat::analysis::maskplan::{self, MaskOptions, PlanError};
use vmcompat::catalog::id;
use vmcompat::catalog::{self, FeatureSet};
use vmcompat::cpuid::{Completeness, CpuLeaves};
use vmcompat::decode::{decode_cpu, decode_dump, Cpu};
use vmcompat::mask::{apply, parse_vmx, CpuidMask};
use vmcompat::model::policy::Policy;
use vmcompat::shipped::baselines;
use vmcompat::sources::formats;

fn case(name: &str) -> Option<PathBuf> {
    let dir = common::shared_dir()?.join("cases").join(name);
    assert!(dir.is_dir(), "{} is missing", dir.display());
    Some(dir)
}

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .output()
        .expect("run vmcompat")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `mask` and returns (exit code, stdout, stderr).
fn mask(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["mask"];
    all.extend_from_slice(args);
    let o = vmcompat(&all);
    let (out, err) = text(&o);
    (o.status.code().unwrap_or(-1), out, err)
}

/// The JSON plan of a `mask --format json` run with one plan.
fn json_plan(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let (code, out, err) = mask(&all);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    // One JSON document: an array with one object per mask.
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let masks = doc.as_array().unwrap_or_else(|| panic!("an array: {out}"));
    assert_eq!(masks.len(), 1, "one mask: {out}");
    masks[0].clone()
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|n| n.as_str().expect("a name").to_string())
        .collect()
}

fn set(v: &serde_json::Value) -> FeatureSet {
    let n = names(v);
    let refs: Vec<&str> = n.iter().map(String::as_str).collect();
    FeatureSet::from_names(&refs).expect("catalog names")
}

fn leaves(path: &Path) -> (CpuLeaves, Cpu) {
    let dump = formats::read_file(path).unwrap_or_else(|e| panic!("{e}"));
    let cpu = decode_dump(&dump).expect("one CPU");
    (dump.cpus[0].clone(), cpu)
}

fn guest(mask: &CpuidMask, cpu: &CpuLeaves) -> FeatureSet {
    decode_cpu(&apply(mask, cpu), Completeness::Full)
        .features
        .intersection(catalog::guest_visible())
}

fn ids(list: &[&str]) -> FeatureSet {
    let s = FeatureSet::from_names(list).expect("catalog names");
    assert_eq!(s.len(), list.len(), "unknown name in {list:?}");
    s
}

/// `--from`/`--to` labels for a direction from the group of host `from_host`
/// (index in the fleet file) to the other group of a two-group fleet, read from
/// the audit's JSON (group labels are derived from content, not from order).
fn direction(fleet: &Path, from_host: usize) -> (String, String) {
    let o = vmcompat(&["audit", p(fleet), "--format", "json"]);
    let (out, err) = text(&o);
    let audit: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let groups: Vec<String> = audit["cpu"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["label"].as_str().expect("label").to_string())
        .collect();
    assert_eq!(groups.len(), 2, "a two-group fleet: {groups:?}");
    let from = audit["hosts"][from_host]["group"]
        .as_str()
        .expect("the host's group")
        .to_string();
    let to = groups
        .into_iter()
        .find(|g| *g != from)
        .expect("the other group");
    (from, to)
}

const SPEC_ZEN2: &[&str] = &[
    "amd_ssbd",
    "amd_stibp",
    "amd_stibp_always_on",
    "ibrs_fast",
    "amd_ibrs_same_mode",
];

#[test]
fn zen3_to_zen2_hides_only_what_zen2_lacks_and_keeps_its_mitigations() {
    let Some(dir) = case("zen3-to-zen2-mitigations") else {
        return;
    };
    let fleet = dir.join("fleet.toml");
    let (zen3_leaves, zen3) = leaves(&dir.join("node-zen3.txt"));
    let (zen2_leaves, zen2) = leaves(&dir.join("node-zen2.txt"));
    // The premise: Zen 2 has STIBP, STIBP-always-on, IBRS-fast, IBRS-same-mode and
    // SSBD without IBRS.
    for n in SPEC_ZEN2 {
        assert!(
            zen2.has(vmcompat::catalog::lookup(n).expect("catalog name"))
                && zen3.has(vmcompat::catalog::lookup(n).expect("catalog name")),
            "{n}"
        );
    }
    assert!(!zen2.has(id::AMD_IBRS) && zen3.has(id::AMD_IBRS));

    // Point 1: Zen 3 -> Zen 2 hides the Zen 3-only capabilities and nothing else.
    let (from, to) = direction(&fleet, 0);
    let plan = json_plan(&[p(&fleet), "--from", &from, "--to", &to]);
    let hide = set(&plan["plan"]["hide"]);
    let must = ids(&[
        "erms",
        "vaes",
        "vpclmulqdq",
        "fsrm",
        "invpcid",
        "pku",
        "shstk",
        "amd_ibrs",
    ]);
    assert!(
        must.is_subset(&hide),
        "not hidden: {:?}",
        must.difference(&hide).names()
    );
    let zen3_only = zen3.features.difference(&zen2.features);
    let allowed = zen3_only.union(&ids(&["invtsc"]));
    assert!(
        hide.is_subset(&allowed),
        "hidden although Zen 2 has it: {:?}",
        hide.difference(&allowed).names()
    );
    // ...and every capability only Zen 3 has (not firmware, floor or negative-sense)
    // is hidden.
    let capabilities: FeatureSet = zen3_only
        .iter()
        .filter(|id| catalog::by_id(*id).class == catalog::Class::Feature)
        .collect();
    assert!(
        capabilities.is_subset(&hide),
        "{:?}",
        capabilities.difference(&hide).names()
    );

    // Point 2: hiding IBRS leaves SSBD, STIBP, STIBP-always-on, IBRS-fast and
    // IBRS-same-mode visible, in the plan, in the printed VMX lines and in what the
    // guests see through them.
    for args in [
        vec![p(&fleet)],
        vec![p(&fleet), "--from", &from, "--to", &to],
    ] {
        let plan = json_plan(&args);
        let hide = set(&plan["plan"]["hide"]);
        assert!(
            hide.intersection(&ids(SPEC_ZEN2)).is_empty(),
            "{:?}",
            hide.names()
        );
        let (code, out, err) = mask(&args);
        assert!(code == 0 || code == 1, "{err}");
        let m = parse_vmx(&out, "mask output").expect("the printed mask reads back");
        for (host, l) in [("zen3", &zen3_leaves), ("zen2", &zen2_leaves)] {
            let g = guest(&m, l);
            assert!(
                ids(SPEC_ZEN2).is_subset(&g),
                "{host} guest lost a mitigation"
            );
            assert!(!g.contains(ids(&["amd_ibrs"]).iter().next().expect("one")));
        }
        // The CET XSAVE components follow SHSTK on AMD: guests agree on 0xD.1 ECX.
        let d1 = |l: &CpuLeaves| apply(&m, l).get_or_zero(0xd, 1).ecx & (3 << 11);
        assert_eq!(d1(&zen3_leaves), d1(&zen2_leaves), "CET components differ");
    }

    // Point 3: efer_lmsle_mbz is never hidden, and the answer names the direction
    // where it matters: Zen 2 (without it) -> Zen 3 (with it).
    assert!(zen3.has(id::EFER_LMSLE_MBZ) && !zen2.has(id::EFER_LMSLE_MBZ));
    for args in [
        vec![p(&fleet)],
        vec![p(&fleet), "--from", &from, "--to", &to],
        vec![p(&fleet), "--from", &to, "--to", &from],
    ] {
        let plan = json_plan(&args);
        assert!(!names(&plan["plan"]["hide"]).contains(&"efer_lmsle_mbz".to_string()));
    }
    let (_, out, _) = mask(&[p(&fleet)]);
    let flat = out.replace("\n#  ", "").replace("\n# ", " ");
    assert!(
        flat.contains("efer_lmsle_mbz") && flat.contains("a VM started on node-b"),
        "{out}"
    );
    assert!(flat.contains("must not move to node-a"), "{out}");

    // Point 4: every format that says "verified" can express every hidden feature;
    // the others name what they cannot hide and do not say "verified". QEMU and
    // libvirt write a named model: a hidden feature is left out of it, so a name
    // is never needed to hide one (tests/targets_tools.rs checks the model with
    // the installed QEMU and libvirt).
    for format in ["libvirt", "qemu"] {
        let (code, out, err) = mask(&[p(&fleet), "--format", format]);
        assert!(code == 0 || code == 1, "{format}: {err}");
        assert!(out.contains("verified:"), "{format}\n{out}");
        assert!(
            !out.contains("-cpu host") && !out.contains("host-model"),
            "{out}"
        );
        assert!(out.contains("EPYC-Rome"), "{format}: a named model\n{out}");
    }
    for format in ["vmx", "featmask", "json"] {
        let (code, out, err) = mask(&[p(&fleet), "--format", format]);
        assert!(code == 0 || code == 1, "{format}: {err}");
        let plan = json_plan(&[p(&fleet)]);
        let hidden = set(&plan["plan"]["hide"]);
        let unnamed: Vec<&str> = hidden
            .iter()
            .map(catalog::by_id)
            .filter(|d| match format {
                "libvirt" => d.libvirt_name().is_none(),
                "qemu" => d.qemu_name().is_none(),
                _ => false,
            })
            .map(|d| d.name)
            .collect();
        let claims = out.contains("verified:") || out.contains("\"verified\": true");
        if unnamed.is_empty() {
            assert!(claims, "{format}: not verified although expressible\n{out}");
        } else {
            assert!(
                !claims,
                "{format}: claims verified but cannot hide {unnamed:?}\n{out}"
            );
            assert!(out.contains("NOT verified"), "{format}\n{out}");
            for n in &unnamed {
                assert!(out.contains(n), "{format}: does not name {n}\n{out}");
            }
        }
        if matches!(format, "vmx" | "featmask") {
            // What the format expresses makes the guests agree.
            let m = parse_vmx(&out, "mask output").expect("reads back");
            let pending = set(&plan["plan"]["firmware_pending"]);
            assert_eq!(
                guest(&m, &zen3_leaves).difference(&pending),
                guest(&m, &zen2_leaves).difference(&pending),
                "{format}"
            );
        }
    }
}

const FLOOR_NAMED: &[&str] = &["lm", "nx", "pae", "apic", "tsc", "msr", "sse2"];
const FLOOR_LIST: &[&str] = &[
    "fpu", "tsc", "msr", "pae", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36",
    "clflush", "mmx", "fxsr", "sse", "sse2", "syscall", "nx", "lm",
];

#[test]
fn psabi_level_baselines_keep_the_floor_and_the_levels() {
    let Some(dir) = case("psabi-level-baseline") else {
        return;
    };
    let nodes: Vec<(CpuLeaves, Cpu)> = ["node-clx.txt", "node-icx.txt"]
        .iter()
        .map(|f| leaves(&dir.join(f)))
        .collect();
    for level in 2..=4u8 {
        let name = format!("x86-64-v{level}");
        let (code, out, err) = mask(&[p(&dir.join("fleet.toml")), "--baseline", &name]);
        assert!(code == 0 || code == 1, "{name}: exit {code}: {err}");
        assert!(out.contains("verified:"), "{name}: {out}");
        let m = parse_vmx(&out, "mask output").expect("reads back");
        let b = baselines::load(&name).expect("shipped");
        for (l, cpu) in &nodes {
            let g = guest(&m, l);
            // Point 1: the floor plus the psABI rows up to the level...
            assert!(ids(FLOOR_LIST).is_subset(&g), "{name}: floor lost");
            assert!(
                b.features.is_subset(&g),
                "{name}: {:?}",
                b.features.difference(&g).names()
            );
            for lower in 1..=level {
                assert!(catalog::psabi_level_features(lower).is_subset(&g));
            }
            // ...and what the level does not have is hidden.
            let above: FeatureSet = (level + 1..=4)
                .flat_map(|l| catalog::psabi_level_features(l).iter().collect::<Vec<_>>())
                .collect();
            assert!(
                g.intersection(&above).is_empty(),
                "{name} on {:?}: {:?}",
                cpu.brand,
                g.intersection(&above).names()
            );
            if level == 3 {
                assert!(!g.contains(ids(&["avx512f"]).iter().next().expect("one")));
            }
        }
        // Point 2: no printed mask hides lm nx pae apic tsc msr sse2.
        let hidden = vmcompat::mask::hidden_features(&m);
        assert!(hidden.intersection(&ids(FLOOR_NAMED)).is_empty(), "{name}");
    }
    let (_, out, _) = mask(&[p(&dir.join("fleet.toml"))]);
    let m = parse_vmx(&out, "mask output").expect("reads back");
    assert!(vmcompat::mask::hidden_features(&m)
        .intersection(&ids(FLOOR_NAMED))
        .is_empty());

    // Point 2, refusal: a baseline that would hide floor features is refused with
    // the reason, never printed.
    let mut bad = baselines::load("x86-64-v3").expect("shipped");
    bad.name = "x86-64-v3-without-long-mode".into();
    bad.features = bad.features.difference(&ids(&["lm", "nx", "pae"]));
    let hosts: Vec<FleetHost> = nodes
        .iter()
        .enumerate()
        .map(|(i, (_, cpu))| FleetHost {
            name: format!("node{i}"),
            cluster: None,
            cpu: cpu.clone(),
        })
        .collect();
    let a = analyze(&hosts, Policy::Evc);
    let labels: Vec<String> = a.groups.iter().map(|g| g.label.clone()).collect();
    match maskplan::for_baseline(&a, &hosts, &labels, &bad, MaskOptions::default()) {
        Err(e @ PlanError::HidesFloor { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("refused") && msg.contains("lm"), "{msg}");
        }
        other => panic!("not refused: {other:?}"),
    }

    // Point 3: the Broadwell dump's SYSCALL=0 quirk is no internal error.
    let with_bdw = dir.join("fleet-with-broadwell.toml");
    for level in 2..=4 {
        let name = format!("x86-64-v{level}");
        let (code, out, err) = mask(&[p(&with_bdw), "--baseline", &name]);
        assert!(code == 0 || code == 1, "{name}: exit {code}: {err}");
        assert!(!err.contains("internal"), "{err}");
        let m = parse_vmx(&out, "mask output").expect("reads back");
        let (bdw, _) = leaves(&dir.join("node-bdw-32bit-dump.txt"));
        assert!(guest(&m, &bdw).contains(ids(&["syscall"]).iter().next().expect("one")));
    }

    // Issue 10, item 3, on this fleet: the Broadwell runs older microcode (no
    // md_clear, spec_ctrl, ...). The mitigations stay visible, the host to update
    // is named with what the update brings; only on request are they hidden, with
    // a warning naming the lost protections.
    let plan = json_plan(&[p(&with_bdw)]);
    let pending = set(&plan["plan"]["firmware_pending"]);
    assert!(
        ids(&["md_clear", "spec_ctrl"]).is_subset(&pending),
        "{:?}",
        pending.names()
    );
    assert!(set(&plan["plan"]["hide"]).intersection(&pending).is_empty());
    let (code, out, _) = mask(&[p(&with_bdw)]);
    assert_eq!(code, 1, "a mask waiting on an update is a finding");
    let flat = out.replace("\n#   ", " ").replace("\n# ", " ");
    assert!(flat.contains("update needed on pve-bdw"), "{out}");
    assert!(flat.contains("md_clear (VERW clears CPU buffers"), "{out}");
    let (code, out, _) = mask(&[p(&with_bdw), "--hide-firmware-features"]);
    assert!(code == 0 || code == 1);
    let m = parse_vmx(&out, "mask output").expect("reads back");
    assert!(vmcompat::mask::hidden_features(&m)
        .contains(ids(&["md_clear"]).iter().next().expect("one")));
    let flat = out.replace("\n#   ", " ").replace("\n# ", " ");
    assert!(
        flat.contains("WARNING: --hide-firmware-features") && flat.contains("md_clear"),
        "{out}"
    );
}

#[test]
fn proc_cpuinfo_cluster_reads_back_to_cpuid_features() {
    let Some(dir) = case("proc-cpuinfo-cluster") else {
        return;
    };
    let fleet = dir.join("fleet.toml");
    let (_, pve1) = leaves(&dir.join("pve1-cpuinfo.txt"));
    let (_, pve3) = leaves(&dir.join("pve3-cpuinfo.txt"));
    assert!(pve1.completeness.is_partial());
    // Point 1: the Cascade Lake nodes reach intel-cascadelake, as a CPUID dump of
    // a Cascade Lake does (the psabi case's node-clx), not intel-broadwell.
    let reached = baselines::highest_for(pve1.vendor, &pve1.features).map(|b| b.name.clone());
    assert_eq!(reached.as_deref(), Some("intel-cascadelake"));
    if let Some(other) = case("psabi-level-baseline") {
        let (_, clx) = leaves(&other.join("node-clx.txt"));
        let from_dump = baselines::highest_for(clx.vendor, &clx.features).map(|b| b.name.clone());
        assert_eq!(from_dump, reached);
    }
    for n in ["spec_ctrl", "intel_stibp", "spec_ctrl_ssbd"] {
        assert!(
            pve1.has(vmcompat::catalog::lookup(n).expect("catalog name")),
            "{n} lost in cpuinfo"
        );
    }
    let o = vmcompat(&["report", "--dump", p(&dir.join("pve1-cpuinfo.txt"))]);
    let (out, err) = text(&o);
    assert!(
        out.contains("intel-cascadelake") && !out.contains("intel-broadwell"),
        "{out}{err}"
    );

    // Point 2: common level x86-64-v4 with AVX-512 kept; Ice Lake -> Cascade Lake
    // hides the Ice Lake additions, Cascade Lake -> Ice Lake hides mpx.
    let plan = json_plan(&[p(&fleet)]);
    let guest_all = set(&plan["plan"]["guest"]);
    assert!(catalog::psabi_level_features(4).is_subset(&guest_all));
    assert_eq!(
        baselines::highest_level(&guest_all).map(|b| b.name.as_str()),
        Some("x86-64-v4")
    );
    let (from, to) = direction(&fleet, 2);
    let icx_to_clx = json_plan(&[p(&fleet), "--from", &from, "--to", &to]);
    let requested = set(&icx_to_clx["plan"]["requested"]);
    // What VMware guests see (the default target for dumps is vsphere):
    // `targets/vsphere.toml` drops bits VMware never shows guests (PCONFIG, ...).
    let seen = |f: &catalog::FeatureSet| {
        vmcompat::shipped::targets::view(
            vmcompat::shipped::targets::Hypervisor::Vsphere,
            f,
            &|_, _| true,
        )
    };
    let additions = seen(&pve3.features)
        .difference(&seen(&pve1.features))
        .intersection(catalog::compared_classes());
    assert!(!additions.is_empty());
    assert_eq!(requested.names(), additions.names(), "Ice Lake additions");
    let clx_to_icx = json_plan(&[p(&fleet), "--from", &to, "--to", &from]);
    assert_eq!(names(&clx_to_icx["plan"]["requested"]), ["mpx"]);
    let hide = set(&clx_to_icx["plan"]["hide"]);
    assert!(
        hide.difference(&ids(&["invtsc"])) == ids(&["mpx"]),
        "{:?}",
        hide.names()
    );

    // Point 3 (partial data): the answer says which conclusions rest on cpuinfo.
    let (_, out, _) = mask(&[p(&fleet)]);
    assert!(
        out.contains("/proc/cpuinfo") && out.contains("pve1"),
        "{out}"
    );
}

#[test]
fn cascadelake_icelake_mpx() {
    let Some(dir) = case("cascadelake-icelake-mpx") else {
        return;
    };
    let fleet = dir.join("fleet.toml");
    let (clx_leaves, clx) = leaves(&dir.join("compute-clx.txt"));
    let (icx_leaves, icx) = leaves(&dir.join("compute-icx.txt"));
    // Point 1: Cascade Lake -> Ice Lake is blocked only by mpx, hidden with its
    // XSAVE components 3 and 4 (BNDREGS, BNDCSR).
    let (from, to) = direction(&fleet, 0);
    let plan = json_plan(&[p(&fleet), "--from", &from, "--to", &to]);
    assert_eq!(names(&plan["plan"]["requested"]), ["mpx"]);
    let (code, out, err) = mask(&[p(&fleet), "--from", &from, "--to", &to]);
    assert!(code == 0 || code == 1, "{err}");
    let m = parse_vmx(&out, "mask output").expect("reads back");
    let g = apply(&m, &clx_leaves);
    assert_eq!(g.get_or_zero(7, 0).ebx & (1 << 14), 0, "mpx visible");
    assert_eq!(
        g.get_or_zero(0xd, 0).eax & (3 << 3),
        0,
        "BNDREGS/BNDCSR visible"
    );
    assert_ne!(clx_leaves.get_or_zero(0xd, 0).eax & (3 << 3), 0);
    assert!(guest(&m, &clx_leaves).is_subset(&icx.features));

    // Point 2: intel-cascadelake follows a libvirt model exactly (tests/baselines.rs
    // checks every baseline), one the Ice Lake nodes can run: not one with mpx.
    let b = baselines::load("intel-cascadelake").expect("shipped");
    assert!(
        b.follows.starts_with("libvirt Cascadelake-Server"),
        "{}",
        b.follows
    );
    assert!(!b
        .features
        .contains(ids(&["mpx"]).iter().next().expect("one")));
    assert!(baselines::qualifies(&icx.features, icx.vendor, &b));
    assert!(baselines::qualifies(&clx.features, clx.vendor, &b));
    let rows = common::read_tsv(
        &common::shared_dir()
            .expect("shared")
            .join("reference/libvirt_x86_models.tsv"),
    );
    let model = b.follows.trim_start_matches("libvirt ");
    let row = rows
        .iter()
        .find(|r| r["model"] == model)
        .expect("model in the reference");
    assert!(!row["features(resolved)"]
        .split_whitespace()
        .any(|f| f == "mpx"));

    // Point 3: --baseline intel-cascadelake keeps the mitigation bits every node has.
    let (code, out, err) = mask(&[p(&fleet), "--baseline", "intel-cascadelake"]);
    assert!(code == 0 || code == 1, "{err}");
    let m = parse_vmx(&out, "mask output").expect("reads back");
    let mitigations: FeatureSet = ids(&[
        "md_clear",
        "intel_stibp",
        "flush_l1d",
        "arch_capabilities",
        "spec_ctrl",
        "spec_ctrl_ssbd",
    ]);
    for (l, cpu) in [(&clx_leaves, &clx), (&icx_leaves, &icx)] {
        let all_have = mitigations
            .intersection(&clx.features)
            .intersection(&icx.features);
        assert_eq!(all_have, mitigations, "premise");
        assert!(mitigations.is_subset(&guest(&m, l)), "{:?}", cpu.brand);
    }
}

#[test]
fn report_names_the_next_higher_baseline() {
    let Some(dir) = case("zen3-to-zen2-mitigations") else {
        return;
    };
    for f in ["node-zen3.txt", "node-zen2.txt"] {
        let (_, cpu) = leaves(&dir.join(f));
        let reached = baselines::highest_for(cpu.vendor, &cpu.features).map_or(0, |b| b.rank);
        if let Some((next, _)) = baselines::next_for(cpu.vendor, &cpu.features) {
            assert!(next.rank > reached, "{f}: next {} is not higher", next.name);
        }
        // VT-x/AMD-V is a host requirement, not a baseline feature: without SVM the
        // Zen 3 still reaches the same baseline.
        let mut no_svm = cpu.features;
        no_svm.remove(ids(&["svm"]).iter().next().expect("one"));
        assert_eq!(
            baselines::highest_for(cpu.vendor, &no_svm).map(|b| &b.name),
            baselines::highest_for(cpu.vendor, &cpu.features).map(|b| &b.name),
            "{f}"
        );
    }
}
