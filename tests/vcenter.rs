//! vCenter source against govmomi's real vCenter simulator (`simulator.VPX()`,
//! Debian's golang-github-vmware-govmomi-dev) served by the harness in
//! `tests/vcenter_sim/` over TLS: three clusters and a standalone host built
//! from corpus CPUs (`../shared/corpus`), with planted differences that must
//! come out as exactly the planted findings; the same inventory from a saved
//! export (`govc object.save` layout, also loaded back by the simulator's
//! `Model.Load`); errors in the administrator's terms; and one ESXi host read
//! over SSH (test sshd, fixture `vim-cmd`) and from the simulator alike.
//!
//! Needs `go` and the govmomi sources: in CI (`CI=true`) their absence is a
//! failure; elsewhere the tests say they were skipped.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");
const GOVMOMI: &str = "/usr/share/gocode/src/github.com/vmware/govmomi/simulator";
const USER: &str = "auditor@vsphere.local";
const PASSWORD: &str = "s3cret<&>\"'pw";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the harness once per test run (about 30 s cold); `None` (after
/// saying why) when Go or govmomi is missing outside CI.
fn harness() -> Option<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let go = Command::new("go").arg("version").output();
        if go.is_err() || !Path::new(GOVMOMI).is_dir() {
            return Err(
                "`go` or the govmomi sources are missing (apt-get install golang-go golang-github-vmware-govmomi-dev)"
                    .into(),
            );
        }
        let out = root().join("target/vcenter_sim");
        let cache = std::env::temp_dir().join("gocache-vcenter");
        let status = Command::new("go")
            .args(["build", "-o"])
            .arg(&out)
            .arg("./tests/vcenter_sim")
            .current_dir(root())
            .env("GOPATH", "/usr/share/gocode")
            .env("GO111MODULE", "off")
            .env("GOCACHE", &cache)
            .output()
            .map_err(|e| format!("go build: {e}"))?;
        if !status.status.success() {
            return Err(format!(
                "go build of tests/vcenter_sim failed: {}",
                String::from_utf8_lossy(&status.stderr)
            ));
        }
        Ok(out)
    });
    match r {
        Ok(p) => Some(p.clone()),
        Err(e) if e.contains("failed") => panic!("{e}"),
        Err(e) if common::sshlab::in_ci() => {
            panic!("vCenter tests cannot run: {e}; in CI they must")
        }
        Err(e) => {
            eprintln!("NOTE: vCenter tests SKIPPED: {e}");
            None
        }
    }
}

