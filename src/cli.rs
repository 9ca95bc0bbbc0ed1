//! Command-line definitions (clap). Every flag is defined once, with its help.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand};

use crate::model::policy::Policy;
use crate::render::mask::MaskFormat;
use crate::render::OutputFormat;
use crate::sources::fleet::remote::{SshArgs, MAX_SECONDS};
use crate::sources::ssh::Backend;

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
    /// What changed between two audits of a fleet (each a snapshot made by
    /// `audit --save DIR`, or a fleet file, collected now): per host the CPUID
    /// features gained or lost and the microcode, BIOS, kernel, QEMU and libvirt
    /// versions; per cluster the baseline raised or lowered, masks that no longer
    /// verify, and moves that are no longer possible. Exit 0 when nothing that
    /// affects migration changed, 1 when something did, 2 on bad input.
    Drift(DriftArgs),
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
    #[arg(long, value_parser = output_format(), default_value = "table")]
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
    pub ssh: SshFlags,
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
    #[arg(long, value_parser = output_format(), default_value = "table")]
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
    #[arg(
        value_name = "FLEET.toml",
        required_unless_present_any = ["ansible_tree", "vcenter", "vcenter_dir"]
    )]
    pub fleet: Option<PathBuf>,
    /// Also audit every per-host file of an Ansible `--tree` directory
    /// (`ansible all -m raw -a 'cpuid -r' --tree DIR`); repeatable.
    #[arg(long, value_name = "DIR")]
    pub ansible_tree: Vec<PathBuf>,
    /// Hosts, storage, networks and VMs read from vCenter.
    #[command(flatten)]
    pub vcenter: VcenterArgs,
    /// How remote hosts are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Compatibility rules: `evc` (vendor must match, every feature counts) or
    /// `esx3` (vendor and family must match; SSE3, NX/XD, VT-x/AMD-V). Default: the
    /// fleet file's `policy`, else evc.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Output format.
    #[arg(long, value_parser = output_format(), default_value = "table")]
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
    /// Also keep a snapshot of what was collected in DIR (created, or an earlier
    /// snapshot there replaced in one step): an index.toml with the fleet, the
    /// date, each host's cluster (and VMs), and one dump per host with its
    /// fingerprint, for `vmcompat drift DIR ...` later.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
}

/// `vmcompat drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The earlier state: a snapshot directory (`audit --save DIR`) or a fleet file
    /// (collected now).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later state: a snapshot directory or a fleet file (collected now).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// How remote hosts of a fleet file are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Compatibility rules (see `audit --help`). Default: the OLD snapshot's or
    /// fleet file's policy, else evc.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Output format.
    #[arg(long, value_parser = output_format(), default_value = "table")]
    pub format: OutputFormat,
}

/// Reading a vCenter (the vSphere API) or a saved export of one. The user comes
/// from `VMCOMPAT_VCENTER_USER` or the fleet file's `vcenter_user`; the password
/// from `--password-file` or `VMCOMPAT_VCENTER_PASSWORD`, never the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct VcenterArgs {
    /// Audit every host of this vCenter: `https://vc.example.com/sdk` (overrides
    /// the fleet file's `vcenter`).
    #[arg(long, value_name = "URL", conflicts_with = "vcenter_dir")]
    pub vcenter: Option<String>,
    /// Audit a saved vCenter inventory: a directory written by `govc object.save`.
    #[arg(long, value_name = "DIR")]
    pub vcenter_dir: Option<PathBuf>,
    /// Only the hosts of this vCenter datacenter.
    #[arg(long, value_name = "NAME")]
    pub datacenter: Option<String>,
    /// A file whose first line is the vCenter password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Verify the vCenter certificate against these CA certificates (PEM)
    /// instead of the system's.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["thumbprint", "insecure"])]
    pub ca_file: Option<PathBuf>,
    /// Trust exactly the vCenter certificate with this SHA-256 thumbprint
    /// (`AA:BB:...`, as the vSphere client shows it).
    #[arg(long, value_name = "SHA256", conflicts_with = "insecure")]
    pub thumbprint: Option<String>,
    /// Do not check the vCenter certificate at all (warned about on every run).
    #[arg(long)]
    pub insecure: bool,
    /// Seconds allowed for each vCenter request (default 60; 1..=86400).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub vcenter_timeout: Option<u64>,
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
    #[arg(long, value_parser = output_format(), default_value = "table")]
    pub format: OutputFormat,
}

/// `vmcompat check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The fleet file.
    #[arg(value_name = "FLEET.toml")]
    pub fleet: PathBuf,
    /// How remote hosts are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
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
    #[arg(long, value_parser = output_format(), default_value = "table")]
    pub format: OutputFormat,
}

/// `vmcompat profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(long, value_parser = output_format(), default_value = "table")]
    pub format: OutputFormat,
}

/// `vmcompat mask`.
#[derive(Debug, Args)]
pub struct MaskArgs {
    /// The fleet file (not needed with --explain).
    #[arg(value_name = "FLEET.toml")]
    pub fleet: Option<PathBuf>,
    /// How remote hosts are reached.
    #[command(flatten)]
    pub remote: RemoteArgs,
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
}

