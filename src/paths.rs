//! Pure path arithmetic shared by the loader, the sources and the fetchers.

use std::path::{Component, Path, PathBuf};

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
