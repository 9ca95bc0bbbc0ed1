//! A host's fingerprint: the firmware and software versions that change what its
//! CPU shows a guest (a microcode or BIOS update adds or removes `md_clear`, TSX,
//! speculation controls; a kernel or QEMU update changes what KVM passes
//! through). Two audits whose CPUID differs are explained by the fingerprint that
//! changed with it.
//!
//! Every field is optional: `None` means the source could not tell (no
//! `/sys/class/dmi` in a container, no QEMU on the host, a profile), never "empty".
//! Values come from hosts and files and are untrusted: [`clean`] bounds and
//! sanitises each one before it is stored.
//!
//! Sources of each fact:
//! - microcode revision: the `microcode` line of `/proc/cpuinfo` (Linux
//!   `arch/x86/kernel/cpu/proc.c` prints it as `0x%x`);
//! - BIOS vendor, version and release date: SMBIOS type 0 as Linux exports it in
//!   `/sys/class/dmi/id/bios_{vendor,version,date}` (or `dmidecode -s bios-*`), and
//!   ESXi's `vim-cmd hostsvc/hosthardware` `biosInfo` (vim.host.BIOSInfo:
//!   `vendor`, `biosVersion`, `releaseDate`);
//! - kernel release: `uname -r`; on ESXi the release `vmware -v` prints;
//! - QEMU: the first line of `qemu-system-x86_64 --version` (or
//!   `/usr/libexec/qemu-kvm --version` on RHEL); libvirt: `libvirtd --version`
//!   (or `virtqemud`, or `virsh --version`).

use serde::{Deserialize, Serialize};

/// The longest value kept, in characters: longer ones are cut (real values are
/// under 80: "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)").
pub const MAX_VALUE_CHARS: usize = 120;

/// Firmware and software versions of one host. `None`: not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Microcode revision as the kernel prints it (`0x1000065`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microcode: Option<String>,
    /// SMBIOS BIOS vendor (`American Megatrends Inc.`, `Dell Inc.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bios_vendor: Option<String>,
    /// SMBIOS BIOS version (`2.19.0`, `U46 v2.82`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bios_version: Option<String>,
    /// SMBIOS BIOS release date as given (`03/14/2024`; ESXi: an ISO 8601 time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bios_date: Option<String>,
    /// Kernel release (`uname -r`: `6.1.0-18-amd64`; ESXi: `VMware ESXi 7.0.3 build-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// QEMU version (`7.2.22`, with the distribution's suffix when it prints one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qemu: Option<String>,
    /// libvirt version (`9.0.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libvirt: Option<String>,
}

/// One field of a fingerprint, for listing and comparing them in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// [`Fingerprint::microcode`]
    Microcode,
    /// [`Fingerprint::bios_vendor`]
    BiosVendor,
    /// [`Fingerprint::bios_version`]
    BiosVersion,
    /// [`Fingerprint::bios_date`]
    BiosDate,
    /// [`Fingerprint::kernel`]
    Kernel,
    /// [`Fingerprint::qemu`]
    Qemu,
    /// [`Fingerprint::libvirt`]
    Libvirt,
}

impl Field {
    /// Every field, in the order reports list them.
    pub const ALL: [Field; 7] = [
        Field::Microcode,
        Field::BiosVendor,
        Field::BiosVersion,
        Field::BiosDate,
        Field::Kernel,
        Field::Qemu,
        Field::Libvirt,
    ];

    /// Words for reports (`BIOS version`).
    pub fn label(self) -> &'static str {
        match self {
            Field::Microcode => "microcode",
            Field::BiosVendor => "BIOS vendor",
            Field::BiosVersion => "BIOS version",
            Field::BiosDate => "BIOS date",
            Field::Kernel => "kernel",
            Field::Qemu => "QEMU",
            Field::Libvirt => "libvirt",
        }
    }

    /// True for the fields a firmware update changes (microcode, BIOS).
    pub fn is_firmware(self) -> bool {
        matches!(
            self,
            Field::Microcode | Field::BiosVendor | Field::BiosVersion | Field::BiosDate
        )
    }
}

impl Fingerprint {
    /// The value of one field.
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::Microcode => self.microcode.as_deref(),
            Field::BiosVendor => self.bios_vendor.as_deref(),
            Field::BiosVersion => self.bios_version.as_deref(),
            Field::BiosDate => self.bios_date.as_deref(),
            Field::Kernel => self.kernel.as_deref(),
            Field::Qemu => self.qemu.as_deref(),
            Field::Libvirt => self.libvirt.as_deref(),
        }
    }

    /// Sets one field to `value` after [`clean`] (a value that cleans to nothing
    /// leaves the field unknown).
    pub fn set(&mut self, field: Field, value: &str) {
        let v = clean(value);
        let slot = match field {
            Field::Microcode => &mut self.microcode,
            Field::BiosVendor => &mut self.bios_vendor,
            Field::BiosVersion => &mut self.bios_version,
            Field::BiosDate => &mut self.bios_date,
            Field::Kernel => &mut self.kernel,
            Field::Qemu => &mut self.qemu,
            Field::Libvirt => &mut self.libvirt,
        };
        *slot = v;
    }

    /// True when no field is known.
    pub fn is_unknown(&self) -> bool {
        Field::ALL.iter().all(|f| self.get(*f).is_none())
    }

    /// The known fields with their values, in report order.
    pub fn known(&self) -> Vec<(Field, &str)> {
        Field::ALL
            .iter()
            .filter_map(|f| self.get(*f).map(|v| (*f, v)))
            .collect()
    }

    /// Every field cleaned again (for values read from files: the same bounds as
    /// values read from hosts).
    pub fn cleaned(&self) -> Fingerprint {
        let mut out = Fingerprint::default();
        for (f, v) in self.known() {
            out.set(f, v);
        }
        out
    }

    /// Fills the fields `self` does not know from `other`.
    pub fn fill_from(&mut self, other: &Fingerprint) {
        for (f, v) in other.known() {
            if self.get(f).is_none() {
                self.set(f, v);
            }
        }
    }
}

