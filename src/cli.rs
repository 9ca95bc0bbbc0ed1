//! Command-line definitions (clap). Every flag is defined once, with its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::analysis::fleet::Policy;
use crate::render::OutputFormat;

/// Can a running VM move from this x86 host to that one, and if not, what exactly must change?
#[derive(Debug, Parser)]
#[command(name = "vmcompat", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe one host, cupid-style, with no reboot: vendor, signature, SSE level,
    /// NX/XD, long mode, VT-x/AMD-V, hypervisor, x86-64 level.
    Report(ReportArgs),
    /// Capture every CPUID leaf and subleaf of every logical CPU to a portable dump file.
    Probe(ProbeArgs),
    /// Audit a fleet: collect every host, group them, show the directional migration
    /// matrix, the differing features, baselines and weakest links. Exit 1 when some
    /// group cannot reach another.
    Audit(AuditArgs),
    /// Named feature differences between two hosts, dumps or profiles, both
    /// directions, with the migration verdict each way. Exit 1 when they differ.
    Diff(DiffArgs),
    /// Pre-purchase audit and CI gate: would this host (a dump, a profile, or
    /// `local`) join the fleet, and what would it cost? Exit 0 when every candidate
    /// fits without lowering the fleet's baseline, 1 otherwise.
    Check(CheckArgs),
    /// The minimal CPUID masks that let the chosen groups migrate between each
    /// other (VMware VMX or featMask lines, a libvirt <cpu> element, a QEMU -cpu
    /// string), verified against every member first; --explain reads mask lines;
    /// --apply writes the mask into a .vmx (backup kept, in place, idempotent).
    Mask(MaskArgs),
    /// List the CPU profiles (profiles/) and named baselines (masks/) shipped with
    /// vmcompat.
    Profiles(ProfilesArgs),
    /// VM readiness: read each host's VMs (.vmx files in `vms_dir`, or over SSH
    /// from ESXi hosts) and name what would stop each from moving, per host (the
    /// VMs that would stall maintenance mode), with the setting to change. Exit 1
    /// when some VM has an error.
    Vms(VmsArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell
    /// (e.g. `vmcompat completions bash > /etc/bash_completion.d/vmcompat`).
    Completions(CompletionsArgs),
    /// Print the manual page, roff (e.g. `vmcompat man | gzip >
    /// /usr/local/share/man/man1/vmcompat.1.gz`).
    Man,
}

