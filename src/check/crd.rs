//! Custom resources checked against the `openAPIV3Schema` of a CustomResourceDefinition in the
//! same output, the way the API server checks them: types, required fields, enums, patterns,
//! and (as `kubectl apply` does by default, with strict field validation) unknown fields.
//!
//! A CRD schema is OpenAPI 3.0, not JSON Schema; the differences that matter are translated:
//! `nullable: true` admits `null`; an object schema with `properties` is closed unless it says
//! `x-kubernetes-preserve-unknown-fields` (branches of `anyOf` and the like stay open);
//! `apiVersion`, `kind` and `metadata` are implicit at the root and in embedded resources. A
//! schema that still does not compile is left unchecked.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{json, Map, Value as Json};
use serde_yaml::Value;

use super::kube::{type_help, Verdict};
use super::Locate;
use crate::diag::Problem;
use crate::schema::{instance_path, to_json};
use crate::yaml::{display_path, Segment};

/// Reporting every violation of a badly broken object helps nobody; the first few say enough.
const MAX_PROBLEMS_PER_OBJECT: usize = 20;

/// The schemas of the custom resources whose CRDs are in one output.
#[derive(Default)]
pub struct CrdSchemas {
    /// `"<group>/<version> <kind>"` → validator.
    validators: BTreeMap<String, Arc<Validator>>,
}

impl std::fmt::Debug for CrdSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrdSchemas").field("kinds", &self.validators.keys().collect::<Vec<_>>()).finish()
    }
}

impl CrdSchemas {
    /// The schemas of every CRD version among `objects` that has one. The ring routes hldc
    /// writes are checked against their upstream CRDs (shipped) unless the output has its own.
    pub fn of<'o>(objects: impl Iterator<Item = &'o Value>) -> CrdSchemas {
        let mut validators = BTreeMap::new();
        objects.for_each(|crd| compile_crd(crd, &mut validators));
        CrdSchemas { validators }
    }

    /// Checks one object; `Skipped` when no CRD in the output, nor a shipped one, defines its
    /// kind and version.
    pub fn check(&self, object: &Value, describe: &str, locate: &dyn Locate) -> Verdict {
        let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
        let key = format!("{} {}", text("apiVersion"), text("kind"));
        let Some(validator) = self.validators.get(&key).or_else(|| shipped(&key)) else {
            return Verdict::Skipped;
        };
        let instance = to_json(object);
        let problems = validator
            .iter_errors(&instance)
            .take(MAX_PROBLEMS_PER_OBJECT)
            .map(|error| {
                let path = instance_path(&error);
                let problem = describe_error(describe, &path, &error, locate);
                (path, problem)
            })
            .collect();
        Verdict::Checked(problems)
    }
}

/// The upstream CRDs of the routes hldc writes (`schemas/crds/`, trimmed): `generate` checks
/// every route against them, as any custom resource against a CRD in the output.
fn shipped_crds() -> &'static [Value] {
    static SHIPPED: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(|| {
        [
            include_str!("../../schemas/crds/gateway.networking.k8s.io_httproutes.yaml"),
            include_str!("../../schemas/crds/traefik.io_ingressroutes.yaml"),
            include_str!("../../schemas/crds/networking.istio.io_virtualservices.yaml"),
        ]
        .into_iter()
        .filter_map(|text| serde_yaml::from_str(text).ok())
        .collect()
    })
}

/// The validator of a kind the shipped CRDs (`shipped_crds`) define. They are compiled
/// the first time an output has such an object, once per process: about 80 KB of schemas,
/// which most runs never need.
fn shipped(key: &str) -> Option<&'static Arc<Validator>> {
    static KINDS: OnceLock<Vec<String>> = OnceLock::new();
    static VALIDATORS: OnceLock<BTreeMap<String, Arc<Validator>>> = OnceLock::new();
    let kinds = KINDS.get_or_init(|| shipped_crds().iter().flat_map(versions_of).map(|(kind, _)| kind).collect());
    if !kinds.iter().any(|kind| kind == key) {
        return None;
    }
    let validators = VALIDATORS.get_or_init(|| {
        let mut validators = BTreeMap::new();
        shipped_crds().iter().for_each(|crd| compile_crd(crd, &mut validators));
        validators
    });
    validators.get(key)
}

