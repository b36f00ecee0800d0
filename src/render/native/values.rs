//! Values as helm computes them (pkg/chart/common/util/coalesce.go, pkg/chart/v2/util/
//! dependencies.go, jsonschema.go): user values coalesced over chart defaults (`null` deletes a
//! default), subchart values under their name with `global` copied down, dependencies disabled
//! by `condition`/`tags`, `import-values` merged into the parent, `values.schema.json` checked.

use serde_json::{Map, Value as Json};

use super::chart::Chart;
use super::is_compatible_range;
use super::NativeError;

type Table = Map<String, Json>;

/// `CoalesceValues` (merge false: a `null` deletes) or `MergeValues` (merge true: nulls kept).
pub fn coalesce(chart: &Chart, values: &Table, merge: bool) -> Result<Table, NativeError> {
    let mut dest = values.clone();
    coalesce_chart(chart, &mut dest, merge)?;
    Ok(dest)
}

fn coalesce_chart(chart: &Chart, dest: &mut Table, merge: bool) -> Result<(), NativeError> {
    coalesce_values(chart, dest, merge);
    coalesce_dependencies(chart, dest, merge)
}

fn coalesce_dependencies(chart: &Chart, dest: &mut Table, merge: bool) -> Result<(), NativeError> {
    for sub in &chart.dependencies {
        let name = sub.name().to_string();
        match dest.get(&name) {
            None => {
                dest.insert(name.clone(), Json::Object(Map::new()));
            }
            Some(Json::Object(_)) => {}
            Some(other) => {
                return Err(NativeError::Failed(format!(
                    "type mismatch on {name}: %!t({}={})",
                    go_type(other),
                    go_text(other)
                )))
            }
        }
        let mut sub_values = match dest.remove(&name) {
            Some(Json::Object(map)) => map,
            _ => Map::new(),
        };
        coalesce_globals(&mut sub_values, dest);
        coalesce_chart(sub, &mut sub_values, merge)?;
        dest.insert(name, Json::Object(sub_values));
    }
    Ok(())
}

fn go_type(value: &Json) -> &'static str {
    match value {
        Json::String(_) => "string",
        Json::Number(_) => "float64",
        Json::Array(_) => "[]interface {}",
        _ => "interface {}",
    }
}

fn go_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The parent's `global` copied into a subchart's values: the parent's keys win.
fn coalesce_globals(dest: &mut Table, source: &Table) {
    let mut dest_globals = match dest.get("global") {
        None => Map::new(),
        Some(Json::Object(map)) => map.clone(),
        Some(_) => return,
    };
    let source_globals = match source.get("global") {
        None => Map::new(),
        Some(Json::Object(map)) => map.clone(),
        Some(_) => return,
    };
    for (key, value) in source_globals {
        match (&value, dest_globals.get(&key)) {
            (Json::Object(table), None) => {
                dest_globals.insert(key, Json::Object(table.clone()));
            }
            (Json::Object(table), Some(Json::Object(existing))) => {
                let mut merged = table.clone();
                coalesce_tables(&mut merged, existing.clone(), true);
                dest_globals.insert(key, Json::Object(merged));
            }
            (Json::Object(_), Some(_)) => {}
            (_, Some(Json::Object(_))) => {}
            _ => {
                dest_globals.insert(key, value);
            }
        }
    }
    dest.insert("global".into(), Json::Object(dest_globals));
}

/// A chart's own defaults under the values given (helm v4.1.4's `coalesceValues`: a default
/// `null` is kept; a given `null` deletes the default unless merging).
fn coalesce_values(chart: &Chart, values: &mut Table, merge: bool) {
    for (key, default) in chart.values.clone() {
        match values.get_mut(&key) {
            Some(Json::Null) if !merge => {
                values.remove(&key);
            }
            Some(Json::Object(dest)) => {
                if let Json::Object(source) = default {
                    let merge = merge || chart.dependencies.iter().any(|sub| sub.name() == key);
                    coalesce_tables(dest, source, merge);
                }
            }
            Some(_) => {}
            None => {
                values.insert(key, default);
            }
        }
    }
}

