//! The Go objects a chart's templates reach: `.Files` (engine.files, with its methods) and
//! `.Capabilities` (KubeVersion, APIVersions with `Has`, HelmVersion).

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use base64::Engine as _;

use crate::gotemplate::bytes::Bytes;
use crate::gotemplate::{Object, Value};

use super::glob::Pattern;
use super::yaml_out::to_yaml;

/// The helm these objects mirror (`.Capabilities.HelmVersion`).
const HELM_VERSION: [(&str, &str); 5] = [
    ("Version", "v4.1.4"),
    ("GitCommit", "05fa37973dc9e42b76e1d2883494c87174b6074f"),
    ("GitTreeState", "clean"),
    ("GoVersion", "go1.25.9"),
    ("KubeClientVersion", "v1.35"),
];

/// The API versions helm v4.1.4 knows without a cluster (client-go's scheme), in its order.
const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

pub const FILES_MEMBERS: &[&str] = &["Get", "GetBytes", "Glob", "Lines", "AsConfig", "AsSecrets"];
pub const CAPABILITIES_MEMBERS: &[&str] = &["KubeVersion", "APIVersions", "HelmVersion"];
pub const KUBE_VERSION_MEMBERS: &[&str] = &["Version", "Major", "Minor", "GitVersion", "String"];
pub const VERSION_SET_MEMBERS: &[&str] = &["Has"];
pub const HELM_VERSION_MEMBERS: &[&str] = &["Version", "GitCommit", "GitTreeState", "GoVersion", "KubeClientVersion"];

/// `.Files`: a chart's files other than templates, values and Chart.yaml.
pub struct Files {
    files: BTreeMap<String, Rc<[u8]>>,
}

impl Files {
    pub fn value(files: BTreeMap<String, Rc<[u8]>>) -> Value {
        Value::Object(Rc::new(Files { files }))
    }

    fn get(&self, name: &str) -> String {
        self.files.get(name).map(|data| String::from_utf8_lossy(data).into_owned()).unwrap_or_default()
    }

    fn by_base_name(&self, encode: fn(&[u8]) -> String) -> String {
        let map = self
            .files
            .iter()
            .map(|(name, data)| (name.rsplit('/').next().unwrap_or(name).to_string(), Value::string(encode(data))))
            .collect();
        to_yaml(&Value::map(map)).trim_end_matches('\n').to_string()
    }
}

fn one_string<'a>(method: &str, arguments: &'a [Value]) -> Result<&'a str, String> {
    match arguments {
        [Value::String(s)] => Ok(s),
        [other] => Err(format!("wrong type for value; expected string; got {}", other.type_name())),
        _ => Err(format!("wrong number of args for {method}: want 1 got {}", arguments.len())),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(Value::string(self.by_base_name(|data| String::from_utf8_lossy(data).into_owned()))),
            "AsSecrets" => {
                Some(Value::string(self.by_base_name(|data| base64::engine::general_purpose::STANDARD.encode(data))))
            }
            _ => None,
        }
    }

    fn call(&self, method: &str, arguments: &[Value]) -> Option<Result<Value, String>> {
        let argument = || one_string(method, arguments);
        Some(match method {
            "Get" => argument().map(|name| Value::string(self.get(name))),
            "GetBytes" => {
                argument().map(|name| Bytes::value(self.files.get(name).cloned().unwrap_or_else(|| Rc::new([]))))
            }
            "Glob" => argument().map(|pattern| {
                let pattern = Pattern::gobwas(pattern);
                let files =
                    self.files.iter().filter(|(name, _)| pattern.matches(name)).map(|(n, d)| (n.clone(), d.clone()));
                Files::value(files.collect())
            }),
            "Lines" => argument().map(|name| {
                let text = self.get(name);
                if !self.files.contains_key(name) {
                    return Value::list(Vec::new());
                }
                let text = text.strip_suffix('\n').unwrap_or(&text);
                Value::list(text.split('\n').map(Value::string).collect())
            }),
            _ => return None,
        })
    }

    fn members(&self) -> &'static [&'static str] {
        FILES_MEMBERS
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(out, "map[")?;
        for (i, (name, data)) in self.files.iter().enumerate() {
            let bytes: Vec<String> = data.iter().map(u8::to_string).collect();
            write!(out, "{}{name}:[{}]", if i > 0 { " " } else { "" }, bytes.join(" "))?;
        }
        write!(out, "]")
    }

    fn elements(&self) -> Option<Value> {
        // Go's map of []byte: `index .Files NAME` is `GetBytes NAME`.
        let entries = self.files.iter().map(|(name, data)| (name.clone(), Bytes::value(data.clone())));
        Some(Value::map(entries.collect()))
    }

    fn to_value(&self) -> Value {
        let map = self
            .files
            .iter()
            .map(|(name, data)| (name.clone(), Value::string(base64::engine::general_purpose::STANDARD.encode(data))))
            .collect();
        Value::map(map)
    }
}

