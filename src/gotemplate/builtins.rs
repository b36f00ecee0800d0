//! Go's builtin template functions (text/template's funcs.go), with Go's error texts, and
//! Helm's `include` and `tpl`, which execute templates of the running set. `and`, `or` and
//! `call` are here for the parser's benefit: the executor evaluates them itself (`and` and `or`
//! stop evaluating arguments once they know the answer, `call` names its argument as written).

use super::fmt;
use super::value::Value;
use super::{Function, Functions, Templates};

/// What `Function::Pure` holds.
type PureFunction = fn(&[Value]) -> Result<Value, String>;

pub fn functions() -> Functions {
    let mut functions = Functions::new();
    let pure: [(&'static str, PureFunction); 19] = [
        ("and", evaluated_by_the_executor),
        ("or", evaluated_by_the_executor),
        ("call", evaluated_by_the_executor),
        ("not", not),
        ("len", len),
        ("index", index),
        ("slice", slice),
        ("print", |args| Ok(Value::string(fmt::sprint(args)))),
        ("printf", printf),
        ("println", |args| Ok(Value::string(fmt::sprintln(args)))),
        ("eq", eq),
        ("ne", ne),
        ("lt", |args| ordered("lt", args, |less, _| less)),
        ("le", |args| ordered("le", args, |less, equal| less || equal)),
        ("gt", |args| ordered("gt", args, |less, equal| !less && !equal)),
        ("ge", |args| ordered("ge", args, |less, _| !less)),
        ("html", |args| Ok(Value::string(html_escape(&escaper_text(args))))),
        ("js", |args| Ok(Value::string(js_escape(&escaper_text(args))))),
        ("urlquery", |args| Ok(Value::string(query_escape(&escaper_text(args))))),
    ];
    for (name, function) in pure {
        functions.insert(name, Function::Pure(function));
    }
    functions.insert("include", Function::Templates(include));
    functions.insert("tpl", Function::Templates(tpl));
    functions
}

/// What `len` and `index` see of a value: a Go named slice or map type's elements.
fn elements(value: &Value) -> Value {
    match value {
        Value::Object(object) => object.elements().unwrap_or_else(|| value.clone()),
        other => other.clone(),
    }
}

/// Go's executor's complaint when a function gets the wrong number of arguments.
fn arity(name: &str, args: &[Value], want: usize) -> Result<(), String> {
    if args.len() == want {
        return Ok(());
    }
    Err(format!("wrong number of args for {name}: want {want} got {}", args.len()))
}

fn at_least(name: &str, args: &[Value], want: usize) -> Result<(), String> {
    if args.len() >= want {
        return Ok(());
    }
    Err(format!("wrong number of args for {name}: want at least {want} got {}", args.len()))
}

/// A `string` parameter: Go's executor converts nothing.
fn string_arg(value: &Value) -> Result<&str, String> {
    match value {
        Value::String(text) => Ok(text),
        Value::Nil => Err("invalid value; expected string".into()),
        other => Err(format!("wrong type for value; expected string; got {}", other.type_name())),
    }
}

fn evaluated_by_the_executor(_: &[Value]) -> Result<Value, String> {
    Err("evaluated by the executor".into())
}

fn not(args: &[Value]) -> Result<Value, String> {
    arity("not", args, 1)?;
    Ok(Value::Bool(!args[0].is_truthy()))
}

fn len(args: &[Value]) -> Result<Value, String> {
    arity("len", args, 1)?;
    let length = match &elements(&args[0]) {
        Value::String(text) => text.len(),
        Value::List(items) => items.len(),
        Value::Map(map) => map.borrow().len(),
        Value::Nil => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(length as i64))
}

/// An index into a string or list of `length` (Go's indexArg; `cap` is the length here).
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(n) => *n,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => return Err(format!("cannot index slice/array with type {}", other.type_name())),
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(args: &[Value]) -> Result<Value, String> {
    at_least("index", args, 1)?;
    let mut item = elements(&args[0]);
    if let Value::Nil = item {
        return Err("index of untyped nil".into());
    }
    for index in &args[1..] {
        item = match &elements(&item) {
            Value::List(items) => {
                let at = index_arg(index, items.len())?;
                items.get(at).cloned().ok_or("reflect: slice index out of range")?
            }
            Value::String(text) => {
                let at = index_arg(index, text.len())?;
                // Go indexes bytes and gives a uint8, which prints as a number.
                Value::Int(*text.as_bytes().get(at).ok_or("reflect: string index out of range")? as i64)
            }
            Value::Map(map) => match index {
                Value::String(key) => map.borrow().get(key.as_ref()).cloned().unwrap_or(Value::Nil),
                Value::Nil => return Err("value is nil; should be of type string".into()),
                other => return Err(format!("value has type {}; should be string", other.type_name())),
            },
            Value::Nil => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(args: &[Value]) -> Result<Value, String> {
    at_least("slice", args, 1)?;
    let indexes = &args[1..];
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let length = match &elements(&args[0]) {
        Value::String(text) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            text.len()
        }
        Value::List(items) => items.len(),
        Value::Nil => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut bounds = [0, length, length];
    for (i, index) in indexes.iter().enumerate() {
        bounds[i] = index_arg(index, length)?;
    }
    if bounds[0] > bounds[1] {
        return Err(format!("invalid slice index: {} > {}", bounds[0], bounds[1]));
    }
    if indexes.len() == 3 && bounds[1] > bounds[2] {
        return Err(format!("invalid slice index: {} > {}", bounds[1], bounds[2]));
    }
    Ok(match &args[0] {
        Value::String(text) => Value::string(String::from_utf8_lossy(&text.as_bytes()[bounds[0]..bounds[1]]).as_ref()),
        Value::List(items) => Value::list(items[bounds[0]..bounds[1]].to_vec()),
        _ => unreachable!("only strings and lists have a length here"),
    })
}

fn printf(args: &[Value]) -> Result<Value, String> {
    at_least("printf", args, 1)?;
    let format = string_arg(&args[0])?;
    Ok(Value::string(fmt::sprintf(format, &args[1..])))
}

/// Go's `basicKind` classes: values of different classes never compare.
#[derive(PartialEq, Clone, Copy)]
enum Basic {
    Bool,
    Int,
    Float,
    String,
    /// Nil, lists, maps, objects.
    Other,
}

fn basic(value: &Value) -> Basic {
    match value {
        Value::Bool(_) => Basic::Bool,
        Value::Int(_) => Basic::Int,
        Value::Float(_) => Basic::Float,
        Value::String(_) => Basic::String,
        _ => Basic::Other,
    }
}

fn incompatible(a: &Value, b: &Value) -> String {
    format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name())
}

/// Go's `eq` of two operands: basic values by value; nil equals only nil; lists and maps
/// cannot be compared; objects by identity.
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    if ka != kb {
        if matches!(a, Value::Nil) || matches!(b, Value::Nil) {
            return Ok(false);
        }
        return Err(incompatible(a, b));
    }
    match (a, b) {
        (Value::Nil, _) | (_, Value::Nil) => Ok(matches!((a, b), (Value::Nil, Value::Nil))),
        (Value::List(_) | Value::Map(_), _) => Err(non_comparable(a)),
        (_, Value::List(_) | Value::Map(_)) => Err(non_comparable(b)),
        (Value::Object(_), Value::Object(_)) => Ok(a == b),
        (Value::Object(_), _) | (_, Value::Object(_)) => Ok(false),
        _ => Ok(a == b),
    }
}

fn non_comparable(value: &Value) -> String {
    format!("non-comparable type {}: {}", fmt::sprintf("%s", std::slice::from_ref(value)), value.type_name())
}

fn eq(args: &[Value]) -> Result<Value, String> {
    at_least("eq", args, 1)?;
    if args.len() == 1 {
        return Err("missing argument for comparison".into());
    }
    for other in &args[1..] {
        if equal(&args[0], other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne(args: &[Value]) -> Result<Value, String> {
    arity("ne", args, 2)?;
    Ok(Value::Bool(!equal(&args[0], &args[1])?))
}

/// `lt`, `le`, `gt`, `ge`: `decide(less, equal)` on two basic values of one class.
fn ordered(name: &str, args: &[Value], decide: fn(bool, bool) -> bool) -> Result<Value, String> {
    arity(name, args, 2)?;
    let (a, b) = (&args[0], &args[1]);
    let (ka, kb) = (basic(a), basic(b));
    if ka == Basic::Other || kb == Basic::Other || ka == Basic::Bool {
        return Err("invalid type for comparison".into());
    }
    if ka != kb {
        return Err(incompatible(a, b));
    }
    let (less, equal) = match (a, b) {
        (Value::Int(x), Value::Int(y)) => (x < y, x == y),
        (Value::Float(x), Value::Float(y)) => (x < y, x == y),
        (Value::String(x), Value::String(y)) => (x < y, x == y),
        _ => unreachable!("one basic class of a comparable kind"),
    };
    Ok(Value::Bool(decide(less, equal)))
}

/// The text the escaping functions escape: one string as it is, anything else as
/// `fmt.Sprint` prints it, nil as `<no value>`.
fn escaper_text(args: &[Value]) -> String {
    if let [Value::String(text)] = args {
        return text.to_string();
    }
    let shown: Vec<Value> = args
        .iter()
        .map(|arg| match arg {
            Value::Nil => Value::string("<no value>"),
            other => other.clone(),
        })
        .collect();
    fmt::sprint(&shown)
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn include(templates: &mut dyn Templates, args: &[Value]) -> Result<Value, String> {
    arity("include", args, 2)?;
    let name = string_arg(&args[0])?;
    templates.execute_named(name, &args[1]).map(Value::string)
}

fn tpl(templates: &mut dyn Templates, args: &[Value]) -> Result<Value, String> {
    arity("tpl", args, 2)?;
    let source = string_arg(&args[0])?;
    templates.execute_source(source, &args[1]).map(Value::string)
}
