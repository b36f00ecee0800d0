//! Where a component's files are: the bridge between component entries and the file system.
//! Local sources are paths inside the HLD; remote ones (git, helm repositories, http) are
//! materialized by `fetch` into the cache and located there.

use std::path::{Component, Path, PathBuf};

use crate::diag::Problem;
use crate::load::Declared;
use crate::model::Method;

/// Resolves component sources to directories and names files for display.
#[derive(Debug)]
pub struct Sources {
    hld_root: PathBuf,
}

impl Sources {
    /// `hld_root` must exist; it is canonicalized so that containment checks are exact.
    pub fn new(hld_root: &Path) -> Result<Sources, Problem> {
        let hld_root = hld_root.canonicalize().map_err(|e| {
            Problem::error("hldc::io::hld-root", format!("cannot open the HLD directory `{}`: {e}", hld_root.display()))
                .help("pass the directory holding component.yaml with `-C DIR`")
        })?;
        Ok(Sources { hld_root })
    }

    pub fn hld_root(&self) -> &Path {
        &self.hld_root
    }

    /// A path as shown to users: relative to the HLD root, `/`-separated, never absolute.
    pub fn display(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.hld_root).unwrap_or(path);
        let text: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        if text.is_empty() {
            ".".to_string()
        } else {
            text.join("/")
        }
    }

    /// The file or directory a component entry's `source` and `path` name.
    pub fn locate(&self, entry: &Declared, base_dir: &Path) -> Result<PathBuf, Problem> {
        let spec = &entry.spec;
        if spec.method() != Method::Local {
            return Err(Problem::error(
                "hldc::source::unsupported",
                format!(
                    "component `{}` uses `method: {}`, which this build of hldc cannot fetch",
                    spec.name,
                    spec.method()
                ),
            )
            .at(entry.field_location("method"))
            .help("vendor the source into the HLD and use `method: local`"));
        }
        let mut target = base_dir.to_path_buf();
        for (field, value) in [("source", &spec.source), ("path", &spec.path)] {
            let Some(value) = value else { continue };
            target =
                join_relative(&target, value).filter(|joined| joined.starts_with(&self.hld_root)).ok_or_else(|| {
                    Problem::error(
                        "hldc::source::escape",
                        format!("the {field} `{value}` of component `{}` leaves the HLD", spec.name),
                    )
                    .at(entry.field_location(field))
                    .label("absolute, or `..` past the HLD root")
                    .help("use a relative path that stays inside the HLD; use `method: git` for shared sources")
                })?;
        }
        let canonical = target.canonicalize().map_err(|_| {
            Problem::error(
                "hldc::source::missing",
                format!("`{}` (the source of component `{}`) does not exist", self.display(&target), spec.name),
            )
            .at(entry.field_location(if spec.path.is_some() { "path" } else { "source" }))
            .label("no such file or directory")
            .help("fix the path; it is relative to the directory of the component file that declares it")
        })?;
        if !canonical.starts_with(&self.hld_root) {
            return Err(Problem::error(
                "hldc::source::escape",
                format!("the source of component `{}` resolves outside the HLD (through a symlink or `..`)", spec.name),
            )
            .at(entry.field_location(if spec.path.is_some() { "path" } else { "source" }))
            .label("leaves the HLD")
            .help("keep local sources inside the HLD directory; use `method: git` for shared ones"));
        }
        Ok(canonical)
    }
}

/// Joins a relative path onto `base` lexically, resolving `.` and `..`; `None` for an
/// absolute path. Containment is checked by the caller.
pub fn join_relative(base: &Path, relative: &str) -> Option<PathBuf> {
    let mut joined = base.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => joined.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                joined.pop();
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::join_relative;
    use std::path::Path;

    #[test]
    fn join_relative_resolves_dots_and_refuses_absolute() {
        let base = Path::new("/hld/a");
        assert_eq!(join_relative(base, "./charts/x").unwrap(), Path::new("/hld/a/charts/x"));
        assert_eq!(join_relative(base, "charts/../static").unwrap(), Path::new("/hld/a/static"));
        assert_eq!(join_relative(base, "../b").unwrap(), Path::new("/hld/b"));
        assert!(join_relative(base, "/etc").is_none());
    }
}
