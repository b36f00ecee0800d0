//! Sprig's list functions (list.go, numeric.go's `until`/`seq`). They copy, never change a list
//! in place. The `must` variants return the error the plain ones panic with; through a
//! template both fail the same way, so each pair shares one body.

use super::defaults::empty;
use super::math::to_int;
use super::reflect::deep_equal;
use super::{at_least, fixed, int_arg, slice_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("list", |args| Ok(Value::list(args.to_vec()))),
    ("tuple", |args| Ok(Value::list(args.to_vec()))),
    ("append", push),
    ("push", push),
    ("mustAppend", push),
    ("mustPush", push),
    ("prepend", prepend),
    ("mustPrepend", prepend),
    ("first", first),
    ("mustFirst", first),
    ("last", last),
    ("mustLast", last),
    ("rest", rest),
    ("mustRest", rest),
    ("initial", initial),
    ("mustInitial", initial),
    ("reverse", reverse),
    ("mustReverse", reverse),
    ("uniq", uniq),
    ("mustUniq", uniq),
    ("without", without),
    ("mustWithout", without),
    ("has", has),
    ("mustHas", has),
    ("compact", compact),
    ("mustCompact", compact),
    ("slice", slice),
    ("mustSlice", slice),
    ("concat", concat),
    ("chunk", chunk),
    ("mustChunk", chunk),
    ("until", until),
    ("untilStep", until_step),
    ("seq", seq),
];

/// The list argument of `name`, failing as Sprig does on another kind (`Cannot find first on
/// type string`).
fn items<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], String> {
    slice_arg(value, |kind| format!("Cannot {what} type {kind}"))
}

fn push(args: &[Value]) -> Result<Value, String> {
    let [list, item] = fixed("append", args)?;
    let mut out = items(list, "push on")?.to_vec();
    out.push(item.clone());
    Ok(Value::list(out))
}

fn prepend(args: &[Value]) -> Result<Value, String> {
    let [list, item] = fixed("prepend", args)?;
    let mut out = vec![item.clone()];
    out.extend_from_slice(items(list, "prepend on")?);
    Ok(Value::list(out))
}

fn first(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("first", args)?;
    Ok(items(list, "find first on")?.first().cloned().unwrap_or(Value::Nil))
}

fn last(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("last", args)?;
    Ok(items(list, "find last on")?.last().cloned().unwrap_or(Value::Nil))
}

/// `rest` and `initial` of an empty list are Go's nil slice: printed `[]`, empty.
fn rest(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("rest", args)?;
    Ok(Value::list(items(list, "find rest on")?.iter().skip(1).cloned().collect()))
}

fn initial(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("initial", args)?;
    let all = items(list, "find initial on")?;
    Ok(Value::list(all[..all.len().saturating_sub(1)].to_vec()))
}

fn reverse(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("reverse", args)?;
    Ok(Value::list(items(list, "find reverse on")?.iter().rev().cloned().collect()))
}

fn uniq(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("uniq", args)?;
    let mut out: Vec<Value> = Vec::new();
    for item in items(list, "find uniq on")? {
        if !out.iter().any(|seen| deep_equal(seen, item)) {
            out.push(item.clone());
        }
    }
    Ok(Value::list(out))
}

fn without(args: &[Value]) -> Result<Value, String> {
    let args = at_least("without", args, 1)?;
    let omit = &args[1..];
    let kept = items(&args[0], "find without on")?.iter().filter(|item| !omit.iter().any(|o| deep_equal(o, item)));
    Ok(Value::list(kept.cloned().collect()))
}

fn has(args: &[Value]) -> Result<Value, String> {
    let [needle, haystack] = fixed("has", args)?;
    if let Value::Nil = haystack {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(items(haystack, "find has on")?.iter().any(|item| deep_equal(needle, item))))
}

fn compact(args: &[Value]) -> Result<Value, String> {
    let [list] = fixed("compact", args)?;
    Ok(Value::list(items(list, "compact on")?.iter().filter(|item| !empty(item)).cloned().collect()))
}

