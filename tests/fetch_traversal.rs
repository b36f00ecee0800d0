//! `safe_join` against real directories and symlinks.

use hldc::fetch::safe_join;

#[test]
fn rejects_parent_escapes_and_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for bad in ["../x", "a/../../x", "..", "/etc", "/etc/passwd"] {
        let err = safe_join(root, bad).unwrap_err();
        assert_eq!(err.relative, bad);
    }
    assert_eq!(safe_join(root, "a/b/../c.yaml").unwrap(), root.join("a/c.yaml"));
}

#[cfg(unix)]
#[test]
fn rejects_symlinks_resolving_outside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "s: 1\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/values.yaml"), "a: 1\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.yaml"), root.join("sub/secret.yaml")).unwrap();
    std::os::unix::fs::symlink("values.yaml", root.join("sub/alias.yaml")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();

    assert!(safe_join(root, "escape").is_err());
    assert!(safe_join(root, "escape/secret.yaml").is_err());
    assert!(safe_join(root, "sub/secret.yaml").is_err());
    assert!(safe_join(&root.join("sub"), "up/escape").is_err());
    assert!(safe_join(&root.join("sub"), "up").is_err(), "points at the parent of the root");
    assert_eq!(safe_join(root, "sub/alias.yaml").unwrap(), root.join("sub/alias.yaml"));
    let err = safe_join(root, "escape/secret.yaml").unwrap_err();
    assert!(err.to_string().contains("outside the root"), "{err}");
}
