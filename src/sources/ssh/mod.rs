//! Remote collection over SSH: Linux hosts (nothing installed on them) and ESXi
//! hosts, plus offline per-host outputs gathered by Ansible.
//!
//! Two transports behave the same from the user's side: libssh2 (the default,
//! [`libssh2`]) and the OpenSSH client (`ssh -o BatchMode=yes`, [`openssh`]) for
//! users who need `~/.ssh/config`, ProxyJump or certificates. Every host runs on its
//! own thread under a hard deadline ([`collect_host`]); at the deadline its socket
//! (or `ssh` process) is torn down and the host becomes a "timed out" row.

pub mod esxi;
pub mod known_hosts;
pub mod libssh2;
pub mod linux;
pub mod openssh;
pub mod pool;
pub mod prefetch;
pub mod transport;

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::cpuid::RawDump;
use crate::util::error::Error;
use transport::{Abort, Session};

/// `user@host[:port]`, as given on the command line or in a fleet file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The user to log in as (default: the local user name, else `root`).
    pub user: String,
    /// Host name or address (IPv6 literals in brackets: `[::1]:22`).
    pub host: String,
    /// TCP port (default 22).
    pub port: u16,
}

/// Why a `user@host[:port]` is refused: the text given and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?}: {why}")]
pub struct TargetError {
    /// The text as given.
    pub given: String,
    /// What is wrong with it.
    pub why: TargetProblem,
}

/// What is wrong with a `user@host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetProblem {
    /// `@host` with nothing before the `@`.
    #[error("the user before '@' is empty")]
    EmptyUser,
    /// `[v6` with no `]`.
    #[error("'[' without ']'")]
    UnclosedBracket,
    /// Text after `]` that is not `:port`.
    #[error("unexpected {0:?} after ']'")]
    AfterBracket(String),
    /// A port that is not 1..65535.
    #[error("port {0:?} is not a number in 1..65535")]
    Port(String),
    /// No host, or one with spaces or `/`.
    #[error("expected user@host[:port] (host name or address)")]
    Host,
    /// A user or host starting with `-` (it would read as an option).
    #[error("user and host may not start with '-'")]
    Dash,
}

impl Target {
    /// Parses `user@host`, `user@host:port`, `host`, `user@[v6]:port`.
    pub fn parse(s: &str) -> Result<Target, TargetError> {
        let s = s.trim();
        let bad = |why: TargetProblem| TargetError {
            given: s.to_string(),
            why,
        };
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) if !u.is_empty() => (u.to_string(), r),
            Some(_) => return Err(bad(TargetProblem::EmptyUser)),
            None => (default_user(), s),
        };
        let port_of = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad(TargetProblem::Port(p.to_string())))
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, after) = r
                .split_once(']')
                .ok_or_else(|| bad(TargetProblem::UnclosedBracket))?;
            match after.strip_prefix(':') {
                Some(p) => (h.to_string(), port_of(p)?),
                None if after.is_empty() => (h.to_string(), 22),
                None => return Err(bad(TargetProblem::AfterBracket(after.to_string()))),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_string(), port_of(p)?),
                _ => (rest.to_string(), 22),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(bad(TargetProblem::Host));
        }
        if user.starts_with('-') || host.starts_with('-') {
            return Err(bad(TargetProblem::Dash));
        }
        Ok(Target { user, host, port })
    }

    /// The host as known_hosts names it: `host` on port 22, else `[host]:port`.
    pub fn known_hosts_name(&self) -> String {
        if self.port == 22 {
            self.host.clone()
        } else {
            format!("[{}]:{}", self.host, self.port)
        }
    }
}

fn default_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into())
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}@[{}]:{}", self.user, self.host, self.port)
        } else if self.port == 22 {
            write!(f, "{}@{}", self.user, self.host)
        } else {
            write!(f, "{}@{}:{}", self.user, self.host, self.port)
        }
    }
}

/// What runs on the remote host, which decides how CPUID is read there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteKind {
    /// Linux: `vmcompat probe`, `cpuid -r`, `/dev/cpu/0/cpuid` via `dd`, `/proc/cpuinfo`.
    Linux,
    /// ESXi: `vim-cmd hostsvc/hosthardware` (leaves 0, 1, 0x80000000, 0x80000001 only).
    Esxi,
}

