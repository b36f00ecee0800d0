//! Which kinds are cluster-scoped: one answer for namespace injection (`transform`) and for the
//! scope check of `validate --rendered` (`check::objects`). Pure: no IO.
//!
//! A kind is named by its API group and kind (`storage.k8s.io` `VolumeAttributesClass`), never
//! by its kind alone: two groups may use the same kind. Highest priority first:
//! 1. the `scopes:` of the project file (`hldc.yaml`),
//! 2. the CustomResourceDefinitions in the output (`spec.group`, `spec.names.kind`, `spec.scope`),
//! 3. the built-in kinds of the Kubernetes version (`schemas/kubernetes/<version>/scopes.json`).
//!
//! A kind none of them knows is taken as namespaced, and said so once per kind.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml::Value;

use super::kube;
use crate::diag::Problem;
use crate::model::rendered::{Object, Rendered};
use crate::yaml::Document;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Scope {
    Cluster,
    Namespaced,
}

/// One entry of the project file's `scopes:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRule {
    /// The API group; empty for the core group.
    #[serde(default)]
    pub group: String,
    pub kind: String,
    pub scope: Scope,
}

/// The scope of every known (group, kind).
#[derive(Debug, Clone)]
pub struct Scopes {
    known: BTreeMap<(String, String), Scope>,
}

/// `apps/v1` → `apps`; `v1` → `` (the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The group and kind of an object, when it has both `apiVersion` and `kind`.
fn group_kind(object: &Value) -> Option<(&str, &str)> {
    let api_version = object.get("apiVersion").and_then(Value::as_str)?;
    let kind = object.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty())?;
    Some((group_of(api_version), kind))
}

fn display(group: &str, kind: &str) -> String {
    if group.is_empty() {
        format!("{kind} (core group)")
    } else {
        format!("{group}/{kind}")
    }
}

impl Scopes {
    /// The scopes for an output: the built-in kinds of `kube_version` (one of
    /// `check::kube::versions()`), the CRDs among `rendered` and those `hldc.yaml` names
    /// (`crds`), then `rules`.
    pub fn new(
        kube_version: &str,
        rules: &[ScopeRule],
        rendered: &[Rendered],
        crds: &[Document],
    ) -> Result<Scopes, Problem> {
        let mut known = builtin(kube_version)?;
        let named = crds.iter().map(|document| &document.value);
        for object in rendered.iter().flat_map(|r| &r.objects).map(Object::value).chain(named) {
            if let Some((group, kind, scope)) = declared_by_crd(object) {
                known.insert((group.to_string(), kind.to_string()), scope);
            }
        }
        for rule in rules {
            known.insert((rule.group.clone(), rule.kind.clone()), rule.scope);
        }
        Ok(Scopes { known })
    }

    /// Whether `object` is of a cluster-scoped kind; an unknown kind is namespaced.
    pub fn is_cluster_scoped(&self, object: &Value) -> bool {
        group_kind(object).and_then(|(group, kind)| self.scope(group, kind)) == Some(Scope::Cluster)
    }

    fn scope(&self, group: &str, kind: &str) -> Option<Scope> {
        self.known.get(&(group.to_string(), kind.to_string())).copied()
    }

    /// One warning per kind of `objects` whose scope is unknown, at its first object.
    pub fn unknown_kinds<'o>(&self, objects: impl IntoIterator<Item = &'o Object>) -> Vec<Problem> {
        let mut first: BTreeMap<(&str, &str), &Object> = BTreeMap::new();
        for object in objects {
            if let Some((group, kind)) = group_kind(object.value()).filter(|(g, k)| self.scope(g, k).is_none()) {
                first.entry((group, kind)).or_insert(object);
            }
        }
        first
            .into_iter()
            .map(|((group, kind), object)| {
                let group_line = if group.is_empty() { "group: \"\", ".to_string() } else { format!("group: {group}, ") };
                Problem::warning(
                    "hldc::output::unknown-kind",
                    format!(
                        "hldc does not know whether `{}` is cluster-scoped; it treats it as namespaced",
                        display(group, kind)
                    ),
                )
                .at(object.origin())
                .label("kind of unknown scope")
                .help(format!(
                    "put its CustomResourceDefinition in the output, or declare it in hldc.yaml: `scopes: [{{{group_line}kind: {kind}, scope: Cluster}}]` (or `scope: Namespaced`)"
                ))
            })
            .collect()
    }
}

