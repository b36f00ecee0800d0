//! Reading a previous output directory back into objects: `diff` compares them with a fresh
//! compile, and sticky trace stamps look earlier stamps up in them (and in the trace record).
//! Only reads; a missing directory is an output that has not been generated yet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_yaml::Value;

use crate::diag::{Problem, Source};
use crate::files::{self, Boundary};
use crate::model::record::{Record, Unreadable};
use crate::model::rendered::Rendered;
use crate::model::ObjectId;
use crate::yaml;

/// One object of an output, as data (or what a reader keeps of it), and the file (relative
/// to the output directory, `/`-separated) that holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputObject<T = Value> {
    pub file: String,
    pub value: T,
}

/// The objects of one output directory by identity; identities are unique in an output.
pub type OutputObjects<T = Value> = BTreeMap<ObjectId, OutputObject<T>>;

/// The objects a compile would write, keyed as `read` keys a directory.
pub fn of_rendered(components: &[Rendered]) -> OutputObjects {
    components
        .iter()
        .flat_map(|component| {
            component.objects.iter().map(|object| {
                (object.id(), OutputObject { file: component.file.clone(), value: object.value().clone() })
            })
        })
        .collect()
}

/// Reads every `.yaml` file under `dir` (sorted walk) as Kubernetes objects. `display` names
/// the directory in messages (relative, never absolute).
pub fn read(dir: &Path, display: &str) -> Result<OutputObjects, Problem> {
    read_as(dir, display, |value| value)
}

/// Reads as `read`, keeping of each object only what `keep` makes of it: the values need not
/// all be held at once (the files' texts are, until duplicates are ruled out). Files are read
/// and parsed in parallel.
pub fn read_as<T: Send>(
    dir: &Path,
    display: &str,
    keep: impl Fn(Value) -> T + Sync,
) -> Result<OutputObjects<T>, Problem> {
    let Some((boundary, files)) = walk(dir, display)? else { return Ok(OutputObjects::new()) };
    let files: Vec<(String, PathBuf)> = files.into_iter().filter(|(relative, _)| relative.ends_with(".yaml")).collect();
    let sources: Vec<Result<(String, Source), Problem>> = files
        .into_par_iter()
        .map(|(relative, path)| {
            let source = files::read(&boundary, &path, &format!("{display}/{relative}"))?;
            Ok((relative, source))
        })
        .collect();
    objects_in(sources.into_iter().collect::<Result<_, _>>()?, display, keep)
}

/// Every file under `dir` (a sorted walk, inside it): relative path (`/`-separated) and
/// contents. What `diff` compares with the files `generate` would write in its place.
pub fn read_files(dir: &Path, display: &str) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let Some((boundary, files)) = walk(dir, display)? else { return Ok(BTreeMap::new()) };
    files
        .into_par_iter()
        .map(|(relative, path)| {
            let bytes = files::read_bytes(&boundary, &path, &format!("{display}/{relative}"))?;
            Ok((relative, bytes))
        })
        .collect()
}

/// The documents of one file of an output (`relative` to `dir`, `/`-separated), read as every
/// input is, inside the directory; `None` when there is no such file.
pub fn documents_in(dir: &Path, display: &str, relative: &str) -> Result<Option<Vec<yaml::Document>>, Problem> {
    if !dir.join(relative).is_file() {
        return Ok(None);
    }
    let root = dir.canonicalize().map_err(|e| {
        Problem::error("hldc::previous::read", format!("cannot read the output directory `{display}`: {e}"))
    })?;
    let source = files::read(&Boundary::plain(root.clone()), &root.join(relative), &format!("{display}/{relative}"))?;
    yaml::parse_all(&source).map(Some)
}

/// The files under `dir`, walked as every input is: nothing outside the directory, nothing in
/// `.git`, each directory once (hldc's own output may be ignored by git, but it is read like
/// any input). `None` when there is no directory: an output not generated yet.
fn walk(dir: &Path, display: &str) -> Result<Option<(Boundary, Vec<(String, PathBuf)>)>, Problem> {
    if !dir.exists() {
        return Ok(None);
    }
    let unreadable = |problem: Problem| {
        problem.help("check the output directory (no symlinks leading out of it), or delete it and run `hldc generate`")
    };
    let root = dir.canonicalize().map_err(|e| {
        unreadable(Problem::error("hldc::previous::read", format!("cannot read the output directory `{display}`: {e}")))
    })?;
    let boundary = Boundary::plain(root.clone());
    let name = |relative: &Path| format!("{display}/{}", relative.to_string_lossy().replace('\\', "/"));
    let walk = boundary.walk(&root).map_err(|refused| {
        unreadable(
            refused.problem(&name(refused.path.strip_prefix(&root).unwrap_or(&refused.path)), "the output directory"),
        )
    })?;
    let files =
        walk.files.into_iter().map(|file| (file.relative.to_string_lossy().replace('\\', "/"), file.path)).collect();
    Ok(Some((boundary, files)))
}

