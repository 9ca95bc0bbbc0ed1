//! The KVM-side settings checked by the real tools installed here (QEMU 7.2 and
//! libvirt 9.0 on Debian 12; `.ci/run` installs them), over random same-vendor
//! fleets of real CPUs from `../shared/corpus/` seen through the KVM target:
//!
//! 1. every `-cpu` string planned for the installed QEMU starts
//!    `qemu-system-x86_64 -accel tcg -machine q35 -S` (no "not found", no unknown
//!    model), and QEMU's own `query-cpu-model-expansion` of the model and flags
//!    shows exactly the features the planner says a guest sees: none of the
//!    hidden ones, all of the guest's (apart from those the release cannot name,
//!    which the output lists);
//! 2. every libvirt `<cpu>` element for the installed libvirt names only
//!    features of its cpu_map and a model it knows (`virsh -c test:///default
//!    cpu-baseline --features` accepts it), and libvirt's expansion of the model
//!    and features shows exactly the planned view;
//! 3. the names planned for the newest tables (QEMU 9.2, libvirt 11.0) are all in
//!    `../shared/reference/`;
//! 4. the zen3-to-zen2 case under `--target kvm`, and `vmcompat mask
//!    examples/fleet.toml --target kvm --format qemu` pasted into QEMU boots a
//!    guest under TCG.
//!
//! Counts are printed. The tools must be present in CI (`CI=true`); elsewhere a
//! missing tool skips with a note.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use vmcompat::analysis::cpumodel::{self, KvmSettings, ModelChoice, Versions, Want};
use vmcompat::analysis::fleet::{analyze, FleetHost};
use vmcompat::analysis::maskplan::{self, MaskOptions, MaskPlan};
use vmcompat::catalog::{self, FeatureSet};
use vmcompat::cpuid::CpuLeaves;
use vmcompat::decode::{decode_cpu, Vendor};
use vmcompat::model::policy::Policy;
use vmcompat::shipped::targets::models::{self, Tool, Version};
use vmcompat::shipped::targets::{self, Hypervisor};
use vmcompat::sources::formats::corpus::parse_corpus;

fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    });
    if found.is_none() {
        let msg =
            format!("{name} is not installed (apt-get install qemu-system-x86 libvirt-clients)");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}: in CI it must be");
        }
        eprintln!("NOTE: {msg}: the real-tool checks were SKIPPED");
    }
    found
}

struct Host {
    host: FleetHost,
    leaves: CpuLeaves,
}

/// Bare-metal dumps of `vendor`, seen by KVM guests.
fn corpus(vendor: Vendor) -> Vec<Host> {
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
            let mut leaves = f.dump.cpus.into_iter().next()?;
            let mut cpu = decode_cpu(&leaves, f.dump.completeness);
            // 64-bit hosts only: KVM hosts are.
            let lm = catalog::lookup("lm")?;
            if cpu.vendor != vendor || cpu.hypervisor.is_some() || !cpu.features.contains(lm) {
                return None;
            }
            targets::apply(Hypervisor::Kvm, &mut cpu, Some(&mut leaves));
            Some(Host {
                host: FleetHost {
                    name: p.file_name()?.to_string_lossy().into_owned(),
                    cluster: Some("c".into()),
                    cpu,
                },
                leaves,
            })
        })
        .collect()
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random same-vendor fleets and their default mask plans.
fn fleets(count: usize) -> Vec<(Vec<FleetHost>, MaskPlan)> {
    let intel = corpus(Vendor::Intel);
    let amd = corpus(Vendor::Amd);
    if intel.is_empty() || amd.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut out = Vec::new();
    for i in 0..count {
        let pool = if i % 2 == 0 { &intel } else { &amd };
        let n = 2 + rng.below(4);
        let hosts: Vec<FleetHost> = (0..n)
            .map(|_| pool[rng.below(pool.len())].host.clone())
            .collect();
        let a = analyze(&hosts, Policy::Evc);
        let labels: Vec<String> = a.groups.iter().map(|g| g.label.clone()).collect();
        if let Ok(p) = maskplan::for_groups(&a, &hosts, &labels, MaskOptions::default()) {
            out.push((hosts, p));
        }
    }
    let _ = &intel[0].leaves;
    out
}