/// `slice LIST [START [END]]`: Go's `list[start:end]`; an empty list gives nil.
fn slice(args: &[Value]) -> Result<Value, String> {
    let args = at_least("slice", args, 1)?;
    let all = slice_arg(&args[0], |kind| format!("list should be type of slice or array but {kind}"))?;
    if all.is_empty() {
        return Ok(Value::Nil);
    }
    let start = args.get(1).map(to_int).unwrap_or(0);
    let end = args.get(2).map(to_int).unwrap_or(all.len() as i64);
    if start < 0 || end < start || end > all.len() as i64 {
        return Err("reflect.Value.Slice: slice index out of bounds".into());
    }
    Ok(Value::list(all[start as usize..end as usize].to_vec()))
}

fn concat(args: &[Value]) -> Result<Value, String> {
    let mut out = Vec::new();
    for list in args {
        out.extend_from_slice(slice_arg(list, |kind| format!("Cannot concat type {kind} as list"))?);
    }
    Ok(Value::list(out))
}

/// `chunk SIZE LIST`: lists of SIZE items, the last one shorter. Sprig counts the chunks in
/// float64 arithmetic, so a size of 0 or below fails (or, for some lengths, gives odd chunks)
/// as it does in Go.
fn chunk(args: &[Value]) -> Result<Value, String> {
    let [size, list] = fixed("chunk", args)?;
    let size = int_arg(size)?;
    let all = items(list, "chunk")?;
    let length = all.len() as i64;
    let make_error = || "runtime error: makeslice: len out of range".to_string();
    let count = ((length - 1) as f64 / size as f64).floor() + 1.0;
    if !count.is_finite() || count < 0.0 {
        return Err(make_error());
    }
    let count = count as i64;
    let mut chunks = Vec::new();
    for index in 0..count {
        let mut chunk_length = size;
        if index == count - 1 {
            chunk_length = (length as f64 % size as f64).floor() as i64;
            if chunk_length == 0 {
                chunk_length = size;
            }
        }
        if chunk_length < 0 {
            return Err(make_error());
        }
        let start = index * size;
        let piece = (start..start + chunk_length).map(|at| {
            usize::try_from(at)
                .ok()
                .and_then(|at| all.get(at))
                .cloned()
                .ok_or_else(|| format!("runtime error: index out of range [{at}] with length {length}"))
        });
        chunks.push(Value::list(piece.collect::<Result<_, _>>()?));
    }
    Ok(Value::list(chunks))
}

/// Sprig's `untilStep`: from `start` towards `stop` (excluded) by `step`; nothing when the
/// step points away from `stop`.
fn range(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut at = start;
    if stop < start {
        if step >= 0 {
            return out;
        }
        while at > stop {
            out.push(at);
            at += step;
        }
    } else {
        if step <= 0 {
            return out;
        }
        while at < stop {
            out.push(at);
            at += step;
        }
    }
    out
}

fn int_list(numbers: Vec<i64>) -> Value {
    Value::list(numbers.into_iter().map(Value::Int).collect())
}

fn until(args: &[Value]) -> Result<Value, String> {
    let [count] = fixed("until", args)?;
    let count = int_arg(count)?;
    Ok(int_list(range(0, count, if count < 0 { -1 } else { 1 })))
}

fn until_step(args: &[Value]) -> Result<Value, String> {
    let [start, stop, step] = fixed("untilStep", args)?;
    Ok(int_list(range(int_arg(start)?, int_arg(stop)?, int_arg(step)?)))
}

