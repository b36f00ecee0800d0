//! Which objects a patch applies to, as kustomize selects them: `group`, `version`, `kind`,
//! `name` and `namespace` are regular expressions matched against the whole value; `labelSelector`
//! and `annotationSelector` are Kubernetes selectors (`a=b`, `a==b`, `a!=b`, `a in (b, c)`,
//! `a notin (b)`, `a`, `!a`, comma-separated, all must hold).

use regex::Regex;
use serde_yaml::{Mapping, Value};

use crate::check::scope::group_of;

/// A parsed `target:`.
#[derive(Debug)]
pub struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

#[derive(Debug)]
enum Requirement {
    Exists(String),
    Missing(String),
    Equals(String, String),
    Differs(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// Why a `target:` cannot be used: the field at fault and the reason.
#[derive(Debug)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl Target {
    /// Reads a `target:` mapping (its keys and types are schema-checked).
    pub fn parse(target: &Mapping) -> Result<Target, Invalid> {
        let pattern = |field: &'static str| -> Result<Option<Regex>, Invalid> {
            match target.get(field).and_then(Value::as_str).filter(|text| !text.is_empty()) {
                None => Ok(None),
                Some(text) => Regex::new(&format!("^(?:{text})$"))
                    .map(Some)
                    .map_err(|e| Invalid { field, reason: format!("`{text}` is not a regular expression: {e}") }),
            }
        };
        let selector = |field: &'static str| -> Result<Vec<Requirement>, Invalid> {
            let text = target.get(field).and_then(Value::as_str).unwrap_or_default();
            parse_selector(text).map_err(|reason| Invalid { field, reason })
        };
        Ok(Target {
            group: pattern("group")?,
            version: pattern("version")?,
            kind: pattern("kind")?,
            name: pattern("name")?,
            namespace: pattern("namespace")?,
            labels: selector("labelSelector")?,
            annotations: selector("annotationSelector")?,
        })
    }

    /// Whether `object` is selected. `cluster_scoped` objects are in no namespace; a namespaced
    /// object without one is in `default`, as kustomize counts it.
    pub fn matches(&self, object: &Value, cluster_scoped: bool) -> bool {
        fn text(value: Option<&Value>) -> &str {
            value.and_then(Value::as_str).unwrap_or_default()
        }
        let api_version = text(object.get("apiVersion"));
        let version = api_version.rsplit('/').next().unwrap_or_default();
        let metadata = object.get("metadata");
        let field = |name: &str| text(metadata.and_then(|m| m.get(name)));
        let namespace = match field("namespace") {
            _ if cluster_scoped => "",
            "" => "default",
            namespace => namespace,
        };
        let is = |pattern: &Option<Regex>, value: &str| pattern.as_ref().is_none_or(|p| p.is_match(value));
        let map = |name: &str| metadata.and_then(|m| m.get(name)).and_then(Value::as_mapping);
        is(&self.group, group_of(api_version))
            && is(&self.version, version)
            && is(&self.kind, text(object.get("kind")))
            && is(&self.name, field("name"))
            && (self.namespace.is_none() || !cluster_scoped && is(&self.namespace, namespace))
            && self.labels.iter().all(|r| r.holds(map("labels")))
            && self.annotations.iter().all(|r| r.holds(map("annotations")))
    }
}

impl Requirement {
    fn holds(&self, map: Option<&Mapping>) -> bool {
        let get = |key: &str| map.and_then(|m| m.get(key)).and_then(Value::as_str);
        match self {
            Requirement::Exists(key) => get(key).is_some(),
            Requirement::Missing(key) => get(key).is_none(),
            Requirement::Equals(key, value) => get(key) == Some(value),
            Requirement::Differs(key, value) => get(key) != Some(value),
            Requirement::In(key, values) => get(key).is_some_and(|v| values.iter().any(|w| w == v)),
            Requirement::NotIn(key, values) => get(key).is_none_or(|v| values.iter().all(|w| w != v)),
        }
    }
}

/// A Kubernetes selector: requirements separated by commas outside parentheses.
fn parse_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or_else(|| format!("`{text}` has an unmatched `)`"))?,
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("`{text}` has an unclosed `(`"));
    }
    parts.push(&text[start..]);
    if parts.len() == 1 && parts[0].trim().is_empty() {
        return Ok(Vec::new());
    }
    parts.into_iter().map(parse_requirement).collect()
}

fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let text = text.trim();
    let key = |key: &str| -> Result<String, String> {
        let key = key.trim();
        let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if valid {
            Ok(key.to_string())
        } else {
            Err(format!(
                "`{text}` is not a selector requirement (`key=value`, `key!=value`, `key in (a,b)`, `key`, `!key`)"
            ))
        }
    };
    let value = |value: &str| -> Result<String, String> {
        let value = value.trim();
        if value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            Ok(value.to_string())
        } else {
            Err(format!("`{value}` in `{text}` is not a label value"))
        }
    };
    if let Some(missing) = text.strip_prefix('!') {
        return Ok(Requirement::Missing(key(missing)?));
    }
    if let Some((name, value_text)) = text.split_once("!=") {
        return Ok(Requirement::Differs(key(name)?, value(value_text)?));
    }
    if let Some((name, value_text)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Ok(Requirement::Equals(key(name)?, value(value_text)?));
    }
    if let Some(open) = text.find('(') {
        let list = text[open + 1..].strip_suffix(')').ok_or_else(|| format!("`{text}` does not end with `)`"))?;
        let values = list.split(',').map(value).collect::<Result<Vec<_>, _>>()?;
        let head: Vec<&str> = text[..open].split_whitespace().collect();
        return match head.as_slice() {
            [name, "in"] => Ok(Requirement::In(key(name)?, values)),
            [name, "notin"] => Ok(Requirement::NotIn(key(name)?, values)),
            _ => Err(format!("`{text}` is not a selector requirement (`key in (a,b)` or `key notin (a,b)`)")),
        };
    }
    Ok(Requirement::Exists(key(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Result<Target, Invalid> {
        let value: Value = serde_yaml::from_str(text).unwrap();
        Target::parse(value.as_mapping().unwrap())
    }

    fn selects(target_text: &str, object: &str) -> bool {
        target(target_text).unwrap().matches(&serde_yaml::from_str(object).unwrap(), false)
    }

    const WEB: &str =
        "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web-1, labels: {app: web, tier: front}}}";

    #[test]
    fn names_and_kinds_are_anchored_regular_expressions() {
        assert!(selects("{name: web-.*}", WEB));
        assert!(!selects("{name: web}", WEB));
        assert!(selects("{kind: Deploy.*, group: apps, version: v1}", WEB));
        assert!(selects("{group: ''}", "{apiVersion: v2, kind: X}"));
        assert!(selects("{namespace: default}", WEB));
        assert!(!selects("{namespace: prod}", WEB));
    }

    #[test]
    fn selectors() {
        assert!(selects("{labelSelector: 'app=web,tier'}", WEB));
        assert!(selects("{labelSelector: 'app in (api, web), !canary'}", WEB));
        assert!(selects("{labelSelector: 'app notin (api), tier!=back, missing!=x'}", WEB));
        assert!(!selects("{labelSelector: 'app==api'}", WEB));
        assert!(!selects("{labelSelector: tier notin (front)}", WEB));
        assert!(!selects("{annotationSelector: a=b}", WEB));
        assert_eq!(target("{labelSelector: 'app in (a'}").unwrap_err().field, "labelSelector");
        assert!(target("{labelSelector: 'a b'}").is_err());
        assert!(target("{name: '(('}").unwrap_err().reason.contains("regular expression"));
    }
}
