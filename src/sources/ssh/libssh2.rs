//! The default transport: libssh2 (the `ssh2` crate), in process. Host keys are
//! checked by [`super::known_hosts`]; authentication is ssh-agent, then key files;
//! never a password prompt.

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::known_hosts::{self, Verdict};
use super::transport::{
    too_much_output, Abort, Output, Session, MAX_STDERR_BYTES, MAX_STDOUT_BYTES,
};
use super::{FailureKind, RemoteError, SshOptions, Target};

/// An authenticated libssh2 session.
pub struct Libssh2Session {
    session: ssh2::Session,
    target: Target,
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1)
}

/// Classifies a libssh2 error raised while doing `what`.
fn ssh_error(e: &ssh2::Error, what: &str, timeout: Duration) -> RemoteError {
    // LIBSSH2_ERROR_TIMEOUT = -9, LIBSSH2_ERROR_SOCKET_RECV = -43, _SEND = -7,
    // LIBSSH2_ERROR_SOCKET_DISCONNECT = -13, BANNER_RECV = -2.
    match e.code() {
        ssh2::ErrorCode::Session(-9) => RemoteError::new(
            FailureKind::TimedOut,
            format!("{what}: no answer within {} s", timeout.as_secs_f64()),
        ),
        ssh2::ErrorCode::Session(-2 | -7 | -13 | -43) => RemoteError::new(
            FailureKind::Connect,
            format!("{what}: the connection was closed or broke ({e})"),
        ),
        _ => RemoteError::new(FailureKind::Ssh, format!("{what}: {e}")),
    }
}

fn default_keys() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let dir = PathBuf::from(home).join(".ssh");
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|k| dir.join(k))
        .filter(|p| p.is_file())
        .collect()
}

/// Opens the TCP connection, does the handshake, checks the host key, authenticates.
pub fn connect(
    target: &Target,
    opts: &SshOptions,
    abort: &Arc<Abort>,
) -> Result<Box<dyn Session>, RemoteError> {
    abort.note("resolving the host name");
    let addrs: Vec<_> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| {
            RemoteError::new(
                FailureKind::Connect,
                format!("cannot resolve {:?}: {e}", target.host),
            )
        })?
        .collect();
    abort.note("connecting");
    let mut last: Option<std::io::Error> = None;
    let mut tcp = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, opts.connect_timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match (tcp, last) {
        (Some(t), _) => t,
        (None, Some(e)) => return Err(connect_error(target, &e, opts.connect_timeout)),
        (None, None) => {
            return Err(RemoteError::new(
                FailureKind::Connect,
                format!("{:?} resolves to no address", target.host),
            ))
        }
    };
    if let Ok(clone) = tcp.try_clone() {
        abort.set_stream(clone);
    }
    let _ = tcp.set_nodelay(true);
    let mut session = ssh2::Session::new()
        .map_err(|e| ssh_error(&e, "starting libssh2", opts.connect_timeout))?;
    session.set_tcp_stream(tcp);
    session.set_timeout(millis(opts.connect_timeout));
    abort.note("SSH handshake");
    session.handshake().map_err(|e| {
        let mut r = ssh_error(&e, "SSH handshake", opts.connect_timeout);
        if r.kind == FailureKind::Ssh || r.kind == FailureKind::Connect {
            r.message
                .push_str(" (is an SSH server listening on that port?)");
        }
        r
    })?;
    check_host_key(&session, target, opts)?;
    abort.note("authenticating");
    authenticate(&session, target, opts)?;
    Ok(Box::new(Libssh2Session {
        session,
        target: target.clone(),
    }))
}

fn connect_error(target: &Target, e: &std::io::Error, timeout: Duration) -> RemoteError {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => RemoteError::new(
            FailureKind::Refused,
            format!(
                "nothing accepts connections on {}:{}; is sshd running, and is the port right?",
                target.host, target.port
            ),
        ),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => RemoteError::new(
            FailureKind::TimedOut,
            format!(
                "TCP connection to {}:{} not established within {} s (host down or filtered?)",
                target.host,
                target.port,
                timeout.as_secs_f64()
            ),
        ),
        _ => RemoteError::new(
            FailureKind::Connect,
            format!("cannot connect to {}:{}: {e}", target.host, target.port),
        ),
    }
}

