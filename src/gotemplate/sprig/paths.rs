//! Sprig's path functions: Go's `path` package (slash-separated paths) and, under the `os`
//! names, `path/filepath`, which is the same on Linux, where Helm renders.

use super::{fixed, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("base", |args| path_function("base", args, |p| Value::string(base(p)))),
    ("dir", |args| path_function("dir", args, |p| Value::string(dir(p)))),
    ("clean", |args| path_function("clean", args, |p| Value::string(clean(p)))),
    ("ext", |args| path_function("ext", args, |p| Value::string(ext(p)))),
    ("isAbs", |args| path_function("isAbs", args, |p| Value::Bool(p.starts_with('/')))),
    ("osBase", |args| path_function("osBase", args, |p| Value::string(base(p)))),
    ("osDir", |args| path_function("osDir", args, |p| Value::string(dir(p)))),
    ("osClean", |args| path_function("osClean", args, |p| Value::string(clean(p)))),
    ("osExt", |args| path_function("osExt", args, |p| Value::string(ext(p)))),
    ("osIsAbs", |args| path_function("osIsAbs", args, |p| Value::Bool(p.starts_with('/')))),
];

fn path_function(name: &str, args: &[Value], apply: fn(&str) -> Value) -> Result<Value, String> {
    let [path] = fixed(name, args)?;
    Ok(apply(string_arg(path)?))
}

/// Go's `path.Clean`: one slash between names, no `.`, `..` resolved lexically, "." for empty.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut names: Vec<&str> = Vec::new();
    for name in path.split('/') {
        match name {
            "" | "." => {}
            ".." => {
                if names.last().is_some_and(|last| *last != "..") {
                    names.pop();
                } else if !rooted {
                    names.push("..");
                }
            }
            name => names.push(name),
        }
    }
    let joined = names.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`: the last name, trailing slashes ignored; "." for empty, "/" for slashes.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`: everything before the last slash, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |index| index + 1);
    clean(&path[..cut])
}

/// Go's `path.Ext`: from the last dot of the last name, or "".
fn ext(path: &str) -> String {
    for (index, c) in path.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return path[index..].to_string(),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn paths_as_helm_renders_them() {
        check("base", &[s("/a/b.txt/")], "b.txt");
        check("base", &[s("")], ".");
        check("base", &[s("///")], "/");
        check("dir", &[s("/a/b/c")], "/a/b");
        check("dir", &[s("c")], ".");
        check("dir", &[s("a/b/")], "a/b");
        check("clean", &[s("a//b/./../c/")], "a/c");
        check("clean", &[s("/../a")], "/a");
        check("clean", &[s("../../a/..")], "../..");
        check("clean", &[s("")], ".");
        check("ext", &[s("a/b.tar.gz")], ".gz");
        check("ext", &[s("a.b/c")], "");
        check("isAbs", &[s("/a")], "true");
        check("osBase", &[s("a/b")], "b");
    }
}