/// The objects of one output file: identity, what the reader keeps, and the document (its
/// value taken) to point at.
type FileObjects<T> = Vec<(ObjectId, T, yaml::Document)>;

/// The objects of some files of one output (path relative to it, text), by identity: an
/// identity twice is an error, since hldc never writes one twice.
pub fn objects_in<T: Send>(
    sources: Vec<(String, Source)>,
    display: &str,
    keep: impl Fn(Value) -> T + Sync,
) -> Result<OutputObjects<T>, Problem> {
    let parsed: Vec<Result<FileObjects<T>, Problem>> = sources
        .par_iter()
        .map(|(_, source)| {
            // The value goes to `keep`; the document stays to say where a duplicate is.
            Ok(yaml::parse_all(source)?
                .into_iter()
                .map(|mut document| {
                    let value = std::mem::take(&mut document.value);
                    (ObjectId::of(&value), keep(value), document)
                })
                .collect())
        })
        .collect();
    let mut objects = OutputObjects::new();
    for ((relative, _), file_objects) in sources.into_iter().zip(parsed) {
        for (id, value, document) in file_objects? {
            if let Some(first) = objects.get(&id) {
                return Err(Problem::error(
                    "hldc::previous::duplicate",
                    format!(
                        "`{id}` is in the output twice (`{display}/{}` and `{}`)",
                        first.file,
                        document.file.name()
                    ),
                )
                .at(document.value_location(&[]))
                .label("second copy")
                .help("hldc never writes an object twice: run `hldc generate` to rewrite the output directory"));
            }
            objects.insert(id, OutputObject { file: relative.clone(), value });
        }
    }
    Ok(objects)
}

/// Reads the trace record an earlier `generate` wrote (`model::record::path`); `None` when
/// there is none yet.
pub fn read_record(path: &Path) -> Result<Option<Record>, Problem> {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let unreadable = |e: std::io::Error| {
        Problem::error("hldc::previous::record", format!("cannot read the trace record `{name}`: {e}"))
            .help("check the file's permissions, or delete it and run `hldc generate`")
    };
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e)),
        Ok(_) => {}
    }
    // hldc wrote it, but the manifest repository holding it is not hldc's alone: it is read as
    // every input is, inside its directory.
    let dir = path.parent().unwrap_or(Path::new(".")).canonicalize().map_err(unreadable)?;
    let text = files::read(&Boundary::plain(dir.clone()), &dir.join(&name), &name)?;
    // A record of another version may mean other things by the same fields: never trust it.
    Record::parse(text.text().as_bytes()).map(Some).map_err(|e| {
        let message = match e {
            Unreadable::Version(_) => format!("the trace record `{name}` is {e}"),
            Unreadable::Malformed(e) => format!("the trace record `{name}` is not one hldc wrote: {e}"),
        };
        Problem::error("hldc::previous::record", message).help("delete it and run `hldc generate` to write it afresh")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_by_identity_and_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("infra")).unwrap();
        std::fs::write(
            dir.path().join("infra/a.yaml"),
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not an object").unwrap();
        let objects = read(dir.path(), "generated/prod").unwrap();
        let files: Vec<(String, &str)> = objects.iter().map(|(id, o)| (id.to_string(), o.file.as_str())).collect();
        assert_eq!(
            files,
            vec![("v1 ConfigMap x/a".to_string(), "infra/a.yaml"), ("v1 Namespace x".to_string(), "infra/a.yaml")]
        );
    }

    #[test]
    fn a_record_of_another_version_is_refused_and_one_with_more_fields_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prod.json");
        assert_eq!(read_record(&file).unwrap(), None);
        std::fs::write(&file, r#"{"version": 1, "environment": "prod", "components": [], "signedBy": "ci"}"#).unwrap();
        assert_eq!(read_record(&file).unwrap().map(|r| r.environment), Some("prod".to_string()));
        std::fs::write(&file, r#"{"version": 2, "environment": "prod", "components": []}"#).unwrap();
        let problem = read_record(&file).unwrap_err();
        assert_eq!(
            problem.message,
            "the trace record `prod.json` is a version 2 trace record (this hldc reads version 1)"
        );
    }

    #[test]
    fn a_missing_directory_is_empty_and_a_duplicate_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(&dir.path().join("absent"), "generated/prod").unwrap().is_empty());
        let object = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        std::fs::write(dir.path().join("a.yaml"), object).unwrap();
        std::fs::write(dir.path().join("b.yaml"), object).unwrap();
        let problem = read(dir.path(), "generated/prod").unwrap_err();
        assert_eq!(problem.code, "hldc::previous::duplicate");
        assert!(problem.message.contains("`generated/prod/a.yaml` and `generated/prod/b.yaml`"), "{}", problem.message);
    }
}