/// `vmcompat completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `vmcompat vms`.
#[derive(Debug, Args)]
pub struct VmsArgs {
    /// The fleet file (hosts with `vms_dir = "DIR"` or `esxi = "USER@HOST"`).
    #[arg(value_name = "FLEET.toml")]
    pub fleet: PathBuf,
    /// How remote hosts are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Compatibility rules for the per-VM CPU checks (see `audit --help`).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Instead of VM readiness: what setting each cluster to this VMware EVC
    /// mode (`intel-haswell`, `amd-zen3`, ...) means for its VMs: the hosts that
    /// cannot run it, the VMs to power off first (they run with more), and the
    /// running VMs to power-cycle so they pick it up (from each VM's vmware.log
    /// or per-VM EVC lines; otherwise "not known").
    #[arg(long, value_name = "KEY")]
    pub evc_mode: Option<String>,
    /// Check each VM against every other host of the fleet, not only the hosts
    /// of its cluster (DRS and maintenance mode stay inside the cluster; this is
    /// for planned moves between clusters).
    #[arg(long)]
    pub all_clusters: bool,
    /// Only this cluster (the fleet file's `cluster = "NAME"`; `-` for hosts without one).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Where a single host's CPUID comes from.
#[derive(Debug, Args)]
pub struct HostSource {
    /// Read a saved dump instead of the local CPU: vmcompat's own TOML/JSON dump,
    /// `cpuid -r` output, a corpus file, or /proc/cpuinfo text (format detected).
    #[arg(long, value_name = "FILE", conflicts_with = "host")]
    pub dump: Option<PathBuf>,
    /// Read a remote Linux host over SSH instead: `user@host[:port]` (with
    /// `--esxi`: an ESXi host, `vim-cmd hostsvc/hosthardware`).
    #[arg(long, value_name = "USER@HOST[:PORT]")]
    pub host: Option<String>,
    /// The `--host` is an ESXi host (basic leaves only: no leaf 7, AVX2, AVX-512...).
    #[arg(long, requires = "host")]
    pub esxi: bool,
    /// SSH settings for `--host`.
    #[command(flatten)]
    pub ssh: crate::remote::fleet::SshArgs,
}

/// `vmcompat report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which host to describe (default: this machine).
    #[command(flatten)]
    pub source: HostSource,
    /// The host's ESXi release (`6.7.0`, `7.0 U2`, as `vmware -v` prints it):
    /// the highest VMware EVC mode shown is then one this release knows.
    #[arg(long, value_name = "RELEASE")]
    pub esxi_version: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `vmcompat probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Write the dump here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write JSON instead of TOML.
    #[arg(long)]
    pub json: bool,
}

/// `vmcompat audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The fleet file (TOML): hosts and where each one's CPUID comes from.
    #[arg(value_name = "FLEET.toml", required_unless_present = "ansible_tree")]
    pub fleet: Option<PathBuf>,
    /// Also audit every per-host file of an Ansible `--tree` directory
    /// (`ansible all -m raw -a 'cpuid -r' --tree DIR`); repeatable.
    #[arg(long, value_name = "DIR")]
    pub ansible_tree: Vec<PathBuf>,
    /// How remote hosts are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Compatibility rules: `evc` (vendor must match, every feature counts) or
    /// `esx3` (vendor and family must match; SSE3, NX/XD, VT-x/AMD-V). Default: the
    /// fleet file's `policy`, else evc.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Also write the report as one self-contained HTML file (no network, no
    /// external assets): host table, groups, coloured migration matrix, features by
    /// group, findings and masks.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Run only these checks: `cpu`, `storage` (shared LUNs and datastores) or
    /// `network` (port groups, vMotion port). Default: all of them.
    #[arg(long, value_enum, value_name = "CHECKS")]
    pub only: Option<AuditOnly>,
    /// Only this cluster (the fleet file's `cluster = "NAME"`; `-` for hosts without one).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Guest operating systems to check every setting and mask against (keys of
    /// `guests/guests.toml`, e.g. `rhel9,windows-server-2025`). Default: the fleet
    /// file's `guests`, else every shipped guest.
    #[arg(long = "guest", value_delimiter = ',', value_name = "NAME,...")]
    pub guests: Vec<String>,
    /// The target hypervisor and releases.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Which checks `vmcompat audit --only` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditOnly {
    /// CPU compatibility only (no storage/network facts are read).
    Cpu,
    /// Shared storage only: LUNs and datastores.
    Storage,
    /// Network only: port-group labels, the vMotion port and its speed.
    Network,
}

/// `vmcompat diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// First host: a dump file, a profile name, or `local`.
    #[arg(value_name = "A")]
    pub a: String,
    /// Second host: a dump file, a profile name, or `local`.
    #[arg(value_name = "B")]
    pub b: String,
    /// Compatibility rules (see `audit --help`).
    #[arg(long, value_enum, default_value_t = Policy::Evc)]
    pub policy: Policy,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `vmcompat check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The fleet file.
    #[arg(value_name = "FLEET.toml")]
    pub fleet: PathBuf,
    /// A candidate host: a dump file, a profile name, `local`, an EVC mode key
    /// (`intel-icelake`) or a QEMU/libvirt model name (`Icelake-Server-noTSX`).
    /// Repeat to compare several side by side.
    #[arg(
        long = "candidate",
        value_name = "HOST|DUMP|PROFILE|MODEL",
        required = true
    )]
    pub candidates: Vec<String>,
    /// What the cluster must keep with the candidate in it: a baseline (`x86-64-v3`,
    /// `intel-haswell`) or a feature name (`avx512f`).
    #[arg(long, value_name = "BASELINE|FEATURE")]
    pub require: Option<String>,
    /// Only this cluster (the fleet file's `cluster = "NAME"`; `-` for hosts without one).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Compatibility rules (see `audit --help`).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `vmcompat profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// How `vmcompat mask` prints a mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MaskFormat {
    /// VMware `cpuid.<leaf>.<reg> = "----:..."` lines.
    Vmx,
    /// VMware `featMask.vm.cpuid.<NAME> = "Val:0"` lines (hardware version 9 and later).
    Featmask,
    /// A libvirt domain `<cpu>` element.
    Libvirt,
    /// A QEMU `-cpu` option: a named, versioned model plus flags.
    Qemu,
    /// Proxmox VE: the VM's `cpu:` line, and a cpu-models.conf entry when needed.
    Proxmox,
    /// The plan and the lines as JSON.
    Json,
}

