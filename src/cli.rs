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
    /// Remote hosts collected at once (default: the fleet file's `jobs`, else 32).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// SSH settings for the fleet's remote hosts (override the fleet file).
    #[command(flatten)]
    pub ssh: crate::remote::fleet::SshArgs,
    /// Compatibility rules: `evc` (vendor must match, every feature counts) or
    /// `esx3` (vendor and family must match; SSE3, NX/XD, VT-x/AMD-V). Default: the
    /// fleet file's `policy`, else evc.
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
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
