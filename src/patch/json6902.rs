//! JSON patches (RFC 6902) on YAML values: `add`, `remove`, `replace`, `move`, `copy`, `test`,
//! paths as JSON pointers (RFC 6901, `~0` and `~1` escapes, `-` for the end of a list). A few
//! dozen lines on `serde_yaml::Value` instead of a crate working on `serde_json::Value`, which
//! would need a conversion both ways per object.

use serde_yaml::Value;

/// Applies the operations in order; `Err` says which one failed and why (the object may then be
/// half patched, and is dropped by the caller).
pub fn apply(object: &mut Value, operations: &[Value]) -> Result<(), String> {
    for (index, operation) in operations.iter().enumerate() {
        apply_one(object, operation).map_err(|reason| format!("operation {} failed: {reason}", index + 1))?;
    }
    Ok(())
}

fn apply_one(object: &mut Value, operation: &Value) -> Result<(), String> {
    let field = |name: &str| operation.get(name);
    let text = |name: &str| -> Result<&str, String> {
        field(name).and_then(Value::as_str).ok_or_else(|| format!("it has no `{name}` (a string)"))
    };
    let op = text("op")?;
    let path = pointer(text("path")?)?;
    let value = || field("value").cloned().ok_or_else(|| format!("`{op}` needs a `value`"));
    match op {
        "add" => add(object, &path, value()?),
        "remove" => remove(object, &path).map(drop),
        "replace" => {
            let target = find(object, &path)?;
            *target = value()?;
            Ok(())
        }
        "move" => {
            let from = pointer(text("from")?)?;
            let moved = remove(object, &from)?;
            add(object, &path, moved)
        }
        "copy" => {
            let copied = find(object, &pointer(text("from")?)?)?.clone();
            add(object, &path, copied)
        }
        "test" => {
            let expected = value()?;
            if *find(object, &path)? == expected {
                Ok(())
            } else {
                Err(format!("`{}` is not the value `test` expects", text("path")?))
            }
        }
        other => Err(format!("`{other}` is not an operation (use add, remove, replace, move, copy or test)")),
    }
}

/// The reference tokens of a JSON pointer.
fn pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let rest = text.strip_prefix('/').ok_or_else(|| format!("path `{text}` does not start with `/`"))?;
    Ok(rest.split('/').map(|token| token.replace("~1", "/").replace("~0", "~")).collect())
}

fn index(list: &[Value], token: &str, allow_end: bool) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(list.len());
    }
    let valid =
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && (token == "0" || !token.starts_with('0'));
    let index: usize = token.parse().ok().filter(|_| valid).ok_or_else(|| format!("`{token}` is not a list index"))?;
    let limit = if allow_end { list.len() } else { list.len().saturating_sub(1) };
    if index > limit || (!allow_end && list.is_empty()) {
        return Err(format!("index {index} is past the end of a list of {}", list.len()));
    }
    Ok(index)
}

fn find<'v>(object: &'v mut Value, path: &[String]) -> Result<&'v mut Value, String> {
    let mut current = object;
    for token in path {
        current = match current {
            Value::Mapping(map) => {
                map.get_mut(token.as_str()).ok_or_else(|| format!("there is no `{token}` at `{}`", shown(path)))?
            }
            Value::Sequence(list) => {
                let at = index(list, token, false)?;
                &mut list[at]
            }
            _ => return Err(format!("`{}` goes through a value that is neither a map nor a list", shown(path))),
        };
    }
    Ok(current)
}

fn add(object: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        *object = value;
        return Ok(());
    };
    match find(object, parent)? {
        Value::Mapping(map) => {
            map.insert(Value::String(last.clone()), value);
        }
        Value::Sequence(list) => {
            let at = index(list, last, true)?;
            list.insert(at, value);
        }
        _ => return Err(format!("cannot add `{}`: its parent is neither a map nor a list", shown(path))),
    }
    Ok(())
}

fn remove(object: &mut Value, path: &[String]) -> Result<Value, String> {
    let (last, parent) = path.split_last().ok_or("cannot remove the whole object")?;
    match find(object, parent)? {
        Value::Mapping(map) => {
            map.remove(last.as_str()).ok_or_else(|| format!("there is no `{last}` at `{}`", shown(parent)))
        }
        Value::Sequence(list) => {
            let at = index(list, last, false)?;
            Ok(list.remove(at))
        }
        _ => Err(format!("cannot remove `{}`: its parent is neither a map nor a list", shown(path))),
    }
}

fn shown(path: &[String]) -> String {
    path.iter().map(|token| format!("/{}", token.replace('~', "~0").replace('/', "~1"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    fn patched(object: &str, ops: &str) -> Result<Value, String> {
        let mut object = yaml(object);
        apply(&mut object, yaml(ops).as_sequence().unwrap()).map(|()| object)
    }

    #[test]
    fn operations() {
        let object = "{a: {b: 1, c/d: 2}, l: [x, y]}";
        assert_eq!(patched(object, "[{op: add, path: /l/-, value: z}]").unwrap()["l"], yaml("[x, y, z]"));
        assert_eq!(patched(object, "[{op: add, path: /l/0, value: w}]").unwrap()["l"], yaml("[w, x, y]"));
        assert_eq!(patched(object, "[{op: replace, path: /a/c~1d, value: 3}]").unwrap()["a"], yaml("{b: 1, c/d: 3}"));
        assert_eq!(patched(object, "[{op: remove, path: /l/1}]").unwrap()["l"], yaml("[x]"));
        assert_eq!(
            patched(object, "[{op: move, from: /a/b, path: /e}]").unwrap(),
            yaml("{a: {c/d: 2}, l: [x, y], e: 1}")
        );
        assert_eq!(patched(object, "[{op: copy, from: /l/0, path: /a/f}]").unwrap()["a"]["f"], yaml("x"));
        assert!(patched(object, "[{op: test, path: /a/b, value: 1}]").is_ok());
    }

    #[test]
    fn failures_say_which_operation() {
        let object = "{a: {b: 1}, l: [x]}";
        let error = patched(object, "[{op: test, path: /a/b, value: 1}, {op: remove, path: /a/zz}]").unwrap_err();
        assert!(error.starts_with("operation 2 failed: there is no `zz`"), "{error}");
        assert!(patched(object, "[{op: replace, path: /l/1, value: 1}]").is_err());
        assert!(patched(object, "[{op: add, path: /l/01, value: 1}]").is_err());
        assert!(patched(object, "[{op: frob, path: /a}]").unwrap_err().contains("`frob`"));
        assert!(patched(object, "[{op: add, path: a, value: 1}]").is_err());
        assert!(patched(object, "[{op: test, path: /a/b, value: 2}]").is_err());
    }
}
