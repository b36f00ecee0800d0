//! Table helpers for the unit tests of each area: call a function by its template name and
//! compare the result as Go's `%v` prints it (the form the expected values were copied from
//! `helm template`), or the error it fails with.

use super::{functions, strval, Value};
use crate::gotemplate::Function;

pub fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match functions().get(name) {
        Some(Function::Pure(function)) => function(args),
        _ => panic!("no Sprig function {name}"),
    }
}

/// `name args` prints `expected` (Go's `%v` of the result).
pub fn check(name: &str, args: &[Value], expected: &str) {
    match call(name, args) {
        Ok(value) => assert_eq!(strval(&value), expected, "{name} {args:?} gave {value:?}"),
        Err(error) => panic!("{name} {args:?} failed: {error}"),
    }
}

/// `name args` fails with an error containing `expected`.
pub fn fails(name: &str, args: &[Value], expected: &str) {
    match call(name, args) {
        Ok(value) => panic!("{name} {args:?} gave {value:?}, expected an error with {expected:?}"),
        Err(error) => assert!(error.contains(expected), "{name} {args:?}: {error:?} lacks {expected:?}"),
    }
}

pub fn s(text: &str) -> Value {
    Value::string(text)
}

pub fn i(n: i64) -> Value {
    Value::Int(n)
}

pub fn f(n: f64) -> Value {
    Value::Float(n)
}

pub fn l(items: &[Value]) -> Value {
    Value::list(items.to_vec())
}

pub fn m(entries: &[(&str, Value)]) -> Value {
    Value::map(entries.iter().map(|(key, value)| (key.to_string(), value.clone())).collect())
}