/// A running simulator.
struct Sim {
    child: Child,
    _stdin: ChildStdin,
    url: String,
    thumbprint: String,
    ca: PathBuf,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, dir: &Path, args: &[&str]) -> Sim {
    let mut child = Command::new(bin)
        .args(args)
        .arg("-cert-dir")
        .arg(dir.join(format!("cert-{}", args.join("_").replace('/', "_").len())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("simulator starts");
    let stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut url, mut thumbprint, mut ca) = (String::new(), String::new(), PathBuf::new());
    let until = Instant::now() + Duration::from_secs(120);
    for line in lines.by_ref() {
        let line = line.expect("harness output");
        match line.split_once(' ') {
            Some(("URL", v)) => url = v.to_string(),
            Some(("THUMBPRINT", v)) => thumbprint = v.to_string(),
            Some(("CAFILE", v)) => ca = PathBuf::from(v),
            _ if line == "READY" => break,
            _ => {}
        }
        assert!(Instant::now() < until, "simulator did not start");
    }
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    Sim {
        child,
        _stdin: stdin,
        url,
        thumbprint,
        ca,
    }
}

/// Runs vmcompat with the vCenter credentials in the environment.
fn vmcompat(args: &[&str], password: Option<&str>) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("VMCOMPAT_TIMING")
        .env("VMCOMPAT_VCENTER_USER", USER);
    match password {
        Some(p) => cmd.env("VMCOMPAT_VCENTER_PASSWORD", p),
        None => cmd.env_remove("VMCOMPAT_VCENTER_PASSWORD"),
    };
    let out = cmd.output().expect("vmcompat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// A corpus CPU as ESXi shows it: the four `cpuFeature` leaves, and
/// `featureCapability` (every catalog bit VMware names, plus the values and a
/// few non-CPUID capabilities ESXi lists), minus `drop`.
fn cpu(file: &str, description: &str, max_evc: &str, drop: &[&str]) -> Value {
    let shared = common::shared_dir().expect("../shared");
    let dump = vmcompat::sources::formats::read_file(&shared.join("corpus/libcpuid").join(file))
        .expect("corpus file");
    let c = dump.first().expect("a CPU");
    let leaves: Vec<Value> = [0u32, 1, 0x8000_0000, 0x8000_0001]
        .iter()
        .map(|&l| {
            let r = c.get_or_zero(l, 0);
            json!([l, r.eax, r.ebx, r.ecx, r.edx])
        })
        .collect();
    // Each name as ESXi reports it on this vendor (IBRS, STIBP, ... are a
    // different bit on AMD).
    let vendor = vmcompat::decode::vendor::Vendor::from_leaf0(c.get_or_zero(0, 0)).0;
    let mut caps: Vec<(String, String)> = Vec::new();
    for def in vmcompat::catalog::all() {
        let Some(name) = def.vmware_name() else {
            continue;
        };
        let key = format!("cpuid.{name}");
        let Some(vmcompat::catalog::VmwareName::Feature(id)) =
            vmcompat::sources::vmware_features::resolve(&key, vendor)
        else {
            continue;
        };
        let loc = vmcompat::catalog::by_id(id).loc;
        let on = c
            .get(loc.leaf, loc.subleaf)
            .is_some_and(|r| r.get(loc.reg) & loc.mask() != 0);
        caps.push((key, if on { "1" } else { "0" }.into()));
    }
    let l1 = c.get_or_zero(1, 0).eax;
    let base = (l1 >> 8) & 0xf;
    let family = if base == 0xf {
        base + ((l1 >> 20) & 0xff)
    } else {
        base
    };
    let model = ((l1 >> 12) & 0xf0) | ((l1 >> 4) & 0xf);
    let vendor_amd = c.get_or_zero(0, 0).ebx == 0x6874_7541;
    caps.extend([
        ("cpuid.FAMILY".into(), format!("0x{family:x}")),
        ("cpuid.MODEL".into(), format!("0x{model:x}")),
        ("cpuid.STEPPING".into(), format!("0x{:x}", l1 & 0xf)),
        (
            "cpuid.NUMLEVELS".into(),
            format!("0x{:x}", c.get_or_zero(0, 0).eax),
        ),
        (
            "cpuid.NUM_EXT_LEVELS".into(),
            format!("0x{:x}", c.get_or_zero(0x8000_0000, 0).eax),
        ),
        (
            "cpuid.Intel".into(),
            if vendor_amd { "0" } else { "1" }.into(),
        ),
        (
            "cpuid.AMD".into(),
            if vendor_amd { "1" } else { "0" }.into(),
        ),
        ("hv.capable".into(), "1".into()),
        ("vt.realmode".into(), "1".into()),
    ]);
    caps.retain(|(k, _)| !drop.contains(&k.as_str()));
    json!({
        "description": description,
        "vendor": if vendor_amd { "amd" } else { "intel" },
        "leaves": leaves,
        "caps": caps.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "maxEvc": max_evc,
    })
}

fn host(name: &str, cpu: Value, port_groups: &[&str], speed: u32) -> Value {
    let mut pgs: Vec<Value> = port_groups
        .iter()
        .map(|p| json!({"name": p, "vswitch": "vSwitch0"}))
        .collect();
    pgs.push(json!({"name": "vMotion", "vswitch": "vSwitch1"}));
    json!({
        "name": name,
        "cpu": cpu,
        "version": "8.0.2",
        "pnics": [{"device": "vmnic0", "speed": 10000}, {"device": "vmnic1", "speed": speed}],
        "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0"]}, {"name": "vSwitch1", "uplinks": ["vmnic1"]}],
        "portgroups": pgs,
        "vmotion": {"device": "vmk1", "portgroup": "vMotion", "ip": format!("10.0.50.{}", 10 + name.bytes().map(u32::from).sum::<u32>() % 200), "mask": "255.255.255.0", "mtu": 9000},
    })
}

