//! Overlays: what config layers change in a component's rendered objects, after rendering and
//! before namespace injection. Pure: no IO.
//!
//! - `patches`: a map from a patch's name to `{target, patch}`, kustomize's `patches:` keyed by
//!   name so that layers combine them: the highest layer holding a name gives that patch whole
//!   (patches are not merged field by field), `null` removes it. They apply in name order; a
//!   patch is a strategic merge patch (a map) or a JSON 6902 operation list, and one that
//!   matches no object is an error, so a typo in a target cannot pass silently. A container's
//!   patch applies to every component below it that does not hold a patch of that name itself;
//!   it must match an object of one of them.
//! - `commonLabels` / `commonAnnotations`: set on every object's own metadata, never in
//!   selectors or pod templates (a per-commit value there would restart every pod);
//!   `podLabels` / `podAnnotations` set them on pod templates (and Pods) only.

mod json6902;
mod strategic_merge;
mod target;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_yaml::{Mapping, Value};

use crate::check::scope::Scopes;
use crate::diag::{Location, Problem};
use crate::layer::{merge_stack, Layer};
use crate::model::rendered::{Object, Rendered};
use crate::yaml::{Document, Segment, ValuePath};

use strategic_merge::Outcome;
use target::Target;

/// A component's overlays, from its layer stack.
#[derive(Debug, Default)]
pub struct Overlays {
    /// In name order.
    patches: Vec<Patch>,
    common_labels: Mapping,
    common_annotations: Mapping,
    pod_labels: Mapping,
    pod_annotations: Mapping,
}

/// One entry of `patches`, with the layer that gave it.
#[derive(Debug)]
struct Patch {
    name: String,
    document: Arc<Document>,
    /// Where the entry is in `document`: `[.., patches, <name>]`.
    path: ValuePath,
    value: Value,
    /// The container whose subtree the patch is written for (`Layer::container`).
    container: Option<String>,
}

impl Patch {
    fn location(&self, field: &[&str]) -> Location {
        let mut path = self.path.clone();
        path.extend(field.iter().map(|key| Segment::Key(key.to_string())));
        if field.is_empty() {
            self.document.key_location(&path)
        } else {
            self.document.value_location(&path)
        }
    }

    fn problem(&self, code: &'static str, message: String, field: &[&str]) -> Problem {
        Problem::error(code, message).at(self.location(field))
    }
}