/// The kind a CustomResourceDefinition declares, with its scope.
fn declared_by_crd(object: &Value) -> Option<(&str, &str, Scope)> {
    let (group, kind) = group_kind(object)?;
    if group != "apiextensions.k8s.io" || kind != "CustomResourceDefinition" {
        return None;
    }
    let spec = object.get("spec")?;
    fn text(value: Option<&Value>) -> Option<&str> {
        value.and_then(Value::as_str).filter(|s| !s.is_empty())
    }
    let scope = match text(spec.get("scope"))? {
        "Cluster" => Scope::Cluster,
        "Namespaced" => Scope::Namespaced,
        _ => return None,
    };
    Some((text(spec.get("group"))?, text(spec.get("names").and_then(|n| n.get("kind")))?, scope))
}

/// Built-in kinds Kubernetes has removed, which old charts still render (`extensions/v1beta1`,
/// `policy/v1beta1` PodSecurityPolicy): their scope is known, so hldc never injects a namespace
/// into a cluster-scoped one. A shipped version that still serves a kind decides over this list.
const REMOVED_KINDS: [(&str, &str, Scope); 9] = [
    ("extensions", "DaemonSet", Scope::Namespaced),
    ("extensions", "Deployment", Scope::Namespaced),
    ("extensions", "Ingress", Scope::Namespaced),
    ("extensions", "NetworkPolicy", Scope::Namespaced),
    ("extensions", "PodSecurityPolicy", Scope::Cluster),
    ("extensions", "ReplicaSet", Scope::Namespaced),
    ("policy", "PodSecurityPolicy", Scope::Cluster),
    ("settings.k8s.io", "PodPreset", Scope::Namespaced),
    ("auditregistration.k8s.io", "AuditSink", Scope::Cluster),
];

