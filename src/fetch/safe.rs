//! Path safety: joining untrusted relative paths and unpacking archives.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::fetch::error::{Failure, FetchErrorKind};

/// A relative path that would leave its root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path {relative:?} is not allowed under {}: {reason}", root.display())]
pub struct SafePathError {
    pub root: PathBuf,
    pub relative: String,
    pub reason: String,
}

/// Join an untrusted relative path to `root`, refusing anything that would
/// end up outside `root`:
/// - absolute paths (and Windows prefixes);
/// - `..` components that climb above `root` (`a/../b` is fine);
/// - existing symlinks (anywhere along the path) that resolve outside `root`,
///   and dangling symlinks (checked with `canonicalize`).
///
/// Returns `root` joined with the lexically normalized path (not
/// canonicalized). The path need not exist. `root` must exist.
pub fn safe_join(root: &Path, relative: &str) -> Result<PathBuf, SafePathError> {
    let fail = |reason: &str| SafePathError {
        root: root.to_path_buf(),
        relative: relative.to_string(),
        reason: reason.to_string(),
    };
    if relative.contains('\0') {
        return Err(fail("contains a NUL byte"));
    }
    let rel = Path::new(relative);
    if rel.is_absolute() || relative.starts_with('/') || relative.starts_with('\\') {
        return Err(fail("absolute paths are not allowed"));
    }
    let mut normal: Vec<&std::ffi::OsStr> = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(c) => normal.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                if normal.pop().is_none() {
                    return Err(fail("`..` leaves the root"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(fail("absolute paths are not allowed"));
            }
        }
    }
    let mut joined = root.to_path_buf();
    for c in &normal {
        joined.push(c);
    }
    let canonical_root = root.canonicalize().map_err(|e| fail(&format!("cannot resolve the root: {e}")))?;
    // Check the deepest part of the path that exists.
    let mut probe = joined.clone();
    loop {
        if fs::symlink_metadata(&probe).is_ok() {
            let resolved =
                probe.canonicalize().map_err(|_| fail("a symlink on the path does not resolve (dangling)"))?;
            if !resolved.starts_with(&canonical_root) {
                return Err(fail("a symlink on the path resolves outside the root"));
            }
            break;
        }
        if probe == root || !probe.pop() {
            break;
        }
    }
    Ok(joined)
}

/// Limits for unpacking one archive.
const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
const MAX_ENTRIES: usize = 100_000;

/// Split an archive entry path into safe normal components, or fail.
fn checked_components(raw: &str) -> Result<Vec<&str>, Failure> {
    let escape = |why: &str| Failure::new(FetchErrorKind::PathEscape, format!("archive entry {raw:?} {why}"));
    if raw.starts_with('/') || raw.starts_with('\\') || raw.contains(":\\") {
        return Err(escape("is an absolute path"));
    }
    let mut out = Vec::new();
    for part in raw.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(escape("climbs out with `..`")),
            p => out.push(p),
        }
    }
    Ok(out)
}