impl Overlays {
    /// The overlays a layer stack (highest first) gives.
    pub fn of(layers: &[Layer]) -> Overlays {
        let mut patches = BTreeMap::new();
        for layer in layers {
            let Some(entries) = layer.value.get("patches").and_then(Value::as_mapping) else { continue };
            for (name, value) in entries {
                let Some(name) = name.as_str() else { continue };
                if patches.contains_key(name) {
                    continue;
                }
                let mut path = layer.prefix.clone();
                path.extend([Segment::Key("patches".into()), Segment::Key(name.to_string())]);
                let patch = (!value.is_null()).then(|| Patch {
                    name: name.to_string(),
                    document: layer.document.clone(),
                    path,
                    value: value.clone(),
                    container: layer.container.clone(),
                });
                patches.insert(name.to_string(), patch);
            }
        }
        let merged = merge_stack(layers);
        let strings = |field: &str| -> Mapping {
            let map = merged.get(field).and_then(Value::as_mapping);
            map.into_iter()
                .flatten()
                .filter(|(_, value)| value.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        Overlays {
            patches: patches.into_values().flatten().collect(),
            common_labels: strings("commonLabels"),
            common_annotations: strings("commonAnnotations"),
            pod_labels: strings("podLabels"),
            pod_annotations: strings("podAnnotations"),
        }
    }
}

/// Applies each component's overlays (`overlays[i]` to `rendered[i]`; components past the end of
/// `overlays`, such as ring routes, have none). `kube_version` gives the list merge keys.
///
/// A component's own patch must match one of its objects; a container's patch, one object of
/// any component it reached (it may fit one child and not another).
pub fn apply_all(
    rendered: &mut [Rendered],
    overlays: &[Overlays],
    scopes: &Scopes,
    kube_version: &'static str,
) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    // A container's patches by where they are written: whether one matched, the components tried.
    let mut subtree: BTreeMap<(String, String), (&Patch, bool, Vec<String>)> = BTreeMap::new();
    for (component, overlays) in rendered.iter_mut().zip(overlays) {
        for patch in &overlays.patches {
            let matched = match apply_patch(component, patch, scopes, kube_version) {
                Ok(matched) => matched,
                Err(problem) => {
                    // A container's patch that cannot apply says so once, not once per component.
                    let said = |p: &Problem| {
                        p.code == problem.code && p.message == problem.message && p.where_() == problem.where_()
                    };
                    if !problems.iter().any(said) {
                        problems.push(problem);
                    }
                    continue;
                }
            };
            match &patch.container {
                None if matched == 0 => problems.push(no_match(patch, component)),
                None => {}
                Some(_) => {
                    let key = (patch.document.file.name().to_string(), crate::yaml::display_path(&patch.path));
                    let entry = subtree.entry(key).or_insert((patch, false, Vec::new()));
                    entry.1 |= matched > 0;
                    entry.2.push(component.component.clone());
                }
            }
        }
        for object in &mut component.objects {
            set_labels(&mut object.document.value, overlays);
        }
    }
    for (patch, matched, components) in subtree.into_values() {
        if !matched {
            problems.push(no_match_below(patch, &components));
        }
    }
    problems
}

/// A component's own patch that matches none of its objects.
fn no_match(patch: &Patch, component: &Rendered) -> Problem {
    let rendered: Vec<String> = component.objects.iter().take(6).map(|o| format!("`{}`", o.id())).collect();
    let listed = if rendered.is_empty() { "no objects".to_string() } else { rendered.join(", ") };
    patch
        .problem(
            "hldc::patch::no-match",
            format!("patch `{}` matches no object of component `{}`", patch.name, component.component),
            &[],
        )
        .label("this patch")
        .help(format!(
            "check its `target` (group, version, kind, name, namespace, labelSelector, annotationSelector); the component renders {listed}"
        ))
}

/// A container's patch that matches no object of any component below it.
fn no_match_below(patch: &Patch, components: &[String]) -> Problem {
    let container = patch.container.as_deref().unwrap_or_default();
    let listed: Vec<String> = components.iter().map(|c| format!("`{c}`")).collect();
    patch
        .problem(
            "hldc::patch::no-match",
            format!("patch `{}` of `{container}` matches no object of any component below it", patch.name),
            &[],
        )
        .label("this patch")
        .help(format!(
            "check its `target` (group, version, kind, name, namespace, labelSelector, annotationSelector); it was tried on {}",
            listed.join(", ")
        ))
}

/// Applies one patch to the objects its target matches; how many it matched.
fn apply_patch(
    component: &mut Rendered,
    patch: &Patch,
    scopes: &Scopes,
    kube_version: &'static str,
) -> Result<usize, Problem> {
    let name = &patch.name;
    let body = patch.value.get("patch");
    let target = match patch.value.get("target").and_then(Value::as_mapping) {
        Some(target) => Target::parse(target).map_err(|invalid| {
            patch
                .problem(
                    "hldc::patch::target",
                    format!("the target of patch `{name}` is not valid: {}", invalid.reason),
                    &["target", invalid.field],
                )
                .help("names, namespaces and kinds are regular expressions; selectors are like `app=web,tier in (a,b)`")
        })?,
        None => match body.and_then(Value::as_mapping) {
            Some(smp) => Target::parse(&identity_target(smp)).map_err(|invalid| {
                patch.problem("hldc::patch::target", format!("patch `{name}`: {}", invalid.reason), &["patch"])
            })?,
            None => {
                return Err(patch
                    .problem("hldc::patch::target", format!("patch `{name}` has no `target`"), &[])
                    .help("a JSON 6902 patch (a list of operations) needs `target: {kind: ..., name: ...}`"))
            }
        },
    };
    let smp = match body {
        Some(Value::Mapping(smp)) => Some(without_identity(smp)),
        Some(Value::Sequence(_)) => None,
        _ => {
            return Err(patch
                .problem("hldc::patch::body", format!("patch `{name}` has no `patch`"), &[])
                .help("`patch:` is a strategic merge patch (a map) or a JSON 6902 operation list"))
        }
    };
    let schemas = match smp {
        Some(_) => Some(crate::check::kube::load(kube_version)?),
        None => None,
    };
    let mut matched = 0;
    let mut failure = None;
    let mut kept = Vec::with_capacity(component.objects.len());
    for mut object in std::mem::take(&mut component.objects) {
        if failure.is_some() || !target.matches(object.value(), scopes.is_cluster_scoped(object.value())) {
            kept.push(object);
            continue;
        }
        matched += 1;
        let id = object.id();
        let value = &mut object.document.value;
        let outcome = match (&smp, schemas, body) {
            (Some(smp), Some(schemas), _) => strategic_merge::apply(value, smp, schemas),
            (_, _, Some(Value::Sequence(operations))) => json6902::apply(value, operations).map(|()| Outcome::Keep),
            _ => Ok(Outcome::Keep),
        };
        match outcome {
            Ok(Outcome::Delete) => {}
            Ok(Outcome::Keep) => kept.push(object),
            Err(reason) => {
                // The run fails; the object stays so that later patches report on all of them.
                failure = Some((id, reason));
                kept.push(object);
            }
        }
    }
    component.objects = kept;
    if let Some((id, reason)) = failure {
        return Err(patch
            .problem(
                "hldc::patch::failed",
                format!("patch `{name}` cannot be applied to `{id}` of component `{}`: {reason}", component.component),
                &["patch"],
            )
            .help("fix the patch, or narrow its `target` to the objects it fits"));
    }
    Ok(matched)
}

/// A strategic merge patch without a `target` applies to the object it names, as in kustomize.
fn identity_target(patch: &Mapping) -> Mapping {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_string();
    let api_version = text(patch.get("apiVersion"));
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let metadata = patch.get("metadata");
    let mut target = Mapping::new();
    for (field, value) in [
        ("group", group.to_string()),
        ("version", version.to_string()),
        ("kind", text(patch.get("kind"))),
        ("name", text(metadata.and_then(|m| m.get("name")))),
        ("namespace", text(metadata.and_then(|m| m.get("namespace")))),
    ] {
        // Only a given identity narrows; `group: ""` would mean any group, so core kinds keep
        // their `version`, which is enough.
        if !value.is_empty() {
            target.insert(field.into(), regex::escape(&value).into());
        }
    }
    target
}

/// The patch without the identity of the object it was written for: a patch with a `target`
/// applies to objects of other names too, and never renames them.
fn without_identity(patch: &Mapping) -> Mapping {
    let mut patch = patch.clone();
    patch.remove("apiVersion");
    patch.remove("kind");
    if let Some(Value::Mapping(metadata)) = patch.get_mut("metadata") {
        metadata.remove("name");
        metadata.remove("namespace");
        if metadata.is_empty() {
            patch.remove("metadata");
        }
    }
    patch
}

/// The `commonLabels`/`commonAnnotations` (and pod ones) of a component on the objects hldc
/// writes for it after the overlays ran (the route between its rings): every object of a
/// component carries them.
pub fn label_own_objects(objects: &mut [Object], overlays: &Overlays) {
    for object in objects {
        set_labels(&mut object.document.value, overlays);
    }
}

/// `commonLabels`/`commonAnnotations` on the object's metadata; `podLabels`/`podAnnotations` on
/// the pod templates it holds (a Pod is its own).
fn set_labels(object: &mut Value, overlays: &Overlays) {
    set_all(object, "labels", &overlays.common_labels);
    set_all(object, "annotations", &overlays.common_annotations);
    if overlays.pod_labels.is_empty() && overlays.pod_annotations.is_empty() {
        return;
    }
    if let Some(template) = pod_template(object) {
        set_all(template, "labels", &overlays.pod_labels);
        set_all(template, "annotations", &overlays.pod_annotations);
    }
}

/// The pod template of a workload (`spec.template`, a CronJob's
/// `spec.jobTemplate.spec.template`); a Pod is its own.
fn pod_template(object: &mut Value) -> Option<&mut Value> {
    let is_pod = object.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && object.get("kind").and_then(Value::as_str) == Some("Pod");
    if is_pod {
        return Some(object);
    }
    let spec = object.get_mut("spec")?;
    if spec.get("template").is_some_and(Value::is_mapping) {
        return spec.get_mut("template");
    }
    spec.get_mut("jobTemplate")?.get_mut("spec")?.get_mut("template").filter(|t| t.is_mapping())
}

/// Sets every entry of `values` in `holder.metadata.<field>`, creating the maps it lacks.
fn set_all(holder: &mut Value, field: &str, values: &Mapping) {
    if values.is_empty() {
        return;
    }
    let Some(metadata) = child_map(holder, "metadata") else { return };
    let Some(target) = child_map(metadata, field) else { return };
    if let Value::Mapping(target) = target {
        for (key, value) in values {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// The map at `key` inside `holder`, created when absent or null; `None` when `holder` is not a
/// map or `key` holds something else.
fn child_map<'v>(holder: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    let map = holder.as_mapping_mut()?;
    let slot = map.entry(key.into()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Mapping(Mapping::new());
    }
    slot.is_mapping().then_some(slot)
}
