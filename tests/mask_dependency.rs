//! Masks read from users: `mask --explain` and `vms` warn when a mask hides a
//! feature but leaves visible what requires it (AVX hidden, AVX2/FMA/AVX-512
//! visible), naming the bits; `vms` counts only what the VM's host offers.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn vmcompat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .output()
        .expect("vmcompat runs")
}

#[test]
fn explain_names_the_visible_dependents_and_their_bits() {
    let out = vmcompat(&["mask", "--explain", "featMask.vm.cpuid.AVX = \"Val:0\""]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("WARNING: the mask hides avx (CPUID.1H:ECX[28])"),
        "{text}"
    );
    for dep in [
        "avx2 (CPUID.7H.0:EBX[5])",
        "fma (CPUID.1H:ECX[12])",
        "avx512f (CPUID.7H.0:EBX[16])",
    ] {
        assert!(text.contains(dep), "{dep} not named:\n{text}");
    }
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // Hiding the dependents too: no warning.
    let out = vmcompat(&[
        "mask",
        "--explain",
        "cpuid.1.ecx = \"---0:----:----:----:---0:----:----:----\"",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WARNING: the mask hides avx"), "{text}");
    assert!(
        !text.contains("fma (CPUID.1H"),
        "fma is hidden too:\n{text}"
    );
    // JSON carries the gaps.
    let out = vmcompat(&[
        "mask",
        "--explain",
        "featMask.vm.cpuid.AVX = \"Val:0\"",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["dependency_gaps"][0]["hidden"], "avx");
}

#[test]
fn vms_warns_with_what_the_host_offers() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir: PathBuf = std::env::temp_dir().join(format!("vmcompat-dep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let vm = dir.join("vms/ds1/noavx");
    std::fs::create_dir_all(&vm).expect("dir");
    std::fs::write(
        vm.join("noavx.vmx"),
        "displayName = \"noavx\"\nfeatMask.vm.cpuid.AVX = \"Val:0\"\n",
    )
    .expect("vmx");
    // Broadwell: AVX2 and FMA, no AVX-512.
    let dump = shared.join("cases/per-vm-evc/esx-bdw.txt");
    std::fs::write(
        dir.join("fleet.toml"),
        format!(
            "[fleet]\nname = \"d\"\n[[host]]\nname = \"bdw\"\ndump = {:?}\nvms_dir = {:?}\n",
            dump.display().to_string(),
            dir.join("vms").display().to_string()
        ),
    )
    .expect("fleet");
    let fleet = dir.join("fleet.toml").display().to_string();
    let out = vmcompat(&["vms", &fleet, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = v["hosts"][0]["vms"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "mask-dependency")
        .unwrap_or_else(|| panic!("no mask-dependency warning: {v}"))
        .clone();
    assert_eq!(f["severity"], "warning");
    let problem = f["problem"].as_str().expect("text");
    assert!(problem.contains("avx (CPUID.1H:ECX[28])"), "{problem}");
    assert!(problem.contains("avx2 (CPUID.7H.0:EBX[5])"), "{problem}");
    assert!(problem.contains("fma"), "{problem}");
    assert!(
        !problem.contains("avx512f"),
        "Broadwell has no AVX-512: {problem}"
    );
    assert!(
        f["fix"]
            .as_str()
            .is_some_and(|x| x.contains("featMask.vm.cpuid.AVX2 = \"Max:0\"")),
        "{f}"
    );
    // A warning only: the VM is not blocked by it (exit 0, no other finding).
    assert_eq!(out.status.code(), Some(0), "{v}");
}
