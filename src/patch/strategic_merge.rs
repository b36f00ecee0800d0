//! Strategic merge patches, as kustomize applies them: maps merge key by key, `null` deletes a
//! field, and a list merges only where the Kubernetes definitions give it the `merge` patch
//! strategy: by its merge key for lists of objects (`containers` by `name`, `ports` by
//! `containerPort`), as a union for lists of scalars. Every other list (all lists of kinds
//! without definitions, custom resources among them) is replaced whole.
//!
//! A merged list holds the patch's items first, in the patch's order (each merged with the item
//! it matches), then the items the patch does not mention, in their order: what kustomize
//! writes. The one directive is `$patch: merge | replace | delete`, on a map or a list item;
//! kustomize copies the others (`$retainKeys`, `$setElementOrder/..`, `$deleteFromPrimitiveList/..`)
//! into the object as if they were fields, so they are refused here.

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value};

use crate::check::kube::KubeSchemas;

/// Where in the definitions a value sits: the property schema (which carries the patch
/// annotations) of a built-in kind, or nothing for kinds without definitions.
#[derive(Clone, Copy)]
struct Shape<'a> {
    schemas: &'a KubeSchemas,
    schema: Option<&'a Json>,
}

impl<'a> Shape<'a> {
    fn field(self, key: &str) -> Shape<'a> {
        let resolved = self.schema.and_then(|schema| self.schemas.resolve(schema));
        let schema = resolved.and_then(|schema| {
            schema
                .get("properties")
                .and_then(|properties| properties.get(key))
                .or_else(|| schema.get("additionalProperties").filter(|more| more.is_object()))
        });
        Shape { schemas: self.schemas, schema }
    }

    fn items(self) -> Shape<'a> {
        let schema = self.schema.and_then(|schema| self.schemas.resolve(schema)).and_then(|schema| schema.get("items"));
        Shape { schemas: self.schemas, schema }
    }

    fn strategy(self, name: &str) -> bool {
        let strategy = self.schema.and_then(|s| s.get("x-kubernetes-patch-strategy")).and_then(Json::as_str);
        strategy.is_some_and(|strategy| strategy.split(',').any(|part| part == name))
    }

    fn merge_key(self) -> Option<&'a str> {
        self.schema.and_then(|s| s.get("x-kubernetes-patch-merge-key")).and_then(Json::as_str)
    }
}

/// What merging a patch into a value asks of the value's holder.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Keep,
    /// `$patch: delete`: the holder removes the value (a field, or the whole object).
    Delete,
}

/// Applies `patch` to `object` (a whole Kubernetes object); `Err` names what is wrong with the
/// patch. The identity of the patch (apiVersion, kind, name, namespace) has been removed.
pub fn apply(object: &mut Value, patch: &Mapping, schemas: &KubeSchemas) -> Result<Outcome, String> {
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let schema = schemas.definition_of(&text("apiVersion"), &text("kind"));
    let shape = Shape { schemas, schema };
    match object {
        Value::Mapping(map) => merge_map(map, patch, shape),
        _ => Err("the object is not a mapping".to_string()),
    }
}

fn directive(patch: &Mapping) -> Result<Option<&str>, String> {
    match patch.get("$patch") {
        None => Ok(None),
        Some(Value::String(d)) if ["merge", "replace", "delete"].contains(&d.as_str()) => Ok(Some(d.as_str())),
        Some(other) => Err(format!("`$patch: {}` is not a directive (use merge, replace or delete)", show(other))),
    }
}

fn merge_map(dest: &mut Mapping, patch: &Mapping, shape: Shape) -> Result<Outcome, String> {
    match directive(patch)? {
        Some("delete") => return Ok(Outcome::Delete),
        Some("replace") => {
            *dest = clean_map(patch)?;
            return Ok(Outcome::Keep);
        }
        _ => {}
    }
    for (key, value) in patch {
        let name = key.as_str().unwrap_or_default();
        if !name.starts_with('$') {
            merge_field(dest, key, value, shape.field(name))?;
        } else if name != "$patch" {
            return Err(format!(
                "`{name}` is not supported: kustomize copies it into the object as a field; only `$patch` is a directive"
            ));
        }
    }
    Ok(Outcome::Keep)
}

fn merge_field(dest: &mut Mapping, key: &Value, value: &Value, shape: Shape) -> Result<(), String> {
    if value.is_null() {
        dest.remove(key);
        return Ok(());
    }
    let outcome = match dest.get_mut(key) {
        Some(current) => merge_value(current, value, shape)?,
        None => match clean(value)? {
            Some(added) => {
                dest.insert(key.clone(), added);
                Outcome::Keep
            }
            None => Outcome::Keep,
        },
    };
    if outcome == Outcome::Delete {
        dest.remove(key);
    }
    Ok(())
}

fn merge_value(dest: &mut Value, patch: &Value, shape: Shape) -> Result<Outcome, String> {
    match (dest, patch) {
        // Maps always merge: kustomize ignores the `replace` and `retainKeys` strategies of the
        // definitions (a PodDisruptionBudget's selector, a Deployment's strategy).
        (Value::Mapping(dest), Value::Mapping(patch)) => merge_map(dest, patch, shape),
        (Value::Sequence(dest), Value::Sequence(patch)) if shape.strategy("merge") => {
            *dest = match shape.merge_key() {
                Some(key) => merge_by_key(dest, patch, key, shape.items())?,
                None => union(dest, patch),
            };
            Ok(Outcome::Keep)
        }
        (dest, patch) => match clean(patch)? {
            Some(value) => {
                *dest = value;
                Ok(Outcome::Keep)
            }
            None => Ok(Outcome::Delete),
        },
    }
}

