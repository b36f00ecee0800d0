//! The JSON Schemas in `schemas/`, compiled into the binary, and the check of a parsed YAML
//! document against one of them. Schema errors become problems that point at the offending
//! key or value. The schemas are the single statement of the file formats: the loader only
//! reads documents that passed them.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::Validator;
use serde_json::Value as Json;
use serde_yaml::Value;

use crate::diag::Problem;
use crate::suggest::did_you_mean;
use crate::yaml::{display_path, Document, Segment};

/// The file formats hldc reads, each with its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Component,
    Config,
    Access,
    Lock,
    Project,
    /// Not an input: the trace record `generate` writes (`model::record`).
    TraceRecord,
}

impl Schema {
    pub const ALL: [Schema; 6] =
        [Schema::Component, Schema::Config, Schema::Access, Schema::Lock, Schema::Project, Schema::TraceRecord];

    /// The name `hldc schema NAME` takes.
    pub fn name(self) -> &'static str {
        match self {
            Schema::Component => "component",
            Schema::Config => "config",
            Schema::Access => "access",
            Schema::Lock => "lock",
            Schema::Project => "project",
            Schema::TraceRecord => "trace-record",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Schema::Component => include_str!("../schemas/component.schema.json"),
            Schema::Config => include_str!("../schemas/config.schema.json"),
            Schema::Access => include_str!("../schemas/access.schema.json"),
            Schema::Lock => include_str!("../schemas/lock.schema.json"),
            Schema::Project => include_str!("../schemas/project.schema.json"),
            Schema::TraceRecord => include_str!("../schemas/trace-record.schema.json"),
        }
    }

    /// Accepts the schema's name or the file it describes (`component.yaml`, `hldc.lock`, …).
    pub fn from_name(name: &str) -> Option<Schema> {
        let name = name.trim_end_matches(".schema.json");
        let name = name.strip_suffix(".yaml").or_else(|| name.strip_suffix(".json")).unwrap_or(name);
        let name = match name {
            "hldc.lock" => "lock",
            "hldc" => "project",
            other => other,
        };
        Schema::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The fields a file of this format may hold at its top level.
    pub fn top_level_fields(self) -> impl Iterator<Item = &'static str> {
        self.json()
            .get("properties")
            .and_then(Json::as_object)
            .into_iter()
            .flat_map(|fields| fields.keys())
            .map(String::as_str)
    }

    fn json(self) -> &'static Json {
        static CACHE: [OnceLock<Json>; Schema::ALL.len()] = [const { OnceLock::new() }; Schema::ALL.len()];
        // The schemas are compiled in and covered by tests, so a parse failure is a build defect.
        CACHE[self as usize].get_or_init(|| serde_json::from_str(self.text()).unwrap_or(Json::Null))
    }

    pub(crate) fn validator(self) -> Option<&'static Validator> {
        static CACHE: [OnceLock<Option<Validator>>; Schema::ALL.len()] = [const { OnceLock::new() }; Schema::ALL.len()];
        CACHE[self as usize].get_or_init(|| jsonschema::draft202012::new(self.json()).ok()).as_ref()
    }
}

/// Checks a document against a schema; returns one problem per violation.
pub fn check(document: &Document, schema: Schema) -> Vec<Problem> {
    let Some(validator) = schema.validator() else {
        return vec![Problem::error(
            "hldc::internal::schema",
            format!("the built-in `{}` schema does not compile", schema.name()),
        )];
    };
    let instance = to_json(&document.value);
    let mut problems: Vec<Problem> = validator
        .iter_errors(&instance)
        .map(|error| describe(document, schema, &instance_path(&error), &error))
        .collect();
    problems.sort_by_key(|p| p.location.as_ref().map(|l| l.span.start));
    problems
}

/// Where in the instance a violation is, as a YAML value path.
pub fn instance_path(error: &jsonschema::ValidationError) -> Vec<Segment> {
    error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(name) => Segment::Key(name.to_string()),
            LocationSegment::Index(i) => Segment::Index(i),
        })
        .collect()
}

