//! vSphere Web Services requests, serialized with serde (quick-xml), and the
//! parts of answers every call shares (faults, `returnval`).
//!
//! Element order follows the vim25 WSDL (`xsd:sequence`), which vCenter checks.

use serde::Serialize;

use super::xml::{self, Node};

const NS_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const NS_XSD: &str = "http://www.w3.org/2001/XMLSchema";
const NS_VIM: &str = "urn:vim25";

/// A managed object reference: `<x type="HostSystem">host-21</x>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MoRef {
    /// The managed object type.
    #[serde(rename = "@type")]
    pub ty: String,
    /// Its id.
    #[serde(rename = "$text")]
    pub value: String,
}

impl MoRef {
    /// Builds a reference.
    pub fn new(ty: &str, value: &str) -> MoRef {
        MoRef {
            ty: ty.to_string(),
            value: value.to_string(),
        }
    }

    /// Reads one from an element (`type` attribute, text).
    pub fn from_node(n: &Node) -> Option<MoRef> {
        let ty = n.attr("type")?;
        let v = n.text.trim();
        (!v.is_empty()).then(|| MoRef::new(ty, v))
    }
}

#[derive(Serialize)]
#[serde(rename = "soapenv:Envelope")]
struct Envelope<'a> {
    #[serde(rename = "@xmlns:soapenv")]
    env: &'static str,
    #[serde(rename = "@xmlns:xsi")]
    xsi: &'static str,
    #[serde(rename = "@xmlns:xsd")]
    xsd: &'static str,
    #[serde(rename = "soapenv:Body")]
    body: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "$value")]
    call: &'a Call,
}

/// One call of the API, as sent.
#[derive(Debug, Serialize)]
pub enum Call {
    /// `ServiceInstance.RetrieveServiceContent`.
    RetrieveServiceContent(This),
    /// `SessionManager.Login`.
    Login(Login),
    /// `SessionManager.Logout`.
    Logout(This),
    /// `ViewManager.CreateContainerView`.
    CreateContainerView(CreateContainerView),
    /// `View.DestroyView`.
    DestroyView(This),
    /// `PropertyCollector.RetrievePropertiesEx`.
    RetrievePropertiesEx(RetrievePropertiesEx),
    /// `PropertyCollector.ContinueRetrievePropertiesEx`.
    ContinueRetrievePropertiesEx(Continue),
}

impl Call {
    /// The method name (for messages).
    pub fn name(&self) -> &'static str {
        match self {
            Call::RetrieveServiceContent(_) => "RetrieveServiceContent",
            Call::Login(_) => "Login",
            Call::Logout(_) => "Logout",
            Call::CreateContainerView(_) => "CreateContainerView",
            Call::DestroyView(_) => "DestroyView",
            Call::RetrievePropertiesEx(_) => "RetrievePropertiesEx",
            Call::ContinueRetrievePropertiesEx(_) => "ContinueRetrievePropertiesEx",
        }
    }

    /// The SOAP envelope carrying this call.
    pub fn envelope(&self) -> Result<String, String> {
        let env = Envelope {
            env: NS_ENV,
            xsi: NS_XSI,
            xsd: NS_XSD,
            body: Body { call: self },
        };
        quick_xml::se::to_string(&env)
            .map_err(|e| format!("cannot write the {} request: {e}", self.name()))
    }
}

/// A call that takes only its object.
#[derive(Debug, Serialize)]
pub struct This {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    #[serde(rename = "_this")]
    this: MoRef,
}

impl This {
    /// The call on `this`.
    pub fn new(this: MoRef) -> This {
        This { ns: NS_VIM, this }
    }
}

/// `Login(userName, password)`.
#[derive(Debug, Serialize)]
pub struct Login {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    #[serde(rename = "_this")]
    this: MoRef,
    #[serde(rename = "userName")]
    user: String,
    password: String,
}

impl Login {
    /// A login on the session manager.
    pub fn new(this: MoRef, user: &str, password: &str) -> Login {
        Login {
            ns: NS_VIM,
            this,
            user: user.to_string(),
            password: password.to_string(),
        }
    }
}