/// A list of objects merged by `key`: the patch's items in its order, then the others.
fn merge_by_key(dest: &[Value], patch: &[Value], key: &str, items: Shape) -> Result<Vec<Value>, String> {
    let is_replace = |item: &Value| item.as_mapping().is_some_and(|m| m.get("$patch") == Some(&"replace".into()));
    if patch.iter().any(is_replace) {
        return clean_list(patch.iter().filter(|item| !is_replace(item)));
    }
    let mut used = vec![false; dest.len()];
    let mut merged = Vec::new();
    for item in patch {
        let wanted = item.as_mapping().and_then(|m| m.get(key));
        let found = wanted.and_then(|wanted| {
            dest.iter()
                .enumerate()
                .position(|(i, d)| !used[i] && d.as_mapping().and_then(|m| m.get(key)) == Some(wanted))
        });
        let deleting = item.as_mapping().map(directive).transpose()?.flatten() == Some("delete");
        match found {
            Some(index) => {
                used[index] = true;
                let mut current = dest[index].clone();
                if !deleting && merge_value(&mut current, item, items)? == Outcome::Keep {
                    merged.push(current);
                }
            }
            None if deleting => {}
            None => merged.extend(clean(item)?),
        }
    }
    merged.extend(dest.iter().zip(used).filter(|(_, used)| !used).map(|(item, _)| item.clone()));
    Ok(merged)
}

/// A list of scalars merged as a set: the patch's items first, then the others.
fn union(dest: &[Value], patch: &[Value]) -> Vec<Value> {
    let mut merged: Vec<Value> = Vec::new();
    for item in patch.iter().chain(dest) {
        if !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    merged
}

/// A patch value added where the object has none: without its directives and null fields
/// (which delete nothing there); `None` for a value that deletes itself.
fn clean(value: &Value) -> Result<Option<Value>, String> {
    match value {
        Value::Mapping(map) => match directive(map)? {
            Some("delete") => Ok(None),
            _ => Ok(Some(Value::Mapping(clean_map(map)?))),
        },
        Value::Sequence(list) => Ok(Some(Value::Sequence(clean_list(list.iter())?))),
        Value::Null => Ok(None),
        other => Ok(Some(other.clone())),
    }
}

fn clean_map(map: &Mapping) -> Result<Mapping, String> {
    let mut cleaned = Mapping::new();
    for (key, value) in map {
        if key.as_str().is_some_and(|k| k.starts_with('$')) {
            continue;
        }
        if let Some(value) = clean(value)? {
            cleaned.insert(key.clone(), value);
        }
    }
    Ok(cleaned)
}

fn clean_list<'v>(items: impl Iterator<Item = &'v Value>) -> Result<Vec<Value>, String> {
    let mut cleaned = Vec::new();
    for item in items {
        // A null list item is a value, not a deletion.
        match item {
            Value::Null => cleaned.push(Value::Null),
            item => cleaned.extend(clean(item)?),
        }
    }
    Ok(cleaned)
}

fn show(value: &Value) -> String {
    serde_yaml::to_string(value).map(|text| text.trim_end().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    fn patched(object: &str, patch: &str) -> Value {
        let schemas = crate::check::kube::load(crate::check::kube::default_version()).unwrap();
        let mut object = yaml(object);
        let outcome = apply(&mut object, yaml(patch).as_mapping().unwrap(), schemas).unwrap();
        assert_eq!(outcome, Outcome::Keep);
        object
    }

    const POD: &str = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: a}, {name: b, image: b}], tolerations: [{key: t}]}}";

    #[test]
    fn containers_merge_by_name_patch_items_first() {
        let out = patched(POD, "spec: {containers: [{name: c, image: c}, {name: b, image: b2}]}");
        assert_eq!(out["spec"]["containers"], yaml("[{name: c, image: c}, {name: b, image: b2}, {name: a, image: a}]"));
    }

    #[test]
    fn lists_without_a_strategy_are_replaced() {
        let out = patched(POD, "spec: {tolerations: [{key: u}]}");
        assert_eq!(out["spec"]["tolerations"], yaml("[{key: u}]"));
    }

    #[test]
    fn directives() {
        let out = patched(POD, "spec: {containers: [{name: a, $patch: delete}]}");
        assert_eq!(out["spec"]["containers"], yaml("[{name: b, image: b}]"));
        let out = patched(POD, "spec: {containers: [{$patch: replace}, {name: z, image: z}]}");
        assert_eq!(out["spec"]["containers"], yaml("[{name: z, image: z}]"));
        let out = patched(POD, "metadata: {$patch: replace, name: q}");
        assert_eq!(out["metadata"], yaml("{name: q}"));
        let out = patched(POD, "spec: {tolerations: null}");
        assert!(out["spec"].get("tolerations").is_none());
        let schemas = crate::check::kube::load(crate::check::kube::default_version()).unwrap();
        let mut pod = yaml(POD);
        assert_eq!(apply(&mut pod, yaml("{$patch: delete}").as_mapping().unwrap(), schemas), Ok(Outcome::Delete));
        let refused = apply(&mut pod, yaml("{spec: {$patch: drop}}").as_mapping().unwrap(), schemas);
        assert!(refused.unwrap_err().contains("`$patch: drop`"));
        let refused = apply(&mut pod, yaml("{spec: {$retainKeys: [a]}}").as_mapping().unwrap(), schemas);
        assert!(refused.unwrap_err().contains("`$retainKeys` is not supported"));
    }

    #[test]
    fn custom_resources_replace_lists() {
        let thing = "{apiVersion: x.io/v1, kind: Thing, spec: {items: [{name: a}], m: {k: 1}}}";
        let out = patched(thing, "spec: {items: [{name: b}], m: {l: 2}}");
        assert_eq!(out["spec"], yaml("{items: [{name: b}], m: {k: 1, l: 2}}"));
    }
}
