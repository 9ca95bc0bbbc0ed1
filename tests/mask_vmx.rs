//! VMX mask lines: the classic cases, the real lines of the ESXi samples, and
//! rewriting a realistic `.vmx` (other bytes kept, idempotent, backup, atomic).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use vmcompat::catalog::{self, FeatureSet};
use vmcompat::cpuid::Reg;
use vmcompat::mask::vmx::{parse_line, MaskLine};
use vmcompat::mask::{
    apply_to_vmx, build, cpuid_lines_for, parse_mask, parse_vmx, render, ApplyStatus, CpuidMask,
    MaskChar, MaskKind, RegisterMask, Spelling,
};

fn set(names: &[&str]) -> FeatureSet {
    names
        .iter()
        .map(|n| catalog::lookup(n).unwrap_or_else(|| panic!("{n} is not in the catalog")))
        .collect()
}

/// A mask hiding one raw bit position, independent of the catalog.
fn raw_hide(leaf: u32, subleaf: u32, reg: Reg, bit: u8) -> CpuidMask {
    let mut r = RegisterMask::for_location(leaf, subleaf, reg);
    r.set(bit, MaskChar::Hide);
    let mut m = CpuidMask::new();
    m.insert_register(r);
    m
}

#[test]
fn classic_nx_line() {
    let expected = "cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"\n";
    assert_eq!(
        render(&raw_hide(0x8000_0001, 0, Reg::Edx, 20), Spelling::Colon),
        expected
    );
    // Through the catalog, once it defines nx.
    if let Some(nx) = catalog::lookup("nx") {
        let hidden: FeatureSet = [nx].into_iter().collect();
        assert_eq!(render(&cpuid_lines_for(&hidden), Spelling::Colon), expected);
    }
}

#[test]
fn classic_sse3_line() {
    let m = cpuid_lines_for(&set(&["pni"]));
    assert_eq!(
        render(&m, Spelling::Colon),
        "cpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\n"
    );
    assert_eq!(
        render(&m, Spelling::Compact),
        "cpuid.1.ecx = \"-------------------------------0\"\n"
    );
}

#[test]
fn leaf7_keys_carry_the_subleaf() {
    let m = raw_hide(7, 0, Reg::Ebx, 5);
    assert_eq!(
        render(&m, Spelling::Colon),
        "cpuid.7.0.ebx = \"----:----:----:----:----:----:--0-:----\"\n"
    );
    assert_eq!(
        raw_hide(0xd, 1, Reg::Ecx, 11).registers[0].key(),
        "cpuid.d.1.ecx"
    );
}

#[test]
fn featmask_spelling_round_trips() {
    let hidden = catalog::closure_of_dependents(&set(&["pni"]));
    let m = build(&hidden, MaskKind::FeatMask);
    let text = render(&m, Spelling::Colon);
    assert!(
        text.contains("featMask.vm.cpuid.SSE3 = \"Val:0\"\n"),
        "{text}"
    );
    assert_eq!(parse_mask(&text, "featmask.txt").ok(), Some(m));
}

fn read_sample(name: &str) -> Option<String> {
    let shared = common::shared_dir()?;
    Some(
        fs::read_to_string(shared.join("samples/esxi").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}")),
    )
}