/// A Go struct, printed `{a b c}` by `%v`. Its fields in Go's order; a lower-case one is
/// unexported: printed, never read by a template nor encoded.
struct GoStruct {
    type_name: &'static str,
    fields: Vec<(&'static str, Value)>,
    members: &'static [&'static str],
    /// Its `String()` text, where the type has the method on its pointer: an action printing
    /// the field shows it (`Object::display_in_action`).
    string: Option<String>,
}

impl Object for GoStruct {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn field(&self, name: &str) -> Option<Value> {
        match (name, &self.string) {
            ("String", Some(text)) => return Some(Value::string(text.as_str())),
            // KubeVersion's deprecated alias of `Version`.
            ("GitVersion", Some(_)) => return self.field("Version"),
            _ => {}
        }
        let exported = name.starts_with(|c: char| c.is_uppercase());
        self.fields.iter().find(|(field, _)| exported && *field == name).map(|(_, value)| value.clone())
    }

    fn members(&self) -> &'static [&'static str] {
        self.members
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.fields.iter().map(|(_, v)| crate::gotemplate::fmt::display(v)).collect();
        write!(out, "{{{}}}", texts.join(" "))
    }

    fn display_in_action(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.string {
            Some(text) => write!(out, "{text}"),
            None => self.display(out),
        }
    }

    fn to_value(&self) -> Value {
        let exported = self.fields.iter().filter(|(k, _)| k.starts_with(|c: char| c.is_uppercase()));
        Value::map(exported.map(|(k, v)| (k.to_string(), v.clone())).collect())
    }
}

/// `.Capabilities.APIVersions`: a list of strings with `Has`.
struct VersionSet {
    versions: Vec<String>,
}

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn call(&self, method: &str, arguments: &[Value]) -> Option<Result<Value, String>> {
        (method == "Has")
            .then(|| one_string(method, arguments).map(|v| Value::Bool(self.versions.iter().any(|x| x == v))))
    }

    fn members(&self) -> &'static [&'static str] {
        VERSION_SET_MEMBERS
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(out, "[{}]", self.versions.join(" "))
    }

    fn elements(&self) -> Option<Value> {
        Some(Value::list(self.versions.iter().map(|v| Value::string(v.as_str())).collect()))
    }

    fn to_value(&self) -> Value {
        Value::list(self.versions.iter().map(|v| Value::string(v.as_str())).collect())
    }
}

/// `.Capabilities` for a kube version (`1.34.0`) and the extra API versions given.
pub fn capabilities(kube_version: &str, api_versions: &[String]) -> Value {
    let git_version = if kube_version.starts_with('v') { kube_version.to_string() } else { format!("v{kube_version}") };
    // k8s's generic version: the leading numbers, a suffix (`-gke.1245000`) dropped.
    let numeric = git_version[1..].split(|c: char| !c.is_ascii_digit() && c != '.').next().unwrap_or("");
    let numbers: Vec<u64> = numeric.split('.').map_while(|part| part.parse().ok()).collect();
    let normalized = format!("v{}", numbers.iter().map(u64::to_string).collect::<Vec<_>>().join("."));
    let number = |i: usize| numbers.get(i).copied().unwrap_or(0).to_string();
    let kube = GoStruct {
        type_name: "common.KubeVersion",
        fields: vec![
            ("Version", Value::string(git_version.as_str())),
            ("normalizedVersion", Value::string(normalized.as_str())),
            ("Major", Value::string(number(0))),
            ("Minor", Value::string(number(1))),
        ],
        members: KUBE_VERSION_MEMBERS,
        string: Some(normalized.clone()),
    };
    let mut versions: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|v| v.to_string()).collect();
    versions.extend(api_versions.iter().cloned());
    let helm = GoStruct {
        type_name: "version.BuildInfo",
        fields: HELM_VERSION.iter().map(|(k, v)| (*k, Value::string(*v))).collect(),
        members: HELM_VERSION_MEMBERS,
        string: None,
    };
    let capabilities = GoStruct {
        type_name: "common.Capabilities",
        fields: vec![
            ("KubeVersion", Value::Object(Rc::new(kube))),
            ("APIVersions", Value::Object(Rc::new(VersionSet { versions }))),
            ("HelmVersion", Value::Object(Rc::new(helm))),
        ],
        members: CAPABILITIES_MEMBERS,
        string: None,
    };
    Value::Object(Rc::new(capabilities))
}