const SKX: &str = "intel-xeon-gold-6130-cpu-dual.txt";
const ICX: &str = "intel-xeon-gold-6330-cpu.txt";
const CLX: &str = "intel-xeon-gold-5218-cpu.txt";
const MILAN: &str = "amd-epyc-7713-64-core-processor.txt";

/// Three clusters and a standalone host, with these planted differences:
/// - gold: gold-3's microcode turned TSX off (no cpuid.RTM/HLE); datastore
///   gold-san is not mounted on gold-3; gold-3 spells port group Prod-VLAN10
///   as prod-vlan10;
/// - mixed: an Ice Lake host beside a Skylake one (two groups); mixed-2's
///   vMotion uplink runs at 100 Mb/s;
/// - epyc: two identical hosts, clean;
/// - VMs: db01 pinned to CPUs 0,1; web01 with a connected ISO on gold-2's local
///   datastore; app01 with one snapshot; batch01 whose Tools are not running;
///   icx01 on the Ice Lake host with a per-VM mask hiding AVX512_VNNI... (clean).
fn three_clusters() -> Value {
    let skx = |drop: &[&str]| {
        cpu(
            SKX,
            "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
            "intel-skylake",
            drop,
        )
    };
    let pg = ["VM Network", "Prod-VLAN10"];
    json!({
        "user": USER,
        "password": PASSWORD,
        "datacenters": [{
            "name": "DC1",
            "clusters": [
                {"name": "gold", "evc": "intel-skylake", "hosts": [
                    host("gold-1", skx(&[]), &pg, 10000),
                    host("gold-2", skx(&[]), &pg, 10000),
                    host("gold-3", skx(&["cpuid.RTM", "cpuid.HLE"]), &["VM Network", "prod-vlan10"], 10000),
                ]},
                {"name": "mixed", "evc": "", "hosts": [
                    host("mixed-1", skx(&[]), &pg, 10000),
                    host("mixed-2", cpu(ICX, "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", "intel-icelake", &[]), &pg, 100),
                ]},
                {"name": "epyc", "evc": "amd-zen3", "hosts": [
                    host("epyc-1", cpu(MILAN, "AMD EPYC 7713 64-Core Processor", "amd-zen3", &[]), &["VM Network"], 25000),
                    host("epyc-2", cpu(MILAN, "AMD EPYC 7713 64-Core Processor", "amd-zen3", &[]), &["VM Network"], 25000),
                ]},
            ],
            "standalone": [host("edge-1", cpu(CLX, "Intel(R) Xeon(R) Gold 5218 CPU @ 2.30GHz", "intel-cascadelake", &[]), &["VM Network"], 10000)],
        }],
        "datastores": [
            {"name": "gold-san", "type": "VMFS", "uuid": "5f1e0c2a-0a1b2c3d-4e5f-001122334455", "extents": ["naa.600a098038303053453f463045727a41"], "hosts": ["gold-1", "gold-2"]},
            {"name": "gold-2-local", "type": "VMFS", "uuid": "5f1e0c2a-99999999-4e5f-001122334466", "extents": ["naa.5000c500a1b2c3d4"], "hosts": ["gold-2"], "local": true},
            {"name": "shared-nfs", "type": "NFS", "server": "filer01.example.com", "path": "/vol/vmware", "hosts": ["gold-1", "gold-2", "gold-3", "mixed-1", "mixed-2", "epyc-1", "epyc-2", "edge-1"]},
        ],
        "dvs": [{"name": "dvs-epyc", "datacenter": "DC1", "portgroups": ["dv-app"], "hosts": ["epyc-1", "epyc-2"]}],
        "vms": [
            {"name": "db01", "host": "gold-1", "datastore": "shared-nfs", "version": "vmx-19", "power": "poweredOn", "toolsStatus": "toolsOk", "toolsRunning": "guestToolsRunning", "affinity": [0, 1], "nics": [{"network": "Prod-VLAN10", "connected": true}]},
            {"name": "web01", "host": "gold-2", "datastore": "shared-nfs", "version": "vmx-19", "power": "poweredOn", "toolsStatus": "toolsOk", "toolsRunning": "guestToolsRunning", "cdrom": {"iso": "[gold-2-local] iso/install.iso", "connected": true, "startConnected": true}, "nics": [{"network": "VM Network", "connected": true}]},
            {"name": "app01", "host": "epyc-1", "datastore": "shared-nfs", "version": "vmx-19", "power": "poweredOn", "toolsStatus": "toolsOk", "toolsRunning": "guestToolsRunning", "snapshots": ["before upgrade"], "nics": [{"dvpg": "dv-app", "connected": true}], "extraConfig": {"tools.guest.desktop.autolock": "FALSE"}},
            {"name": "batch01", "host": "epyc-2", "datastore": "shared-nfs", "version": "vmx-19", "power": "poweredOn", "toolsStatus": "toolsNotRunning", "toolsRunning": "guestToolsNotRunning", "heartbeat": "gray", "nics": [{"dvpg": "dv-app", "connected": true}]},
            {"name": "icx01", "host": "mixed-2", "datastore": "shared-nfs", "version": "vmx-19", "power": "poweredOn", "toolsStatus": "toolsOk", "toolsRunning": "guestToolsRunning", "nics": [{"network": "VM Network", "connected": true}], "featureMask": {"cpuid.AVX512VNNI": "Max:0"}},
        ],
    })
}

fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vmcompat-vcenter-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("workdir");
    d
}

fn write_fixture(dir: &Path, v: &Value) -> PathBuf {
    let p = dir.join("fixture.json");
    std::fs::write(&p, serde_json::to_string_pretty(v).expect("json")).expect("fixture");
    // Kept for benches/vcenter.sh.
    let _ = std::fs::create_dir_all(root().join("target"));
    let _ = std::fs::write(
        root().join("target/vcenter_fixture.json"),
        serde_json::to_string(v).expect("json"),
    );
    p
}

/// The audit's JSON without its fleet name (which says where it was read from).
fn comparable(json_text: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(json_text).unwrap_or_else(|e| panic!("audit JSON: {e}\n{json_text}"));
    v.as_object_mut().map(|o| o.remove("fleet"));
    v
}

fn set<T: Ord>(it: impl IntoIterator<Item = T>) -> std::collections::BTreeSet<T> {
    it.into_iter().collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

#[test]
fn three_clusters_exactly_the_planted_findings_live_saved_and_reloaded() {
    let Some(bin) = harness() else { return };
    if common::shared_dir().is_none() {
        return;
    }
    let dir = workdir("three");
    let fx = write_fixture(&dir, &three_clusters());
    let sim = start(&bin, &dir, &["-fixture", fx.to_str().expect("utf-8")]);
    // The fleet file names the vCenter; the password comes from a file.
    std::fs::write(dir.join("pw.txt"), format!("{PASSWORD}\n")).expect("pw");
    let fleet = dir.join("lab.toml");
    std::fs::write(
        &fleet,
        format!(
            "[fleet]\nname = \"lab\"\nvcenter = \"{}\"\nvcenter_user = \"{USER}\"\nvcenter_thumbprint = \"{}\"\nvcenter_password_file = \"pw.txt\"\n",
            sim.url, sim.thumbprint
        ),
    )
    .expect("fleet");
    let (code, out, err, _) = vmcompat(
        &["audit", fleet.to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(code, 1, "findings expected\n{err}");
    assert!(
        err.contains("hv.capable (8 hosts)") && err.contains("vt.realmode (8 hosts)"),
        "unknown featureCapability names are reported: {err}"
    );
    let live = comparable(&out);

    // Every host read in full, in its cluster.
    let hosts = live["hosts"].as_array().expect("hosts");
    let rows: Vec<(String, String, String)> = hosts
        .iter()
        .map(|h| (s(&h["name"]), s(&h["cluster"]), s(&h["completeness"])))
        .collect();
    assert_eq!(
        set(rows),
        set([
            ("edge-1", "", "vmware-feature-capability"),
            ("epyc-1", "epyc", "vmware-feature-capability"),
            ("epyc-2", "epyc", "vmware-feature-capability"),
            ("gold-1", "gold", "vmware-feature-capability"),
            ("gold-2", "gold", "vmware-feature-capability"),
            ("gold-3", "gold", "vmware-feature-capability"),
            ("mixed-1", "mixed", "vmware-feature-capability"),
            ("mixed-2", "mixed", "vmware-feature-capability"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())))
    );
    assert!(hosts.iter().all(|h| h["error"].is_null()), "{hosts:?}");
    // Groups per cluster: gold splits on TSX (gold-3), mixed on the generation.
    let names = |idx: &Value| -> Vec<String> {
        idx.as_array()
            .unwrap()
            .iter()
            .map(|i| s(&hosts[i.as_u64().unwrap() as usize]["name"]))
            .collect()
    };
    let mut groups: Vec<(String, Vec<String>)> = live["cpu"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (s(&g["cluster"]), names(&g["hosts"])))
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            ("".into(), vec!["edge-1".to_string()]),
            ("epyc".into(), vec!["epyc-1".into(), "epyc-2".into()]),
            ("gold".into(), vec!["gold-1".into(), "gold-2".into()]),
            ("gold".into(), vec!["gold-3".into()]),
            ("mixed".into(), vec!["mixed-1".into()]),
            ("mixed".into(), vec!["mixed-2".into()]),
        ]
    );
    let features = |host: &str| -> std::collections::BTreeSet<String> {
        let g = live["cpu"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| names(&g["hosts"]).iter().any(|n| n == host))
            .unwrap();
        g["features"].as_array().unwrap().iter().map(s).collect()
    };
    let gold: Vec<String> = features("gold-1")
        .symmetric_difference(&features("gold-3"))
        .cloned()
        .collect();
    assert_eq!(gold, vec!["hle", "rtm"], "gold differs in TSX only");
    // Leaf 7 is seen (the cpuFeature keyhole alone would hide it).
    assert!(features("gold-1").contains("avx512f") && features("mixed-2").contains("avx512_vnni"));
    assert!(!features("mixed-1").contains("avx512_vnni"));

    // Storage and network: exactly the planted findings.
    let sn: Vec<(String, String, String, Vec<String>)> = live["storage_network"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                s(&f["kind"]),
                s(&f["subject"]),
                s(&f["cluster"]),
                f["hosts"].as_array().unwrap().iter().map(s).collect(),
            )
        })
        .collect();
    let want_sn = |k: &str, subj: &str, c: &str, h: &[&str]| {
        (
            k.to_string(),
            subj.to_string(),
            c.to_string(),
            h.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        set(sn),
        set([
            want_sn(
                "lun-not-shared",
                "naa.600a098038303053453f463045727a41",
                "gold",
                &["gold-3"]
            ),
            want_sn(
                "datastore-not-shared",
                "\"gold-san\" (VMFS 5f1e0c2a-0a1b2c3d-4e5f-001122334455)",
                "gold",
                &["gold-3"]
            ),
            want_sn(
                "port-group-label-mismatch",
                "Prod-VLAN10",
                "gold",
                &["gold-1", "gold-2", "gold-3"]
            ),
            want_sn("slow-vmotion-link", "mixed-2 vmk1", "mixed", &["mixed-2"]),
        ])
    );
    // VM readiness: exactly the planted findings.
    let mut vmf = Vec::new();
    for h in live["vms"]["hosts"].as_array().unwrap() {
        for v in h["vms"].as_array().unwrap() {
            for f in v["findings"].as_array().unwrap() {
                vmf.push((
                    s(&h["host"]),
                    s(&v["name"]),
                    s(&f["severity"]),
                    s(&f["kind"]),
                ));
            }
        }
    }
    let w = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_string(), b.to_string(), c.to_string(), d.to_string())
    };
    assert_eq!(
        set(vmf),
        set([
            w("epyc-1", "app01", "warning", "snapshots"),
            w("epyc-2", "batch01", "warning", "no-heartbeat"),
            w("gold-1", "db01", "error", "cpu-affinity"),
            w("gold-1", "db01", "warning", "port-group"),
            w("gold-2", "web01", "error", "local-image"),
            w("mixed-2", "icx01", "error", "cpu"),
        ])
    );
    // The per-VM feature mask (runtime.featureMask) reached the VM's view.
    let (_, table, _, _) = vmcompat(&["audit", fleet.to_str().unwrap()], None);
    assert!(
        table.contains("featMask.vm.cpuid.AVX512VNNI = \"Max:0\""),
        "{table}"
    );

    // The same inventory saved as `govc object.save` writes it, read offline.
    let saved = dir.join("export");
    let out = Command::new(&bin)
        .args(["-fixture", fx.to_str().unwrap(), "-save"])
        .arg(&saved)
        .output()
        .expect("save");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter-dir",
            saved.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(comparable(&out), live, "the export gives what vCenter gave");
    // ... and loaded back by the simulator (Model.Load), served live again.
    let reloaded = start(
        &bin,
        &dir,
        &[
            "-load",
            saved.to_str().unwrap(),
            "-user",
            USER,
            "-password",
            PASSWORD,
        ],
    );
    let (code, out, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &reloaded.url,
            "--ca-file",
            reloaded.ca.to_str().unwrap(),
            "--format",
            "json",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        comparable(&out),
        live,
        "Model.Load of the export serves the same inventory"
    );

    // Paged (three objects per RetrievePropertiesEx answer, the rest by
    // ContinueRetrievePropertiesEx): the same inventory in more round trips.
    let out = Command::new(BIN)
        .args([
            "audit",
            "--vcenter",
            &sim.url,
            "--thumbprint",
            &sim.thumbprint,
            "--format",
            "json",
        ])
        .env("VMCOMPAT_VCENTER_USER", USER)
        .env("VMCOMPAT_VCENTER_PASSWORD", PASSWORD)
        .env("VMCOMPAT_VCENTER_PAGE", "3")
        .env("VMCOMPAT_TIMING", "1")
        .output()
        .expect("vmcompat");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        comparable(&String::from_utf8_lossy(&out.stdout)),
        live,
        "{err}"
    );
    let trips = |e: &str| -> usize {
        e.lines()
            .find_map(|l| l.split(" VMs, ").nth(1)?.split(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("round trips printed: {e}"))
    };
    let unpaged = Command::new(BIN)
        .args([
            "audit",
            "--vcenter",
            &sim.url,
            "--thumbprint",
            &sim.thumbprint,
            "--only",
            "cpu",
        ])
        .env("VMCOMPAT_VCENTER_USER", USER)
        .env("VMCOMPAT_VCENTER_PASSWORD", PASSWORD)
        .env("VMCOMPAT_TIMING", "1")
        .output()
        .expect("vmcompat");
    let unpaged = String::from_utf8_lossy(&unpaged.stderr).into_owned();
    // 2 (service content, login) + 3 per walk (view, retrieve, destroy) over 5
    // walks + logout; paging adds one round trip per further page.
    assert_eq!(trips(&unpaged), 18, "{unpaged}");
    assert!(trips(&err) > 18, "{err}");

    // Filters: one cluster, one datacenter.
    let (code, out, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &sim.url,
            "--thumbprint",
            &sim.thumbprint,
            "--cluster",
            "epyc",
            "--datacenter",
            "DC1",
            "--format",
            "json",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "epyc alone is clean except warnings\n{err}\n{out}");
    let v = comparable(&out);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 2);
    let (code, _, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &sim.url,
            "--thumbprint",
            &sim.thumbprint,
            "--datacenter",
            "DC9",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no datacenter \"DC9\"") && err.contains("DC1"),
        "{err}"
    );
}