#[test]
fn every_real_mask_line_of_the_samples_parses() {
    let Some(text) = read_sample("vmx_cpuid_mask_examples.txt") else {
        return;
    };
    let mut registers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if !(t.starts_with("cpuid.") || t.starts_with("featMask.")) {
            continue;
        }
        match parse_line(line) {
            Ok(Some(MaskLine::Register(r))) => registers.push(r),
            Ok(Some(MaskLine::FeatMask(_))) => {}
            Ok(None) if t.starts_with("featMask.vm.hv") || t.starts_with("featMask.vm.vt") => {}
            other => panic!("line {}: {line}: {other:?}", i + 1),
        }
    }
    assert!(registers.len() >= 20, "{} register lines", registers.len());

    // The three spellings of "hide NX" (section 4) are one mask; .amd only adds the scope.
    let nx: Vec<&RegisterMask> = registers
        .iter()
        .filter(|r| {
            r.leaf == 0x8000_0001 && r.reg == Reg::Edx && r.bits_with(MaskChar::Hide) == 1 << 20
        })
        .collect();
    let plain: Vec<&&RegisterMask> = nx.iter().filter(|r| !r.amd_only).collect();
    assert!(plain.len() >= 2, "{nx:?}");
    assert!(plain
        .iter()
        .all(|r| r.chars == plain[0].chars && r.subleaf.is_none()));
    let amd: Vec<&&RegisterMask> = nx.iter().filter(|r| r.amd_only).collect();
    assert_eq!(amd.len(), 1);
    assert_eq!(amd[0].chars, plain[0].chars);
    assert_eq!(amd[0].key(), "cpuid.80000001.edx.amd");

    // The space-separated line with H at bit 20 (section 2).
    assert!(registers
        .iter()
        .any(|r| r.leaf == 0x8000_0001 && r.get(20) == MaskChar::HostAgree));
    // The old lowercase-x line keeps its x when written back.
    let old = registers
        .iter()
        .find(|r| r.compact() == "xx0xxxxxxxx0xxxxxxxxxxxxxxxxxxxx")
        .expect("the VI3-era line");
    assert_eq!(old.bits_with(MaskChar::Hide), (1 << 29) | (1 << 20));
    // Leaf 7 with a subleaf (section 6).
    assert!(registers
        .iter()
        .any(|r| r.key() == "cpuid.7.0.ebx" && r.bits_with(MaskChar::Hide) == 1 << 5));
}

#[test]
fn the_evc_template_reads_as_named_masks() {
    let Some(text) = read_sample("featmask_vm_perVM_EVC_template.vmx.txt") else {
        return;
    };
    let m = parse_vmx(&text, "featmask_vm_perVM_EVC_template.vmx.txt").expect("parses");
    assert!(m.registers.is_empty());
    assert!(m.featmasks.len() >= 30);
    assert_eq!(m.featmask("model").map(|f| f.value), Some(0x2d));
    assert_eq!(
        m.featmask("NUM_EXT_LEVELS").map(|f| f.value),
        Some(0x8000_0008)
    );
    // Rendered and read back, the same mask.
    assert_eq!(
        parse_vmx(&render(&m, Spelling::Colon), "again").ok(),
        Some(m)
    );
}

#[test]
fn malformed_lines_name_file_and_line() {
    let text = "# hide nx\n\ncpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"\n\
                cpuid.1.ecx = \"----:----:----:----:----:----:Q---:----\"\n";
    let e = parse_vmx(text, "app01.vmx")
        .expect_err("bad char")
        .to_string();
    assert_eq!(
        e,
        "app01.vmx:4: unknown mask character 'Q' at bit 7; expected one of - 0 1 T F H R X x"
    );
    let e = parse_vmx(
        "a = \"b\"\ncpuid.7.0.ebx = \"-------------------------------\"\n",
        "v.vmx",
    )
    .expect_err("short")
    .to_string();
    assert!(
        e.starts_with("v.vmx:2: value has 31 mask characters; expected 32 (leftmost = bit 31)"),
        "{e}"
    );
    let e = parse_vmx("featMask.vm.cpuid.NX = \"Val=0\"\n", "f.vmx")
        .expect_err("op")
        .to_string();
    assert!(e.starts_with("f.vmx:1: "), "{e}");
}

// ---- rewriting a .vmx -------------------------------------------------------

/// A realistic VM configuration modeled on an ESXi 7 VM with a per-VM feature
/// block (HW 19), with an old SSE3 mask line and settings that must survive.
const FIXTURE: &str = r#".encoding = "windows-1252"
config.version = "8"
virtualHW.version = "19"
displayName = "app01-caf<E9>"
guestOS = "rhel8-64"
numvcpus = "4"
cpuid.coresPerSocket = "2"
memSize = "8192"
# masks below were added by hand in 2019
cpuid.1.ecx = "----:----:----:----:----:----:----:---0"
featMask.vm.cpuid.AES = "Val:1"
featMask.vm.cpuid.AVX = "Val:1"
featMask.vm.cpuid.FAMILY = "Val:6"
featMask.vm.cpuid.MODEL = "Val:0x2d"
featMask.vm.hv.capable = "Val:1"
featMask.vm.vt.realmode = "Val:1"
scsi0.virtualDev = "pvscsi"
scsi0.present = "TRUE"
scsi0:0.fileName = "app01.vmdk"
ethernet0.networkName = "VM Network"
ethernet0.present = "TRUE"
uuid.bios = "42 1a 6b 2c 9d 3e 4f 50-61 72 83 94 a5 b6 c7 d8"
"#;