/// The longest one remote CPUID command may run (within the host's deadline):
/// `cpuid -r` of the largest hosts takes a few seconds; one that is stuck is
/// stopped here and reported, rather than holding the host to its deadline.
pub const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Which SSH client implementation carries the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// libssh2, in process (default): fastest, fewest resources.
    #[default]
    Libssh2,
    /// The OpenSSH client (`ssh -o BatchMode=yes`): honours ~/.ssh/config,
    /// ProxyJump, certificates.
    Openssh,
}

impl Backend {
    /// The name used in fleet files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Libssh2 => "libssh2",
            Backend::Openssh => "openssh",
        }
    }
}

/// How to reach hosts: the fleet-level and command-line SSH settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// The transport.
    pub backend: Backend,
    /// The known_hosts file; `None`: ~/.ssh/known_hosts (and /etc/ssh/ssh_known_hosts).
    pub known_hosts: Option<PathBuf>,
    /// Accept and record keys of hosts not yet in known_hosts (never changed ones).
    pub accept_new_host_keys: bool,
    /// A private key to use instead of the default ones (after ssh-agent).
    pub identity: Option<PathBuf>,
    /// Time allowed for the TCP connection and SSH handshake.
    pub connect_timeout: Duration,
    /// Hard limit for everything done with one host.
    pub deadline: Duration,
}

impl Default for SshOptions {
    fn default() -> SshOptions {
        SshOptions {
            backend: Backend::Libssh2,
            known_hosts: None,
            accept_new_host_keys: false,
            identity: None,
            connect_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
        }
    }
}

/// Why a host could not be collected: each becomes a row that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// Nothing listens on the port.
    Refused,
    /// The connection, the handshake or a command took longer than allowed.
    TimedOut,
    /// The host could not be reached or resolved, or the connection broke.
    Connect,
    /// No key was accepted.
    AuthFailed,
    /// The host's key is not in known_hosts (and accepting new keys is off).
    UnknownHostKey,
    /// The host's key differs from the one recorded in known_hosts.
    ChangedHostKey,
    /// The host's key is marked `@revoked` in known_hosts.
    RevokedHostKey,
    /// The command needed is not installed on the host.
    CommandMissing,
    /// The command needs privileges the remote user lacks.
    PermissionDenied,
    /// The command ran but its output is not what it should be.
    Malformed,
    /// Anything else the SSH layer reported.
    Ssh,
}

impl FailureKind {
    /// Short words for the row.
    pub fn describe(self) -> &'static str {
        match self {
            FailureKind::Refused => "connection refused",
            FailureKind::TimedOut => "timed out",
            FailureKind::Connect => "cannot connect",
            FailureKind::AuthFailed => "authentication failed",
            FailureKind::UnknownHostKey => "unknown host key",
            FailureKind::ChangedHostKey => "HOST KEY CHANGED",
            FailureKind::RevokedHostKey => "host key REVOKED",
            FailureKind::CommandMissing => "command missing",
            FailureKind::PermissionDenied => "permission denied",
            FailureKind::Malformed => "malformed output",
            FailureKind::Ssh => "ssh error",
        }
    }
}

/// A failure with one host: its kind and the full story (command, what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.describe())]
pub struct RemoteError {
    /// The class of failure.
    pub kind: FailureKind,
    /// What happened and what to do about it.
    pub message: String,
}

impl RemoteError {
    /// Builds an error.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> RemoteError {
        RemoteError {
            kind,
            message: message.into(),
        }
    }

    /// The crate error for host `target`.
    pub fn into_error(self, target: &Target) -> Error {
        Error::Collect {
            host: target.to_string(),
            message: format!("{}: {}", self.kind.describe(), self.message),
        }
    }
}

/// Opens a session with the configured backend.
pub fn connect(
    target: &Target,
    opts: &SshOptions,
    abort: &Arc<Abort>,
) -> Result<Box<dyn Session>, RemoteError> {
    match opts.backend {
        Backend::Libssh2 => libssh2::connect(target, opts, abort),
        Backend::Openssh => openssh::connect(target, opts, abort),
    }
}

/// Why [`within_deadline`] has no result for a host.
#[derive(Debug)]
pub enum Unfinished {
    /// The host's own failure: connecting, authenticating, a command.
    Failed(RemoteError),
    /// No thread could be started for the host.
    NoThread(std::io::Error),
    /// The deadline passed and the connection was torn down.
    TimedOut {
        /// What the host was doing then ([`Abort::note`]), where known.
        activity: Option<String>,
        /// How long was spent.
        spent: Duration,
    },
}