/// Makes a value from a host or a file safe to store and print: the first line
/// only, trimmed, control and format characters (escapes, bidirectional
/// overrides) dropped, at most [`MAX_VALUE_CHARS`] characters. `None` when
/// nothing is left, and for the placeholders firmware vendors leave in SMBIOS
/// (`To be filled by O.E.M.`, `Not Specified`, `Default string`).
pub fn clean(value: &str) -> Option<String> {
    let line = value.lines().next().unwrap_or("");
    let mut out = String::new();
    let mut n = 0;
    for c in line.chars() {
        if n >= MAX_VALUE_CHARS {
            break;
        }
        if c.is_control() || is_format_char(c) {
            continue;
        }
        out.push(c);
        n += 1;
    }
    let t = out.trim();
    let placeholder = [
        "to be filled by o.e.m.",
        "not specified",
        "default string",
        "unknown",
        "<unset>",
    ];
    if t.is_empty() || placeholder.contains(&t.to_ascii_lowercase().as_str()) {
        return None;
    }
    Some(t.to_string())
}

/// Unicode format characters that reorder or hide text (bidirectional controls,
/// zero-width characters, the BOM).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// The version in `qemu-system-x86_64 --version`'s first line
/// (`QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)` gives
/// `7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`); `None` when the line is not that.
pub fn qemu_version(output: &str) -> Option<String> {
    let line = output
        .lines()
        .find(|l| l.contains("QEMU emulator version"))?;
    let (_, rest) = line.split_once("QEMU emulator version")?;
    clean(rest)
}

/// The version in `libvirtd --version` (`libvirtd (libvirt) 9.0.0`),
/// `virtqemud --version` or `virsh --version` (`9.0.0`): the first word of the
/// first line that starts with a digit and holds a dot.
pub fn libvirt_version(output: &str) -> Option<String> {
    let line = output.lines().find(|l| !l.trim().is_empty())?;
    let word = line
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))?;
    clean(word)
}

/// The revision in a `/proc/cpuinfo` `microcode` line (`microcode\t: 0xde`),
/// or in its value alone.
pub fn microcode_value(line: &str) -> Option<String> {
    let v = match line.split_once(':') {
        Some((k, v)) if k.trim() == "microcode" => v,
        Some(_) => return None,
        None => line,
    };
    clean(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_bounds_and_sanitises() {
        assert_eq!(clean("  2.19.0 \n second line"), Some("2.19.0".into()));
        assert_eq!(clean("a\u{1b}[31mb\u{202e}c"), Some("a[31mbc".into()));
        assert_eq!(clean(&"x".repeat(1000)).unwrap().len(), MAX_VALUE_CHARS);
        assert_eq!(clean("   "), None);
        assert_eq!(clean("To be filled by O.E.M."), None);
        assert_eq!(clean(""), None);
    }

    #[test]
    fn version_lines() {
        assert_eq!(
            qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n"),
            Some("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)".into())
        );
        assert_eq!(qemu_version("bash: qemu: not found"), None);
        assert_eq!(
            libvirt_version("libvirtd (libvirt) 9.0.0\n"),
            Some("9.0.0".into())
        );
        assert_eq!(libvirt_version("9.0.0\n"), Some("9.0.0".into()));
        assert_eq!(libvirt_version("command not found"), None);
        assert_eq!(
            libvirt_version("libvirtd (libvirt) 10.0.0 x 1.2\n"),
            Some("10.0.0".into())
        );
        assert_eq!(
            microcode_value("microcode\t: 0x1000065"),
            Some("0x1000065".into())
        );
        assert_eq!(microcode_value("model\t: 1"), None);
    }

    #[test]
    fn set_get_fill() {
        let mut a = Fingerprint::default();
        assert!(a.is_unknown());
        a.set(Field::Kernel, "6.1.0-18-amd64\n");
        a.set(Field::BiosVendor, "Not Specified");
        assert_eq!(a.kernel.as_deref(), Some("6.1.0-18-amd64"));
        assert_eq!(a.bios_vendor, None);
        let mut b = Fingerprint {
            kernel: Some("other".into()),
            microcode: Some("0xde".into()),
            ..Default::default()
        };
        b.fill_from(&a);
        assert_eq!(b.kernel.as_deref(), Some("other"));
        a.fill_from(&b);
        assert_eq!(a.known().len(), 2);
    }
}
