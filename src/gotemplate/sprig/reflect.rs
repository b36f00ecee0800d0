//! Sprig's reflection functions (reflect.go): Go's type and kind names, and `deepEqual`
//! (`reflect.DeepEqual`: maps by content, and a float64 never equals an int).

use super::{fixed, string_arg, Entry, Value};
use crate::gotemplate::value::{too_deep, MAX_NESTING};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("typeOf", |args| fixed::<1>("typeOf", args).map(|[v]| Value::string(v.type_name()))),
    ("typeIs", |args| type_test("typeIs", args, |target, v| target == v.type_name())),
    ("typeIsLike", |args| {
        type_test("typeIsLike", args, |target, v| target == v.type_name() || format!("*{target}") == v.type_name())
    }),
    ("kindOf", |args| fixed::<1>("kindOf", args).map(|[v]| Value::string(v.kind()))),
    ("kindIs", |args| type_test("kindIs", args, |target, v| target == v.kind())),
    ("deepEqual", |args| fixed::<2>("deepEqual", args).and_then(|[a, b]| deep_equal(a, b).map(Value::Bool))),
];

fn type_test(name: &str, args: &[Value], test: impl Fn(&str, &Value) -> bool) -> Result<Value, String> {
    let [target, value] = fixed(name, args)?;
    Ok(Value::Bool(test(string_arg(target)?, value)))
}

/// Go's `reflect.DeepEqual` on template values; an error past `MAX_NESTING` levels.
pub(super) fn deep_equal(a: &Value, b: &Value) -> Result<bool, String> {
    equal_within(a, b, 0)
}

fn equal_within(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err(too_deep());
    }
    Ok(match (a, b) {
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Ok(false);
            }
            for (x, y) in a.iter().zip(b.iter()) {
                if !equal_within(x, y, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(a), Value::Map(b)) if !std::rc::Rc::ptr_eq(a, b) => {
            let (a, b) = (a.borrow(), b.borrow());
            if a.len() != b.len() {
                return Ok(false);
            }
            for (key, x) in a.iter() {
                match b.get(key) {
                    Some(y) if equal_within(x, y, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        _ => a == b,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn reflection_as_helm_renders_it() {
        check("typeOf", &[f(1.0)], "float64");
        check("typeOf", &[i(1)], "int");
        check("typeOf", &[Value::Nil], "<nil>");
        check("typeOf", &[l(&[])], "[]interface {}");
        check("typeOf", &[m(&[])], "map[string]interface {}");
        check("typeIs", &[s("string"), s("x")], "true");
        check("typeIsLike", &[s("float64"), f(1.0)], "true");
        check("kindOf", &[m(&[])], "map");
        check("kindOf", &[l(&[])], "slice");
        check("kindOf", &[Value::Nil], "invalid");
        check("kindIs", &[s("float64"), f(2.0)], "true");
        check("deepEqual", &[m(&[("a", l(&[i(1)]))]), m(&[("a", l(&[i(1)]))])], "true");
        check("deepEqual", &[i(1), f(1.0)], "false");
    }
}