/// `CreateContainerView(container, type[], recursive)`.
#[derive(Debug, Serialize)]
pub struct CreateContainerView {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    #[serde(rename = "_this")]
    this: MoRef,
    container: MoRef,
    #[serde(rename = "type")]
    types: Vec<String>,
    recursive: bool,
}

impl CreateContainerView {
    /// A recursive view of `types` under `container`.
    pub fn new(this: MoRef, container: MoRef, types: &[&str]) -> CreateContainerView {
        CreateContainerView {
            ns: NS_VIM,
            this,
            container,
            types: types.iter().map(|s| s.to_string()).collect(),
            recursive: true,
        }
    }
}

/// `PropertySpec`: the properties wanted of one type.
#[derive(Debug, Serialize)]
pub struct PropertySpec {
    #[serde(rename = "type")]
    ty: String,
    all: bool,
    #[serde(rename = "pathSet")]
    paths: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TraversalSpec {
    #[serde(rename = "@xsi:type")]
    xsi_type: &'static str,
    name: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    path: &'static str,
    skip: bool,
}

#[derive(Debug, Serialize)]
struct ObjectSpec {
    obj: MoRef,
    skip: bool,
    #[serde(rename = "selectSet")]
    select: Vec<TraversalSpec>,
}

#[derive(Debug, Serialize)]
struct PropertyFilterSpec {
    #[serde(rename = "propSet")]
    props: Vec<PropertySpec>,
    #[serde(rename = "objectSet")]
    objects: Vec<ObjectSpec>,
}

#[derive(Debug, Serialize)]
struct RetrieveOptions {
    #[serde(rename = "maxObjects")]
    max_objects: u32,
}

/// `RetrievePropertiesEx(specSet, options)` over a container view.
#[derive(Debug, Serialize)]
pub struct RetrievePropertiesEx {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    #[serde(rename = "_this")]
    this: MoRef,
    #[serde(rename = "specSet")]
    spec: PropertyFilterSpec,
    options: RetrieveOptions,
}

impl RetrievePropertiesEx {
    /// Every object of `view` (a ContainerView), with `props` per type, at
    /// most `page` objects per answer.
    pub fn over_view(this: MoRef, view: MoRef, props: &[(&str, &[&str])], page: u32) -> Self {
        RetrievePropertiesEx {
            ns: NS_VIM,
            this,
            spec: PropertyFilterSpec {
                props: props
                    .iter()
                    .map(|(ty, paths)| PropertySpec {
                        ty: ty.to_string(),
                        all: false,
                        paths: paths.iter().map(|p| p.to_string()).collect(),
                    })
                    .collect(),
                objects: vec![ObjectSpec {
                    obj: view,
                    skip: true,
                    select: vec![TraversalSpec {
                        xsi_type: "TraversalSpec",
                        name: "view",
                        ty: "ContainerView",
                        path: "view",
                        skip: false,
                    }],
                }],
            },
            options: RetrieveOptions { max_objects: page },
        }
    }
}

/// `ContinueRetrievePropertiesEx(token)`.
#[derive(Debug, Serialize)]
pub struct Continue {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    #[serde(rename = "_this")]
    this: MoRef,
    token: String,
}

impl Continue {
    /// The next page of a retrieval.
    pub fn new(this: MoRef, token: &str) -> Continue {
        Continue {
            ns: NS_VIM,
            this,
            token: token.to_string(),
        }
    }
}

/// A SOAP fault as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The vim fault type (`InvalidLogin`, `NoPermission`, `NotAuthenticated`), if given.
    pub kind: Option<String>,
    /// `faultstring`.
    pub message: String,
    /// `privilegeId` of a permission fault, if given.
    pub privilege: Option<String>,
    /// The object a permission fault names, if given.
    pub object: Option<MoRef>,
}