/// How the fleet commands reach remote hosts; each flag overrides the fleet file.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Remote hosts collected at once (default: the fleet file's `jobs`, else 32).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// SSH settings for the fleet's remote hosts.
    #[command(flatten)]
    pub ssh: SshFlags,
}

impl RemoteArgs {
    /// The settings for a fleet: the fleet file's, overridden by these flags.
    pub fn settings(
        &self,
        spec: &crate::sources::fleet::file::FleetSpec,
    ) -> crate::sources::fleet::remote::RemoteSettings {
        crate::sources::fleet::remote::RemoteSettings::new(
            &spec.ssh,
            &self.ssh.to_args(),
            self.jobs,
        )
    }
}

/// SSH settings given on the command line; each overrides the fleet file's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct SshFlags {
    /// known_hosts file to check host keys against (default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Accept and record the keys of hosts not yet in known_hosts (a changed or
    /// revoked key is always refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// SSH transport: libssh2 (default) or openssh (the `ssh` client: honours
    /// ~/.ssh/config, ProxyJump, certificates).
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub ssh_backend: Option<Backend>,
    /// Private key to log in with (after ssh-agent), instead of ~/.ssh/id_*.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Seconds allowed for connecting and the SSH handshake (default 10; 1..=86400).
    #[arg(long, value_name = "SECONDS", value_parser = seconds_arg)]
    pub connect_timeout: Option<u64>,
    /// Hard limit in seconds for everything done with one host (default 60; 1..=86400).
    #[arg(long, value_name = "SECONDS", value_parser = seconds_arg)]
    pub deadline: Option<u64>,
}

impl SshFlags {
    /// The settings these flags give, for the sources.
    pub fn to_args(&self) -> SshArgs {
        SshArgs {
            known_hosts: self.known_hosts.clone(),
            accept_new_host_keys: self.accept_new_host_keys,
            ssh_backend: self.ssh_backend,
            identity: self.identity.clone(),
            connect_timeout: self.connect_timeout,
            deadline: self.deadline,
        }
    }
}

fn seconds_arg(s: &str) -> Result<u64, String> {
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of seconds"))?;
    if (1..=MAX_SECONDS).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is out of range: expected 1 to {MAX_SECONDS} seconds (one day)"
        ))
    }
}

/// `--policy`: the values and their help (the enum is [`Policy`], in the model).
impl clap::ValueEnum for Policy {
    fn value_variants<'a>() -> &'a [Self] {
        &[Policy::Evc, Policy::Esx3]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Policy::Evc => PossibleValue::new("evc").help(
                "What vSphere EVC does today: vendor must match, family may differ, every \
                 migration-relevant feature bit counts",
            ),
            Policy::Esx3 => PossibleValue::new("esx3").help(
                "The classic ESX 3 rules: vendor and family must match; only SSE3, NX/XD and \
                 VT-x/AMD-V are compared",
            ),
        })
    }
}

/// `--ssh-backend`: the values and their help (the enum is [`Backend`], in the sources).
impl clap::ValueEnum for Backend {
    fn value_variants<'a>() -> &'a [Self] {
        &[Backend::Libssh2, Backend::Openssh]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Backend::Libssh2 => PossibleValue::new(self.name())
                .help("libssh2, in process (default): fastest, fewest resources"),
            Backend::Openssh => PossibleValue::new(self.name()).help(
                "The OpenSSH client (`ssh -o BatchMode=yes`): honours ~/.ssh/config, \
                 ProxyJump, certificates",
            ),
        })
    }
}

/// `--format` of the reports: the names and help of [`crate::render::formats::FORMATS`].
fn output_format() -> impl clap::builder::TypedValueParser<Value = OutputFormat> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    let formats = crate::render::formats::FORMATS;
    PossibleValuesParser::new(
        formats
            .iter()
            .map(|f| PossibleValue::new(f.name).help(f.help)),
    )
    .map(|name| OutputFormat::named(&name).unwrap_or_default())
}

/// `vmcompat mask --format`: the values and their help.
impl clap::ValueEnum for MaskFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            MaskFormat::Vmx,
            MaskFormat::Featmask,
            MaskFormat::Libvirt,
            MaskFormat::Qemu,
            MaskFormat::Json,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            MaskFormat::Vmx => PossibleValue::new("vmx")
                .help("VMware `cpuid.<leaf>.<reg> = \"----:...\"` lines"),
            MaskFormat::Featmask => PossibleValue::new("featmask").help(
                "VMware `featMask.vm.cpuid.<NAME> = \"Val:0\"` lines (hardware version 9 and later)",
            ),
            MaskFormat::Libvirt => {
                PossibleValue::new("libvirt").help("A libvirt domain `<cpu>` element")
            }
            MaskFormat::Qemu => PossibleValue::new("qemu").help("A QEMU `-cpu` option"),
            MaskFormat::Json => PossibleValue::new("json").help("The plan and the lines as JSON"),
        })
    }
}