fn describe_error(
    describe: &str,
    path: &[Segment],
    error: &jsonschema::ValidationError,
    locate: &dyn Locate,
) -> Problem {
    let code = "hldc::crd::schema";
    let at = if path.is_empty() { String::new() } else { format!(" at `{}`", display_path(path)) };
    let problem = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let mut key_path = path.to_vec();
            key_path.push(Segment::Key(unexpected.first().cloned().unwrap_or_default()));
            return Problem::error(code, format!("{describe}: unknown field `{}`", display_path(&key_path)))
                .at(locate.key(&key_path))
                .label("not a field of this custom resource")
                .help("remove the field, or check its spelling against the CRD's schema");
        }
        ValidationErrorKind::Type { kind } => Problem::error(code, format!("{describe}: wrong type{at}: {error}"))
            .label("wrong type")
            .help(type_help(kind)),
        ValidationErrorKind::Required { .. } => Problem::error(code, format!("{describe}: {error}{at}"))
            .label("required field missing")
            .help("set the field; the CRD's schema requires it"),
        _ => Problem::error(code, format!("{describe}: invalid value{at}: {error}"))
            .label("rejected by the CRD's schema")
            .help("see the CRD's `openAPIV3Schema` for what this field accepts"),
    };
    problem.at(locate.value(path))
}

/// Adds the validator of each version of `crd` that has a schema (nothing when `crd` is not an
/// `apiextensions.k8s.io/v1` CustomResourceDefinition, or its schema does not compile).
fn compile_crd(crd: &Value, validators: &mut BTreeMap<String, Arc<Validator>>) {
    for (kind, schema) in versions_of(crd) {
        let schema = to_json_schema(&to_json(schema), true);
        let compiled = jsonschema::options().with_draft(Draft::Draft4).should_validate_formats(false).build(&schema);
        if let Ok(validator) = compiled {
            validators.insert(kind, Arc::new(validator));
        }
    }
}

/// The versions of `crd` that have a schema, as `"<group>/<version> <kind>"` and the
/// `openAPIV3Schema`; none when `crd` is not an `apiextensions.k8s.io/v1` CRD.
fn versions_of(crd: &Value) -> Vec<(String, &Value)> {
    let is_crd = crd.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && crd.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.k8s.io/v1");
    if !is_crd {
        return Vec::new();
    }
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_string();
    let spec = crd.get("spec");
    let group = text(spec.and_then(|s| s.get("group")));
    let kind = text(spec.and_then(|s| s.get("names")).and_then(|n| n.get("kind")));
    let versions = spec.and_then(|s| s.get("versions")).and_then(Value::as_sequence);
    versions
        .into_iter()
        .flatten()
        .filter_map(|version| {
            let schema = version.get("schema").and_then(|s| s.get("openAPIV3Schema"))?;
            Some((format!("{group}/{} {kind}", text(version.get("name"))), schema))
        })
        .collect()
}