/// Reads a fault out of a detail `fault` element or a SOAP `Fault` body.
pub fn fault_of(f: &Node) -> Fault {
    // SOAP Fault: detail holds <XFault xsi:type="X">; MissingProperty: <fault xsi:type="X">.
    let detail = f
        .child("detail")
        .and_then(|d| d.children.first())
        .or_else(|| f.child("fault"));
    let kind = detail.and_then(|d| {
        d.ty.clone()
            .or_else(|| Some(d.name.trim_end_matches("Fault").to_string()))
            .filter(|s| !s.is_empty())
    });
    Fault {
        kind,
        message: f
            .text_of("faultstring")
            .or_else(|| f.text_of("localizedMessage"))
            .unwrap_or("")
            .trim()
            .to_string(),
        privilege: detail
            .and_then(|d| d.text_of("privilegeId"))
            .map(str::to_string),
        object: detail
            .and_then(|d| d.child("object"))
            .and_then(MoRef::from_node),
    }
}

/// An answer: the `returnval` of the call's response (moved out of the
/// tree, not copied: a page of VMs is tens of MiB), or its fault.
pub fn answer(text: &str) -> Result<Result<Option<Node>, Fault>, String> {
    let mut root = xml::parse(text)?;
    let body = root
        .children
        .iter_mut()
        .find(|c| c.name == "Envelope")
        .and_then(|e| e.children.iter_mut().find(|c| c.name == "Body"))
        .ok_or_else(|| "the answer is not a SOAP envelope".to_string())?;
    if let Some(f) = body.child("Fault") {
        return Ok(Err(fault_of(f)));
    }
    let resp = body
        .children
        .first_mut()
        .ok_or_else(|| "the SOAP body is empty".to_string())?;
    Ok(Ok(resp
        .children
        .iter()
        .position(|c| c.name == "returnval")
        .map(|i| resp.children.swap_remove(i))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_well_formed_and_escaped() {
        let call = Call::Login(Login::new(
            MoRef::new("SessionManager", "SessionManager"),
            "admin@vsphere.local",
            "p<&>\"'w",
        ));
        let x = call.envelope().unwrap();
        assert!(x.starts_with("<soapenv:Envelope xmlns:soapenv="), "{x}");
        assert!(x.contains("<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">SessionManager</_this><userName>admin@vsphere.local</userName>"), "{x}");
        let root = xml::parse(&x).unwrap();
        let login = root.path("Envelope.Body.Login").unwrap();
        assert_eq!(login.text_of("password"), Some("p<&>\"'w"));
        let r = Call::RetrievePropertiesEx(RetrievePropertiesEx::over_view(
            MoRef::new("PropertyCollector", "propertyCollector"),
            MoRef::new("ContainerView", "session[1]2"),
            &[("HostSystem", &["name", "hardware.cpuFeature"])],
            500,
        ))
        .envelope()
        .unwrap();
        let root = xml::parse(&r).unwrap();
        let spec = root
            .path("Envelope.Body.RetrievePropertiesEx.specSet")
            .unwrap();
        assert_eq!(spec.path("propSet.type").unwrap().text, "HostSystem");
        assert_eq!(spec.child("propSet").unwrap().all("pathSet").count(), 2);
        let sel = spec.path("objectSet.selectSet").unwrap();
        assert_eq!(sel.ty.as_deref(), Some("TraversalSpec"));
        assert_eq!(sel.text_of("path"), Some("view"));
        assert!(
            r.contains("<options><maxObjects>500</maxObjects></options>"),
            "{r}"
        );
    }

    #[test]
    fn faults_in_admin_terms() {
        let t = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Login failure</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        let f = answer(t).unwrap().unwrap_err();
        assert_eq!(f.kind.as_deref(), Some("InvalidLogin"));
        assert_eq!(f.message, "Login failure");
        let t = r#"<Envelope><Body><Fault><faultstring>denied</faultstring><detail><NoPermissionFault><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></NoPermissionFault></detail></Fault></Body></Envelope>"#;
        let f = answer(t).unwrap().unwrap_err();
        assert_eq!(f.kind.as_deref(), Some("NoPermission"));
        assert_eq!(f.privilege.as_deref(), Some("System.View"));
        assert_eq!(f.object, Some(MoRef::new("Folder", "group-d1")));
        assert!(answer("not xml <").is_err());
    }
}
