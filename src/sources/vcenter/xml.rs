//! SOAP responses as a tree, read with quick-xml's pull parser.
//!
//! Property values in a `RetrievePropertiesEx` answer are polymorphic: one
//! `<val xsi:type="ArrayOfVirtualDevice">` holds `VirtualCdrom`,
//! `VirtualVmxnet3`, ... told apart only by their `xsi:type` attribute, which
//! serde cannot dispatch on. So answers are read into [`Node`]s (local names,
//! the `xsi:type` kept) and typed by the readers in [`super::inventory`].
//! The text is untrusted: nesting deeper than [`MAX_DEPTH`] is an error.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Deepest nesting accepted (vSphere answers nest about 15 levels).
pub const MAX_DEPTH: usize = 128;

/// One element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Local name (prefix dropped).
    pub name: String,
    /// The `xsi:type` attribute's local part, if any.
    pub ty: Option<String>,
    /// Other attributes (local names).
    pub attrs: Vec<(String, String)>,
    /// Text content (unescaped, concatenated).
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Node>,
}

impl Node {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child called `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Follows a dotted path of child names (`info.vmfs.uuid`).
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        dotted
            .split('.')
            .filter(|s| !s.is_empty())
            .try_fold(self, |n, part| n.child(part))
    }

    /// An attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first descendant (depth first, self included) called `name`.
    pub fn find(&self, name: &str) -> Option<&Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// The text as a boolean (`true`/`false`).
    pub fn as_bool(&self) -> Option<bool> {
        match self.text.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses a document; returns a synthetic root whose children are the
/// top-level elements. Errors name the byte offset.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match ev {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} levels"));
                }
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                let node = element(&e)?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(format!(
                        "XML error at byte {}: unbalanced end tag",
                        reader.buffer_position()
                    ));
                }
                let node = stack.pop().unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
                if let Some(top) = stack.last_mut() {
                    if !s.trim().is_empty() || !top.text.is_empty() {
                        top.text.push_str(&s);
                    }
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("XML ends inside an element (truncated answer?)".into());
    }
    Ok(stack.pop().unwrap_or_default())
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, String> {
    let mut node = Node {
        name: local(e.name().as_ref()),
        ..Node::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|e| format!("XML attribute error: {e}"))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| format!("XML attribute error: {e}"))?
            .into_owned();
        if key.starts_with("xmlns") {
            continue;
        }
        if local(key.as_bytes()) == "type" && key.contains(':') {
            node.ty = Some(local(value.as_bytes()));
        } else {
            node.attrs.push((local(key.as_bytes()), value));
        }
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_with_types_and_entities() {
        let t = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="x" xmlns:xsi="y"><soapenv:Body>
<val xsi:type="ArrayOfVirtualDevice"><VirtualDevice xsi:type="VirtualCdrom"><key>3000</key>
<backing xsi:type="VirtualCdromIsoBackingInfo"><fileName>[ds &amp; 1] a.iso</fileName></backing>
<connectable><connected>true</connected></connectable></VirtualDevice><obj type="HostSystem">host-1</obj><e/></val>
</soapenv:Body></soapenv:Envelope>"#;
        let root = parse(t).unwrap();
        let val = root.path("Envelope.Body.val").unwrap();
        assert_eq!(val.ty.as_deref(), Some("ArrayOfVirtualDevice"));
        let d = val.child("VirtualDevice").unwrap();
        assert_eq!(d.ty.as_deref(), Some("VirtualCdrom"));
        assert_eq!(d.path("backing.fileName").unwrap().text, "[ds & 1] a.iso");
        assert_eq!(
            d.path("connectable.connected").unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(val.child("obj").unwrap().attr("type"), Some("HostSystem"));
        assert!(val.child("e").is_some());
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a><b>").is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 5);
        assert!(parse(&deep).is_err());
    }
}
