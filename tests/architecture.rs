//! The modules of `src/` import each other without a circle: data flows down, from the commands
//! through the stages to the model and the plain helpers, never back up.
//!
//! A module is a file (`mod.rs` is its directory's). An arrow A -> B is a path in A naming an
//! item of B: `crate::…` anywhere in A's code, or a child module A declares (`mod helm;` then
//! `helm::…`). A file naming the `mod.rs` of a directory it lives in is not an arrow: a child
//! sees its parent's items, as Rust means it to. Test modules inside a file are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

#[test]
fn no_import_circle_between_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = import_graph(&src);
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles between modules of src/ (each: one loop through it):\n{}",
        circles.iter().map(|circle| format!("  {}", circle.join(" -> "))).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn a_circle_is_found_and_named() {
    let graph: Graph = [("a.rs", &["b.rs"][..]), ("b.rs", &["c.rs"]), ("c.rs", &["a.rs"]), ("d.rs", &["a.rs"])]
        .into_iter()
        .map(|(file, to)| (file.to_string(), to.iter().map(|t| t.to_string()).collect()))
        .collect();
    assert_eq!(circles(&graph), vec![vec!["a.rs", "b.rs", "c.rs", "a.rs"]]);
}

/// File (relative to `src/`) -> the files it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn import_graph(src: &Path) -> Graph {
    let files = rust_files(src);
    let known: BTreeSet<String> = files.iter().map(|file| relative(src, file)).collect();
    let crate_path = Regex::new(r"\bcrate::((?:\w+::)*)(\w+|\{)").unwrap();
    let child_mod = Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;").unwrap();
    let mut graph = Graph::new();
    for file in &files {
        let name = relative(src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let module = module_path(&name);
        let mut paths: Vec<Vec<String>> = Vec::new();
        for found in crate_path.captures_iter(&code) {
            let mut segments: Vec<String> = found[1].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            if &found[2] == "{" {
                let group_start = found.get(2).unwrap().start();
                paths.extend(expand_group(&code[group_start..]).into_iter().map(|tail| {
                    let mut path = segments.clone();
                    path.extend(tail);
                    path
                }));
            } else {
                segments.push(found[2].to_string());
                paths.push(segments);
            }
        }
        for child in child_mod.captures_iter(&code) {
            let child = &child[1];
            let use_of_child = Regex::new(&format!(r"(?:^|[^\w:]){child}::((?:\w+::)*\w+)")).unwrap();
            for found in use_of_child.captures_iter(&code) {
                let mut path = module.clone();
                path.push(child.to_string());
                path.extend(found[1].split("::").map(String::from));
                paths.push(path);
            }
        }
        let imports = graph.entry(name.clone()).or_default();
        for path in paths {
            let Some(target) = file_of(&path, &known) else { continue };
            if target != name && !is_ancestor_face(&target, &name) {
                imports.insert(target);
            }
        }
    }
    graph
}

/// `crate::{a::b, c}` and nested groups, from the `{` on: each path inside, as segments.
fn expand_group(text: &str) -> Vec<Vec<String>> {
    let mut depth = 0;
    let mut end = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = index;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &text[1..end];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    let mut paths = Vec::new();
    for item in items.into_iter().map(str::trim).filter(|item| !item.is_empty()) {
        match item.find('{') {
            Some(brace) => {
                let head: Vec<String> = item[..brace].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
                for tail in expand_group(&item[brace..]) {
                    let mut path = head.clone();
                    path.extend(tail);
                    paths.push(path);
                }
            }
            None => {
                let item = item.split(" as ").next().unwrap_or(item);
                paths.push(item.split("::").map(|s| s.trim().to_string()).filter(|s| s != "self").collect());
            }
        }
    }
    paths
}

/// The file defining the longest module prefix of `path`; `None` for the crate root's items.
fn file_of(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=path.len()).rev().find_map(|len| {
        let module = path[..len].join("/");
        [format!("{module}.rs"), format!("{module}/mod.rs")].into_iter().find(|file| known.contains(file))
    })
}

/// `fetch/mod.rs` seen from `fetch/git.rs`: the face of a directory the file lives in.
fn is_ancestor_face(target: &str, file: &str) -> bool {
    target.strip_suffix("mod.rs").is_some_and(|dir| file.starts_with(dir))
}

/// `fetch/git.rs` -> `["fetch", "git"]`; `fetch/mod.rs` -> `["fetch"]`; `lib.rs` -> `[]`.
fn module_path(file: &str) -> Vec<String> {
    let without = file.trim_end_matches(".rs").trim_end_matches("/mod");
    if without == "lib" || without == "main" {
        return Vec::new();
    }
    without.split('/').map(String::from).collect()
}

/// The file's code without comments and without its test module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|next| next.trim_start().starts_with("mod ")) {
            break;
        }
        let line = line.trim_start();
        if !line.starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
    }
    code
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn relative(src: &Path, file: &Path) -> String {
    file.strip_prefix(src).unwrap().to_string_lossy().into_owned()
}

/// One loop through each strongly connected set of files (Tarjan's algorithm), first file
/// by name first.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        sets: Vec<BTreeSet<&'g str>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, file: &'g str) {
            let index = self.index.len();
            self.index.insert(file, index);
            self.low.insert(file, index);
            self.stack.push(file);
            self.on_stack.insert(file);
            for next in self.graph.get(file).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[file].min(self.low[next]);
                    self.low.insert(file, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[file].min(self.index[next]);
                    self.low.insert(file, low);
                }
            }
            if self.low[file] == self.index[file] {
                let mut set = BTreeSet::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    set.insert(member);
                    if member == file {
                        break;
                    }
                }
                if set.len() > 1 {
                    self.sets.push(set);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        sets: Vec::new(),
    };
    for file in graph.keys() {
        if !tarjan.index.contains_key(file.as_str()) {
            tarjan.visit(file);
        }
    }
    let mut loops: Vec<Vec<String>> = tarjan.sets.iter().map(|set| loop_through(graph, set)).collect();
    loops.sort();
    loops
}

/// The shortest way from the set's first file back to itself, inside the set.
fn loop_through(graph: &Graph, set: &BTreeSet<&str>) -> Vec<String> {
    let start = *set.iter().next().unwrap();
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(file) = queue.pop_front() {
        for next in graph.get(file).into_iter().flatten().map(String::as_str).filter(|n| set.contains(n)) {
            if next == start {
                let mut back = Vec::new();
                let mut at = file;
                while at != start {
                    back.push(at.to_string());
                    at = came_from[at];
                }
                back.reverse();
                return [vec![start.to_string()], back, vec![start.to_string()]].concat();
            }
            if !came_from.contains_key(next) && next != start {
                came_from.insert(next, file);
                queue.push_back(next);
            }
        }
    }
    set.iter().map(|file| file.to_string()).collect()
}
