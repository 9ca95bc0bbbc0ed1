//! The HTTP side of a vCenter session: TLS trust (system roots, a CA file, a
//! pinned SHA-256 thumbprint, or an explicit `--insecure`), the session cookie,
//! paged `RetrievePropertiesEx` walks, and errors in the administrator's terms.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use super::soap::{self, Call, Fault, MoRef};
use super::xml::Node;

/// Largest answer read, in bytes (a page of 1,000 VMs is a few MiB).
pub const MAX_ANSWER_BYTES: u64 = 512 * 1024 * 1024;

/// How the server's certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Verified against the system's roots, or only the CA certificates of a
    /// PEM file (`--ca-file`).
    Roots(Option<PathBuf>),
    /// Pinned: the SHA-256 digest of the server's certificate (`--thumbprint`).
    Thumbprint([u8; 32]),
    /// Not checked at all (`--insecure`; warned about on every run).
    Insecure,
}

/// Parses a thumbprint as vSphere shows it (`AA:BB:...`, 32 bytes of SHA-256;
/// also without colons, any case).
pub fn parse_thumbprint(s: &str) -> Result<[u8; 32], String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if hex.len() == 40 {
        return Err(format!(
            "{s:?} is a SHA-1 thumbprint; give the SHA-256 one (64 hex digits, as `openssl x509 -noout -fingerprint -sha256` or the vSphere client shows it)"
        ));
    }
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{s:?} is not a SHA-256 thumbprint: expected 32 bytes in hex, such as AA:BB:...:FF"
        ));
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Writes a digest as vSphere does: `AA:BB:...`.
pub fn format_thumbprint(d: &[u8]) -> String {
    d.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What kind of failure, so a caller can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad user name or password (`InvalidLogin`).
    Login,
    /// The certificate is not trusted or does not match the pinned thumbprint.
    Certificate,
    /// A `NoPermission` fault (or a property the user may not read).
    Permission,
    /// The server did not answer in time.
    Timeout,
    /// No connection (refused, unreachable, name not found).
    Unreachable,
    /// Any other fault or a malformed answer.
    Other,
}

/// A vCenter failure, said in the administrator's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcError {
    /// What kind.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for VcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl VcError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> VcError {
        VcError {
            kind,
            message: message.into(),
        }
    }
}

/// Says what a permission fault means for an administrator.
pub fn permission_message(f: &Fault, what: &str) -> String {
    format!(
        "no permission to {what}{}{} (NoPermission{}): give the user a role with at least Read-only on the inventory, propagated to children",
        f.object
            .as_ref()
            .map_or(String::new(), |o| format!(" on {} {}", o.ty, o.value)),
        if f.message.is_empty() {
            String::new()
        } else {
            format!(": {}", f.message)
        },
        f.privilege
            .as_ref()
            .map_or(String::new(), |p| format!(", privilege {p}"))
    )
}

/// Certificate verifier that records the presented certificate's thumbprint
/// and checks it against a pin, or delegates to WebPKI, or (insecure) accepts.
#[derive(Debug)]
struct Verifier {
    pin: Option<[u8; 32]>,
    webpki: Option<Arc<dyn ServerCertVerifier>>,
    seen: Arc<Mutex<Option<[u8; 32]>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let d: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(d);
        }
        if let Some(w) = &self.webpki {
            return w.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        }
        match self.pin {
            Some(p) if p != d => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn tls_config(
    trust: &Trust,
    seen: Arc<Mutex<Option<[u8; 32]>>>,
) -> Result<rustls::ClientConfig, VcError> {
    // ring, not aws-lc-rs: no cmake/NASM toolchain to build. rustls 0.23.48
    // deprecates ring's provider for lacking post-quantum key exchange, which
    // vCenter does not offer anyway.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let bad = |m: String| VcError::new(ErrorKind::Certificate, m);
    let webpki = match trust {
        Trust::Roots(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            match ca {
                Some(path) => {
                    let bytes = crate::util::local_file::read_bytes(path, 16 * 1024 * 1024)
                        .map_err(|e| bad(format!("--ca-file: {e}")))?;
                    let mut n = 0;
                    for c in rustls_pemfile::certs(&mut bytes.as_slice()) {
                        let c = c.map_err(|e| {
                            bad(format!(
                                "--ca-file {}: not PEM certificates: {e}",
                                path.display()
                            ))
                        })?;
                        roots.add(c).map_err(|e| {
                            bad(format!(
                                "--ca-file {}: unusable certificate: {e}",
                                path.display()
                            ))
                        })?;
                        n += 1;
                    }
                    if n == 0 {
                        return Err(bad(format!(
                            "--ca-file {}: no `-----BEGIN CERTIFICATE-----` block found",
                            path.display()
                        )));
                    }
                }
                None => {
                    let found = rustls_native_certs::load_native_certs();
                    roots.add_parsable_certificates(found.certs);
                    if roots.is_empty() {
                        return Err(bad(
                            "no system CA certificates found (install ca-certificates), give --ca-file with the vCenter's CA, or pin --thumbprint".into(),
                        ));
                    }
                }
            }
            let v = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| bad(format!("cannot build the certificate verifier: {e}")))?;
            Some(v as Arc<dyn ServerCertVerifier>)
        }
        _ => None,
    };
    let pin = match trust {
        Trust::Thumbprint(p) => Some(*p),
        _ => None,
    };
    let verifier = Verifier {
        pin,
        webpki,
        seen,
        provider: Arc::clone(&provider),
    };
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(cfg)
}