fn want(p: &MaskPlan) -> Want<'_> {
    Want {
        vendor: p.vendor,
        guest: &p.guest,
        where_present: &p.firmware_pending,
        hide: &p.hide,
        cross_vendor: false,
    }
}

/// A QMP session with a QEMU that runs nothing.
struct Qmp {
    child: Child,
    stdin: ChildStdin,
    out: BufReader<ChildStdout>,
}

impl Qmp {
    fn start(qemu: &Path) -> Qmp {
        let mut child = Command::new(qemu)
            .args([
                "-accel",
                "tcg",
                "-machine",
                "none",
                "-nodefaults",
                "-display",
                "none",
            ])
            .args([
                "-S",
                "-chardev",
                "stdio,id=c",
                "-mon",
                "chardev=c,mode=control",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start qemu");
        let stdin = child.stdin.take().expect("stdin");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut q = Qmp { child, stdin, out };
        let mut greeting = String::new();
        q.out.read_line(&mut greeting).expect("QMP greeting");
        q.send(&serde_json::json!({"execute": "qmp_capabilities"}))
            .expect("qmp_capabilities");
        q
    }

    fn send(&mut self, cmd: &serde_json::Value) -> Result<serde_json::Value, String> {
        writeln!(self.stdin, "{cmd}").expect("write QMP");
        self.stdin.flush().expect("flush QMP");
        loop {
            let mut line = String::new();
            if self.out.read_line(&mut line).expect("read QMP") == 0 {
                return Err("QEMU closed QMP".into());
            }
            let v: serde_json::Value = serde_json::from_str(&line).expect("QMP JSON");
            if let Some(r) = v.get("return") {
                return Ok(r.clone());
            }
            if let Some(e) = v.get("error") {
                return Err(e["desc"].as_str().unwrap_or("error").to_string());
            }
        }
    }

    /// QEMU's full expansion of `model` with `props`: the catalog features on.
    fn expand(
        &mut self,
        model: &str,
        props: &BTreeMap<String, bool>,
    ) -> Result<FeatureSet, String> {
        let r = self.send(&serde_json::json!({
            "execute": "query-cpu-model-expansion",
            "arguments": {"type": "full", "model": {"name": model, "props": props}}
        }))?;
        let names = models::release(Tool::Qemu, Version(7, 2))
            .expect("7.2")
            .names;
        let props = r["model"]["props"].as_object().cloned().unwrap_or_default();
        Ok(props
            .iter()
            .filter(|(k, v)| v.as_bool() == Some(true) && names.contains(*k))
            .filter_map(|(k, _)| catalog::lookup(k))
            .filter(|id| catalog::guest_visible().contains(*id))
            .collect())
    }
}

impl Drop for Qmp {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", serde_json::json!({"execute": "quit"}));
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

/// Properties QEMU sets by accelerator (target/i386: `kvm_default_props` turn
/// x2apic on and acpi, monitor, svm off; `tcg_default_props` turn vme off). The
/// tables hold the KVM view; the expansion here runs under TCG, so these are
/// given explicitly as the KVM view has them. Every other feature comes from
/// QEMU's own model definition.
const ACCEL_DEFAULTS: &[&str] = &["vme", "x2apic", "acpi", "monitor", "svm"];

fn accel_props(visible: &FeatureSet, p: &mut BTreeMap<String, bool>) {
    for n in ACCEL_DEFAULTS {
        if let Some(id) = catalog::lookup(n) {
            p.entry((*n).to_string()).or_insert(visible.contains(id));
        }
    }
}

fn props(c: &ModelChoice) -> BTreeMap<String, bool> {
    let mut p = BTreeMap::new();
    for f in c.add.iter().chain(&c.optional) {
        p.insert(f.clone(), true);
    }
    for f in &c.disable {
        p.insert(f.clone(), false);
    }
    accel_props(&c.visible, &mut p);
    p
}

/// Starts QEMU with `-cpu ARG` (q35, TCG, stopped) and quits it over QMP: the
/// error text when QEMU refuses the option.
fn qemu_accepts(qemu: &Path, arg: &str) -> Result<(), String> {
    let cpu = arg.strip_prefix("-cpu ").ok_or("no -cpu")?;
    let mut child = Command::new(qemu)
        .args([
            "-accel",
            "tcg",
            "-machine",
            "q35",
            "-nodefaults",
            "-display",
            "none",
            "-S",
        ])
        .args(["-cpu", cpu, "-qmp", "stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(b"{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n");
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let refused = err
        .lines()
        .any(|l| !l.contains("TCG doesn't support") && !l.trim().is_empty());
    if !out.status.success() || refused {
        return Err(format!("-cpu {cpu}: {err}"));
    }
    Ok(())
}

fn vendor_tag(v: Vendor) -> &'static str {
    match v {
        Vendor::Amd => "AMD",
        Vendor::Hygon => "Hygon",
        _ => "Intel",
    }
}

/// Writes the element as a host CPU (what `cpu-baseline` reads) and returns
/// libvirt's expansion (every feature of model + listed features) on success.
fn virsh_expand(
    virsh: &Path,
    dir: &Path,
    c: &ModelChoice,
    vendor: Vendor,
    with_disabled: bool,
) -> Result<BTreeSet<String>, String> {
    let mut xml = format!(
        "<cpu>\n  <arch>x86_64</arch>\n  <model>{}</model>\n  <vendor>{}</vendor>\n",
        c.model,
        vendor_tag(vendor)
    );
    let mut listed: Vec<&String> = c.add.iter().chain(&c.optional).collect();
    if with_disabled {
        listed.extend(&c.disable);
    }
    for f in listed {
        xml.push_str(&format!("  <feature name='{f}'/>\n"));
    }
    xml.push_str("</cpu>\n");
    let path = dir.join("cpu.xml");
    std::fs::write(&path, &xml).expect("write cpu.xml");
    let out = Command::new(virsh)
        .args(["-c", "test:///default", "cpu-baseline"])
        .arg(&path)
        .arg("--features")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{xml}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // Only what the expansion requires: it may name features as disabled.
    Ok(text
        .lines()
        .filter(|l| l.contains("<feature") && !l.contains("policy='disable'"))
        .filter_map(|l| l.split("name='").nth(1)?.split('\'').next())
        .map(str::to_string)
        .collect())
}

/// A scratch directory of this test process under the system's temp dir,
/// removed when dropped.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "vmcompat-targets-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).expect("scratch dir");
    Scratch(d)
}

fn libvirt_cpu_map_features() -> BTreeSet<String> {
    let text = std::fs::read_to_string("/usr/share/libvirt/cpu_map/x86_features.xml")
        .expect("libvirt's cpu_map (libvirt-clients)");
    text.lines()
        .filter(|l| l.trim_start().starts_with("<feature name="))
        .filter_map(|l| l.split('\'').nth(1).map(str::to_string))
        .collect()
}

fn ids(names: &BTreeSet<String>) -> FeatureSet {
    names
        .iter()
        .filter_map(|n| catalog::lookup(n))
        .filter(|id| catalog::guest_visible().contains(*id))
        .collect()
}

/// What the plan's guests must see that the choice must show: the guest view,
/// less what the release cannot name (listed in the output), what KVM emulates
/// and nested virtualization (the model decides those).
fn must_show(p: &MaskPlan, c: &ModelChoice) -> FeatureSet {
    p.guest
        .intersection(catalog::compared_classes())
        .difference(&c.lost)
        .difference(&targets::facts(Hypervisor::Kvm).emulated)
        .difference(&FeatureSet::from_names(&["vmx", "svm"]).expect("catalog names"))
}

fn check_qemu(
    qemu: &Path,
    qmp: &mut Qmp,
    p: &MaskPlan,
    c: &ModelChoice,
    accepted: &mut BTreeSet<String>,
) {
    let arg = c.qemu_arg();
    assert!(!arg.contains("host"), "{arg}");
    if accepted.insert(arg.clone()) {
        qemu_accepts(qemu, &arg).unwrap_or_else(|e| panic!("QEMU refused: {e}"));
    }
    let seen = qmp
        .expand(&c.model, &props(c))
        .unwrap_or_else(|e| panic!("{arg}: {e}"));
    assert_eq!(
        seen.names(),
        c.visible.names(),
        "{arg}: QEMU's expansion differs from the plan"
    );
    let leaked = seen.intersection(&p.hide).difference(&p.firmware_pending);
    assert!(
        leaked.is_empty(),
        "{arg}: hidden but visible: {:?}",
        leaked.names()
    );
    let missing = must_show(p, c).difference(&seen);
    assert!(
        missing.is_empty(),
        "{arg}: guests lose {:?}",
        missing.names()
    );
}

fn check_libvirt(
    virsh: &Path,
    dir: &Path,
    map: &BTreeSet<String>,
    p: &MaskPlan,
    c: &ModelChoice,
    accepted: &mut BTreeSet<String>,
) {
    let key = c.libvirt_lines().join("\n");
    if !accepted.insert(key) {
        // The same element for the same plan view was checked already; the
        // hidden set is still checked against this plan below.
        let leaked = c
            .visible
            .intersection(&p.hide)
            .difference(&p.firmware_pending);
        assert!(
            leaked.is_empty(),
            "{}: hidden but visible: {:?}",
            c.model,
            leaked.names()
        );
        let missing = must_show(p, c).difference(&c.visible);
        assert!(
            missing.is_empty(),
            "{}: guests lose {:?}",
            c.model,
            missing.names()
        );
        return;
    }
    for f in c.add.iter().chain(&c.optional).chain(&c.disable) {
        assert!(map.contains(f), "{} is not in libvirt's cpu_map", f);
    }
    // Every name, the disabled ones included, is known to libvirt.
    virsh_expand(virsh, dir, c, p.vendor, true).unwrap_or_else(|e| panic!("virsh refused:\n{e}"));
    let expanded = virsh_expand(virsh, dir, c, p.vendor, false)
        .unwrap_or_else(|e| panic!("virsh refused:\n{e}"));
    let disabled: BTreeSet<String> = c.disable.iter().cloned().collect();
    let seen = ids(&expanded.difference(&disabled).cloned().collect());
    assert_eq!(
        seen.names(),
        c.visible.names(),
        "{}: libvirt's expansion differs",
        c.model
    );
    let leaked = seen.intersection(&p.hide).difference(&p.firmware_pending);
    assert!(
        leaked.is_empty(),
        "{}: hidden but visible: {:?}",
        c.model,
        leaked.names()
    );
    let missing = must_show(p, c).difference(&seen);
    assert!(
        missing.is_empty(),
        "{}: guests lose {:?}",
        c.model,
        missing.names()
    );
}

#[test]
fn kvm_settings_accepted_and_decoded_by_qemu_and_libvirt() {
    let (Some(qemu), Some(virsh)) = (tool("qemu-system-x86_64"), tool("virsh")) else {
        return;
    };
    let start = Instant::now();
    let fleets = fleets(300);
    if fleets.is_empty() {
        return;
    }
    let dir = scratch();
    let map = libvirt_cpu_map_features();
    let mut qmp = Qmp::start(&qemu);
    let mut qemu_strings = BTreeSet::new();
    let mut libvirt_ok = BTreeSet::new();
    let mut lost_counts = 0usize;
    for (i, (_, p)) in fleets.iter().enumerate() {
        let k: KvmSettings =
            cpumodel::plan_all(&want(p), Versions::default(), &format!("f{i}")).expect("plan");
        let q = k.qemu.as_ref().expect("a QEMU model for every fleet");
        assert!(q.unexpressible.is_empty(), "{}", q.qemu_arg());
        lost_counts += usize::from(!q.lost.is_empty());
        check_qemu(&qemu, &mut qmp, p, q, &mut qemu_strings);
        let l = k.libvirt.as_ref().expect("a libvirt model for every fleet");
        check_libvirt(&virsh, &dir, &map, p, l, &mut libvirt_ok);
        let px = k.proxmox.as_ref().expect("a Proxmox type");
        assert!(!px.cpu_line.contains("host"));
    }
    println!(
        "targets_tools: {} fleets; {} distinct -cpu strings started by QEMU 7.2 and decoded by \
         query-cpu-model-expansion; {} distinct libvirt elements accepted and expanded by virsh 9.0 \
         cpu-baseline; {} fleets with features QEMU 7.2 cannot name (listed in the output); {:.1}s",
        fleets.len(),
        qemu_strings.len(),
        libvirt_ok.len(),
        lost_counts,
        start.elapsed().as_secs_f64()
    );
    assert!(fleets.len() >= 200, "too few fleets: {}", fleets.len());
}

#[test]
fn newest_release_names_are_in_the_reference_tables() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let reference = shared.join("reference");
    let models: BTreeSet<String> = common::read_tsv(&reference.join("libvirt_x86_models.tsv"))
        .iter()
        .filter_map(|r| r.get("model").cloned())
        .collect();
    let mut libvirt_names = BTreeSet::new();
    let mut qemu_names = BTreeSet::new();
    for r in common::read_tsv(&reference.join("libvirt_x86_features.tsv")) {
        if let Some(n) = r.get("name") {
            libvirt_names.insert(n.clone());
        }
        for a in r
            .get("aliases")
            .map(String::as_str)
            .unwrap_or("")
            .split(',')
        {
            if let Some(q) = a.strip_suffix("(qemu)") {
                qemu_names.insert(q.to_string());
            }
        }
    }
    for r in common::read_tsv(&reference.join("feature_name_crosswalk.tsv")) {
        if let Some(q) = r.get("qemu").filter(|q| !q.is_empty()) {
            qemu_names.insert(q.clone());
        }
    }
    let newest = Versions {
        qemu: *models::table_versions(Tool::Qemu)
            .last()
            .expect("qemu tables"),
        libvirt: *models::table_versions(Tool::Libvirt)
            .last()
            .expect("libvirt tables"),
    };
    let fleets = fleets(200);
    let (mut q_checked, mut l_checked) = (0usize, 0usize);
    for (i, (_, p)) in fleets.iter().enumerate() {
        let k = cpumodel::plan_all(&want(p), newest, &format!("f{i}")).expect("plan");
        if let Some(q) = &k.qemu {
            assert!(
                models.contains(&q.model),
                "QEMU {} model {} not in the reference",
                newest.qemu,
                q.model
            );
            for f in q.add.iter().chain(&q.optional).chain(&q.disable) {
                assert!(
                    qemu_names.contains(f) || libvirt_names.contains(f),
                    "QEMU {} name {f} not in the reference",
                    newest.qemu
                );
            }
            q_checked += 1;
        }
        if let Some(l) = &k.libvirt {
            assert!(
                models.contains(&l.model),
                "libvirt model {} not in the reference",
                l.model
            );
            for f in l.add.iter().chain(&l.optional).chain(&l.disable) {
                assert!(
                    libvirt_names.contains(f),
                    "libvirt name {f} not in the reference"
                );
            }
            l_checked += 1;
        }
    }
    println!(
        "newest tables (QEMU {}, libvirt {}): {q_checked} -cpu strings and {l_checked} <cpu> \
         elements name only models and features of ../shared/reference",
        newest.qemu, newest.libvirt
    );
    assert!(q_checked >= 100 && l_checked >= 100);
}

fn vmcompat(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run vmcompat");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "vmcompat {args:?}: {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cpu_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("-cpu "))
        .map(str::to_string)
        .collect()
}

#[test]
fn fleet_example_qemu_option_boots_a_tcg_guest() {
    let Some(qemu) = tool("qemu-system-x86_64") else {
        return;
    };
    let out = vmcompat(&[
        "mask",
        "examples/fleet.toml",
        "--target",
        "kvm",
        "--format",
        "qemu",
    ]);
    let lines = cpu_lines(&out);
    assert_eq!(lines.len(), 2, "one -cpu per cluster:\n{out}");
    for line in &lines {
        assert!(!line.contains("host"), "{line}");
        let cpu = &line["-cpu ".len()..];
        let mut child = Command::new(&qemu)
            .args([
                "-accel",
                "tcg",
                "-machine",
                "q35",
                "-nodefaults",
                "-display",
                "none",
            ])
            .args(["-no-reboot", "-m", "64", "-cpu", cpu])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start qemu");
        std::thread::sleep(Duration::from_millis(1500));
        let early = child.try_wait().expect("wait");
        let _ = child.kill();
        let out = child.wait_with_output().expect("qemu output");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            early.is_none(),
            "QEMU refused {line} (exited {early:?}): {err}"
        );
        assert!(!err.contains("not found"), "{line}: {err}");
        println!("booted a TCG guest for 1.5 s with {line}");
    }
}

#[test]
fn zen3_to_zen2_case_under_kvm() {
    let (Some(qemu), Some(virsh)) = (tool("qemu-system-x86_64"), tool("virsh")) else {
        return;
    };
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let fleet = shared.join("cases/zen3-to-zen2-mitigations/fleet.toml");
    let fleet = fleet.to_str().expect("utf-8 path");
    // The QEMU option: accepted, and QEMU's expansion hides what the case says.
    let out = vmcompat(&["mask", fleet, "--target", "kvm", "--format", "qemu"]);
    assert!(
        out.contains("target for cluster harvester: kvm (--target)"),
        "{out}"
    );
    let lines = cpu_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    qemu_accepts(&qemu, &lines[0]).unwrap_or_else(|e| panic!("{e}"));
    let mut parts = lines[0]["-cpu ".len()..].split(',');
    let model = parts.next().expect("model").to_string();
    let mut props = BTreeMap::new();
    for p in parts {
        let (on, name) = p.split_at(1);
        props.insert(name.to_string(), on == "+");
    }
    let table = models::release(Tool::Qemu, Version(7, 2)).expect("7.2");
    let planned = table.model(&model).expect("a 7.2 model").features;
    accel_props(&planned, &mut props);
    let mut qmp = Qmp::start(&qemu);
    let seen = qmp.expand(&model, &props).expect("expansion");
    for hidden in ["erms", "vaes", "vpclmulqdq", "fsrm", "invpcid", "pku"] {
        let id = catalog::lookup(hidden).expect(hidden);
        assert!(!seen.contains(id), "{hidden} is visible under {}", lines[0]);
    }
    for kept in ["amd_ssbd", "amd_stibp", "sse4_2", "avx2"] {
        let id = catalog::lookup(kept).expect(kept);
        assert!(seen.contains(id), "{kept} is hidden under {}", lines[0]);
    }
    assert!(!lines[0].contains("lmsle"), "{}", lines[0]);
    // What 7.2 cannot name is said, and the mask is verified for what it expresses.
    assert!(out.contains("verified"), "{out}");
    // The libvirt element: accepted, names only cpu_map features, same hiding.
    let xml = vmcompat(&["mask", fleet, "--target", "kvm", "--format", "libvirt"]);
    let model = xml
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("<model fallback='forbid'>")?
                .strip_suffix("</model>")
        })
        .expect("a <model>")
        .to_string();
    let mut c = ModelChoice {
        tool: Tool::Libvirt,
        version: Version(9, 0),
        table: Version(9, 0),
        version_note: None,
        model,
        add: Vec::new(),
        optional: Vec::new(),
        disable: Vec::new(),
        visible: FeatureSet::new(),
        lost: FeatureSet::new(),
        unexpressible: FeatureSet::new(),
    };
    for l in xml
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<feature "))
    {
        let name = l
            .split("name='")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("name")
            .to_string();
        if l.contains("'disable'") {
            c.disable.push(name);
        } else if l.contains("'optional'") {
            c.optional.push(name);
        } else {
            c.add.push(name);
        }
    }
    let dir = scratch();
    let map = libvirt_cpu_map_features();
    for f in c.add.iter().chain(&c.optional).chain(&c.disable) {
        assert!(map.contains(f), "{f} is not in libvirt 9.0's cpu_map");
    }
    virsh_expand(&virsh, &dir, &c, Vendor::Amd, true).unwrap_or_else(|e| panic!("{e}"));
    let expanded =
        virsh_expand(&virsh, &dir, &c, Vendor::Amd, false).unwrap_or_else(|e| panic!("{e}"));
    let disabled: BTreeSet<String> = c.disable.iter().cloned().collect();
    let seen = ids(&expanded.difference(&disabled).cloned().collect());
    for hidden in ["erms", "vaes", "vpclmulqdq", "fsrm", "invpcid", "pku"] {
        let id = catalog::lookup(hidden).expect(hidden);
        assert!(
            !seen.contains(id),
            "{hidden} is visible under libvirt's {}",
            c.model
        );
    }
    for kept in ["amd_ssbd", "sse4_2", "avx2"] {
        let id = catalog::lookup(kept).expect(kept);
        assert!(
            seen.contains(id),
            "{kept} is hidden under libvirt's {}",
            c.model
        );
    }
    println!("zen3-to-zen2 under kvm: {} and libvirt {} accepted; Zen 3-only features hidden, mitigations kept", lines[0], c.model);
}

