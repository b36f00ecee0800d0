//! Sprig's dictionary functions (dict.go). Go maps are references: `set`, `unset` and `merge`
//! change the map every holder of it sees, and return it.
//!
//! Go ranges over a map in random order, so Sprig's `keys` and `values` come out shuffled;
//! here they come in key order (per dictionary), the one deterministic order among Go's.

use std::collections::BTreeMap;

use super::defaults::empty;
use super::strval;
use super::{at_least, fixed, map_arg, string_arg, string_list, Entry, Map, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("dict", dict),
    ("get", get),
    ("set", set),
    ("unset", unset),
    ("hasKey", has_key),
    ("pluck", pluck),
    ("keys", keys),
    ("values", values),
    ("pick", pick),
    ("omit", omit),
    ("merge", |args| merge("merge", args, false)),
    ("mustMerge", |args| merge("mustMerge", args, false)),
    ("mergeOverwrite", |args| merge("mergeOverwrite", args, true)),
    ("mustMergeOverwrite", |args| merge("mustMergeOverwrite", args, true)),
    ("deepCopy", |args| fixed::<1>("deepCopy", args).map(|[v]| v.deep_copy())),
    ("mustDeepCopy", |args| fixed::<1>("mustDeepCopy", args).map(|[v]| v.deep_copy())),
    ("dig", dig),
];

/// `dict K V K V...`: keys through `strval`; a missing last value is "".
fn dict(args: &[Value]) -> Result<Value, String> {
    let mut entries = BTreeMap::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::string(""));
        entries.insert(strval(&pair[0]), value);
    }
    Ok(Value::map(entries))
}

fn get(args: &[Value]) -> Result<Value, String> {
    let [map, key] = fixed("get", args)?;
    let (map, key) = (map_arg(map)?, string_arg(key)?);
    Ok(map.borrow().get(key).cloned().unwrap_or_else(|| Value::string("")))
}

fn set(args: &[Value]) -> Result<Value, String> {
    let [map, key, value] = fixed("set", args)?;
    let key = string_arg(key)?;
    let map = map_arg(map)?;
    map.borrow_mut().insert(key.to_string(), value.clone());
    Ok(Value::Map(map.clone()))
}

fn unset(args: &[Value]) -> Result<Value, String> {
    let [map, key] = fixed("unset", args)?;
    let key = string_arg(key)?;
    let map = map_arg(map)?;
    map.borrow_mut().remove(key);
    Ok(Value::Map(map.clone()))
}

fn has_key(args: &[Value]) -> Result<Value, String> {
    let [map, key] = fixed("hasKey", args)?;
    let (map, key) = (map_arg(map)?, string_arg(key)?);
    Ok(Value::Bool(map.borrow().contains_key(key)))
}

/// The map arguments of a `...map[string]interface{}` parameter.
fn maps(args: &[Value]) -> Result<Vec<&Map>, String> {
    args.iter().map(map_arg).collect()
}

fn pluck(args: &[Value]) -> Result<Value, String> {
    let args = at_least("pluck", args, 1)?;
    let key = string_arg(&args[0])?;
    let found = maps(&args[1..])?.into_iter().filter_map(|map| map.borrow().get(key).cloned());
    Ok(Value::list(found.collect()))
}

fn keys(args: &[Value]) -> Result<Value, String> {
    let all = maps(args)?.into_iter().flat_map(|map| map.borrow().keys().cloned().collect::<Vec<_>>());
    Ok(string_list(all))
}

fn values(args: &[Value]) -> Result<Value, String> {
    let [map] = fixed("values", args)?;
    Ok(Value::list(map_arg(map)?.borrow().values().cloned().collect()))
}

/// The string arguments from the second on (`pick`/`omit`'s `...string`).
fn key_args(args: &[Value]) -> Result<Vec<&str>, String> {
    args.iter().map(string_arg).collect()
}

fn pick(args: &[Value]) -> Result<Value, String> {
    let args = at_least("pick", args, 1)?;
    let (map, wanted) = (map_arg(&args[0])?, key_args(&args[1..])?);
    let source = map.borrow().clone();
    Ok(Value::map(source.into_iter().filter(|(key, _)| wanted.contains(&key.as_str())).collect()))
}