/// An open connection (and, after [`Client::login`], a session).
pub struct Client {
    agent: ureq::Agent,
    url: String,
    trust: Trust,
    seen: Arc<Mutex<Option<[u8; 32]>>>,
    cookie: Option<String>,
    timeout: Duration,
    /// HTTP round trips made so far.
    pub round_trips: usize,
    /// Bytes of answers read so far.
    pub bytes: u64,
    /// Set once a request timed out: clean-up calls are then skipped.
    unresponsive: bool,
    /// The service content's managed objects.
    pub content: ServiceContent,
}

/// The managed objects of `ServiceContent` the readers use.
#[derive(Debug, Clone, Default)]
pub struct ServiceContent {
    /// `rootFolder`.
    pub root_folder: Option<MoRef>,
    /// `propertyCollector`.
    pub property_collector: Option<MoRef>,
    /// `viewManager`.
    pub view_manager: Option<MoRef>,
    /// `sessionManager`.
    pub session_manager: Option<MoRef>,
    /// `about.fullName` (`VMware vCenter Server 8.0.2 build-...`).
    pub full_name: String,
    /// `about.apiType`: `VirtualCenter` or `HostAgent`.
    pub api_type: String,
}

/// One object of a walk: its reference, its properties, and those it could not read.
#[derive(Debug, Clone, Default)]
pub struct Object {
    /// The object.
    pub obj: Option<MoRef>,
    /// `propSet`: name and `val`.
    pub props: Vec<(String, Node)>,
    /// `missingSet`: path and fault.
    pub missing: Vec<(String, Fault)>,
}

impl Object {
    /// Reads one `ObjectContent` element (taking its values, not copying them).
    pub fn from_node(n: Node) -> Object {
        let mut o = Object::default();
        for c in n.children {
            match c.name.as_str() {
                "obj" => o.obj = MoRef::from_node(&c),
                "propSet" => {
                    let mut name = None;
                    let mut val = None;
                    for p in c.children {
                        match p.name.as_str() {
                            "name" => name = Some(p.text),
                            "val" => val = Some(p),
                            _ => {}
                        }
                    }
                    if let (Some(name), Some(val)) = (name, val) {
                        o.props.push((name, val));
                    }
                }
                "missingSet" => o.missing.push((
                    c.text_of("path").unwrap_or("").to_string(),
                    c.child("fault").map(soap::fault_of).unwrap_or(Fault {
                        kind: None,
                        message: String::new(),
                        privilege: None,
                        object: None,
                    }),
                )),
                _ => {}
            }
        }
        o
    }

    /// The values at a dotted property path: the property itself when it was
    /// asked for by that path, else found inside a containing property (as in
    /// saved exports, which hold whole objects). An `ArrayOf...` value gives its
    /// items; an array inside an object gives its repeated elements.
    pub fn values(&self, path: &str) -> Vec<&Node> {
        for (name, val) in &self.props {
            if name == path {
                if val.ty.as_deref().is_some_and(|t| t.starts_with("ArrayOf")) {
                    return val.children.iter().collect();
                }
                return vec![val];
            }
        }
        for (name, val) in &self.props {
            let Some(rest) = path
                .strip_prefix(name.as_str())
                .and_then(|r| r.strip_prefix('.'))
            else {
                continue;
            };
            let mut nodes = vec![val];
            for part in rest.split('.') {
                nodes = nodes
                    .into_iter()
                    .flat_map(|n| n.children.iter().filter(|c| c.name == part))
                    .collect();
            }
            return nodes;
        }
        Vec::new()
    }