fn check_host_key(
    session: &ssh2::Session,
    target: &Target,
    opts: &SshOptions,
) -> Result<(), RemoteError> {
    let Some((key, _)) = session.host_key() else {
        return Err(RemoteError::new(
            FailureKind::Ssh,
            "the server presented no host key",
        ));
    };
    let files = known_hosts::files(opts.known_hosts.as_deref());
    let mut entries = Vec::new();
    for f in &files {
        entries.extend(known_hosts::read(f).map_err(|e| {
            RemoteError::new(
                FailureKind::Ssh,
                format!("cannot read known_hosts file {}: {e}", f.display()),
            )
        })?);
    }
    let name = target.known_hosts_name();
    let fp = known_hosts::fingerprint(key);
    let key_type = known_hosts::blob_type(key).unwrap_or_else(|| "unknown-type".into());
    let listed = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match known_hosts::check(&entries, &name, key) {
        Verdict::Known => Ok(()),
        Verdict::Revoked { origin } => Err(RemoteError::new(
            FailureKind::RevokedHostKey,
            format!(
                "{name} presented {key_type} key {fp}, which {origin} marks @revoked; not connecting. \
                 Give the host a new key, or correct the known_hosts entry if the revocation is wrong"
            ),
        )),
        Verdict::Changed { origin, expected } => Err(RemoteError::new(
            FailureKind::ChangedHostKey,
            format!(
                "{name} presented {key_type} key {fp} but {origin} records {expected}. This can be a \
                 man-in-the-middle attack, or the host was reinstalled: verify the new fingerprint out \
                 of band, then remove the old entry (ssh-keygen -R '{name}')"
            ),
        )),
        Verdict::Unknown if opts.accept_new_host_keys => {
            let file = files.first().cloned().unwrap_or_else(|| PathBuf::from("known_hosts"));
            known_hosts::append(&file, &name, key).map_err(|e| {
                RemoteError::new(
                    FailureKind::Ssh,
                    format!("cannot record the new host key of {name} in {}: {e}", file.display()),
                )
            })
        }
        Verdict::Unknown => Err(RemoteError::new(
            FailureKind::UnknownHostKey,
            format!(
                "{name} is not in {listed}; it presented {key_type} key {fp}. Verify that fingerprint, \
                 then add the key (ssh-keyscan -p {} {} >> FILE), or opt in with \
                 `accept_new_host_keys = true` / --accept-new-host-keys",
                target.port, target.host
            ),
        )),
    }
}

fn authenticate(
    session: &ssh2::Session,
    target: &Target,
    opts: &SshOptions,
) -> Result<(), RemoteError> {
    let user = target.user.as_str();
    let mut tried = Vec::new();
    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        tried.push("ssh-agent".to_string());
        if session.userauth_agent(user).is_ok() && session.authenticated() {
            return Ok(());
        }
    }
    let keys = match &opts.identity {
        Some(id) => vec![id.clone()],
        None => default_keys(),
    };
    for k in &keys {
        tried.push(k.display().to_string());
        if session.userauth_pubkey_file(user, None, k, None).is_ok() && session.authenticated() {
            return Ok(());
        }
    }
    let tried = if tried.is_empty() {
        "nothing: no ssh-agent (SSH_AUTH_SOCK unset) and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa"
            .into()
    } else {
        tried.join(", ")
    };
    Err(RemoteError::new(
        FailureKind::AuthFailed,
        format!(
            "no key accepted for user {user:?} (tried {tried}). Put your public key in the host's \
             authorized_keys, load the key into ssh-agent, or set `identity` (passphrase-protected \
             keys work through ssh-agent only; vmcompat never prompts)"
        ),
    ))
}

/// Reads `r` to its end into `buf`, at most `cap` bytes and until `until`.
/// `Err(None)`: more than `cap` bytes; `Err(Some(e))`: a read error or the time
/// limit (as `TimedOut`). Each read blocks for at most the session timeout, which
/// the caller set to the command's limit; waiting costs no CPU.
fn read_capped(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    cap: usize,
    until: std::time::Instant,
) -> Result<(), Option<std::io::Error>> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if std::time::Instant::now() >= until {
            return Err(Some(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the command's time limit passed while it was still printing",
            )));
        }
        match r.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if buf.len() + n > cap {
                    return Err(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Some(e)),
        }
    }
}

impl Session for Libssh2Session {
    fn exec(&mut self, command: &str, timeout: Duration) -> Result<Output, RemoteError> {
        let what = format!(
            "running `{}` on {}",
            crate::util::text::snippet(command, 60),
            self.target
        );
        self.session.set_timeout(millis(timeout));
        let mut ch = self
            .session
            .channel_session()
            .map_err(|e| ssh_error(&e, &what, timeout))?;
        ch.exec(command)
            .map_err(|e| ssh_error(&e, &what, timeout))?;
        let mut out = Output::default();
        let read_err = |e: std::io::Error| {
            let kind = if e.kind() == std::io::ErrorKind::TimedOut {
                FailureKind::TimedOut
            } else {
                FailureKind::Connect
            };
            RemoteError::new(
                kind,
                format!("{what}: {e} (limit {} s)", timeout.as_secs_f64()),
            )
        };
        let until = std::time::Instant::now() + timeout;
        read_capped(&mut ch, &mut out.stdout, MAX_STDOUT_BYTES, until).map_err(|e| {
            e.map_or_else(
                || too_much_output(&what, "stdout", MAX_STDOUT_BYTES),
                read_err,
            )
        })?;
        let mut stderr = ch.stderr();
        read_capped(&mut stderr, &mut out.stderr, MAX_STDERR_BYTES, until).map_err(|e| {
            e.map_or_else(
                || too_much_output(&what, "stderr", MAX_STDERR_BYTES),
                read_err,
            )
        })?;
        let _ = ch.wait_close();
        out.status = ch.exit_status().ok();
        if ch.exit_signal().ok().and_then(|s| s.exit_signal).is_some() {
            out.status = None;
        }
        Ok(out)
    }

    fn close(&mut self) {
        self.session.set_timeout(1000);
        let _ = self
            .session
            .disconnect(Some(ssh2::DisconnectCode::ByApplication), "done", None);
    }
}