#[test]
fn cross_vendor_is_cold_migration_unless_asked_and_then_accepted_by_qemu() {
    let dir = scratch();
    let fleet = dir.join("mixed.toml");
    std::fs::write(
        &fleet,
        "[fleet]\nname = \"mixed\"\n\n[[host]]\nname = \"intel1\"\ncluster = \"kvm\"\n\
         profile = \"xeon-scalable-2nd-gen\"\n\n[[host]]\nname = \"amd1\"\ncluster = \"kvm\"\n\
         profile = \"epyc-7002\"\n",
    )
    .expect("write fleet");
    let f = fleet.to_str().expect("utf-8");
    let out = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["mask", f, "--target", "kvm", "--format", "qemu"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cold migration only"), "{err}");
    let cross = vmcompat(&[
        "mask",
        f,
        "--target",
        "kvm",
        "--format",
        "qemu",
        "--cross-vendor",
    ]);
    assert!(
        cross.contains("WARNING: Intel <-> AMD live migration under KVM, for Linux guests only"),
        "{cross}"
    );
    let lines = cpu_lines(&cross);
    assert_eq!(lines.len(), 1, "{cross}");
    for vendor_only in ["spec-ctrl", "amd-ssbd", "svm", "vmx"] {
        assert!(
            !lines[0].contains(&format!("+{vendor_only}")),
            "{}",
            lines[0]
        );
    }
    let refused = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args([
            "mask",
            f,
            "--target",
            "kvm",
            "--format",
            "vmx",
            "--cross-vendor",
        ])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    if let Some(qemu) = tool("qemu-system-x86_64") {
        qemu_accepts(&qemu, &lines[0]).unwrap_or_else(|e| panic!("{e}"));
        println!("cross-vendor: {} accepted by QEMU", lines[0]);
    }
}

#[test]
fn fleet_file_targets_per_fleet_and_per_cluster() {
    let dir = scratch();
    let fleet = dir.join("targets.toml");
    std::fs::write(
        &fleet,
        "[fleet]\nname = \"t\"\ntarget = \"kvm\"\n\n[cluster.pve]\ntarget = \"proxmox\"\n\n\
         [[host]]\nname = \"a\"\ncluster = \"pve\"\nprofile = \"epyc-7002\"\n\n\
         [[host]]\nname = \"b\"\ncluster = \"pve\"\nprofile = \"epyc-7003\"\n\n\
         [[host]]\nname = \"c\"\ncluster = \"lab\"\nprofile = \"xeon-e5-2600-v3\"\n",
    )
    .expect("write fleet");
    let f = fleet.to_str().expect("utf-8");
    let out = vmcompat(&["mask", f, "--format", "proxmox"]);
    assert!(
        out.contains("# target for cluster pve: proxmox (the fleet file's [cluster.pve] target)"),
        "{out}"
    );
    assert!(
        out.contains("# target for cluster lab: kvm (the fleet file's [fleet] target)"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("cpu: ")), "{out}");
    // A wrong value names the file and line.
    std::fs::write(&fleet, "[fleet]\nname = \"t\"\ntarget = \"hyperv\"\n").expect("write");
    let bad = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["mask", f])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{err}");
    assert!(err.contains("targets.toml") && err.contains(":3"), "{err}");
}