/// `seq [START [STEP]] END`, as the Unix command: a string of numbers joined by spaces.
fn seq(args: &[Value]) -> Result<Value, String> {
    let params = args.iter().map(int_arg).collect::<Result<Vec<i64>, String>>()?;
    let numbers = match params.as_slice() {
        [end] => {
            let increment = if *end < 1 { -1 } else { 1 };
            range(1, end + increment, increment)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            range(*start, end + step, step)
        }
        [start, step, end] => {
            let increment = if end < start { -1 } else { 1 };
            if end < start && *step > 0 {
                return Ok(Value::string(""));
            }
            range(*start, end + increment, *step)
        }
        _ => return Ok(Value::string("")),
    };
    Ok(Value::string(numbers.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn lists_as_helm_renders_them() {
        let abc = l(&[s("a"), s("b"), s("c")]);
        check("list", &[i(1), s("a")], "[1 a]");
        check("append", &[abc.clone(), s("d")], "[a b c d]");
        check("prepend", &[abc.clone(), s("z")], "[z a b c]");
        check("first", std::slice::from_ref(&abc), "a");
        check("first", &[l(&[])], "<nil>");
        check("last", std::slice::from_ref(&abc), "c");
        check("rest", std::slice::from_ref(&abc), "[b c]");
        check("rest", &[l(&[])], "[]");
        check("initial", std::slice::from_ref(&abc), "[a b]");
        check("reverse", std::slice::from_ref(&abc), "[c b a]");
        check("uniq", &[l(&[i(1), i(1), f(1.0), m(&[("a", i(1))]), m(&[("a", i(1))])])], "[1 1 map[a:1]]");
        check("without", &[abc.clone(), s("b"), s("c")], "[a]");
        check("has", &[s("b"), abc.clone()], "true");
        check("has", &[i(1), l(&[f(1.0)])], "false");
        check("has", &[s("b"), Value::Nil], "false");
        check("compact", &[l(&[s("a"), s(""), i(0), Value::Nil, l(&[]), Value::Bool(false), s("b")])], "[a b]");
        check("slice", &[abc.clone(), i(1)], "[b c]");
        check("slice", &[abc.clone(), i(1), i(2)], "[b]");
        check("slice", &[abc.clone(), f(1.0), s("2")], "[b]");
        check("slice", &[l(&[])], "<nil>");
        check("concat", &[abc.clone(), l(&[i(1)]), l(&[])], "[a b c 1]");
        check("chunk", &[i(2), l(&[i(1), i(2), i(3)])], "[[1 2] [3]]");
        check("chunk", &[i(2), l(&[i(1), i(2), i(3), i(4)])], "[[1 2] [3 4]]");
        check("chunk", &[i(2), l(&[])], "[]");
        check("chunk", &[i(-2), l(&[i(1)])], "[[1]]");
        check("chunk", &[i(-1), l(&[i(1), i(2)])], "[]");
        check("until", &[i(3)], "[0 1 2]");
        check("until", &[i(-3)], "[0 -1 -2]");
        check("untilStep", &[i(0), i(10), i(4)], "[0 4 8]");
        check("untilStep", &[i(10), i(0), i(1)], "[]");
        check("seq", &[i(3)], "1 2 3");
        check("seq", &[i(0)], "1 0");
        check("seq", &[i(2), i(-2)], "2 1 0 -1 -2");
        check("seq", &[i(0), i(2), i(6)], "0 2 4 6");
        check("seq", &[i(6), i(2), i(0)], "");
        check("seq", &[i(6), i(-2), i(0)], "6 4 2 0");
    }

    #[test]
    fn lists_fail_where_go_does() {
        fails("first", &[s("abc")], "Cannot find first on type string");
        fails("first", &[Value::Nil], "nil pointer dereference");
        fails("append", &[m(&[]), i(1)], "Cannot push on type map");
        fails("concat", &[l(&[]), i(1)], "Cannot concat type int as list");
        fails("slice", &[l(&[i(1)]), i(0), i(5)], "slice index out of bounds");
        fails("until", &[f(3.0)], "expected int; got float64");
        fails("chunk", &[i(0), l(&[i(1)])], "makeslice: len out of range");
        fails("chunk", &[i(-1), l(&[i(1), i(2), i(3)])], "makeslice: len out of range");
    }
}