/// Unpack a gzip-compressed tar archive (a Helm chart) into `dest`, which
/// must exist and be empty. When `strip_first` is set, the first path
/// component (the chart's directory) is removed from every entry.
///
/// Refuses (with `PathEscape`): absolute paths, `..` components, symlinks
/// whose target is absolute or contains `..`, hardlinks to anything but a
/// regular file already unpacked. Device files and fifos are refused as
/// `Invalid`; pax/GNU extension headers are skipped.
pub(crate) fn unpack_tgz(archive: &Path, dest: &Path, strip_first: bool) -> Result<(), Failure> {
    let file = fs::File::open(archive).map_err(|e| Failure::io(format!("cannot open {}", archive.display()), e))?;
    let decoder = flate2::read::GzDecoder::new(io::BufReader::new(file));
    let mut tar = tar::Archive::new(decoder);
    let bad = |e: io::Error| {
        Failure::new(FetchErrorKind::Invalid, format!("{} is not a valid .tgz archive: {e}", archive.display()))
    };
    let mut total: u64 = 0;
    let mut count = 0usize;
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        count += 1;
        if count > MAX_ENTRIES {
            return Err(Failure::new(FetchErrorKind::Invalid, "archive has too many entries"));
        }
        let raw_path = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| Failure::new(FetchErrorKind::Invalid, "archive entry name is not UTF-8"))?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        let mut parts = checked_components(&raw_path)?;
        if strip_first && !parts.is_empty() {
            parts.remove(0);
        }
        if parts.is_empty() {
            continue;
        }
        let target = parts.iter().fold(dest.to_path_buf(), |p, c| p.join(c));
        if kind.is_dir() {
            fs::create_dir_all(&target).map_err(|e| Failure::io(format!("cannot create {}", target.display()), e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Failure::io(format!("cannot create {}", parent.display()), e))?;
        }
        if fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Failure::new(
                FetchErrorKind::PathEscape,
                format!("archive entry {raw_path:?} would write through a symlink"),
            ));
        }
        if kind.is_file() || kind == tar::EntryType::Continuous {
            let size = entry.header().size().map_err(bad)?;
            total = total.saturating_add(size);
            if total > MAX_UNPACKED_BYTES {
                return Err(Failure::new(FetchErrorKind::Invalid, "archive unpacks to more than 2 GiB"));
            }
            let mut out =
                fs::File::create(&target).map_err(|e| Failure::io(format!("cannot create {}", target.display()), e))?;
            io::copy(&mut (&mut entry).take(size), &mut out)
                .map_err(|e| Failure::io(format!("cannot write {}", target.display()), e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = entry.header().mode().unwrap_or(0o644);
                let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                let _ = fs::set_permissions(&target, fs::Permissions::from_mode(mode));
            }
        } else if kind.is_symlink() {
            let link = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            if link.is_empty()
                || link.starts_with('/')
                || link.starts_with('\\')
                || link.split(['/', '\\']).any(|p| p == "..")
            {
                return Err(Failure::new(
                    FetchErrorKind::PathEscape,
                    format!("archive entry {raw_path:?} is a symlink to {link:?}, which may leave the archive"),
                ));
            }
            make_symlink(&link, &target)?;
        } else if kind.is_hard_link() {
            let link = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let mut link_parts = checked_components(&link).map_err(|f| f.context(format!("hardlink {raw_path:?}")))?;
            if strip_first && !link_parts.is_empty() {
                link_parts.remove(0);
            }
            let source = link_parts.iter().fold(dest.to_path_buf(), |p, c| p.join(c));
            let is_regular = fs::symlink_metadata(&source).is_ok_and(|m| m.file_type().is_file());
            if link_parts.is_empty() || !is_regular {
                return Err(Failure::new(
                    FetchErrorKind::PathEscape,
                    format!("archive entry {raw_path:?} is a hardlink to {link:?}, which is not a file in the archive"),
                ));
            }
            fs::copy(&source, &target).map_err(|e| Failure::io(format!("cannot create {}", target.display()), e))?;
        } else {
            return Err(Failure::new(
                FetchErrorKind::Invalid,
                format!("archive entry {raw_path:?} has an unsupported type ({kind:?})"),
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_symlink(link: &str, target: &Path) -> Result<(), Failure> {
    std::os::unix::fs::symlink(link, target)
        .map_err(|e| Failure::io(format!("cannot create symlink {}", target.display()), e))
}

#[cfg(not(unix))]
fn make_symlink(_link: &str, target: &Path) -> Result<(), Failure> {
    Err(Failure::new(
        FetchErrorKind::Invalid,
        format!("symlinks in archives are not supported on this platform ({})", target.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_join_rejects_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(safe_join(root, "../x").is_err());
        assert!(safe_join(root, "a/../../x").is_err());
        assert!(safe_join(root, "/etc").is_err());
        assert!(safe_join(root, "/etc/passwd").is_err());
        assert_eq!(safe_join(root, "a/../b").unwrap(), root.join("b"));
        assert_eq!(safe_join(root, "./a/b.yaml").unwrap(), root.join("a").join("b.yaml"));
        assert_eq!(safe_join(root, "").unwrap(), root.to_path_buf());
    }

    #[cfg(unix)]
    #[test]
    fn safe_join_checks_symlinks() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("inner")).unwrap();
        std::fs::write(root.join("inner").join("ok.yaml"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("inner"), root.join("in")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
        assert!(safe_join(root, "out").is_err());
        assert!(safe_join(root, "out/secret").is_err());
        assert!(safe_join(root, "out/not-there").is_err());
        assert!(safe_join(root, "dangling").is_err());
        assert!(safe_join(root, "in/ok.yaml").is_ok());
        assert!(safe_join(root, "inner/new-file").is_ok());
    }

    fn raw_tgz(entries: &[(&str, tar::EntryType, Option<&str>, &[u8])]) -> Vec<u8> {
        let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut builder = tar::Builder::new(enc);
        for (name, kind, link, body) in entries {
            let mut header = tar::Header::new_gnu();
            {
                let gnu = header.as_gnu_mut().unwrap();
                gnu.name[..name.len()].copy_from_slice(name.as_bytes());
                if let Some(link) = link {
                    gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
                }
            }
            header.set_mode(0o755);
            header.set_entry_type(*kind);
            header.set_size(body.len() as u64);
            header.set_cksum();
            builder.append(&header, *body).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpack_strips_the_chart_dir_and_keeps_safe_links() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("c.tgz");
        std::fs::write(
            &archive,
            raw_tgz(&[
                ("c/", tar::EntryType::Directory, None, b""),
                ("c/Chart.yaml", tar::EntryType::Regular, None, b"name: c\n"),
                ("c/templates/a.yaml", tar::EntryType::Regular, None, b"a: 1\n"),
                ("c/templates/b.yaml", tar::EntryType::Link, Some("c/templates/a.yaml"), b""),
                ("c/alias", tar::EntryType::Symlink, Some("templates"), b""),
            ]),
        )
        .unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        unpack_tgz(&archive, &dest, true).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("Chart.yaml")).unwrap(), "name: c\n");
        assert_eq!(std::fs::read_to_string(dest.join("templates/b.yaml")).unwrap(), "a: 1\n");
        #[cfg(unix)]
        assert_eq!(std::fs::read_to_string(dest.join("alias/a.yaml")).unwrap(), "a: 1\n");
    }

    #[test]
    fn unpack_refuses_escapes_and_writes_nothing_outside() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, tar::EntryType, Option<&str>); 5] = [
            ("../evil", tar::EntryType::Regular, None),
            ("c/../../evil", tar::EntryType::Regular, None),
            ("/evil", tar::EntryType::Regular, None),
            ("c/evil", tar::EntryType::Symlink, Some("../../evil")),
            ("c/evil", tar::EntryType::Link, Some("../evil")),
        ];
        for (i, (name, kind, link)) in cases.into_iter().enumerate() {
            let archive = dir.path().join(format!("{i}.tgz"));
            let body: &[u8] = if kind == tar::EntryType::Regular { b"pwned" } else { b"" };
            std::fs::write(
                &archive,
                raw_tgz(&[("c/Chart.yaml", tar::EntryType::Regular, None, b"x: 1\n"), (name, kind, link, body)]),
            )
            .unwrap();
            let dest = dir.path().join(format!("out{i}")).join("deep");
            std::fs::create_dir_all(&dest).unwrap();
            let err = unpack_tgz(&archive, &dest, true).unwrap_err();
            assert_eq!(err.kind, FetchErrorKind::PathEscape, "{name}: {}", err.message);
        }
        assert!(!dir.path().join("evil").exists());
        assert!(!dir.path().join("out0").join("evil").exists());
        assert!(!std::path::Path::new("/evil").exists());
    }

    #[test]
    fn archive_components() {
        assert!(checked_components("../evil").is_err());
        assert!(checked_components("chart/../../evil").is_err());
        assert!(checked_components("/etc/passwd").is_err());
        assert_eq!(checked_components("./chart/Chart.yaml").unwrap(), vec!["chart", "Chart.yaml"]);
    }
}