/// The fixture as bytes: `<E9>` becomes the windows-1252 byte 0xE9 (not UTF-8),
/// with the chosen line ending.
fn fixture(crlf: bool) -> Vec<u8> {
    let text = if crlf {
        FIXTURE.replace('\n', "\r\n")
    } else {
        FIXTURE.to_string()
    };
    let mut bytes = Vec::new();
    for part in text.split("<E9>").enumerate() {
        if part.0 > 0 {
            bytes.push(0xe9);
        }
        bytes.extend_from_slice(part.1.as_bytes());
    }
    bytes
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vmcompat-mask-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn nx_and_sse3_mask() -> CpuidMask {
    let mut m = raw_hide(0x8000_0001, 0, Reg::Edx, 20);
    m.register_mut(1, None, Reg::Ecx, false)
        .set(0, MaskChar::Hide);
    m.sort();
    m
}

/// Every line of `bytes` that is not a managed mask line.
fn other_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| {
            let t = String::from_utf8_lossy(l).to_ascii_lowercase();
            !(t.starts_with("cpuid.1.")
                || t.starts_with("cpuid.80000001.")
                || t.starts_with("featmask.vm.cpuid."))
        })
        .map(<[u8]>::to_vec)
        .collect()
}

fn check_rewrite(crlf: bool) {
    let dir = TempDir::new(if crlf { "crlf" } else { "lf" });
    let vmx = dir.0.join("app01.vmx");
    let original = fixture(crlf);
    fs::write(&vmx, &original).expect("write fixture");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&vmx, fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    let mask = nx_and_sse3_mask();

    let out = apply_to_vmx(&vmx, &mask).expect("apply");
    assert_eq!(out.status, ApplyStatus::Written);
    let backup = out.backup.clone().expect("backup made");
    assert_eq!(backup, dir.0.join("app01.vmx.bak"));
    assert_eq!(fs::read(&backup).expect("backup"), original);
    assert!(
        out.removed
            .iter()
            .any(|l| l == "featMask.vm.cpuid.MODEL = \"Val:0x2d\""),
        "{out:?}"
    );
    assert_eq!(
        out.added,
        ["cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\""]
    );

    let written = fs::read(&vmx).expect("read back");
    let eol = if crlf { "\r\n" } else { "\n" };
    let block = format!(
        "cpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"{eol}\
         cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"{eol}"
    );
    // The new lines stand where the first old mask line stood...
    let comment = format!("# masks below were added by hand in 2019{eol}");
    let at = written
        .windows(comment.len())
        .position(|w| w == comment.as_bytes())
        .expect("comment kept")
        + comment.len();
    assert_eq!(&written[at..at + block.len()], block.as_bytes());
    // ...and every other line, byte for byte, in order (0xE9 and line endings included).
    assert_eq!(other_lines(&written), other_lines(&original));
    assert!(written.windows(2).any(|w| w == b"f\xe9"));
    assert!(String::from_utf8_lossy(&written).contains("featMask.vm.hv.capable = \"Val:1\""));
    // The mask reads back.
    assert_eq!(
        parse_vmx(&String::from_utf8_lossy(&written), "app01.vmx").ok(),
        Some(mask.clone())
    );
    // Permissions kept, no temporary file left.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&vmx).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    assert_eq!(entries(&dir.0), ["app01.vmx", "app01.vmx.bak"]);

    // Idempotent: the second run writes nothing and makes no backup.
    let again = apply_to_vmx(&vmx, &mask).expect("apply again");
    assert_eq!(again.status, ApplyStatus::Unchanged);
    assert_eq!(again.backup, None);
    assert!(again.added.is_empty() && again.removed.is_empty());
    assert_eq!(fs::read(&vmx).expect("read"), written);
    assert_eq!(entries(&dir.0), ["app01.vmx", "app01.vmx.bak"]);

    // A different mask: the earlier backup is kept, the next one is .bak.1.
    let out = apply_to_vmx(&vmx, &raw_hide(0x8000_0001, 0, Reg::Edx, 20)).expect("third");
    assert_eq!(out.backup, Some(dir.0.join("app01.vmx.bak.1")));
    assert_eq!(
        fs::read(dir.0.join("app01.vmx.bak")).expect("bak"),
        original
    );
    assert_eq!(
        fs::read(dir.0.join("app01.vmx.bak.1")).expect("bak.1"),
        written
    );
}