/// The one way every source reaches a host: connects to `target` and runs
/// `work` on the session, on a thread of its own named `"{what} {target}"`,
/// all within `opts.deadline`. At the deadline the connection (socket or
/// `ssh` process) is torn down and the thread abandoned, so a stuck host holds
/// its caller no longer than the deadline.
pub fn within_deadline<R, F>(
    target: &Target,
    opts: &SshOptions,
    what: &str,
    work: F,
) -> Result<R, Unfinished>
where
    R: Send + 'static,
    F: FnOnce(&mut dyn Session, &Abort) -> Result<R, RemoteError> + Send + 'static,
{
    let abort = Arc::new(Abort::default());
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let (t, o, a) = (target.clone(), opts.clone(), Arc::clone(&abort));
    std::thread::Builder::new()
        .name(format!("{what} {target}"))
        .spawn(move || {
            let result = connect(&t, &o, &a).and_then(|mut session| {
                let r = work(session.as_mut(), &a);
                session.close();
                r
            });
            // The receiver may have given up at the deadline: nothing to do then.
            let _ = tx.send(result);
        })
        .map_err(Unfinished::NoThread)?;
    match rx.recv_timeout(opts.deadline) {
        Ok(r) => r.map_err(Unfinished::Failed),
        Err(_) => {
            abort.abort();
            Err(Unfinished::TimedOut {
                activity: abort.activity(),
                spent: started.elapsed(),
            })
        }
    }
}

/// Connects and reads one host's CPUID, all within `opts.deadline`
/// ([`within_deadline`]); on a full audit the storage/network facts script
/// runs on the same session ([`prefetch`]).
pub fn collect_host(
    target: &Target,
    kind: RemoteKind,
    opts: &SshOptions,
) -> Result<RawDump, Error> {
    let started = Instant::now();
    let (t, o) = (target.clone(), opts.clone());
    let result = within_deadline(target, opts, "ssh", move |session, a| {
        a.note(match kind {
            RemoteKind::Linux => "running the Linux probe commands",
            RemoteKind::Esxi => "running vim-cmd hostsvc/hosthardware",
        });
        let r = match kind {
            RemoteKind::Linux => linux::collect(session, &t, &o),
            RemoteKind::Esxi => esxi::collect(session, &t, &o),
        };
        // A full audit: the facts script on the same session, within
        // what is left of the deadline.
        if let (Ok(_), Some(script)) = (&r, prefetch::script(kind)) {
            a.note("running the storage/network commands");
            let left = o.deadline.saturating_sub(started.elapsed());
            let out = session
                .exec(&script, left)
                .map(|out| text(&out.stdout))
                .map_err(|e| e.to_string());
            prefetch::store(&t, out);
        }
        r
    });
    result.map_err(|u| match u {
        Unfinished::Failed(e) => e.into_error(target),
        Unfinished::NoThread(e) => Error::Collect {
            host: target.to_string(),
            message: format!("cannot start a thread for this host: {e}"),
        },
        Unfinished::TimedOut { activity, spent } => RemoteError::new(
            FailureKind::TimedOut,
            format!(
                "no result within the per-host deadline of {} s ({}; the connection was closed). \
                 Check that the host is up and its sshd answers, or raise `deadline`",
                opts.deadline.as_secs_f64(),
                activity.unwrap_or_else(|| format!("{:.1} s spent", spent.as_secs_f64()))
            ),
        )
        .into_error(target),
    })
}

/// Lossy UTF-8, with `\r\n` turned into `\n` (pseudo-terminal output).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("root@10.0.0.1:2222").unwrap();
        assert_eq!(
            (t.user.as_str(), t.host.as_str(), t.port),
            ("root", "10.0.0.1", 2222)
        );
        assert_eq!(t.known_hosts_name(), "[10.0.0.1]:2222");
        assert_eq!(t.to_string(), "root@10.0.0.1:2222");
        let t = Target::parse("admin@esx01").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("esx01", 22));
        assert_eq!(t.known_hosts_name(), "esx01");
        let t = Target::parse("u@[::1]:22").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.to_string(), "u@[::1]:22");
        for bad in [
            "@h",
            "u@",
            "u@h:0",
            "u@h:x",
            "u@h:70000",
            "u@-oProxy",
            "u@[::1",
            "u@a b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