fn describe(document: &Document, schema: Schema, path: &[Segment], error: &jsonschema::ValidationError) -> Problem {
    let file = document.file.name();
    let at = if path.is_empty() { String::new() } else { format!(" at `{}`", display_path(path)) };
    let code = "hldc::schema::invalid";
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let key = unexpected.first().cloned().unwrap_or_default();
            let mut key_path = path.to_vec();
            key_path.push(Segment::Key(key.clone()));
            let allowed = allowed_properties(schema, &error.schema_path().to_string());
            let suggestion = did_you_mean(&key, allowed.iter().map(String::as_str));
            let help = match suggestion {
                Some(near) => format!("did you mean `{near}`?"),
                None if allowed.is_empty() => "remove the field".to_string(),
                None => format!("remove the field; allowed here: {}", allowed.join(", ")),
            };
            Problem::error(code, format!("unknown field `{key}` in `{file}`{at}"))
                .at(document.key_location(&key_path))
                .label("not a known field")
                .help(help)
        }
        ValidationErrorKind::Type { .. } if path.is_empty() && document.value.is_null() => {
            Problem::error(code, format!("`{file}` is empty"))
                .at(document.value_location(path))
                .help(format!("write the file's content (see `hldc schema {}`), or delete it", schema.name()))
        }
        ValidationErrorKind::Type { .. } => Problem::error(code, format!("wrong type in `{file}`{at}: {error}"))
            .at(document.value_location(path))
            .label("wrong type")
            .help(type_help(&error.to_string())),
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            Problem::error(code, format!("missing field `{name}` in `{file}`{at}"))
                .at(document.value_location(path))
                .label(format!("`{name}` is required here"))
                .help(format!("add `{name}:` to this entry (see `hldc schema {}`)", schema.name()))
        }
        _ => Problem::error(code, format!("invalid value in `{file}`{at}: {error}"))
            .at(document.value_location(path))
            .label("does not match the schema")
            .help(format!("see `hldc schema {}` for what this field accepts", schema.name())),
    }
}

fn type_help(message: &str) -> String {
    if message.contains("\"string\"") {
        "quote the value so YAML reads it as a string (e.g. `version: \"1.10\"`)".to_string()
    } else if message.contains("\"boolean\"") {
        "write `true` or `false`".to_string()
    } else {
        "change the value to the type the field expects".to_string()
    }
}

/// The property names the schema allows where an `additionalProperties` error was raised.
/// The schemas recurse with `$ref: "#"`, so the part after the last `$ref` is read from the root.
fn allowed_properties(schema: Schema, schema_path: &str) -> Vec<String> {
    let tail = schema_path.rsplit("/$ref").next().unwrap_or(schema_path);
    let parent = tail.strip_suffix("/additionalProperties").unwrap_or(tail);
    let object = schema.json().pointer(parent).and_then(|s| s.get("properties")).and_then(Json::as_object);
    object.map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// YAML to JSON for validation: non-string keys become their text, tags are dropped.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map_or(Json::Null, Json::Number)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Mapping(map) => Json::Object(map.iter().map(|(k, v)| (key_text(k), to_json(v))).collect()),
        Value::Tagged(tagged) => to_json(&tagged.value),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).map(|s| s.trim_end().to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use crate::yaml::parse_one;

    fn problems(schema: Schema, text: &str) -> Vec<(String, String, Option<String>)> {
        let doc = parse_one(&SourceFile::new("f.yaml", text)).unwrap();
        check(&doc, schema).into_iter().map(|p| (p.where_().unwrap_or_default(), p.message, p.help)).collect()
    }

    #[test]
    fn schemas_are_found_by_name_or_file_name() {
        for (name, schema) in [
            ("component", Schema::Component),
            ("component.yaml", Schema::Component),
            ("config.schema.json", Schema::Config),
            ("hldc.lock", Schema::Lock),
            ("access.yaml", Schema::Access),
            ("project", Schema::Project),
            ("hldc.yaml", Schema::Project),
        ] {
            assert_eq!(Schema::from_name(name), Some(schema), "{name}");
        }
        assert_eq!(Schema::from_name("nope"), None);
    }

    #[test]
    fn every_schema_compiles() {
        for schema in Schema::ALL {
            assert!(schema.validator().is_some(), "{} does not compile", schema.name());
        }
    }

    #[test]
    fn unknown_field_points_at_key_with_suggestion() {
        let found = problems(Schema::Component, "name: a\nsubcomponents:\n  - name: b\n    pth: x\n    type: static\n");
        assert_eq!(found.len(), 2, "{found:?}");
        let unknown = found.iter().find(|p| p.1.contains("unknown field")).unwrap();
        assert_eq!(unknown.0, "f.yaml:4:5");
        assert_eq!(unknown.2.as_deref(), Some("did you mean `path`?"));
    }

    #[test]
    fn wrong_type_points_at_value() {
        let found = problems(Schema::Config, "namespace: ok\ninjectNamespace: yes please\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "f.yaml:2:18");
    }
}