/// A one-host inventory for the error cases.
fn small() -> Value {
    let mut v = three_clusters();
    v["datacenters"][0]["clusters"] = json!([v["datacenters"][0]["clusters"][2].clone()]);
    v["datacenters"][0]["standalone"] = json!([]);
    v["datastores"] = json!([]);
    v["dvs"] = json!([]);
    v["vms"] = json!([]);
    v
}

#[test]
fn errors_in_the_administrators_terms() {
    let Some(bin) = harness() else { return };
    if common::shared_dir().is_none() {
        return;
    }
    let dir = workdir("errors");
    let fx = write_fixture(&dir, &small());
    let fx = fx.to_str().unwrap();
    let sim = start(&bin, &dir, &["-fixture", fx]);
    let base = ["audit", "--vcenter", sim.url.as_str(), "--only", "cpu"];
    let run = |extra: &[&str], pw: Option<&str>| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        vmcompat(&a, pw)
    };
    // It works with the right password and thumbprint.
    let (code, _, err, _) = run(&["--thumbprint", &sim.thumbprint], Some(PASSWORD));
    assert_eq!(code, 0, "{err}");
    // Bad password.
    let (code, _, err, _) = run(&["--thumbprint", &sim.thumbprint], Some("wrong"));
    assert_eq!(code, 2);
    assert!(
        err.contains("bad user name or password (InvalidLogin)") && err.contains(&sim.url),
        "{err}"
    );
    // No password at all: never from argv.
    let (code, _, err, _) = run(&["--thumbprint", &sim.thumbprint], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("no vCenter password") && err.contains("--password-file"),
        "{err}"
    );
    // The certificate does not match the pinned thumbprint.
    let other = format!("00{}", &sim.thumbprint[2..]);
    let (code, _, err, _) = run(&["--thumbprint", &other], Some(PASSWORD));
    assert_eq!(code, 2);
    assert!(
        err.contains("certificate does not match") && err.contains(&sim.thumbprint),
        "names the thumbprint presented: {err}"
    );
    // Not signed by a CA the system trusts; accepted with its CA file.
    let (code, _, err, _) = run(&[], Some(PASSWORD));
    assert_eq!(code, 2);
    assert!(
        err.contains("certificate not trusted") && err.contains("--ca-file"),
        "{err}"
    );
    let (code, _, err, _) = run(&["--ca-file", sim.ca.to_str().unwrap()], Some(PASSWORD));
    assert_eq!(code, 0, "{err}");
    // --insecure works, with a warning on every run.
    let (code, _, err, _) = run(&["--insecure"], Some(PASSWORD));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("WARNING: --insecure"), "{err}");
    drop(sim);

    // No permission to read a property: each host says which, and why.
    let denied = start(
        &bin,
        &dir,
        &["-fixture", fx, "-deny", "config.featureCapability"],
    );
    let (code, out, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &denied.url,
            "--thumbprint",
            &denied.thumbprint,
            "--only",
            "cpu",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("no permission to read config.featureCapability of host epyc-1")
            && all.contains("NoPermission")
            && all.contains("System.Read"),
        "{all}"
    );
    drop(denied);
    // No permission to list the inventory at all.
    let denied = start(
        &bin,
        &dir,
        &["-fixture", fx, "-deny-call", "CreateContainerView"],
    );
    let (code, _, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &denied.url,
            "--thumbprint",
            &denied.thumbprint,
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no permission") && err.contains("System.View") && err.contains("Read-only"),
        "{err}"
    );
    drop(denied);
    // A server that stops answering (after login): a time-out, not a hang.
    let hung = start(&bin, &dir, &["-fixture", fx, "-hang-after", "3"]);
    let (code, _, err, took) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &hung.url,
            "--thumbprint",
            &hung.thumbprint,
            "--vcenter-timeout",
            "2",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("server not answering") && err.contains("2 s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn esxi_over_ssh_and_from_vcenter_agree() {
    use common::sshlab::{can_run, Lab};
    let Some(bin) = harness() else { return };
    if !can_run("esxi_over_ssh_and_from_vcenter_agree") || common::shared_dir().is_none() {
        return;
    }
    let cpu = cpu(
        ICX,
        "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz",
        "intel-icelake",
        &[],
    );
    // vim-cmd as the host prints it.
    let leaves: Vec<(u32, vmcompat::cpuid::Regs)> = cpu["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let n = |i: usize| l[i].as_u64().unwrap() as u32;
            (n(0), vmcompat::cpuid::Regs::new(n(1), n(2), n(3), n(4)))
        })
        .collect();
    let caps: Vec<vmcompat::sources::vmware_features::Capability> = cpu["caps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| vmcompat::sources::vmware_features::Capability {
            name: s(&c[0]),
            value: s(&c[1]),
        })
        .collect();
    let hardware = format!(
        "(vim.host.HardwareInfo) {{\n   systemInfo = (vim.host.SystemInfo) {{\n      vendor = \"Test\"\n   }},\n{}\n}}\n",
        vmcompat::sources::ssh::esxi::render_cpu_feature(&leaves, 3)
    );
    let config = format!(
        "(vim.host.ConfigInfo) {{\n   host = 'vim.HostSystem:ha-host',\n   product = (vim.AboutInfo) {{\n      version = \"8.0.2\"\n   }},\n{},\n   maskedFeatureCapability = (vim.host.FeatureCapability) []\n}}\n",
        vmcompat::sources::vmware_features::render_feature_capability(&caps, 3)
    );
    let summary = "(vim.host.Summary) {\n   host = 'vim.HostSystem:ha-host',\n   maxEVCModeKey = \"intel-icelake\",\n   currentEVCModeKey = \"intel-icelake\",\n}\n";
    let mut lab = Lab::new("vcenter-agree");
    let h = lab.host_with(
        &[(
            "vim-cmd",
            "case \"$1\" in\n hostsvc/hosthardware) cat \"${0%/*}/hw.txt\";;\n hostsvc/hostconfig) cat \"${0%/*}/cfg.txt\";;\n hostsvc/hostsummary) cat \"${0%/*}/sum.txt\";;\n *) exit 1;;\nesac\n",
        )],
        &[("hw.txt", &hardware), ("cfg.txt", &config), ("sum.txt", summary)],
    );
    let known = lab.write_known_hosts();
    let fleet = lab.dir.join("ssh.toml");
    std::fs::write(
        &fleet,
        format!(
            "[[host]]\nname = \"esx-1\"\ncluster = \"c1\"\nesxi = \"{}\"\n",
            lab.target(h)
        ),
    )
    .expect("fleet");
    let (code, ssh_out, err, _) = lab.vmcompat(&[
        "audit",
        fleet.to_str().unwrap(),
        "--only",
        "cpu",
        "--format",
        "json",
        "--identity",
        lab.user_key.to_str().unwrap(),
        "--known-hosts",
        known.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{ssh_out}");
    let over_ssh = comparable(&ssh_out);
    assert_eq!(
        over_ssh["hosts"][0]["completeness"],
        "vmware-feature-capability"
    );

    let dir = workdir("agree");
    let mut fx = small();
    fx["datacenters"][0]["clusters"] = json!([{"name": "c1", "evc": "intel-icelake", "hosts": [host("esx-1", cpu, &["VM Network"], 10000)]}]);
    let fxp = write_fixture(&dir, &fx);
    let sim = start(&bin, &dir, &["-fixture", fxp.to_str().unwrap()]);
    let (code, vc_out, err, _) = vmcompat(
        &[
            "audit",
            "--vcenter",
            &sim.url,
            "--thumbprint",
            &sim.thumbprint,
            "--only",
            "cpu",
            "--format",
            "json",
        ],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{err}");
    let from_vc = comparable(&vc_out);
    assert_eq!(from_vc, over_ssh, "the same host over SSH and from vCenter");
    let feats: Vec<String> = from_vc["cpu"]["groups"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert!(
        feats.iter().any(|f| f == "avx512f") && feats.iter().any(|f| f == "avx512_vnni"),
        "{feats:?}"
    );
}

/// The per-VM EVC sample of `../shared/samples/esxi` uses VMware's names; every
/// one resolves through the catalog (features, values, XSAVE components).
#[test]
fn shared_featmask_sample_names_resolve() {
    use vmcompat::decode::vendor::Vendor;
    use vmcompat::sources::vmware_features::resolve;
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let text =
        std::fs::read_to_string(shared.join("samples/esxi/featmask_vm_perVM_EVC_template.vmx.txt"))
            .expect("sample");
    let mut n = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("featMask.vm.cpuid.") else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        for v in [Vendor::Intel, Vendor::Amd] {
            let key = format!("cpuid.{name}");
            assert!(resolve(&key, v).is_some(), "{name} is not in the catalog");
        }
        n += 1;
    }
    assert!(n >= 30, "{n}");
    // The VM requirement names of the real vim-cmd capture, too.
    let text =
        std::fs::read_to_string(shared.join("samples/esxi/vim-cmd_hosthardware_real_head.txt"))
            .expect("sample");
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("key = \"cpuid."))
        .map(|k| k.trim_end_matches(['"', ',']))
        .collect();
    assert!(
        keys.contains(&"XCR0_MASTER_YMM_H") && keys.contains(&"LAHF64"),
        "{keys:?}"
    );
    for k in keys {
        assert!(
            resolve(&format!("cpuid.{k}"), Vendor::Intel).is_some(),
            "{k}"
        );
    }
}