/// The built-in kinds of a shipped Kubernetes version, and the removed ones it does not serve.
fn builtin(kube_version: &str) -> Result<BTreeMap<(String, String), Scope>, Problem> {
    #[derive(Deserialize)]
    struct Shipped {
        scopes: BTreeMap<String, BTreeMap<String, Scope>>,
    }
    let shipped: Shipped = serde_json::from_str(kube::scopes_text(kube_version)?).map_err(|error| {
        Problem::error(
            "hldc::internal::kube-scopes",
            format!("the built-in Kubernetes {kube_version} scopes do not parse: {error}"),
        )
        .help("this is a bug in hldc; regenerate them with `scripts/update-kube-schemas`")
    })?;
    let removed = REMOVED_KINDS.iter().map(|(group, kind, scope)| ((group.to_string(), kind.to_string()), *scope));
    Ok(removed
        .chain(
            shipped
                .scopes
                .into_iter()
                .flat_map(|(group, kinds)| kinds.into_iter().map(move |(kind, scope)| ((group.clone(), kind), scope))),
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    fn objects(yaml: &str) -> Vec<Rendered> {
        let file = SourceFile::new("out.yaml", yaml);
        let objects = serde_yaml::Deserializer::from_str(yaml)
            .map(|d| Object {
                document: crate::yaml::Document::unlocated(&file, Value::deserialize(d).unwrap()),
                from_helm: false,
            })
            .collect();
        vec![Rendered {
            component: "c".into(),
            file: "c".into(),
            inject_namespace: None,
            objects,
            warnings: Vec::new(),
            origin: Default::default(),
            rendering: None,
        }]
    }

    fn object(api_version: &str, kind: &str) -> Value {
        serde_yaml::from_str(&format!("{{apiVersion: {api_version}, kind: {kind}}}")).unwrap()
    }

    #[test]
    fn built_in_kinds_by_group_and_kind_in_every_shipped_version() {
        for version in kube::versions() {
            let scopes = Scopes::new(version, &[], &[], &[]).unwrap();
            for (api_version, kind) in [
                ("v1", "Namespace"),
                ("v1", "PersistentVolume"),
                ("networking.k8s.io/v1", "ServiceCIDR"),
                ("networking.k8s.io/v1", "IPAddress"),
                ("storage.k8s.io/v1", "VolumeAttributesClass"),
                ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
            ] {
                assert!(scopes.is_cluster_scoped(&object(api_version, kind)), "{version}: {api_version} {kind}");
            }
            for (api_version, kind) in
                [("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("networking.k8s.io/v1", "Ingress")]
            {
                assert!(!scopes.is_cluster_scoped(&object(api_version, kind)), "{version}: {api_version} {kind}");
            }
            // A kind is cluster-scoped in its group only.
            assert!(!scopes.is_cluster_scoped(&object("example.com/v1", "Namespace")));
            assert!(!scopes.is_cluster_scoped(&object("v1", "ClusterRole")));
        }
    }

    #[test]
    fn removed_kinds_old_charts_render_have_their_scope() {
        for version in kube::versions() {
            let scopes = Scopes::new(version, &[], &[], &[]).unwrap();
            assert!(scopes.is_cluster_scoped(&object("policy/v1beta1", "PodSecurityPolicy")), "{version}");
            assert!(scopes.is_cluster_scoped(&object("extensions/v1beta1", "PodSecurityPolicy")), "{version}");
            assert!(!scopes.is_cluster_scoped(&object("extensions/v1beta1", "Ingress")), "{version}");
            assert!(scopes
                .unknown_kinds(&objects("apiVersion: extensions/v1beta1\nkind: Deployment\n")[0].objects)
                .is_empty());
        }
    }

    #[test]
    fn crds_in_the_output_decide_and_the_project_file_decides_first() {
        let rendered = objects(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {group: example.com, scope: Cluster, names: {kind: Widget}}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {group: example.com, scope: Cluster, names: {kind: Gadget}}\n",
        );
        let rules = [ScopeRule { group: "example.com".into(), kind: "Gadget".into(), scope: Scope::Namespaced }];
        let scopes = Scopes::new("1.34", &rules, &rendered, &[]).unwrap();
        assert!(scopes.is_cluster_scoped(&object("example.com/v1", "Widget")));
        assert!(!scopes.is_cluster_scoped(&object("example.com/v1", "Gadget")));
        // Same kind, other group: not declared.
        assert!(!scopes.is_cluster_scoped(&object("other.io/v1", "Widget")));
        let rules = [ScopeRule { group: String::new(), kind: "ConfigMap".into(), scope: Scope::Cluster }];
        assert!(Scopes::new("1.34", &rules, &[], &[]).unwrap().is_cluster_scoped(&object("v1", "ConfigMap")));
    }

    #[test]
    fn unknown_kinds_are_namespaced_and_noted_once_per_kind() {
        let rendered = objects(
            "apiVersion: example.com/v1\nkind: Widget\n---\napiVersion: example.com/v2\nkind: Widget\n---\napiVersion: other.io/v1\nkind: Widget\n---\napiVersion: v1\nkind: ConfigMap\n---\nkind: NoApiVersion\n",
        );
        let scopes = Scopes::new("1.34", &[], &rendered, &[]).unwrap();
        let notes = scopes.unknown_kinds(rendered.iter().flat_map(|r| &r.objects));
        let messages: Vec<&str> = notes.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "hldc does not know whether `example.com/Widget` is cluster-scoped; it treats it as namespaced",
                "hldc does not know whether `other.io/Widget` is cluster-scoped; it treats it as namespaced",
            ]
        );
        assert!(notes.iter().all(|p| !p.is_error()));
        assert!(notes[0]
            .help
            .as_deref()
            .unwrap()
            .contains("scopes: [{group: example.com, kind: Widget, scope: Cluster}]"));
    }
}
