//! A static component's objects as a non-default ring renders them. Helm rings are distinct
//! because charts name everything after `.Release.Name`; static manifests have fixed names, so
//! hldc renames them the way a chart would: every object `<name>-<ring>`, and every reference
//! inside the component to a renamed object or to the labels it selects, so that no ring's
//! Service or workload selects another ring's pods. Pure.
//!
//! What is rewritten, for a ring `r`:
//! - `metadata.name` of every object, except the kinds whose name is not the component's to
//!   choose (`Namespace`, `CustomResourceDefinition`: a copy per ring would clash, and the
//!   identity check says so);
//! - every label pair a selector of the component uses (`spec.selector` of Services, the
//!   `matchLabels` of workloads, PodDisruptionBudgets and the like), and every label whose value
//!   is a renamed name, wherever it appears: object labels, pod template labels, selectors;
//!   the value becomes `<value>-<r>`;
//! - references by name to a renamed object: a pod spec's ConfigMaps, Secrets, claims and
//!   service account, a StatefulSet's `serviceName`, an Ingress backend, a `scaleTargetRef`,
//!   a RoleBinding's `roleRef` and ServiceAccount subjects.
//!
//! References to objects outside the component are left alone: only names the component defines
//! are renamed.

use std::collections::BTreeSet;

use serde_yaml::Value;

use crate::model::plan::Planned;
use crate::model::rendered::{Object, Rendered};
use crate::model::ComponentType;

/// Kinds kept under their own name in every ring.
const SHARED_KINDS: &[&str] = &["Namespace", "CustomResourceDefinition"];

/// The pass after rendering that renames a static (or kustomize) component's objects for its
/// non-default ring. A chart names its objects after the ring-suffixed release itself, and the
/// default ring keeps the names.
pub fn rename_for_ring(planned: &Planned, rendered: &mut Rendered) {
    let renamed = planned.ring.as_ref().filter(|ring| !ring.default);
    if let Some(ring) = renamed.filter(|_| planned.node.component_type() != ComponentType::Helm) {
        rename(&mut rendered.objects, &ring.name);
    }
}

/// Renames `objects` for ring `ring` (a non-default ring).
fn rename(objects: &mut [Object], ring: &str) {
    let suffixed = |name: &str| format!("{name}-{ring}");
    let names: BTreeSet<String> = objects
        .iter()
        .filter(|o| !is_shared(o.value()))
        .filter_map(|o| Some(name_of(o.value())?.to_string()))
        .collect();
    let mut selected: BTreeSet<(String, String)> = BTreeSet::new();
    for object in objects.iter() {
        for selector in selectors(object.value()) {
            selected.extend(string_pairs(selector));
        }
    }
    let renamed = |name: &str| names.contains(name).then(|| suffixed(name));
    let relabel = |key: &str, value: &str| {
        (names.contains(value) || selected.contains(&(key.to_string(), value.to_string()))).then(|| suffixed(value))
    };
    for object in objects.iter_mut() {
        let value = &mut object.document.value;
        let shared = is_shared(value);
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        if !shared {
            rewrite(at(value, &["metadata", "name"]), &renamed);
        }
        relabel_map(at(value, &["metadata", "labels"]), &relabel);
        relabel_map(at(value, &["spec", "template", "metadata", "labels"]), &relabel);
        relabel_map(at(value, &["spec", "selector", "matchLabels"]), &relabel);
        if kind == "Service" {
            relabel_map(at(value, &["spec", "selector"]), &relabel);
        }
        rewrite_references(value, &kind, &renamed);
    }
}

fn is_shared(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str).is_some_and(|kind| SHARED_KINDS.contains(&kind))
}

fn name_of(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("name")?.as_str()
}

/// The label selectors of an object: a Service's `spec.selector`, anything else's
/// `spec.selector.matchLabels`.
fn selectors(object: &Value) -> Vec<&Value> {
    let selector = object.get("spec").and_then(|spec| spec.get("selector"));
    match object.get("kind").and_then(Value::as_str) {
        Some("Service") => selector.into_iter().collect(),
        _ => selector.and_then(|s| s.get("matchLabels")).into_iter().collect(),
    }
}

fn string_pairs(map: &Value) -> impl Iterator<Item = (String, String)> + '_ {
    map.as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| Some((key.as_str()?.to_string(), value.as_str()?.to_string())))
}

/// The value at `path`, when every step is a mapping key.
fn at<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, key| value.get_mut(*key))
}

fn rewrite(value: Option<&mut Value>, renamed: &dyn Fn(&str) -> Option<String>) {
    if let Some(value) = value {
        if let Some(new) = value.as_str().and_then(renamed) {
            *value = Value::String(new);
        }
    }
}

fn relabel_map(map: Option<&mut Value>, relabel: &dyn Fn(&str, &str) -> Option<String>) {
    let Some(map) = map.and_then(Value::as_mapping_mut) else { return };
    for (key, value) in map.iter_mut() {
        let (Some(key), Some(text)) = (key.as_str(), value.as_str()) else { continue };
        if let Some(new) = relabel(key, text) {
            *value = Value::String(new);
        }
    }
}