    /// The first value at `path`.
    pub fn value(&self, path: &str) -> Option<&Node> {
        self.values(path).into_iter().next()
    }

    /// The text at `path` (trimmed), if set.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.value(path)
            .map(|n| n.text.trim())
            .filter(|t| !t.is_empty())
    }
}

impl Client {
    /// Opens a connection to `url` (`https://vc.example.com/sdk`).
    pub fn connect(url: &str, trust: Trust, timeout: Duration) -> Result<Client, VcError> {
        let lower = url.to_ascii_lowercase();
        if !lower.starts_with("https://") {
            return Err(VcError::new(
                ErrorKind::Other,
                format!("{url:?}: expected an https:// URL such as https://vc.example.com/sdk (the vSphere API is only spoken over TLS here)"),
            ));
        }
        let url = if url.trim_end_matches('/').ends_with("/sdk") {
            url.trim_end_matches('/').to_string()
        } else {
            format!("{}/sdk", url.trim_end_matches('/'))
        };
        let seen = Arc::new(Mutex::new(None));
        let cfg = tls_config(&trust, Arc::clone(&seen))?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(Arc::new(cfg))
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .timeout_write(timeout)
            // A pooled connection is read without the socket time-out (ureq
            // 2.12 clears it on reuse), so a server that stops answering
            // would hang us: one connection per request instead (a walk
            // makes a few dozen requests, so the extra TLS handshakes cost
            // milliseconds).
            .max_idle_connections(0)
            .redirects(0)
            .build();
        Ok(Client {
            agent,
            url,
            trust,
            seen,
            cookie: None,
            timeout,
            round_trips: 0,
            bytes: 0,
            unresponsive: false,
            content: ServiceContent::default(),
        })
    }

    /// A second connection in the same session (the cookie is shared), for a
    /// walk run at the same time as others.
    pub fn fork(&self) -> Client {
        Client {
            agent: self.agent.clone(),
            url: self.url.clone(),
            trust: self.trust.clone(),
            seen: Arc::clone(&self.seen),
            cookie: self.cookie.clone(),
            timeout: self.timeout,
            round_trips: 0,
            bytes: 0,
            unresponsive: false,
            content: self.content.clone(),
        }
    }

    /// Adds a fork's round trips and bytes (and its lack of answer) to this one.
    pub fn absorb(&mut self, other: &Client) {
        self.round_trips += other.round_trips;
        self.bytes += other.bytes;
        self.unresponsive |= other.unresponsive;
    }

