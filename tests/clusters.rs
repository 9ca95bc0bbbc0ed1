//! Issue 13: clusters are the unit. Per-cluster verdicts and settings (EVC mode,
//! QEMU/libvirt model, Proxmox CPU type), guest OS floors, stable group names,
//! `check` with model names, EVC keys and `--require FEATURE`, and the shared
//! cases proc-cpuinfo-cluster and cascadelake-icelake-mpx.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .output()
        .expect("run vmcompat")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{}", text(o)))
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/fleet.toml")
        .display()
        .to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-clusters-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fleet file of (host, cluster, profile); `extra` goes into `[fleet]`.
fn fleet(dir: &Path, file: &str, extra: &str, hosts: &[(&str, &str, &str)]) -> String {
    let mut s = format!("[fleet]\nname = \"t\"\n{extra}\n");
    for (name, cluster, profile) in hosts {
        s.push_str(&format!(
            "[[host]]\nname = \"{name}\"\ncluster = \"{cluster}\"\nprofile = \"{profile}\"\n"
        ));
    }
    let path = dir.join(file);
    std::fs::write(&path, s).expect("write fleet");
    path.display().to_string()
}

/// The setting entry of one cluster in `audit --format json`.
fn setting<'a>(v: &'a Value, cluster: &str) -> &'a Value {
    v["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["cluster"] == cluster)
        .unwrap_or_else(|| panic!("no setting for cluster {cluster}: {v}"))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn example_fleet_is_ready_with_one_setting_per_cluster() {
    let o = vmcompat(&["audit", &example(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    let settings = v["settings"].as_array().expect("settings");
    assert_eq!(settings.len(), 2, "one setting per cluster: {settings:?}");
    // Checked by hand against the profiles: the Ivy Bridge host holds "prod" at
    // Ivy Bridge; the Zen 2 host holds "analytics" at Zen 2.
    let prod = setting(&v, "prod");
    assert_eq!(prod["evc"]["name"], "intel-ivybridge");
    assert_eq!(prod["model"]["name"], "IvyBridge-v2");
    assert!(prod["proxmox"]["name"].as_str().is_some());
    let analytics = setting(&v, "analytics");
    assert_eq!(analytics["evc"]["name"], "amd-zen2");
    // The Zen 2 model of QEMU 7.2 (Debian 12's; EPYC-Rome-v3/v4 came later).
    assert!(
        analytics["model"]["name"]
            .as_str()
            .is_some_and(|m| m.starts_with("EPYC-Rome-v")),
        "{analytics}"
    );
    // Groups never span clusters.
    for g in v["cpu"]["groups"].as_array().unwrap() {
        let cluster = g["cluster"].as_str().unwrap();
        assert!(g["label"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{cluster}/")));
        for h in g["hosts"].as_array().unwrap() {
            assert_eq!(v["hosts"][h.as_u64().unwrap() as usize]["cluster"], cluster);
        }
    }
    // The table says it per cluster; the vendor difference is information.
    let t = flat(&text(&vmcompat(&["audit", &example()])));
    assert!(
        t.contains(
            "Verdict for cluster prod: ready with EVC mode intel-ivybridge / model IvyBridge-v2"
        ),
        "{t}"
    );
    assert!(
        t.contains("Verdict for cluster analytics: ready with EVC mode amd-zen2"),
        "{t}"
    );
    assert!(
        t.contains("analytics <-> prod: the vendor differs: cold migration only"),
        "{t}"
    );
    // Checks that did not run are "not checked", never "passed".
    assert!(t.contains("storage/network: not checked"), "{t}");
    assert!(t.contains("VM readiness: not checked"), "{t}");
    assert!(!t.contains("passed"), "{t}");
    // The weakest set: only esx-prod-05 stands between prod and intel-haswell.
    let next = &prod["next"];
    assert_eq!(next["baseline"], "intel-haswell");
    let blockers = next["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1);
    assert_eq!(
        v["hosts"][blockers[0]["host"].as_u64().unwrap() as usize]["name"],
        "esx-prod-05"
    );
    assert!(names(&next["gain"]).contains(&"avx2".to_string()));
}

#[test]
fn two_intel_clusters_get_two_baselines_and_cluster_restricts() {
    let dir = temp_dir("two");
    let f = fleet(
        &dir,
        "f.toml",
        "",
        &[
            ("old-1", "legacy", "xeon-e5-2600-v3"),
            ("old-2", "legacy", "xeon-e5-2600-v3"),
            ("new-1", "modern", "xeon-scalable-4th-gen"),
            ("new-2", "modern", "xeon-scalable-5th-gen"),
        ],
    );
    let o = vmcompat(&["audit", &f, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    let legacy = setting(&v, "legacy")["evc"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let modern = setting(&v, "modern")["evc"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(legacy, "intel-haswell");
    assert_eq!(modern, "intel-sapphirerapids");
    // --cluster restricts every command to one cluster.
    let o = vmcompat(&["audit", &f, "--cluster", "modern", "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 2);
    assert_eq!(v["settings"].as_array().unwrap().len(), 1);
    let m = vmcompat(&["mask", &f, "--cluster", "legacy"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    assert!(text(&m).contains("legacy/haswell") && !text(&m).contains("modern/"));
    let bad = vmcompat(&["audit", &f, "--cluster", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("legacy, modern"), "{}", text(&bad));
    // One mask per cluster by default.
    let m = vmcompat(&["mask", &f]);
    let t = text(&m);
    assert_eq!(t.matches("# vmcompat mask for").count(), 2, "{t}");
}

#[test]
fn two_vendors_in_one_cluster_are_not_ready() {
    let dir = temp_dir("mixed");
    let f = fleet(
        &dir,
        "f.toml",
        "",
        &[("i", "c", "xeon-e5-2600-v3"), ("a", "c", "epyc-7002")],
    );
    let o = vmcompat(&["audit", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o)
            .contains("Verdict for cluster c: NOT ready: hosts of Intel and AMD in one cluster"),
        "{}",
        text(&o)
    );
}

/// (label, member host names) of every group.
fn groups(f: &str) -> BTreeSet<(String, Vec<String>)> {
    let v = json(&vmcompat(&["audit", f, "--format", "json"]));
    v["cpu"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let mut hosts: Vec<String> = g["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    v["hosts"][h.as_u64().unwrap() as usize]["name"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            hosts.sort();
            (g["label"].as_str().unwrap().to_string(), hosts)
        })
        .collect()
}

#[test]
fn group_names_do_not_depend_on_host_order() {
    let dir = temp_dir("order");
    let hosts = [
        ("a", "prod", "xeon-e5-2600-v3"),
        ("b", "prod", "xeon-e5-2600-v4"),
        ("c", "prod", "xeon-scalable-2nd-gen"),
        ("d", "prod", "xeon-e5-2600-v2"),
        ("e", "prod", "xeon-e5-2600-v3"),
        ("f", "dev", "epyc-7002"),
        ("g", "dev", "epyc-7003"),
        ("h", "", "xeon-5600"),
    ];
    let first = groups(&fleet(&dir, "0.toml", "", &hosts));
    let labels: Vec<&String> = first.iter().map(|(l, _)| l).collect();
    let unique: BTreeSet<&String> = labels.iter().copied().collect();
    assert_eq!(labels.len(), unique.len(), "labels repeat: {labels:?}");
    assert!(first
        .iter()
        .any(|(l, h)| l == "prod/haswell" && h == &["a", "e"]));
    let mut shuffled = hosts;
    for (i, rot) in [3usize, 5, 7].iter().enumerate() {
        shuffled.rotate_left(*rot);
        shuffled.swap(0, 4);
        let again = groups(&fleet(&dir, &format!("{}.toml", i + 1), "", &shuffled));
        assert_eq!(first, again, "host order {shuffled:?}");
    }
    // --groups takes the names.
    let f = fleet(&dir, "m.toml", "", &hosts);
    let m = vmcompat(&["mask", &f, "--groups", "prod/haswell,prod/ivybridge"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    assert!(
        text(&m).contains("prod/haswell, prod/ivybridge"),
        "{}",
        text(&m)
    );
}

#[test]
fn groups_that_reach_the_same_baseline_get_distinct_names() {
    use vmcompat::analysis::fleet::{analyze, FleetHost};
    use vmcompat::model::policy::Policy;
    let cpu = |p: &str| {
        vmcompat::decode::decode_dump(&vmcompat::shipped::profiles::load(p).unwrap()).unwrap()
    };
    let a = cpu("xeon-e5-2600-v3");
    let mut b = a.clone();
    // A bit no baseline lists: both still reach intel-haswell, as two groups.
    let id = vmcompat::catalog::lookup("pdcm").unwrap();
    assert!(b.features.contains(id));
    b.features.remove(id);
    let host = |n: &str, c: &vmcompat::decode::Cpu| FleetHost {
        name: n.into(),
        cluster: Some("x".into()),
        cpu: c.clone(),
    };
    let one = analyze(&[host("a", &a), host("b", &b)], Policy::Evc);
    let two = analyze(&[host("b", &b), host("a", &a)], Policy::Evc);
    let labels = |r: &vmcompat::analysis::fleet::FleetAnalysis| {
        let mut l: Vec<String> = r.groups.iter().map(|g| g.label.clone()).collect();
        l.sort();
        l
    };
    let l1 = labels(&one);
    assert_eq!(l1.len(), 2);
    assert_ne!(l1[0], l1[1]);
    assert!(l1.iter().all(|l| l.starts_with("x/haswell~")), "{l1:?}");
    assert_eq!(l1, labels(&two));
}

#[test]
fn esx3_group_names_say_only_the_esx3_attributes() {
    let dir = temp_dir("esx3");
    let f = fleet(
        &dir,
        "f.toml",
        "policy = \"esx3\"",
        &[("a", "c", "xeon-e5-2600-v3"), ("b", "c", "xeon-e5-2600-v2")],
    );
    let v = json(&vmcompat(&["audit", &f, "--format", "json"]));
    let gs = v["cpu"]["groups"].as_array().unwrap();
    assert_eq!(gs.len(), 1);
    let name = gs[0]["name"].as_str().unwrap();
    assert_eq!(name, "Intel family 0x6: SSE3 yes, NX/XD yes, VT-x yes");
    assert!(!name.contains("SSE4.2") && !name.contains("AVX"), "{name}");
    assert_eq!(gs[0]["label"], "c/intel-f6-sse3-nx-vt");
    // No EVC mode or model is derived from the three ESX 3 attributes.
    let t = text(&vmcompat(&["audit", &f]));
    assert!(
        t.contains("Verdict for cluster c: ready under the ESX 3 rules"),
        "{t}"
    );
    assert!(t.contains("run with --policy evc for"), "{t}");
    assert!(!t.contains("EVC mode:") && !t.contains("SSE4.2"), "{t}");
}

#[test]
fn an_old_evc_mode_names_the_guests_it_breaks() {
    let dir = temp_dir("guests");
    // A K10 Opteron (Barcelona) beside a Zen 2 (no 3DNow!) holds the cluster at
    // VMware's amd-greyhound-no3dnow: no SSSE3, no SSE4.1/4.2. (An Intel Core 2 host cannot join a modern Intel cluster at
    // all: it lacks invariant TSC, which must match.)
    let f = fleet(
        &dir,
        "f.toml",
        "",
        &[("old", "c", "opteron-2300"), ("new", "c", "epyc-7002")],
    );
    let v = json(&vmcompat(&["audit", &f, "--format", "json"]));
    let s = setting(&v, "c");
    assert_eq!(s["evc"]["name"], "amd-greyhound-no3dnow");
    let broken: Vec<String> = s["evc"]["guests_broken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["guest"].as_str().unwrap().to_string())
        .collect();
    for g in [
        "rhel9",
        "rhel10",
        "windows-server-2025",
        "windows11-24h2",
        "sles16",
    ] {
        assert!(broken.contains(&g.to_string()), "{g} not in {broken:?}");
    }
    for g in ["rhel8", "debian12", "sles15"] {
        assert!(!broken.contains(&g.to_string()), "{g} in {broken:?}");
    }
    let t = text(&vmcompat(&["audit", &f]));
    assert!(t.contains("BREAKS guest Windows Server 2025: lacks"), "{t}");
    assert!(t.contains("BREAKS guest Red Hat Enterprise Linux 9"), "{t}");
    // --guest narrows the list; the fleet file's `guests` does the same.
    let only = json(&vmcompat(&[
        "audit",
        &f,
        "--guest",
        "rhel8,debian12",
        "--format",
        "json",
    ]));
    assert_eq!(
        setting(&only, "c")["evc"]["guests_broken"],
        Value::Array(vec![])
    );
    let keyed = fleet(
        &dir,
        "g.toml",
        "guests = [\"windows-server-2025\"]",
        &[("old", "c", "opteron-2300"), ("new", "c", "epyc-7002")],
    );
    let k = json(&vmcompat(&["audit", &keyed, "--format", "json"]));
    assert_eq!(k["guests"], serde_json::json!(["windows-server-2025"]));
    assert_eq!(
        setting(&k, "c")["evc"]["guests_broken"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Every mask says which guests it breaks.
    let m = text(&vmcompat(&["mask", &f]));
    assert!(
        m.contains("# guests that would NOT boot or install under this mask:"),
        "{m}"
    );
    assert!(m.contains("Windows Server 2025 (lacks"), "{m}");
    let l = text(&vmcompat(&[
        "mask", &f, "--format", "libvirt", "--guest", "rhel9",
    ]));
    assert!(l.contains("<!-- guests that would NOT boot"), "{l}");
    // An unknown guest is bad input.
    let bad = vmcompat(&["audit", &f, "--guest", "os2-warp"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("unknown guest \"os2-warp\""),
        "{}",
        text(&bad)
    );
}

#[test]
fn check_takes_models_evc_keys_and_feature_requirements() {
    let dir = temp_dir("check");
    let f = fleet(
        &dir,
        "f.toml",
        "",
        &[
            ("a", "hpc", "xeon-scalable-2nd-gen"),
            ("b", "hpc", "xeon-scalable-2nd-gen"),
            ("c", "web", "xeon-e5-2600-v3"),
        ],
    );
    // A QEMU/libvirt model name and an EVC key are candidates like hosts.
    for cand in [
        "Icelake-Server-v7",
        "intel-icelake",
        "Cascadelake-Server-v5",
    ] {
        let o = vmcompat(&[
            "check",
            &f,
            "--cluster",
            "hpc",
            "--candidate",
            cand,
            "--format",
            "json",
        ]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{cand}: {}",
            text(&o)
        );
        let v = json(&o);
        assert_eq!(v[0]["cluster"], "hpc");
        assert_eq!(v[0]["candidate"], cand);
        // A host of that class can migrate both ways with a mask, never "no".
        for d in v[0]["directions"].as_array().unwrap() {
            assert_ne!(d["onto_candidate"]["verdict"], "no", "{cand}: {d}");
            assert_ne!(d["from_candidate"]["verdict"], "no", "{cand}: {d}");
        }
    }
    // A profile identical to the cluster's hosts joins their group: exit 0.
    let o = vmcompat(&[
        "check",
        &f,
        "--cluster",
        "web",
        "--candidate",
        "xeon-e5-2600-v3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("joins existing group web/haswell"),
        "{}",
        text(&o)
    );
    // Unknown names are bad input.
    let o = vmcompat(&["check", &f, "--candidate", "Pentium-Pro"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("EVC mode key"), "{}", text(&o));
    // --require FEATURE: which candidate keeps AVX-512 in cluster hpc?
    let o = vmcompat(&[
        "check",
        &f,
        "--cluster",
        "hpc",
        "--candidate",
        "xeon-scalable-3rd-gen",
        "--candidate",
        "xeon-e5-2600-v4",
        "--require",
        "avx512f",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("Answer: only xeon-scalable-3rd-gen keeps avx512f in cluster hpc."),
        "{t}"
    );
    assert!(
        t.contains("xeon-e5-2600-v4 does not: the candidate lacks avx512f"),
        "{t}"
    );
    // A cluster without AVX-512 cannot keep it, whatever the candidate.
    let o = vmcompat(&[
        "check",
        &f,
        "--cluster",
        "web",
        "--candidate",
        "xeon-scalable-3rd-gen",
        "--require",
        "avx512f",
    ]);
    let t = text(&o);
    assert!(
        t.contains("Answer: no candidate keeps avx512f in cluster web."),
        "{t}"
    );
    assert!(t.contains("host(s) c lack avx512f"), "{t}");
    // A QEMU spelling of a feature works too; nonsense is bad input.
    let o = vmcompat(&[
        "check",
        &f,
        "--cluster",
        "hpc",
        "--candidate",
        "intel-icelake",
        "--require",
        "avx512-vnni",
    ]);
    assert!(
        text(&o).contains("keeps avx512_vnni in cluster hpc"),
        "{}",
        text(&o)
    );
    let o = vmcompat(&[
        "check",
        &f,
        "--candidate",
        "intel-icelake",
        "--require",
        "warp-drive",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // The EVC mode a candidate would bring the cluster to, said plainly.
    let o = vmcompat(&["check", &example(), "--candidate", "xeon-e5-2600"]);
    assert!(
        text(&o)
            .contains("the cluster's EVC mode would change: intel-ivybridge -> intel-sandybridge"),
        "{}",
        text(&o)
    );
    let o = vmcompat(&["check", &example(), "--candidate", "xeon-e5-2600-v3"]);
    assert!(
        text(&o).contains("the cluster's EVC mode stays intel-ivybridge"),
        "{}",
        text(&o)
    );
    // Without --cluster a candidate is judged for each cluster of its vendor.
    let v = json(&vmcompat(&[
        "check",
        &f,
        "--candidate",
        "xeon-e5-2600-v3",
        "--format",
        "json",
    ]));
    let clusters: BTreeSet<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(clusters, BTreeSet::from(["hpc", "web"]));
}

/// libvirt's model features (CPUID ones: `vmx-*` are MSR-based) from the shared
/// reference, as catalog ids.
fn libvirt_model(shared: &Path, model: &str) -> Option<Vec<vmcompat::catalog::FeatureId>> {
    let rows = common::read_tsv(&shared.join("reference/libvirt_x86_models.tsv"));
    let row = rows
        .iter()
        .find(|r| r.get("model").map(String::as_str) == Some(model))?;
    Some(
        row.get("features(resolved)")?
            .split_whitespace()
            .filter(|f| !f.starts_with("vmx-"))
            .filter_map(vmcompat::catalog::lookup)
            .filter(|id| vmcompat::catalog::by_id(*id).class.is_compared())
            .collect(),
    )
}

/// The QEMU/libvirt setting named for a case's cluster holds only features every
/// node has (the model's own, plus the added flags, minus the removed ones).
fn model_runs_on_every_node(case: &str, cluster: &str) -> (String, Value) {
    let shared = common::shared_dir().expect("../shared");
    let f = shared.join("cases").join(case).join("fleet.toml");
    let o = vmcompat(&["audit", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    let s = setting(&v, cluster).clone();
    let model = s["model"]["name"]
        .as_str()
        .expect("a model is named")
        .to_string();
    let mut features: BTreeSet<String> = libvirt_model(&shared, &model)
        .unwrap_or_else(|| panic!("{model} is not a libvirt model"))
        .into_iter()
        .map(|id| vmcompat::catalog::by_id(id).name.to_string())
        .collect();
    for flag in names(&s["model"]["flags"]) {
        let name = vmcompat::catalog::by_id(vmcompat::catalog::lookup(&flag[1..]).unwrap()).name;
        if flag.starts_with('+') {
            features.insert(name.to_string());
        } else {
            features.remove(name);
        }
    }
    let common: BTreeSet<String> = names(&s["common"]).into_iter().collect();
    let missing: Vec<&String> = features.difference(&common).collect();
    assert!(
        missing.is_empty(),
        "{case}: {model} {:?} gives VMs {missing:?}, which some node lacks",
        s["model"]["flags"]
    );
    (model, v)
}

#[test]
fn case_cascadelake_icelake_mpx_names_a_model_the_ice_lake_nodes_run() {
    if common::shared_dir().is_none() {
        return;
    }
    let (model, v) = model_runs_on_every_node("cascadelake-icelake-mpx", "cell1");
    let s = setting(&v, "cell1");
    // The setting per target: EVC mode, a libvirt/QEMU model, a Proxmox type.
    assert_eq!(s["evc"]["name"], "intel-cascadelake");
    assert!(model.starts_with("Cascadelake-Server"), "{model}");
    assert!(s["proxmox"]["config"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    // Cascade Lake -> Ice Lake is blocked only by mpx.
    let groups = v["cpu"]["groups"].as_array().unwrap();
    let idx = |l: &str| groups.iter().position(|g| g["label"] == l).unwrap();
    let (clx, icx) = (idx("cell1/cascadelake"), idx("cell1/icelake"));
    assert_eq!(
        v["cpu"]["matrix"][clx][icx]["missing"],
        serde_json::json!(["mpx"])
    );
    assert_eq!(v["cpu"]["matrix"][icx][clx]["verdict"], "with-mask");
}

/// EXPECTED.md, third point: `--baseline intel-cascadelake` keeps the mitigation
/// bits every node has.
#[test]
fn case_cascadelake_icelake_mpx_baseline_keeps_mitigations() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let f = shared.join("cases/cascadelake-icelake-mpx/fleet.toml");
    let o = vmcompat(&[
        "mask",
        f.to_str().unwrap(),
        "--baseline",
        "intel-cascadelake",
        "--format",
        "json",
    ]);
    let doc = json(&o);
    let v = &doc[0];
    let guest = names(&v["plan"]["guest"]);
    for f in ["md_clear", "intel_stibp", "flush_l1d", "arch_capabilities"] {
        assert!(guest.contains(&f.to_string()), "{f} hidden: {v}");
    }
}

#[test]
fn case_proc_cpuinfo_cluster_names_the_setting_and_the_partial_data() {
    if common::shared_dir().is_none() {
        return;
    }
    let (model, v) = model_runs_on_every_node("proc-cpuinfo-cluster", "pve");
    let s = setting(&v, "pve");
    // Every node is partial (/proc/cpuinfo), and the answer says so.
    assert_eq!(s["partial_hosts"].as_array().unwrap().len(), 3);
    let shared = common::shared_dir().unwrap();
    let f = shared.join("cases/proc-cpuinfo-cluster/fleet.toml");
    let t = flat(&text(&vmcompat(&["audit", f.to_str().unwrap()])));
    assert!(t.contains("partial data: "), "{t}");
    assert!(t.contains("(rests on partial CPUID of some hosts)"), "{t}");
    assert!(t.contains(&format!("QEMU/libvirt model: {model}")), "{t}");
    assert!(t.contains("Proxmox VE CPU type: "), "{t}");
    // AVX-512 is kept: the common level is x86-64-v4.
    assert!(names(&s["common"]).contains(&"avx512f".to_string()));
}

/// EXPECTED.md, first point: the Cascade Lake nodes read from cpuinfo reach
/// intel-cascadelake, like a CPUID dump of the same CPU.
#[test]
fn case_proc_cpuinfo_cluster_reaches_cascadelake() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let f = shared.join("cases/proc-cpuinfo-cluster/fleet.toml");
    let v = json(&vmcompat(&[
        "audit",
        f.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let s = setting(&v, "pve");
    assert_eq!(s["evc"]["name"], "intel-cascadelake");
    let rows = v["hosts"].as_array().unwrap();
    for h in rows.iter().filter(|h| h["name"] != "pve3") {
        assert_eq!(h["baseline"], "intel-cascadelake", "{h}");
    }
}

/// The raw feature names of a shipped data file (`profiles/X.toml`, `masks/X.toml`).
fn data_features(dir: &str, name: &str) -> (String, BTreeSet<String>, u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join(format!("{name}.toml"));
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let features = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let vendor = v
        .get("vendor")
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string();
    let rank = v.get("rank").and_then(|x| x.as_integer()).unwrap_or(0) as u64;
    (vendor, features, rank)
}

/// The text with every run of whitespace made one space (the output wraps at
/// the terminal's width).
fn flat(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn compared(name: &str) -> bool {
    vmcompat::catalog::lookup(name)
        .is_some_and(|id| vmcompat::catalog::by_id(id).class.is_compared())
}

/// A new user's fleet of three clusters, each answer checked against the hosts'
/// feature lists as the shipped files give them (not through the analysis).
#[test]
fn three_clusters_checked_by_hand_against_the_host_features() {
    let dir = temp_dir("three");
    let clusters: [(&str, [&str; 2]); 3] = [
        ("same", ["xeon-e5-2600-v3", "xeon-e5-2600-v3"]),
        ("intel", ["xeon-scalable-2nd-gen", "xeon-scalable-3rd-gen"]),
        ("amd", ["epyc-7003", "epyc-9004"]),
    ];
    let mut hosts = Vec::new();
    let host_names: Vec<String> = (0..6).map(|i| format!("h{i}")).collect();
    for (i, (c, ps)) in clusters.iter().enumerate() {
        for (j, p) in ps.iter().enumerate() {
            hosts.push((host_names[i * 2 + j].as_str(), *c, *p));
        }
    }
    let f = fleet(&dir, "f.toml", "", &hosts);
    let o = vmcompat(&["audit", &f, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    let masks_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("masks");
    let baselines: Vec<(String, String, BTreeSet<String>, u64)> = std::fs::read_dir(&masks_dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.path().file_stem()?.to_string_lossy().into_owned();
            let (vendor, features, rank) = data_features("masks", &name);
            (!vendor.is_empty()).then_some((name, vendor, features, rank))
        })
        .collect();
    let universe: BTreeSet<String> = baselines.iter().flat_map(|b| b.2.iter().cloned()).collect();
    // VMware's own EVC modes (evc/): the vSphere setting follows them.
    let evc_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("evc");
    let modes: Vec<(String, String, BTreeSet<String>, u64)> = std::fs::read_dir(&evc_dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.path().file_stem()?.to_string_lossy().into_owned();
            let (vendor, features, rank) = data_features("evc", &name);
            Some((name, vendor, features, rank))
        })
        .collect();
    for (cluster, profiles) in clusters {
        let (vendor, a, _) = data_features("profiles", profiles[0]);
        let (_, b, _) = data_features("profiles", profiles[1]);
        // As VMware guests see them (the default target for profiles is vsphere:
        // targets/vsphere.toml drops bits VMware never shows, such as PDCM).
        let hidden_by_vmware =
            vmcompat::shipped::targets::facts(vmcompat::shipped::targets::Hypervisor::Vsphere)
                .not_exposed;
        let common: BTreeSet<String> = a
            .intersection(&b)
            .filter(|n| compared(n))
            .filter(|n| {
                !vmcompat::catalog::lookup(n).is_some_and(|id| hidden_by_vmware.contains(id))
            })
            .cloned()
            .collect();
        // The highest EVC mode of the vendor whose compared features all hosts have.
        let expect = modes
            .iter()
            .filter(|(_, bv, feats, _)| {
                *bv == vendor
                    && feats
                        .iter()
                        .filter(|n| compared(n))
                        .all(|n| common.contains(n))
            })
            .max_by_key(|b| b.3)
            .expect("a baseline");
        let s = setting(&v, cluster);
        assert_eq!(s["evc"]["name"], expect.0.as_str(), "cluster {cluster}");
        let json_common: BTreeSet<String> = names(&s["common"]).into_iter().collect();
        assert_eq!(json_common, common, "cluster {cluster}: common features");
        // What the EVC mode loses: common features named models carry, not in the
        // mode (speculation controls every host has pass through under EVC).
        let loses: BTreeSet<String> = common
            .iter()
            .filter(|n| universe.contains(*n) && !expect.2.contains(*n))
            .filter(|n| {
                !vmcompat::shipped::evc::FIRMWARE_DEPENDENT
                    .contains(&vmcompat::catalog::lookup(n).expect("catalog name"))
            })
            .cloned()
            .collect();
        let json_loses: BTreeSet<String> = names(&s["evc"]["loses"]).into_iter().collect();
        assert_eq!(
            json_loses, loses,
            "cluster {cluster}: what the EVC mode loses"
        );
        // Guests: RHEL 10 needs AVX2; every mode here has it, so none breaks it.
        let broken: Vec<String> = s["evc"]["guests_broken"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["guest"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            broken.contains(&"rhel10".to_string()),
            !expect.2.contains("avx2")
        );
    }
    let t = text(&vmcompat(&["audit", &f]));
    assert!(
        t.contains("Verdict for cluster same: ready: every host offers the same CPU features"),
        "{t}"
    );
    assert!(
        t.contains("amd <-> intel: the vendor differs: cold migration only"),
        "{t}"
    );
    assert!(t.contains("intel -> same: "), "{t}");
}
