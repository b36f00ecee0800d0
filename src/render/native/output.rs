//! From rendered template files to `helm template`'s text (helm v4.1.4: pkg/release/v1/util
//! manifest.go, manifest_sorter.go, kind_sorter.go; pkg/action/action.go renderResources;
//! pkg/cmd/template.go): documents split, hooks set apart, manifests in install order by
//! kind, CRDs first when asked, hooks last, each under `---\n# Source: PATH`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use super::yaml_in;
use super::NativeError;

const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One document of a rendered file.
struct Manifest {
    path: String,
    content: String,
    kind: String,
    test_hook: bool,
}

/// helm v4.1.4's `SplitManifests`: the documents of a file, trimmed, empty ones dropped.
fn split_manifests(text: &str) -> Vec<String> {
    static SEPARATOR: OnceLock<Regex> = OnceLock::new();
    let separator = SEPARATOR.get_or_init(|| Regex::new(r"(?:^|\s*\n)---\s*").expect("a valid regex"));
    separator.split(go_trim_space(text)).filter(|d| !d.is_empty()).map(|d| go_trim_space(d).to_string()).collect()
}

/// Go's `strings.TrimSpace` (Unicode white space).
pub fn go_trim_space(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace())
}

/// The `# Source:` blocks `helm template` prints for these rendered files (`files` by their
/// full template path), with `crds` (path, text) first when given.
pub fn print(
    files: &BTreeMap<String, String>,
    crds: &[(String, String)],
    skip_tests: bool,
) -> Result<String, NativeError> {
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || path.ends_with("NOTES.txt") || go_trim_space(content).is_empty() {
            continue;
        }
        for document in split_manifests(content) {
            let head = yaml_in::parse_json(&document).map_err(|e| {
                NativeError::Failed(format!("YAML parse error on {path}: error converting YAML to JSON: {e}"))
            })?;
            let kind = head.get("kind").and_then(Json::as_str).unwrap_or("").to_string();
            let annotations = head.get("metadata").and_then(|m| m.get("annotations")).and_then(Json::as_object);
            if let Some(annotations) = annotations {
                if let Some((key, _)) = annotations.iter().find(|(_, v)| !v.is_string() && !v.is_null()) {
                    return Err(NativeError::Failed(format!(
                        "YAML parse error on {path}: error unmarshaling JSON: json: cannot unmarshal into Go struct field .metadata.annotations of type string ({key})"
                    )));
                }
            }
            let hook = annotations.and_then(|a| a.get("helm.sh/hook")).and_then(Json::as_str);
            let manifest =
                |test_hook| Manifest { path: path.clone(), content: document.clone(), kind: kind.clone(), test_hook };
            match hook {
                None => manifests.push(manifest(false)),
                Some(events) => {
                    let events: Vec<String> = events.split(',').map(|e| e.trim().to_lowercase()).collect();
                    if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
                        continue;
                    }
                    hooks.push(manifest(events.iter().any(|e| e == "test" || e == "test-success")));
                }
            }
        }
    }
    sort_by_kind(&mut manifests);
    sort_by_kind(&mut hooks);
    let mut release = String::new();
    for (path, text) in crds {
        release.push_str(&format!("---\n# Source: {path}\n{text}\n"));
    }
    for manifest in &manifests {
        release.push_str(&format!("---\n# Source: {}\n{}\n", manifest.path, manifest.content));
    }
    let mut out = format!("{}\n", go_trim_space(&release));
    for hook in hooks.iter().filter(|hook| !(skip_tests && hook.test_hook)) {
        out.push_str(&format!("---\n# Source: {}\n{}\n", hook.path, hook.content));
    }
    Ok(out)
}

/// kind_sorter.go's `lessByKind`, stable: known kinds in install order, unknown kinds after
/// them, alphabetically.
fn sort_by_kind(manifests: &mut [Manifest]) {
    let rank = |kind: &str| INSTALL_ORDER.iter().position(|k| *k == kind);
    manifests.sort_by(|a, b| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

#[cfg(test)]
mod tests {
    use super::split_manifests;

    #[test]
    fn native_split_manifests_as_helm_4_1() {
        assert_eq!(split_manifests("a: 1\n---\n\n---\nb: 2\n"), vec!["a: 1", "---\nb: 2"]);
        assert_eq!(split_manifests("---\na: 1\n--- \nb: 2"), vec!["a: 1", "b: 2"]);
    }
}