#[test]
fn rewrite_lf_vmx() {
    check_rewrite(false);
}

#[test]
fn rewrite_crlf_vmx() {
    check_rewrite(true);
}

#[cfg(unix)]
#[test]
fn rewrite_is_in_place_and_follows_symlinks() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("rename");
    let real = dir.0.join("real.vmx");
    fs::write(&real, b"displayName = \"x\"\n").expect("write");
    let link = dir.0.join("link.vmx");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let before = fs::metadata(&real).expect("meta").ino();
    apply_to_vmx(&link, &nx_and_sse3_mask()).expect("apply");
    // Issue 15: written in place after the backup is on disk, so the same inode
    // (hard links, owner and mode kept; was a rename before)...
    assert_eq!(fs::metadata(&real).expect("meta").ino(), before);
    // ...and the link still points to it.
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&link)
        .expect("read")
        .contains("cpuid.80000001.edx"));
    assert!(dir.0.join("real.vmx.bak").exists());
}

#[test]
fn per_vm_evc_is_refused_and_the_file_untouched() {
    let dir = TempDir::new("evc");
    let vmx = dir.0.join("evc.vmx");
    let text = format!("{FIXTURE}featureCompat.vm.completeMasks = \"TRUE\"\n");
    fs::write(&vmx, &text).expect("write");
    let e = apply_to_vmx(&vmx, &nx_and_sse3_mask())
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("evc.vmx:23: this VM has a per-VM EVC configuration"),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&vmx).expect("read"), text);
    assert_eq!(entries(&dir.0), ["evc.vmx"]);
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let e = apply_to_vmx(Path::new("/nonexistent/vm.vmx"), &CpuidMask::new())
        .expect_err("missing")
        .to_string();
    assert!(e.contains("/nonexistent/vm.vmx"), "{e}");
}

#[test]
fn hiding_avx512f_clears_its_xsave_state_and_uses_max() {
    // Runs once the catalog defines avx512f (the seed table does not).
    let Some(avx512f) = catalog::lookup("avx512f") else {
        eprintln!("NOTE: catalog has no avx512f yet; skipped");
        return;
    };
    let hidden = catalog::closure_of_dependents(&[avx512f].into_iter().collect());
    let m = build(&hidden, MaskKind::CpuidLines);
    let leaf7 = m.register(7, Some(0), Reg::Ebx, false);
    assert_eq!(leaf7.map(|r| r.get(16)), Some(MaskChar::Hide));
    // XSAVE components 5, 6, 7 (opmask, ZMM_Hi256, Hi16_ZMM) are hidden in 0xD.0 EAX.
    let xcr0 = m.register(0xd, Some(0), Reg::Eax, false);
    assert_eq!(
        xcr0.map(|r| r.bits_with(MaskChar::Hide) & 0xff),
        Some(0b1110_0000),
        "{}",
        render(&m, Spelling::Colon)
    );
    let named = render(&build(&hidden, MaskKind::FeatMask), Spelling::Colon);
    if catalog::by_id(avx512f).vmware_name() == Some("AVX512F") {
        assert!(
            named.contains("featMask.vm.cpuid.AVX512F = \"Max:0\"\n"),
            "{named}"
        );
    }
}
