//! The values a Go template sees, as Helm gives them: `.Values` decoded from YAML through JSON
//! (every number a `float64`), maps Go code shares by reference (`set` changes the map every
//! holder sees), and a few Go objects with methods (`.Files`, `.Capabilities.APIVersions`).
//!
//! A render runs on one thread from start to end, so shared maps are `Rc<RefCell<…>>`: a
//! `Value` never crosses threads.
//!
//! A chart can nest lists and maps as deep as its step budget lets it (`$x = list $x` in a
//! range): `Items` and `Entries` are dropped without recursion, so dropping such a value never
//! overflows the stack.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// A Go map of strings to anything (`map[string]interface {}`), shared by reference.
pub type Map = Rc<RefCell<Entries>>;

/// How deep the functions that walk a whole value (`deepCopy`, `toJson`, `deepEqual`) follow it:
/// far below what a render's stack holds, far above any chart's values. Deeper, or a map that
/// holds itself (`set $m "self" $m`), is an error where Go would exhaust its stack.
pub const MAX_NESTING: usize = 1000;

/// The error of a value nested deeper than `MAX_NESTING`.
pub fn too_deep() -> String {
    format!("the value is nested deeper than {MAX_NESTING} levels (or holds itself)")
}

/// A new map holding `entries`.
pub fn new_map(entries: BTreeMap<String, Value>) -> Map {
    Rc::new(RefCell::new(Entries(entries)))
}

/// A Go slice's elements.
#[derive(Clone, Default, PartialEq)]
pub struct Items(pub Vec<Value>);

/// A Go map's entries, by key.
#[derive(Clone, Default)]
pub struct Entries(pub BTreeMap<String, Value>);

impl Deref for Items {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Deref for Entries {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &BTreeMap<String, Value> {
        &self.0
    }
}

impl DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut BTreeMap<String, Value> {
        &mut self.0
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        drop_flat(std::mem::take(&mut self.0));
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        if self.0.values().any(|value| matches!(value, Value::List(_) | Value::Map(_))) {
            drop_flat(std::mem::take(&mut self.0).into_values().collect());
        }
    }
}

/// Drops `pending` and everything only it holds, one value at a time: a container whose last
/// holder goes hands its children to the loop instead of dropping them itself.
fn drop_flat(mut pending: Vec<Value>) {
    while let Some(value) = pending.pop() {
        match value {
            Value::List(items) => {
                if let Ok(mut items) = Rc::try_unwrap(items) {
                    pending.append(&mut items.0);
                }
            }
            Value::Map(map) => {
                if let Ok(entries) = Rc::try_unwrap(map) {
                    let mut entries = entries.into_inner();
                    pending.extend(std::mem::take(&mut entries.0).into_values());
                }
            }
            _ => {}
        }
    }
}

#[derive(Clone)]
pub enum Value {
    /// Go's untyped nil: a missing key, a YAML null.
    Nil,
    Bool(bool),
    /// A Go integer (`int`, `int64`): template literals, `len`, Sprig's arithmetic.
    Int(i64),
    /// A Go `float64`: every number Helm decodes from YAML or JSON.
    Float(f64),
    String(Rc<str>),
    /// A Go slice (`[]interface {}`): never changed in place (Sprig's list functions copy).
    List(Rc<Items>),
    Map(Map),
    /// A Go value with fields and methods: `.Files`, `.Capabilities`, `.Chart`...
    Object(Rc<dyn Object>),
}