/// `coalesceTablesFullKey`: `source` under `dest`, `dest`'s values winning.
pub fn coalesce_tables(dest: &mut Table, mut source: Table, merge: bool) {
    let source_non_null: Vec<String> = source.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect();
    for (key, value) in dest.iter() {
        if value.is_null() {
            source.insert(key.clone(), Json::Null);
        }
    }
    for (key, value) in source {
        match dest.get_mut(&key) {
            Some(Json::Null) if !merge && source_non_null.contains(&key) => {
                dest.remove(&key);
            }
            None => {
                dest.insert(key, value);
            }
            Some(Json::Object(dest_table)) => {
                if let Json::Object(source_table) = value {
                    coalesce_tables(dest_table, source_table, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// `Values.Table`: the table at a dotted path.
pub fn table_at<'a>(values: &'a Table, path: &str) -> Option<&'a Table> {
    let mut current = values;
    for part in path.split('.') {
        match current.get(part) {
            Some(Json::Object(inner)) => current = inner,
            _ => return None,
        }
    }
    Some(current)
}

/// `Values.PathValue`: a non-table value at a dotted path.
fn path_value<'a>(values: &'a Table, path: &str) -> Option<&'a Json> {
    let (table, key) = match path.rsplit_once('.') {
        Some((table, key)) => (table_at(values, table)?, key),
        None => (values, path),
    };
    table.get(key).filter(|value| !value.is_object())
}

/// `ProcessDependenciesWithMerge`: disabled dependencies removed (with their templates),
/// aliases applied, import-values merged into each parent's defaults.
pub fn process_dependencies(chart: &mut Chart, values: &Table) -> Result<(), NativeError> {
    process_enabled(chart, values, "", 0)?;
    process_imports(chart)
}

fn process_enabled(chart: &mut Chart, values: &Table, path: &str, depth: usize) -> Result<(), NativeError> {
    if depth > 32 || chart.dependencies_meta.is_empty() {
        return Ok(());
    }
    let existing = std::mem::take(&mut chart.dependencies);
    let declared = |sub: &Chart| {
        chart
            .dependencies_meta
            .iter()
            .any(|req| req.name == sub.name() && is_compatible_range(&req.version, sub.version()))
    };
    let mut dependencies: Vec<Chart> = existing.iter().filter(|sub| !declared(sub)).cloned().collect();
    for req in &mut chart.dependencies_meta {
        let found =
            existing.iter().find(|sub| sub.name() == req.name && is_compatible_range(&req.version, sub.version()));
        if let Some(sub) = found {
            let mut sub = sub.clone();
            if !req.alias.is_empty() {
                sub.set_name(&req.alias);
            }
            dependencies.push(sub);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
        req.enabled = true;
    }
    chart.dependencies = dependencies;
    let coalesced = coalesce(chart, values, false)?;
    apply_tags(chart, &coalesced);
    apply_conditions(chart, &coalesced, path);
    let disabled: Vec<String> = chart.dependencies_meta.iter().filter(|r| !r.enabled).map(|r| r.name.clone()).collect();
    chart.dependencies.retain(|sub| !disabled.iter().any(|name| name == sub.name()));
    chart.dependencies_meta.retain(|r| r.enabled);
    for sub in &mut chart.dependencies {
        let sub_path = format!("{path}{}.", sub.name());
        process_enabled(sub, &coalesced, &sub_path, depth + 1)?;
    }
    Ok(())
}

fn apply_tags(chart: &mut Chart, values: &Table) {
    let Some(Json::Object(tags)) = values.get("tags") else { return };
    for req in &mut chart.dependencies_meta {
        let (mut has_true, mut has_false) = (false, false);
        for tag in &req.tags {
            match tags.get(tag) {
                Some(Json::Bool(true)) => has_true = true,
                Some(Json::Bool(false)) => has_false = true,
                _ => {}
            }
        }
        req.enabled = has_true || !has_false;
    }
}

fn apply_conditions(chart: &mut Chart, values: &Table, path: &str) {
    for req in &mut chart.dependencies_meta {
        for condition in req.condition.trim().split(',') {
            if condition.is_empty() {
                continue;
            }
            if let Some(Json::Bool(enabled)) = path_value(values, &format!("{path}{condition}")) {
                req.enabled = *enabled;
                break;
            }
        }
    }
}

fn process_imports(chart: &mut Chart) -> Result<(), NativeError> {
    for sub in &mut chart.dependencies {
        process_imports(sub)?;
    }
    if chart.dependencies_meta.is_empty() {
        return Ok(());
    }
    let merged = coalesce(chart, &Map::new(), true)?;
    let mut imported = Map::new();
    for req in &mut chart.dependencies_meta {
        let mut rewritten = Vec::new();
        for import in &req.import_values {
            let (child, parent) = match import {
                Json::Object(map) => (go_sprint(map.get("child")), go_sprint(map.get("parent"))),
                Json::String(name) => (format!("exports.{name}"), ".".to_string()),
                _ => continue,
            };
            // helm keeps each import in its long form (`.Chart.Dependencies`).
            rewritten.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(table) = table_at(&merged, &format!("{}.{child}", req.name)) else { continue };
            let mut value = table.clone();
            if parent != "." {
                for part in parent.split('.').rev() {
                    let mut wrapper = Map::new();
                    wrapper.insert(part.to_string(), Json::Object(value));
                    value = wrapper;
                }
            }
            coalesce_tables(&mut imported, value, true);
        }
        req.import_values = rewritten;
    }
    let mut values = merged;
    coalesce_tables(&mut values, imported, true);
    chart.values = values;
    Ok(())
}

/// Go's `fmt.Sprintf("%v", x)` of an import-values field.
fn go_sprint(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => "<nil>".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `ValidateAgainstSchema`: the chart's schema against its values, then each subchart's
/// against its own values; helm's message when any fails.
pub fn validate_schemas(chart: &Chart, values: &Table) -> Result<(), NativeError> {
    let mut report = String::new();
    validate_chart(chart, values, &mut report);
    if report.is_empty() {
        return Ok(());
    }
    Err(NativeError::Failed(format!(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"
    )))
}

fn validate_chart(chart: &Chart, values: &Table, report: &mut String) {
    if let Some(schema) = &chart.schema {
        let problems = match serde_json::from_slice::<Json>(schema) {
            Err(error) => vec![error.to_string()],
            Ok(schema) => match jsonschema::validator_for(&schema) {
                Err(error) => vec![error.to_string()],
                Ok(validator) => {
                    let instance = Json::Object(values.clone());
                    validator
                        .iter_errors(&instance)
                        .map(|error| format!("- at '{}': {}", error.instance_path(), schema_message(&error)))
                        .collect()
                }
            },
        };
        if !problems.is_empty() {
            report.push_str(&format!("{}:\n{}\n", chart.name(), problems.join("\n")));
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Json::Null) => {}
            Some(Json::Object(sub_values)) => validate_chart(sub, sub_values, report),
            Some(other) => report.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name(),
                go_type(other)
            )),
        }
    }
}

/// A schema violation in the words of helm's validator (santhosh-tekuri/jsonschema v6) for
/// the common keywords; the crate's own words for the rest.
fn schema_message(error: &jsonschema::ValidationError) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as Kind};
    let instance = error.instance();
    let quoted = |value: &Json| match value {
        Json::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    match error.kind() {
        Kind::Type { kind: TypeKind::Single(want) } => format!("got {}, want {want}", json_type(instance)),
        Kind::Required { property } => format!("missing property {}", quoted(property)),
        Kind::Enum { options } => match options.as_array() {
            Some(options) => {
                format!("value must be one of {}", options.iter().map(quoted).collect::<Vec<_>>().join(", "))
            }
            None => error.to_string(),
        },
        Kind::AdditionalProperties { unexpected } => {
            let names: Vec<String> = unexpected.iter().map(|name| format!("'{name}'")).collect();
            format!("additional properties {} not allowed", names.join(", "))
        }
        Kind::Minimum { limit } => format!("minimum: got {instance}, want {limit}"),
        Kind::Maximum { limit } => format!("maximum: got {instance}, want {limit}"),
        Kind::Pattern { pattern } => format!("{} does not match pattern '{pattern}'", quoted(instance)),
        _ => error.to_string(),
    }
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}