/// An OpenAPI 3.0 schema of a CRD as the JSON Schema the API server effectively applies.
/// `resource`: the schema describes a whole object (the root, or an embedded resource).
fn to_json_schema(schema: &Json, resource: bool) -> Json {
    let Json::Object(fields) = schema else { return schema.clone() };
    let mut out = Map::new();
    for (key, value) in fields {
        let value = match key.as_str() {
            "properties" | "patternProperties" | "definitions" => match value {
                Json::Object(children) => {
                    Json::Object(children.iter().map(|(k, v)| (k.clone(), to_json_schema(v, false))).collect())
                }
                other => other.clone(),
            },
            "items" | "additionalProperties" => match value {
                Json::Object(_) => to_json_schema(value, false),
                other => other.clone(),
            },
            // `allOf`, `anyOf`, `oneOf` and `not` only add constraints to the fields declared
            // beside them (structural schemas): closing them would reject those fields.
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    let flag = |name: &str| fields.get(name).and_then(Json::as_bool) == Some(true);
    if flag("nullable") {
        if let Some(Json::String(one)) = fields.get("type") {
            out.insert("type".into(), json!([one, "null"]));
        }
    }
    let embedded = resource || flag("x-kubernetes-embedded-resource");
    if embedded {
        let properties = out.entry("properties").or_insert_with(|| json!({}));
        if let Json::Object(properties) = properties {
            for implicit in ["apiVersion", "kind", "metadata"] {
                properties.entry(implicit).or_insert_with(|| json!({}));
            }
        }
    }
    let closed = out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !flag("x-kubernetes-preserve-unknown-fields");
    if closed {
        out.insert("additionalProperties".into(), Json::Bool(false));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    const CRD: &str = concat!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n",
        "spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n",
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n",
        "          type: object\n          properties:\n            spec:\n              type: object\n",
        "              required: [size]\n              properties:\n                size: {type: integer}\n",
        "                note: {type: string, nullable: true}\n",
        "                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
    );

    fn check(widget: &str) -> Option<Vec<(String, String, Option<String>)>> {
        let text = format!("---\n{CRD}---\n{widget}");
        let documents = crate::yaml::parse_all(&SourceFile::new("m.yaml", text)).unwrap();
        let widget = documents[1].clone();
        match CrdSchemas::of(documents.iter().map(|d| &d.value)).check(&widget.value, "`Widget w`", &widget) {
            Verdict::Skipped => None,
            Verdict::Checked(found) => {
                Some(found.into_iter().map(|(_, p)| (p.where_().unwrap_or_default(), p.message, p.help)).collect())
            }
        }
    }

    #[test]
    fn a_custom_resource_is_checked_against_its_crd() {
        let valid = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, labels: {a: b}}\nspec:\n  size: 2\n  note: null\n  extra: {anything: [1]}\n";
        assert_eq!(check(valid), Some(vec![]));
        let found =
            check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: big\n  colour: red\n")
                .unwrap();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().any(|(at, m, h)| at == "m.yaml:29:9"
            && m.contains("wrong type at `spec.size`")
            && h.as_deref() == Some("write a number, without quotes")));
        assert!(found.iter().any(|(at, m, _)| at == "m.yaml:30:3" && m.contains("unknown field `spec.colour`")));
        let missing = check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n").unwrap();
        assert!(missing[0].1.contains("\"size\" is a required property"), "{missing:?}");
        assert_eq!(check("apiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n"), None);
    }

    #[test]
    fn the_route_kinds_are_checked_against_the_shipped_crds_without_one_in_the_output() {
        for (route, field) in [
            ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules: [{backendRefs: [{name: s, port: 80}], bogus: 1}]\n", "spec.rules[0].bogus"),
            ("apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: r}\nspec:\n  routes: [{match: x, kind: Rule, bogus: 1}]\n", "spec.routes[0].bogus"),
            ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  http: [{route: [{destination: {host: s}}], bogus: 1}]\n", "spec.http[0].bogus"),
        ] {
            let document = crate::yaml::parse_one(&SourceFile::new("r.yaml", route)).unwrap();
            let Verdict::Checked(found) = CrdSchemas::of(std::iter::empty()).check(&document.value, "route", &document) else {
                panic!("{route}: not checked");
            };
            let messages: Vec<String> = found.into_iter().map(|(_, p)| p.message).collect();
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(messages[0].contains(&format!("unknown field `{field}`")), "{messages:?}");
        }
    }
}