/// A Go struct or named type a template reaches: its fields, its methods, its `%v` text.
pub trait Object {
    /// Go's type name, as `typeOf` prints it (`chart.Metadata`, `engine.files`).
    fn type_name(&self) -> &str;
    /// The type of the value a template holds, as `typeOf` prints it: a pointer to the named
    /// type (`*chart.Metadata`), but for the values Go passes as they are (`[]uint8`).
    fn go_type(&self) -> String {
        format!("*{}", self.type_name())
    }
    /// Go's `reflect.Kind` name of the value a template holds, as `kindOf` prints it.
    fn kind(&self) -> &'static str {
        "ptr"
    }
    /// The bytes of a Go `[]byte` (see `bytes.rs`): text to `%s` and Sprig's `strval`.
    fn bytes(&self) -> Option<&[u8]> {
        None
    }
    /// The object itself, for the functions that treat one Go type apart (BurntSushi's
    /// encoder writes a `time.Time` bare, Sprig's `dateModify` takes one); `None` for the others.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// A field or a method without arguments; `None` when the type has neither.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method called with arguments; `None` when the type has no such method.
    fn call(&self, method: &str, arguments: &[Value]) -> Option<Result<Value, String>> {
        let _ = (method, arguments);
        None
    }
    /// The method and field names the type has: what a chart may call on it (`auto` checks a
    /// chart's templates against them before rendering).
    fn members(&self) -> &'static [&'static str];
    /// The slice or map a Go named type is (`common.VersionSet` is a `[]string`, `engine.files`
    /// a `map[string][]byte`): what `range`, `len`, `index` and `if` see of it. `None` for a
    /// struct, which they refuse (or find always true).
    fn elements(&self) -> Option<Value> {
        None
    }
    /// Go's `%v` of the value (`fmt.Stringer` where the type has one).
    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// What an action prints for it. Go's template printer takes the address of a struct field
    /// reached through a pointer, so a `String` method on the pointer counts there
    /// (`{{ .Capabilities.KubeVersion }}` is `v1.34.0`) where `fmt` does not
    /// (`{{ quote .Capabilities.KubeVersion }}` is `"{v1.34.0 v1.34.0 1 34}"`).
    fn display_in_action(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(out)
    }
    /// What `toYaml`/`toJson` make of it: its exported fields as a map, as `encoding/json` does.
    fn to_value(&self) -> Value;
    /// Whether its `%v` text is a `String` method's, which `%q` and `%x` print as a string too.
    fn is_stringer(&self) -> bool {
        false
    }
}

impl Value {
    pub fn string(text: impl Into<Rc<str>>) -> Value {
        Value::String(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(Items(items)))
    }

    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(new_map(entries))
    }

    /// Go's truth in `if`, `with`, `and`, `or`, `not`, `default`: false for nil, false, zero,
    /// the empty string and empty collections.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.borrow().is_empty(),
            Value::Object(object) => object.elements().is_none_or(|elements| elements.is_truthy()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go's `reflect.Kind` name, as Sprig's `kindOf` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(object) => object.kind(),
        }
    }

    /// Go's type name, as Sprig's `typeOf` prints it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(object) => object.go_type(),
        }
    }

    /// A value decoded as Helm decodes YAML (sigs.k8s.io/yaml: through JSON), so every number
    /// becomes a float64 and every key a string.
    pub fn from_yaml(yaml: &serde_yaml::Value) -> Value {
        match yaml {
            serde_yaml::Value::Null => Value::Nil,
            serde_yaml::Value::Bool(b) => Value::Bool(*b),
            serde_yaml::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_yaml::Value::String(s) => Value::string(s.as_str()),
            serde_yaml::Value::Sequence(items) => Value::list(items.iter().map(Value::from_yaml).collect()),
            serde_yaml::Value::Mapping(entries) => {
                Value::map(entries.iter().map(|(key, value)| (yaml_key(key), Value::from_yaml(value))).collect())
            }
            serde_yaml::Value::Tagged(tagged) => Value::from_yaml(&tagged.value),
        }
    }

    /// A value decoded as Go's `encoding/json` decodes into `interface{}`: numbers are float64.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => Value::list(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(entries) => {
                Value::map(entries.iter().map(|(key, value)| (key.clone(), Value::from_json(value))).collect())
            }
        }
    }

    /// A copy sharing nothing with `self` (Sprig's `deepCopy`, and values handed to a subchart);
    /// an error for a value nested deeper than `MAX_NESTING` (or holding itself).
    pub fn deep_copy(&self) -> Result<Value, String> {
        self.copy_within(0)
    }

    fn copy_within(&self, depth: usize) -> Result<Value, String> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        Ok(match self {
            Value::List(items) => {
                Value::list(items.iter().map(|item| item.copy_within(depth + 1)).collect::<Result<_, _>>()?)
            }
            Value::Map(map) => Value::map(
                map.borrow()
                    .iter()
                    .map(|(key, value)| Ok((key.clone(), value.copy_within(depth + 1)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// A YAML key as sigs.k8s.io/yaml makes it a JSON key: its text.
fn yaml_key(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(other).unwrap_or_default().trim_end().to_string(),
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(out, "Nil"),
            Value::Bool(b) => write!(out, "Bool({b})"),
            Value::Int(n) => write!(out, "Int({n})"),
            Value::Float(f) => write!(out, "Float({f:?})"),
            Value::String(s) => write!(out, "String({s:?})"),
            Value::List(items) => out.debug_list().entries(items.iter()).finish(),
            Value::Map(map) => out.debug_map().entries(map.borrow().iter()).finish(),
            Value::Object(object) => write!(out, "Object({})", object.type_name()),
        }
    }
}

impl PartialEq for Value {
    /// Go's `==` on the values templates compare (`eq`, `has`, `uniq`): maps and objects by
    /// identity, as Go compares references.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b),
            (Value::Object(a), Value::Object(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}
