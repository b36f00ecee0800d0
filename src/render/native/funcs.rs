//! Helm's own template functions (pkg/engine/funcs.go, engine.go's initFunMap), as `helm
//! template` has them: no cluster (`lookup` gives an empty map), no DNS (`getHostByName` gives
//! ""), no environment (`env`, `expandenv` removed).

use crate::gotemplate::{Function, Functions, Value};

use super::yaml_in;
use super::yaml_out::to_yaml;

/// helm's markers around a `required`/`fail` message, which the error report unwraps.
pub const WARN_START: &str = "HELM_ERR_START";
pub const WARN_END: &str = "HELM_ERR_END";

/// Sprig's functions with helm's added and its removals applied.
pub fn functions(mut sprig: Functions) -> Functions {
    sprig.remove("env");
    sprig.remove("expandenv");
    let helm: [(&'static str, Function); 15] = [
        ("toYaml", Function::Pure(to_yaml_function)),
        ("mustToYaml", Function::Pure(to_yaml_function)),
        ("toYamlPretty", Function::Pure(super::yaml_out::to_yaml_pretty_function)),
        ("fromYaml", Function::Pure(from_yaml)),
        ("fromYamlArray", Function::Pure(from_yaml_array)),
        ("toJson", Function::Pure(to_json_function)),
        ("mustToJson", Function::Pure(must_to_json)),
        ("fromJson", Function::Pure(from_json)),
        ("fromJsonArray", Function::Pure(from_json_array)),
        ("toToml", Function::Pure(super::toml::to_toml_function)),
        ("fromToml", Function::Pure(super::toml::from_toml_function)),
        ("required", Function::Pure(required)),
        ("fail", Function::Pure(fail)),
        ("lookup", Function::Pure(lookup)),
        ("getHostByName", Function::Pure(get_host_by_name)),
    ];
    sprig.extend(helm);
    sprig
}

fn arity(name: &str, arguments: &[Value], want: usize) -> Result<(), String> {
    if arguments.len() != want {
        return Err(format!("wrong number of args for {name}: want {want} got {}", arguments.len()));
    }
    Ok(())
}

fn string_argument(value: &Value) -> Result<&str, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("wrong type for value; expected string; got {}", other.type_name())),
    }
}

fn to_yaml_function(arguments: &[Value]) -> Result<Value, String> {
    arity("toYaml", arguments, 1)?;
    let text = to_yaml(&arguments[0]);
    Ok(Value::string(text.strip_suffix('\n').unwrap_or(&text)))
}

/// `toJson`: Go's `json.Marshal`; "" when it fails (NaN), as helm's.
fn to_json_function(arguments: &[Value]) -> Result<Value, String> {
    arity("toJson", arguments, 1)?;
    Ok(Value::string(crate::gotemplate::sprig::to_json(&arguments[0], None, true).unwrap_or_default()))
}

/// `mustToJson`: the encoding error stops the template.
fn must_to_json(arguments: &[Value]) -> Result<Value, String> {
    arity("mustToJson", arguments, 1)?;
    crate::gotemplate::sprig::to_json(&arguments[0], None, true).map(Value::string)
}

fn error_map(message: String) -> Value {
    Value::map([("Error".to_string(), Value::string(message))].into_iter().collect())
}

fn from_yaml(arguments: &[Value]) -> Result<Value, String> {
    arity("fromYaml", arguments, 1)?;
    let text = string_argument(&arguments[0])?;
    Ok(match yaml_in::parse_json(text) {
        Ok(serde_json::Value::Null) => Value::map(Default::default()),
        Ok(json @ serde_json::Value::Object(_)) => Value::from_json(&json),
        Ok(other) => error_map(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(error) => error_map(format!("error converting YAML to JSON: {error}")),
    })
}

fn from_yaml_array(arguments: &[Value]) -> Result<Value, String> {
    arity("fromYamlArray", arguments, 1)?;
    let text = string_argument(&arguments[0])?;
    Ok(match yaml_in::parse_json(text) {
        Ok(serde_json::Value::Null) => Value::list(Vec::new()),
        Ok(json @ serde_json::Value::Array(_)) => Value::from_json(&json),
        Ok(other) => Value::list(vec![Value::string(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(error) => Value::list(vec![Value::string(format!("error converting YAML to JSON: {error}"))]),
    })
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn from_json(arguments: &[Value]) -> Result<Value, String> {
    arity("fromJson", arguments, 1)?;
    let text = string_argument(&arguments[0])?;
    Ok(match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) => Value::map(Default::default()),
        Ok(json @ serde_json::Value::Object(_)) => Value::from_json(&json),
        Ok(other) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(error) => error_map(error.to_string()),
    })
}

fn from_json_array(arguments: &[Value]) -> Result<Value, String> {
    arity("fromJsonArray", arguments, 1)?;
    let text = string_argument(&arguments[0])?;
    Ok(match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) => Value::list(Vec::new()),
        Ok(json @ serde_json::Value::Array(_)) => Value::from_json(&json),
        Ok(other) => Value::list(vec![Value::string(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(error) => Value::list(vec![Value::string(error.to_string())]),
    })
}

fn required(arguments: &[Value]) -> Result<Value, String> {
    arity("required", arguments, 2)?;
    let warning = string_argument(&arguments[0])?;
    match &arguments[1] {
        Value::Nil => Err(format!("{WARN_START}{warning}{WARN_END}")),
        Value::String(s) if s.is_empty() => Err(format!("{WARN_START}{warning}{WARN_END}")),
        other => Ok(other.clone()),
    }
}

fn fail(arguments: &[Value]) -> Result<Value, String> {
    arity("fail", arguments, 1)?;
    Err(format!("{WARN_START}{}{WARN_END}", string_argument(&arguments[0])?))
}

fn lookup(arguments: &[Value]) -> Result<Value, String> {
    arity("lookup", arguments, 4)?;
    for argument in arguments {
        string_argument(argument)?;
    }
    Ok(Value::map(Default::default()))
}

fn get_host_by_name(arguments: &[Value]) -> Result<Value, String> {
    arity("getHostByName", arguments, 1)?;
    string_argument(&arguments[0])?;
    Ok(Value::string(""))
}