    /// The `/sdk` URL in use.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn transport_error(&self, call: &str, e: &ureq::Transport) -> VcError {
        let text = format!("{e}");
        let mut chain = text.clone();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            chain.push_str(&format!(": {s}"));
            src = s.source();
        }
        let seen = self.seen.lock().ok().and_then(|s| *s);
        let is_cert = chain.contains("certificate") || chain.contains("Certificate");
        if is_cert {
            let presented = seen.map_or(String::new(), |d| {
                format!(
                    " The server presented SHA-256 thumbprint {}.",
                    format_thumbprint(&d)
                )
            });
            let msg = match &self.trust {
                Trust::Thumbprint(p) => format!(
                    "certificate does not match: the server's SHA-256 thumbprint is not the pinned {}.{presented} If the vCenter certificate was replaced, check the new one and pin it",
                    format_thumbprint(p)
                ),
                Trust::Roots(ca) => format!(
                    "certificate not trusted ({}).{presented} Give --ca-file with the vCenter's CA certificate (VMCA root: https://<vcenter>/certs/download.zip), or pin --thumbprint",
                    ca.as_ref().map_or("checked against the system's CA certificates".to_string(), |p| format!("checked against {}", p.display())),
                ),
                Trust::Insecure => format!("TLS failed: {chain}"),
            };
            return VcError::new(ErrorKind::Certificate, msg);
        }
        if chain.contains("timed out")
            || chain.contains("WouldBlock")
            || chain.contains("Resource temporarily unavailable")
        {
            return VcError::new(
                ErrorKind::Timeout,
                format!(
                    "server not answering: no answer to {call} within {} s; check that vCenter (vpxd) is up, or raise --vcenter-timeout",
                    self.timeout.as_secs()
                ),
            );
        }
        if matches!(
            e.kind(),
            ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns
        ) {
            return VcError::new(ErrorKind::Unreachable, format!("cannot connect: {chain}"));
        }
        VcError::new(ErrorKind::Other, format!("{call} failed: {chain}"))
    }

    /// Sends one call; the `returnval`, or the fault said plainly.
    pub fn call(&mut self, call: &Call) -> Result<Option<Node>, VcError> {
        let r = self.call_once(call);
        if let Err(e) = &r {
            self.unresponsive |= e.kind == ErrorKind::Timeout;
        }
        r
    }

    fn call_once(&mut self, call: &Call) -> Result<Option<Node>, VcError> {
        let body = call
            .envelope()
            .map_err(|m| VcError::new(ErrorKind::Other, m))?;
        let mut req = self
            .agent
            .post(&self.url)
            .set("Content-Type", "text/xml; charset=utf-8")
            .set("SOAPAction", "urn:vim25/7.0");
        if let Some(c) = &self.cookie {
            req = req.set("Cookie", c);
        }
        self.round_trips += 1;
        let resp = match req.send_string(&body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(self.transport_error(call.name(), &t)),
        };
        let status = resp.status();
        if let Some(c) = resp.header("set-cookie") {
            if let Some(pair) = c.split(';').next().filter(|p| p.contains('=')) {
                self.cookie = Some(pair.trim().to_string());
            }
        }
        let mut text = String::new();
        if let Err(e) = resp
            .into_reader()
            .take(MAX_ANSWER_BYTES)
            .read_to_string(&mut text)
        {
            let t = e.to_string();
            let kind = if t.contains("timed out")
                || e.kind() == std::io::ErrorKind::TimedOut
                || e.kind() == std::io::ErrorKind::WouldBlock
            {
                ErrorKind::Timeout
            } else {
                ErrorKind::Other
            };
            return Err(VcError::new(
                kind,
                format!(
                    "server not answering: it stopped sending its answer to {} ({t}; limit {} s)",
                    call.name(),
                    self.timeout.as_secs()
                ),
            ));
        }
        self.bytes += text.len() as u64;
        let parsed = soap::answer(&text).map_err(|m| {
            VcError::new(
                ErrorKind::Other,
                format!(
                    "{} answered with HTTP {status} and no SOAP answer ({m}): is this the /sdk endpoint of a vCenter or ESXi?",
                    call.name()
                ),
            )
        })?;
        match parsed {
            Ok(v) => Ok(v),
            Err(f) => Err(self.fault_error(call.name(), &f)),
        }
    }

    fn fault_error(&self, call: &str, f: &Fault) -> VcError {
        match f.kind.as_deref() {
            Some("InvalidLogin") => VcError::new(
                ErrorKind::Login,
                "login refused: bad user name or password (InvalidLogin). Check VMCOMPAT_VCENTER_USER and the password (VMCOMPAT_VCENTER_PASSWORD or --password-file); SSO users are written user@domain",
            ),
            Some("NoPermission") | Some("NotAuthenticated") => VcError::new(
                ErrorKind::Permission,
                format!("{call}: {}", permission_message(f, "call it")),
            ),
            other => VcError::new(
                ErrorKind::Other,
                format!(
                    "{call} refused: {}{}",
                    if f.message.is_empty() { "(no message)" } else { &f.message },
                    other.map_or(String::new(), |k| format!(" ({k})"))
                ),
            ),
        }
    }

    /// `RetrieveServiceContent`, then `Login`.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), VcError> {
        let si = self
            .call(&Call::RetrieveServiceContent(soap::This::new(MoRef::new(
                "ServiceInstance",
                "ServiceInstance",
            ))))?
            .ok_or_else(|| {
                VcError::new(ErrorKind::Other, "RetrieveServiceContent returned nothing")
            })?;
        let mo = |n: &str| si.child(n).and_then(MoRef::from_node);
        self.content = ServiceContent {
            root_folder: mo("rootFolder"),
            property_collector: mo("propertyCollector"),
            view_manager: mo("viewManager"),
            session_manager: mo("sessionManager"),
            full_name: si
                .path("about.fullName")
                .map_or(String::new(), |n| n.text.clone()),
            api_type: si
                .path("about.apiType")
                .map_or(String::new(), |n| n.text.clone()),
        };
        let sm = self.content.session_manager.clone().ok_or_else(|| {
            VcError::new(
                ErrorKind::Other,
                format!(
                    "{} has no SessionManager: not a vSphere API endpoint",
                    self.url
                ),
            )
        })?;
        self.call(&Call::Login(soap::Login::new(sm, user, password)))?;
        Ok(())
    }

    /// `Logout` (errors ignored: the session expires anyway).
    pub fn logout(&mut self) {
        if let Some(sm) = self.content.session_manager.clone() {
            if self.cookie.is_some() && !self.unresponsive {
                let _ = self.call(&Call::Logout(soap::This::new(sm)));
            }
        }
    }

    /// One walk: a container view of `types` under the root folder, every
    /// object with `props`, page by page; the view is destroyed afterwards.
    pub fn walk(
        &mut self,
        types: &[&str],
        props: &[(&str, &[&str])],
        page: u32,
    ) -> Result<Vec<Object>, VcError> {
        let url = self.url.clone();
        let missing = |w: &str| VcError::new(ErrorKind::Other, format!("{url} lacks {w}"));
        let vm = self
            .content
            .view_manager
            .clone()
            .ok_or_else(|| missing("a ViewManager"))?;
        let root = self
            .content
            .root_folder
            .clone()
            .ok_or_else(|| missing("a root folder"))?;
        let pc = self
            .content
            .property_collector
            .clone()
            .ok_or_else(|| missing("a PropertyCollector"))?;
        let view = self
            .call(&Call::CreateContainerView(soap::CreateContainerView::new(
                vm, root, types,
            )))?
            .and_then(|n| MoRef::from_node(&n))
            .ok_or_else(|| missing("a container view (CreateContainerView returned nothing)"))?;
        let result = self.pages(&pc, &view, props, page);
        if !self.unresponsive {
            let _ = self.call(&Call::DestroyView(soap::This::new(view)));
        }
        result
    }

    fn pages(
        &mut self,
        pc: &MoRef,
        view: &MoRef,
        props: &[(&str, &[&str])],
        page: u32,
    ) -> Result<Vec<Object>, VcError> {
        let mut out = Vec::new();
        let mut ret = self.call(&Call::RetrievePropertiesEx(
            soap::RetrievePropertiesEx::over_view(pc.clone(), view.clone(), props, page),
        ))?;
        while let Some(r) = ret {
            let token = r.text_of("token").map(str::to_string);
            out.extend(
                r.children
                    .into_iter()
                    .filter(|c| c.name == "objects")
                    .map(Object::from_node),
            );
            let Some(token) = token.filter(|t| !t.is_empty()) else {
                break;
            };
            ret = self.call(&Call::ContinueRetrievePropertiesEx(soap::Continue::new(
                pc.clone(),
                &token,
            )))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_as_admins_write_them() {
        let t = "AA:bb:0c:".to_string() + &"11:".repeat(28) + "FF";
        let d = parse_thumbprint(&t).unwrap();
        assert_eq!(d[0], 0xaa);
        assert_eq!(d[31], 0xff);
        assert_eq!(format_thumbprint(&d).len(), 95);
        assert!(parse_thumbprint("AB:".repeat(19).trim_end_matches(':')).is_err());
        let sha1 = "AB:".repeat(20);
        assert!(parse_thumbprint(sha1.trim_end_matches(':'))
            .unwrap_err()
            .contains("SHA-1"));
        assert!(Client::connect("http://vc/sdk", Trust::Insecure, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn values_from_paths_and_whole_objects() {
        let x = super::super::xml::parse(
            r#"<o><obj type="HostSystem">host-1</obj>
<propSet><name>hardware.cpuFeature</name><val xsi:type="ArrayOfHostCpuIdInfo"><HostCpuIdInfo><level>0</level></HostCpuIdInfo><HostCpuIdInfo><level>1</level></HostCpuIdInfo></val></propSet>
<propSet><name>config</name><val xsi:type="HostConfigInfo"><featureCapability><key>cpuid.AVX</key></featureCapability><featureCapability><key>cpuid.SSE3</key></featureCapability></val></propSet>
<missingSet><path>summary</path><fault><fault xsi:type="NoPermission"><privilegeId>System.Read</privilegeId></fault></fault></missingSet></o>"#,
        )
        .unwrap();
        let o = Object::from_node(x.child("o").unwrap().clone());
        assert_eq!(o.obj, Some(MoRef::new("HostSystem", "host-1")));
        assert_eq!(o.values("hardware.cpuFeature").len(), 2);
        assert_eq!(o.values("config.featureCapability").len(), 2);
        assert_eq!(o.text("config.featureCapability.key"), Some("cpuid.AVX"));
        assert!(o.values("config.nothing").is_empty());
        assert_eq!(o.missing[0].0, "summary");
        assert_eq!(o.missing[0].1.kind.as_deref(), Some("NoPermission"));
        assert_eq!(o.missing[0].1.privilege.as_deref(), Some("System.Read"));
    }
}