/// `vmcompat mask`.
#[derive(Debug, Args)]
pub struct MaskArgs {
    /// The fleet file (not needed with --explain).
    #[arg(value_name = "FLEET.toml")]
    pub fleet: Option<PathBuf>,
    /// The groups that must migrate freely among each other, by label
    /// (`prod/haswell,prod/broadwell`, as the audit names them); default: every
    /// group, one mask per cluster and vendor.
    #[arg(long, value_delimiter = ',', value_name = "GROUP,...")]
    pub groups: Option<Vec<String>>,
    /// One direction only: the group VMs are powered on in ...
    #[arg(long, value_name = "GROUP")]
    pub from: Option<String>,
    /// ... and the group they must move to.
    #[arg(long, value_name = "GROUP")]
    pub to: Option<String>,
    /// Bring the hosts down to a named baseline (`vmcompat profiles` lists them);
    /// hosts that cannot reach it are named.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MaskFormat::Vmx)]
    pub format: MaskFormat,
    /// Write VMX values as 32 unseparated characters instead of colon-separated nibbles.
    #[arg(long)]
    pub compact: bool,
    /// Rewrite the cpuid.*/featMask.* lines of this .vmx with the mask (every other
    /// byte kept; a backup VM.vmx.bak is made; running it again changes nothing;
    /// power the VM off first, and reload it after).
    #[arg(long, value_name = "VM.vmx")]
    pub apply: Option<PathBuf>,
    /// With --apply: write the .vmx even though its mode says read-only (as an
    /// editor's `:w!`); the mode is restored after.
    #[arg(long, requires = "apply")]
    pub force: bool,
    /// Explain mask lines instead: a .vmx or mask file, or the lines themselves.
    #[arg(long, value_name = "FILE|LINE")]
    pub explain: Option<String>,
    /// Compatibility rules (see `audit --help`).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Also hide firmware- or microcode-dependent features the hosts differ in
    /// (speculation controls, TSX, AES-NI, VT-x/AMD-V, MONITOR). By default they stay
    /// visible and the hosts to update are named: hiding them takes protections
    /// away from every guest.
    #[arg(long)]
    pub hide_firmware_features: bool,
    /// Only this cluster (the fleet file's `cluster = "NAME"`; `-` for hosts without one).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Guest operating systems to check every setting and mask against (keys of
    /// `guests/guests.toml`, e.g. `rhel9,windows-server-2025`). Default: the fleet
    /// file's `guests`, else every shipped guest.
    #[arg(long = "guest", value_delimiter = ',', value_name = "NAME,...")]
    pub guests: Vec<String>,
    /// The target hypervisor and releases.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Which hypervisor the VMs run on, and which QEMU/libvirt releases the settings
/// are written for.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// The hypervisor the VMs run on: `vsphere`, `kvm` (QEMU/libvirt) or
    /// `proxmox`. It decides which CPUID bits guests see (KVM offers x2apic,
    /// TSC-deadline, TSC_ADJUST, ARCH_CAPABILITIES to every guest: never
    /// blockers), which the hypervisor hides and the names it uses. Default: the
    /// fleet file's `target` (per cluster: `[cluster.NAME] target = "..."`), else
    /// what the sources say (ESXi hosts: vsphere; Linux hosts: kvm), else vsphere.
    #[arg(long, value_enum)]
    pub target: Option<crate::targets::Hypervisor>,
    /// The QEMU release the `-cpu` option is written for: only the models and
    /// feature names it knows are used (default 7.2, Debian 12's).
    #[arg(long, value_name = "X.Y")]
    pub qemu_version: Option<String>,
    /// The libvirt release the `<cpu>` element is written for (default 9.0,
    /// Debian 12's).
    #[arg(long, value_name = "X.Y")]
    pub libvirt_version: Option<String>,
    /// Intel and AMD hosts in one KVM cluster: compute the features both vendors
    /// share, for Linux guests only (the guest keeps the vendor string and CPU
    /// model it booted with; see the warning printed).
    #[arg(long)]
    pub cross_vendor: bool,
}

/// How the fleet commands reach remote hosts; each flag overrides the fleet file.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Remote hosts collected at once (default: the fleet file's `jobs`, else 32).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// SSH settings for the fleet's remote hosts.
    #[command(flatten)]
    pub ssh: crate::remote::fleet::SshArgs,
}

impl RemoteArgs {
    /// The settings for a fleet: the fleet file's, overridden by these flags.
    pub fn settings(
        &self,
        spec: &crate::fleet::file::FleetSpec,
    ) -> crate::remote::fleet::RemoteSettings {
        crate::remote::fleet::RemoteSettings::new(&spec.ssh, &self.ssh, self.jobs)
    }
}
