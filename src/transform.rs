//! Transforms: ordered passes over the rendered object set. Pure: no IO.
//! Today: namespace injection, then the check that no two objects share an identity, both by the
//! scopes of `crate::scope`.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use crate::check::scope::Scopes;
use crate::diag::Problem;
use crate::model::rendered::Rendered;
use crate::model::ObjectId;
use crate::yaml::Segment;

/// Removes `metadata.namespace` from cluster-scoped objects, as the API server ignores it, with
/// a warning each: the chart (never hldc) wrote it. Runs before injection.
pub fn drop_cluster_scoped_namespaces(rendered: &mut [Rendered], scopes: &Scopes) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for component in rendered.iter_mut() {
        for object in &mut component.objects {
            if !scopes.is_cluster_scoped(object.value()) {
                continue;
            }
            let path = [Segment::Key("metadata".into()), Segment::Key("namespace".into())];
            let at = object.document.key_location(&path);
            let Some(metadata) = object.document.value.get_mut("metadata").and_then(Value::as_mapping_mut) else {
                continue;
            };
            let Some(namespace) = metadata.remove("namespace") else {
                continue;
            };
            if let Some(namespace) = namespace.as_str().filter(|namespace| !namespace.is_empty()) {
                let describe = crate::check::objects::describe(object.value(), &component.component);
                warnings.push(
                    Problem::warning(
                        "hldc::render::namespace-dropped",
                        format!(
                            "{describe} is cluster-scoped but has `metadata.namespace: {namespace}`; hldc drops it, as the API server does"
                        ),
                    )
                    .at(at)
                    .label("cluster-scoped kinds have no namespace")
                    .help("remove `metadata.namespace` from this object in its template or manifest"),
                );
            }
        }
    }
    warnings
}

/// Sets `metadata.namespace` where a component asked for it (`injectNamespace` with a
/// `namespace`), only on namespaced objects that have none.
pub fn inject_namespaces(rendered: &mut [Rendered], scopes: &Scopes) {
    for component in rendered.iter_mut() {
        let Some(namespace) = component.inject_namespace.clone() else {
            continue;
        };
        for object in &mut component.objects {
            if scopes.is_cluster_scoped(object.value()) {
                continue;
            }
            let Some(map) = object.document.value.as_mapping_mut() else {
                continue;
            };
            let metadata =
                map.entry(Value::String("metadata".into())).or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Some(metadata) = metadata.as_mapping_mut() {
                let key = Value::String("namespace".into());
                if metadata.get(&key).is_none_or(Value::is_null) {
                    metadata.insert(key, Value::String(namespace.clone()));
                }
            }
        }
    }
}

/// Two objects with the same apiVersion, kind, namespace and name would fight in the cluster.
pub fn check_unique_identities(rendered: &[Rendered], scopes: &Scopes) -> Vec<Problem> {
    let mut first_seen: BTreeMap<ObjectId, (&str, &crate::model::rendered::Object)> = BTreeMap::new();
    let mut problems = Vec::new();
    for component in rendered {
        for object in &component.objects {
            let mut id = ObjectId::of(object.value());
            // The API server ignores a namespace on a cluster-scoped object: same object.
            if scopes.is_cluster_scoped(object.value()) {
                id.namespace = None;
            }
            match first_seen.get(&id) {
                None => {
                    first_seen.insert(id, (&component.component, object));
                }
                Some((first_component, first_object)) => problems.push(
                    Problem::error(
                        "hldc::output::duplicate-object",
                        format!(
                            "`{id}` is produced twice: by component `{first_component}` and by component `{}`",
                            component.component
                        ),
                    )
                    .at(object.origin())
                    .label(format!("second `{id}`, from `{}`", component.component))
                    .help(duplicate_help([(*first_component, *first_object), (&component.component, object)]))
                    .related(
                        Problem::warning(
                            "hldc::output::duplicate-object",
                            format!("first `{id}`, from `{first_component}`"),
                        )
                        .at(first_object.origin()),
                    ),
                ),
            }
        }
    }
    problems
}

/// How to fix a duplicate; a copy that a chart ships in `crds/` can be dropped from its
/// release alone, which is the usual fix when another component installs the CRDs.
fn duplicate_help(copies: [(&str, &crate::model::rendered::Object); 2]) -> String {
    let general =
        "remove one of them, disable one component for this environment, or give them different names or namespaces";
    match copies.iter().find(|(_, object)| object.from_chart_crds()) {
        Some((component, _)) => format!(
            "the copy from `{component}` is in its chart's `crds/`: set `helm: {{includeCRDs: false}}` in the config of `{component}` to leave the chart's CRDs out, or {general}"
        ),
        None => general.to_string(),
    }
}