/// References by name to other objects of the component.
fn rewrite_references(object: &mut Value, kind: &str, renamed: &dyn Fn(&str) -> Option<String>) {
    let spec = object.get_mut("spec");
    let Some(spec) = spec else { return };
    match kind {
        "Pod" => rewrite_pod_spec(spec, renamed),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            if kind == "StatefulSet" {
                rewrite(spec.get_mut("serviceName"), renamed);
                for claim in items(spec.get_mut("volumeClaimTemplates")) {
                    rewrite(at(claim, &["metadata", "name"]), renamed);
                }
            }
            if let Some(pod) = at(spec, &["template", "spec"]) {
                rewrite_pod_spec(pod, renamed);
            }
        }
        "CronJob" => {
            if let Some(pod) = at(spec, &["jobTemplate", "spec", "template", "spec"]) {
                rewrite_pod_spec(pod, renamed);
            }
        }
        "HorizontalPodAutoscaler" => rewrite(at(spec, &["scaleTargetRef", "name"]), renamed),
        "Ingress" => {
            rewrite(at(spec, &["defaultBackend", "service", "name"]), renamed);
            for rule in items(spec.get_mut("rules")) {
                for path in items(at(rule, &["http", "paths"])) {
                    rewrite(at(path, &["backend", "service", "name"]), renamed);
                }
            }
            for tls in items(spec.get_mut("tls")) {
                rewrite(tls.get_mut("secretName"), renamed);
            }
        }
        _ => {}
    }
    if matches!(kind, "RoleBinding" | "ClusterRoleBinding") {
        rewrite(at(object, &["roleRef", "name"]), renamed);
        for subject in items(object.get_mut("subjects")) {
            if subject.get("kind").and_then(Value::as_str) == Some("ServiceAccount") {
                rewrite(subject.get_mut("name"), renamed);
            }
        }
    }
}

fn rewrite_pod_spec(pod: &mut Value, renamed: &dyn Fn(&str) -> Option<String>) {
    rewrite(pod.get_mut("serviceAccountName"), renamed);
    for volume in items(pod.get_mut("volumes")) {
        rewrite(at(volume, &["configMap", "name"]), renamed);
        rewrite(at(volume, &["secret", "secretName"]), renamed);
        rewrite(at(volume, &["persistentVolumeClaim", "claimName"]), renamed);
    }
    for list in ["containers", "initContainers"] {
        for container in items(pod.get_mut(list)) {
            for source in items(container.get_mut("envFrom")) {
                rewrite(at(source, &["configMapRef", "name"]), renamed);
                rewrite(at(source, &["secretRef", "name"]), renamed);
            }
            for env in items(container.get_mut("env")) {
                rewrite(at(env, &["valueFrom", "configMapKeyRef", "name"]), renamed);
                rewrite(at(env, &["valueFrom", "secretKeyRef", "name"]), renamed);
            }
        }
    }
}

fn items(value: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
    value.and_then(Value::as_sequence_mut).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(text: &str) -> Vec<Object> {
        let file = crate::diag::SourceFile::new("m.yaml", text);
        crate::yaml::parse_all(&file)
            .unwrap()
            .into_iter()
            .map(|document| Object { document, from_helm: false })
            .collect()
    }

    fn values(objects: &[Object]) -> Vec<Value> {
        objects.iter().map(|o| o.value().clone()).collect()
    }

    #[test]
    fn names_selectors_and_references_inside_the_component_take_the_ring() {
        let mut found = objects(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web, team: shop}}\n",
            "spec:\n  selector: {matchLabels: {app: web, tier: front}}\n",
            "  template:\n    metadata: {labels: {app: web, tier: front, team: shop}}\n",
            "    spec:\n      serviceAccountName: default\n      volumes: [{name: c, configMap: {name: web-config}}]\n",
            "      containers: [{name: web, envFrom: [{secretRef: {name: shared}}]}]\n",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: web-svc}\nspec: {selector: {app: web, tier: front}}\n",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\n",
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        ));
        rename(&mut found, "canary");
        let expected = objects(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-canary, labels: {app: web-canary, team: shop}}\n",
            "spec:\n  selector: {matchLabels: {app: web-canary, tier: front-canary}}\n",
            "  template:\n    metadata: {labels: {app: web-canary, tier: front-canary, team: shop}}\n",
            "    spec:\n      serviceAccountName: default\n      volumes: [{name: c, configMap: {name: web-config-canary}}]\n",
            "      containers: [{name: web, envFrom: [{secretRef: {name: shared}}]}]\n",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: web-svc-canary}\nspec: {selector: {app: web-canary, tier: front-canary}}\n",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config-canary}\n",
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        ));
        assert_eq!(values(&found), values(&expected));
    }
}
