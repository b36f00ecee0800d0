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
//! - every label pair a selector of the component uses (`spec.selector` of Services; the
//!   label selectors of workloads, PodDisruptionBudgets, ServiceMonitors and PodMonitors, of a
//!   NetworkPolicy's pods and peers, of pod affinity and topology spread terms, `matchLabels`
//!   and the values of `In`/`NotIn` expressions), and every label whose value is a renamed name,
//!   wherever it appears: object labels, pod template labels, selectors; the value becomes
//!   `<value>-<r>`. A kind hldc does not know that holds a selector elsewhere is a warning: its
//!   pods may still be another ring's;
//! - references by name to a renamed object: a pod spec's ConfigMaps, Secrets, claims and
//!   service account, a StatefulSet's `serviceName`, an Ingress backend, a `scaleTargetRef`,
//!   a RoleBinding's `roleRef` and ServiceAccount subjects.
//!
//! References to objects outside the component are left alone: only names the component defines
//! are renamed.

use std::collections::BTreeSet;

use serde_yaml::Value;

use crate::diag::Problem;
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
        for object in &rendered.objects {
            if let Some(path) = unknown_selector(object.value()) {
                rendered.warnings.push(
                    Problem::warning(
                        "hldc::ring::unrenamed-selector",
                        format!(
                            "{} of component `{}` selects by labels at `{path}`, which hldc does not rename for ring `{}`",
                            describe(object.value()),
                            planned.node.path,
                            ring.name
                        ),
                    )
                    .at(object.document.value_location(&[]))
                    .help("check that it selects this ring's pods, or give the ring its own copy with `patches:` in the ring's config"),
                );
            }
        }
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
        let mut copy = object.value().clone();
        for_each_selector(&mut copy, &mut |labels| selected.extend(selected_pairs(labels)));
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
        relabel_map(at(value, &["spec", "jobTemplate", "spec", "template", "metadata", "labels"]), &relabel);
        for_each_selector(value, &mut |labels| relabel_selector(labels, &relabel));
        rewrite_references(value, &kind, &renamed);
    }
}

fn is_shared(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str).is_some_and(|kind| SHARED_KINDS.contains(&kind))
}

fn name_of(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("name")?.as_str()
}

/// Where label selectors sit, from an object's `spec` (`*`: every item of a sequence). A
/// Service's `spec.selector` is a plain map of labels; the others are `LabelSelector`s.
const SELECTORS: &[&[&str]] = &[
    &["selector"],
    &["podSelector"],
    &["ingress", "*", "from", "*", "podSelector"],
    &["egress", "*", "to", "*", "podSelector"],
];

/// Where label selectors sit in a pod spec: affinity and topology spread terms.
const POD_SELECTORS: &[&[&str]] = &[
    &["affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "*", "labelSelector"],
    &[
        "affinity",
        "podAffinity",
        "preferredDuringSchedulingIgnoredDuringExecution",
        "*",
        "podAffinityTerm",
        "labelSelector",
    ],
    &["affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "*", "labelSelector"],
    &[
        "affinity",
        "podAntiAffinity",
        "preferredDuringSchedulingIgnoredDuringExecution",
        "*",
        "podAffinityTerm",
        "labelSelector",
    ],
    &["topologySpreadConstraints", "*", "labelSelector"],
];

/// Where a pod spec sits in an object's `spec`.
const POD_SPECS: &[&[&str]] = &[&[], &["template", "spec"], &["jobTemplate", "spec", "template", "spec"]];

/// The kinds whose selectors `SELECTORS` and `POD_SELECTORS` cover.
const KNOWN_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Service",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "ServiceMonitor",
    "PodMonitor",
    "ReplicationController",
];

/// Calls `visit` with every label selector of `object`: a plain map of labels (a Service's
/// selector) or a `LabelSelector`.
fn for_each_selector(object: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    let Some(spec) = object.get_mut("spec") else { return };
    for path in SELECTORS {
        each_at(spec, path, visit);
    }
    for pod in POD_SPECS {
        each_at(spec, pod, &mut |pod_spec| {
            for path in POD_SELECTORS {
                each_at(pod_spec, path, visit);
            }
        });
    }
}

/// Calls `visit` with the value at `path` under `value`, `*` standing for every sequence item.
fn each_at(value: &mut Value, path: &[&str], visit: &mut dyn FnMut(&mut Value)) {
    match path.split_first() {
        None => visit(value),
        Some((&"*", rest)) => {
            for item in items(Some(value)) {
                each_at(item, rest, visit);
            }
        }
        Some((key, rest)) => {
            if let Some(inner) = value.get_mut(*key) {
                each_at(inner, rest, visit);
            }
        }
    }
}

/// The (key, value) label pairs a selector selects by: a plain map's, `matchLabels`', and
/// each value of an `In`/`NotIn` expression.
fn selected_pairs(selector: &Value) -> Vec<(String, String)> {
    let plain = |map: Option<&Value>| {
        map.and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| Some((key.as_str()?.to_string(), value.as_str()?.to_string())))
            .collect::<Vec<_>>()
    };
    if selector.get("matchLabels").is_none() && selector.get("matchExpressions").is_none() {
        return plain(Some(selector));
    }
    let mut pairs = plain(selector.get("matchLabels"));
    for expression in selector.get("matchExpressions").and_then(Value::as_sequence).into_iter().flatten() {
        let Some(key) = expression.get("key").and_then(Value::as_str) else { continue };
        for value in expression.get("values").and_then(Value::as_sequence).into_iter().flatten() {
            pairs.extend(value.as_str().map(|value| (key.to_string(), value.to_string())));
        }
    }
    pairs
}