fn omit(args: &[Value]) -> Result<Value, String> {
    let args = at_least("omit", args, 1)?;
    let (map, unwanted) = (map_arg(&args[0])?, key_args(&args[1..])?);
    let source = map.borrow().clone();
    Ok(Value::map(source.into_iter().filter(|(key, _)| !unwanted.contains(&key.as_str())).collect()))
}

const MAX_MERGE_DEPTH: usize = 1000;

/// `merge DST SRC...` (mergo.Merge) and `mergeOverwrite DST SRC...` (mergo.MergeWithOverwrite):
/// each source merged deep into `dst`, which changes and is returned.
fn merge(name: &str, args: &[Value], overwrite: bool) -> Result<Value, String> {
    let args = at_least(name, args, 1)?;
    let dst = map_arg(&args[0])?;
    for src in maps(&args[1..])? {
        merge_into(dst, src, overwrite, 0)?;
    }
    Ok(Value::Map(dst.clone()))
}

/// mergo's map merge, as it treats `map[string]interface{}`: a nested map merges into a nested
/// map; otherwise the source value is taken when the destination lacks the key or holds an
/// empty value (`false`, `0`, `""`, nil, an empty list or map), or always with `overwrite`
/// (where even a nil source value replaces the destination's). The source's entries are read
/// first: a map may hold itself, or be merged into itself, as Go allows.
fn merge_into(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Result<(), String> {
    if std::rc::Rc::ptr_eq(dst, src) {
        return Ok(());
    }
    // Maps that hold each other would merge forever (Go's stack overflows); values from YAML
    // nest nowhere near this deep.
    if depth > MAX_MERGE_DEPTH {
        return Err(format!("maps nested deeper than {MAX_MERGE_DEPTH} levels (do they hold each other?)"));
    }
    let entries: Vec<(String, Value)> = src.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (key, value) in &entries {
        let current = dst.borrow().get(key).cloned();
        if let Value::Nil = value {
            if overwrite {
                dst.borrow_mut().insert(key.clone(), Value::Nil);
            }
            continue;
        }
        if let (Value::Map(src_map), Some(Value::Map(dst_map))) = (value, &current) {
            merge_into(dst_map, src_map, overwrite, depth + 1)?;
        }
        let kept = current.as_ref().is_some_and(|current| {
            !empty(current) && (!overwrite || matches!((value, current), (Value::Map(_), Value::Map(_))))
        });
        if !kept {
            dst.borrow_mut().insert(key.clone(), value.clone());
        }
    }
    Ok(())
}

/// `dig K1 K2... DEFAULT DICT`: the value at the path of keys, or DEFAULT where a key lacks.
fn dig(args: &[Value]) -> Result<Value, String> {
    if args.len() < 3 {
        return Err("dig needs at least three arguments".into());
    }
    let (path, rest) = args.split_at(args.len() - 2);
    let (default, dict) = (&rest[0], &rest[1]);
    // Go asserts the dictionary's type first, then each key's.
    if !matches!(dict, Value::Map(_)) {
        return Err(conversion("map[string]interface {}", dict));
    }
    let keys =
        path.iter().map(|key| key.as_str().ok_or_else(|| conversion("string", key))).collect::<Result<Vec<_>, _>>()?;
    let mut at = dict.clone();
    for (index, key) in keys.iter().enumerate() {
        let Value::Map(map) = &at else {
            return Err(conversion("map[string]interface {}", &at));
        };
        let Some(step) = map.borrow().get(*key).cloned() else {
            return Ok(default.clone());
        };
        if index == keys.len() - 1 {
            return Ok(step);
        }
        at = step;
    }
    Ok(default.clone())
}

/// Go's panic on a failed type assertion `x.(T)`.
fn conversion(wanted: &str, value: &Value) -> String {
    let got = match value {
        Value::Nil => "nil".to_string(),
        other => other.type_name(),
    };
    format!("interface conversion: interface {{}} is {got}, not {wanted}")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn dicts_as_helm_renders_them() {
        check("dict", &[s("b"), i(1), i(2), s("x"), s("odd")], "map[2:x b:1 odd:]");
        check("get", &[m(&[("a", i(1))]), s("a")], "1");
        check("get", &[m(&[("a", i(1))]), s("z")], "");
        check("hasKey", &[m(&[("a", Value::Nil)]), s("a")], "true");
        check("pluck", &[s("a"), m(&[("a", i(1))]), m(&[("b", i(2))]), m(&[("a", i(3))])], "[1 3]");
        check("keys", &[m(&[("b", i(1)), ("a", i(2))]), m(&[("c", i(1))])], "[a b c]");
        check("values", &[m(&[("b", i(1)), ("a", i(2))])], "[2 1]");
        check("pick", &[m(&[("a", i(1)), ("b", i(2))]), s("a"), s("z")], "map[a:1]");
        check("omit", &[m(&[("a", i(1)), ("b", i(2))]), s("a")], "map[b:2]");
        check("dig", &[s("a"), s("b"), s("none"), m(&[("a", m(&[("b", i(7))]))])], "7");
        check("dig", &[s("a"), s("x"), s("none"), m(&[("a", m(&[("b", i(7))]))])], "none");
        fails("dig", &[i(1), s("none"), s("not a map")], "interface {} is string, not map[string]interface {}");
        fails("dig", &[s("a"), s("b"), s("none"), m(&[("a", s("leaf"))])], "interface {} is string, not map");
    }

    #[test]
    fn set_and_unset_change_the_shared_map() {
        let shared = m(&[("a", i(1))]);
        check("set", &[shared.clone(), s("b"), i(2)], "map[a:1 b:2]");
        check("unset", &[shared.clone(), s("a")], "map[b:2]");
        assert_eq!(super::super::strval(&shared), "map[b:2]");
        fails("set", &[Value::Nil, s("a"), i(1)], "expected map[string]interface {}; got interface {}");
    }

    #[test]
    fn merge_follows_mergo() {
        let dst = || {
            m(&[
                ("keep", s("dst")),
                ("falsy", Value::Bool(false)),
                ("zero", f(0.0)),
                ("nested", m(&[("a", i(1)), ("empty", s(""))])),
                ("list", l(&[i(1)])),
                ("scalar", s("x")),
            ])
        };
        let src = m(&[
            ("keep", s("src")),
            ("falsy", Value::Bool(true)),
            ("zero", f(5.0)),
            ("nested", m(&[("a", i(2)), ("b", i(3)), ("empty", s("filled"))])),
            ("list", l(&[i(2)])),
            ("scalar", m(&[("deep", i(1))])),
            ("nil", Value::Nil),
            ("new", s("n")),
        ]);
        check(
            "merge",
            &[dst(), src.clone()],
            "map[falsy:true keep:dst list:[1] nested:map[a:1 b:3 empty:filled] new:n scalar:x zero:5]",
        );
        check(
            "mergeOverwrite",
            &[dst(), src.clone()],
            "map[falsy:true keep:src list:[2] nested:map[a:2 b:3 empty:filled] new:n nil:<nil> scalar:map[deep:1] zero:5]",
        );
        let target = dst();
        call("merge", &[target.clone(), m(&[("new", i(1))])]).unwrap();
        assert!(super::super::strval(&target).contains("new:1"), "merge changes its first argument");
    }

    #[test]
    fn merge_survives_maps_that_hold_each_other() {
        // src = {k: {new: 1}}, dst = {k: src}: merging src into dst merges src.k into src.
        let src = m(&[("k", m(&[("new", i(1))]))]);
        let dst = m(&[("k", src.clone())]);
        check("merge", &[dst, src.clone()], "map[k:map[k:map[new:1] new:1]]");
        call("merge", &[src.clone(), src]).unwrap();
    }

    #[test]
    fn merging_maps_that_hold_each_other_in_a_circle_fails() {
        let (a, b) = (m(&[]), m(&[]));
        call("set", &[a.clone(), s("k"), b.clone()]).unwrap();
        call("set", &[b.clone(), s("k"), a.clone()]).unwrap();
        fails("merge", &[a, b], "nested deeper than 1000 levels");
    }

    #[test]
    fn deep_copy_shares_nothing() {
        let original = m(&[("a", m(&[("b", i(1))]))]);
        let copy = call("deepCopy", std::slice::from_ref(&original)).unwrap();
        let Value::Map(outer) = &copy else { panic!() };
        let inner = outer.borrow().get("a").cloned().unwrap();
        call("set", &[inner, s("b"), i(2)]).unwrap();
        assert_eq!(super::super::strval(&original), "map[a:map[b:1]]");
    }
}