/// Renames the pairs of one selector (see `selected_pairs`).
fn relabel_selector(selector: &mut Value, relabel: &dyn Fn(&str, &str) -> Option<String>) {
    if selector.get("matchLabels").is_none() && selector.get("matchExpressions").is_none() {
        relabel_map(Some(selector), relabel);
        return;
    }
    relabel_map(selector.get_mut("matchLabels"), relabel);
    for expression in items(selector.get_mut("matchExpressions")) {
        let Some(key) = expression.get("key").and_then(Value::as_str).map(str::to_string) else { continue };
        for value in items(expression.get_mut("values")) {
            if let Some(new) = value.as_str().and_then(|text| relabel(&key, text)) {
                *value = Value::String(new);
            }
        }
    }
}

/// The first place an object of a kind hldc does not know selects by labels other than the
/// `spec.selector` and `spec.podSelector` it renames (a key ending in `selector` or `Selector`
/// in its `spec`), as a dotted path.
fn unknown_selector(object: &Value) -> Option<String> {
    let kind = object.get("kind").and_then(Value::as_str)?;
    if KNOWN_KINDS.contains(&kind) {
        return None;
    }
    fn find(value: &Value, path: &mut Vec<String>) -> Option<String> {
        for (key, inner) in value.as_mapping()? {
            let Some(key) = key.as_str() else { continue };
            path.push(key.to_string());
            let renamed = path.len() == 2 && (key == "selector" || key == "podSelector");
            if key.ends_with("elector") && !renamed {
                return Some(path.join("."));
            }
            if let Some(found) = find(inner, path).filter(|_| !renamed) {
                return Some(found);
            }
            path.pop();
        }
        None
    }
    find(object.get("spec")?, &mut vec!["spec".to_string()])
}

fn describe(object: &Value) -> String {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("object");
    match name_of(object) {
        Some(name) => format!("`{kind} {name}`"),
        None => format!("a `{kind}`"),
    }
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

    #[test]
    fn every_selector_of_the_component_takes_the_ring() {
        let mut found = objects(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
            "spec:\n  selector: {matchLabels: {app: web}}\n",
            "  template:\n    metadata: {labels: {app: web}}\n    spec:\n",
            "      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchExpressions: [{key: app, operator: In, values: [web, other]}]}, topologyKey: h}]}}\n",
            "      topologySpreadConstraints: [{labelSelector: {matchLabels: {app: web}}, topologyKey: z, maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]\n",
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-lockdown}\n",
            "spec:\n  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n",
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}}\n",
            "---\napiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}}\n",
        ));
        rename(&mut found, "canary");
        let expected = objects(concat!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-canary}\n",
            "spec:\n  selector: {matchLabels: {app: web-canary}}\n",
            "  template:\n    metadata: {labels: {app: web-canary}}\n    spec:\n",
            "      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchExpressions: [{key: app, operator: In, values: [web-canary, other-canary]}]}, topologyKey: h}]}}\n",
            "      topologySpreadConstraints: [{labelSelector: {matchLabels: {app: web-canary}}, topologyKey: z, maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]\n",
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-lockdown-canary}\n",
            "spec:\n  podSelector: {matchLabels: {app: web-canary}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web-canary}}}]}]\n",
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web-canary}\nspec: {selector: {matchLabels: {app: web-canary}}}\n",
            "---\napiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: web-canary}\nspec: {selector: {matchLabels: {app: web-canary}}}\n",
        ));
        assert_eq!(values(&found), values(&expected));
    }

    #[test]
    fn a_kind_hldc_does_not_know_that_selects_elsewhere_is_named() {
        let found = objects(concat!(
            "apiVersion: x.example/v1\nkind: Canary\nmetadata: {name: c}\nspec: {selector: {matchLabels: {app: web}}}\n",
            "---\napiVersion: x.example/v1\nkind: Chaos\nmetadata: {name: c}\nspec: {target: {podSelector: {app: web}}}\n",
        ));
        assert_eq!(unknown_selector(found[0].value()), None);
        assert_eq!(unknown_selector(found[1].value()).as_deref(), Some("spec.target.podSelector"));
    }
}
