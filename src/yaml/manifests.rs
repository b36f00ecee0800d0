//! Rendered manifests (helm output, static files, kustomize output) read as the cluster reads
//! them: what `helm template | kubectl apply` means is what hldc writes. Plain scalars take the
//! meaning go-yaml gives them (`0755` is 493), a key repeated in a mapping keeps its last value
//! (as kubectl and Argo CD read it), and a `kind: List` is its items. What kubectl and
//! kustomize would read differently, or a chart most likely did not mean, is said in a warning
//! at the chart template's line.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};

use super::resolve::{self, Reading};
use super::{display_path, Document, Segment, ValuePath};
use crate::diag::{Location, Problem, Source};

/// Every document of a stream of rendered manifests, each with the warnings reading it raised.
pub fn parse(file: &Source) -> Result<Vec<Document>, Problem> {
    let repeated = Cell::new(false);
    let mut documents =
        super::parse_stream(file, |document| LastKeyWins { repeated: &repeated }.deserialize(document))?;
    if repeated.get() {
        for (index, span) in super::duplicate_keys(file) {
            if let Some(document) = documents.iter_mut().find(|document| document.index == index) {
                document.warnings.push(duplicate_key(&Location::new(file, span)));
            }
        }
    }
    for document in &mut documents {
        read_plain_scalars(document);
    }
    Ok(documents)
}

/// `kind: List` (and the `v1` `*List` kinds) replaced by their items, as `kubectl apply` takes
/// them: each item an object of its own, located at its place in the list.
pub fn expand_lists(documents: Vec<Document>) -> Vec<Document> {
    let mut expanded = Vec::with_capacity(documents.len());
    let mut pending: Vec<Document> = documents.into_iter().rev().collect();
    while let Some(mut document) = pending.pop() {
        let Some(items) = list_items(&document.value) else {
            expanded.push(document);
            continue;
        };
        let mut parts: Vec<Document> = items
            .iter()
            .enumerate()
            .map(|(index, item)| document.part(&[Segment::Key("items".into()), Segment::Index(index)], item.clone()))
            .collect();
        if let Some(first) = parts.first_mut() {
            first.warnings.append(&mut document.warnings);
        }
        // Lists inside lists are expanded in their turn, in order.
        pending.extend(parts.into_iter().rev());
    }
    expanded
}

/// The items of a list object: `apiVersion: v1` and a kind ending in `List`, with `items`.
fn list_items(value: &Value) -> Option<&Vec<Value>> {
    let kind = value.get("kind")?.as_str()?;
    if value.get("apiVersion")?.as_str()? != "v1" || !kind.ends_with("List") {
        return None;
    }
    match value.get("items")? {
        Value::Sequence(items) => Some(items),
        _ => None,
    }
}

fn duplicate_key(at: &Location) -> Problem {
    let key = at.file.text().get(at.span.clone()).unwrap_or_default().to_string();
    Problem::warning(
        "hldc::render::duplicate-key",
        format!("`{key}` is set twice in one mapping{}; the last value wins", super::in_helm_template(at)),
    )
    .at(at.clone())
    .label("repeated here: this value is the one written")
    .help(format!(
        "kubectl and Argo CD take the last value, kustomize (Flux) refuses the object; hldc writes `{key}` once, with the last value. Remove the first `{key}:` from the template"
    ))
}

/// Gives each plain scalar go-yaml's meaning. serde_yaml reads YAML 1.2, so only strings can
/// mean something else to go-yaml; positions (found only when such a string exists) tell
/// whether it was written plain.
fn read_plain_scalars(document: &mut Document) {
    let mut candidates = Vec::new();
    other_readings(&document.value, &mut Vec::new(), &mut candidates);
    if candidates.is_empty() {
        return;
    }
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    let mut unknown = Vec::new();
    for (path, text, reading) in candidates {
        match (document.positions().written_plain(&path), reading) {
            (Some(false), _) => {}
            (Some(true), Reading::Agreed(value)) => changes.push((path, value)),
            (Some(true), Reading::Disputed { v2 }) => warnings.push(disputed(document, &path, &text, v2)),
            (None, _) => unknown.push(path),
        }
    }
    if !unknown.is_empty() {
        warnings.push(unknown_quoting(document, &unknown));
    }
    for (path, value) in changes {
        if let Some(slot) = value_at_mut(&mut document.value, &path) {
            *slot = value;
        }
    }
    document.warnings.extend(warnings);
}

/// The strings of `value` that go-yaml would read as something else, were they plain.
fn other_readings(value: &Value, path: &mut ValuePath, found: &mut Vec<(ValuePath, String, Reading)>) {
    match value {
        // An empty plain scalar is null to every reader: an empty string was quoted.
        Value::String(text) if text.is_empty() => {}
        Value::String(text) => match resolve::plain(text) {
            Reading::Agreed(Value::String(_)) => {}
            reading => found.push((path.clone(), text.clone(), reading)),
        },
        Value::Mapping(map) => {
            for (key, item) in map {
                // A non-string key has no path that positions know; Kubernetes objects have none.
                if let Some(key) = key.as_str() {
                    path.push(Segment::Key(key.to_string()));
                    other_readings(item, path, found);
                    path.pop();
                }
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                other_readings(item, path, found);
                path.pop();
            }
        }
        // An explicit tag decides the type; null, booleans and numbers read alike.
        _ => {}
    }
}

fn value_at_mut<'v>(value: &'v mut Value, path: &[Segment]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |current, segment| match segment {
        Segment::Key(key) => current.get_mut(key.as_str()),
        Segment::Index(index) => current.get_mut(*index),
    })
}

fn disputed(document: &Document, path: &[Segment], text: &str, v2: bool) -> Problem {
    let at = document.value_location(path);
    Problem::warning(
        "hldc::render::ambiguous-boolean",
        format!(
            "`{}: {text}`{}: kubectl and Argo CD read the boolean {v2}, kustomize and Flux the string \"{text}\"; hldc writes the string",
            display_path(path),
            super::in_helm_template(&at)
        ),
    )
    .at(at)
    .label("YAML 1.1 boolean")
    .help(format!(
        "write `{v2}` for the boolean or `\"{text}\"` (quoted) for the string in the template, so every tool reads the same"
    ))
}

/// One warning per document for the values whose quoting is not known.
fn unknown_quoting(document: &Document, paths: &[ValuePath]) -> Problem {
    let at = document.value_location(&paths[0]);
    let named: Vec<String> = paths.iter().take(3).map(|path| format!("`{}`", display_path(path))).collect();
    let more = if paths.len() > 3 { format!(" and {} more", paths.len() - 3) } else { String::new() };
    Problem::warning(
        "hldc::render::unresolved-scalar",
        format!(
            "hldc cannot tell whether {}{more} are quoted in `{}`{} (they come through an alias or merge key, or the file is beyond hldc's position reader); it keeps them strings, which Kubernetes tools read as numbers or booleans if they are not",
            named.join(", "),
            document.file.name(),
            super::in_helm_template(&at)
        ),
    )
    .at(at)
    .help("quote such values in the manifest (`\"0755\"`), or write the number or boolean they mean, without an alias")
}

/// serde_yaml's `Value`, except that a key repeated in a mapping keeps its last value (as
/// go-yaml v2, which kubectl reads with) instead of failing; `repeated` records that one was.
#[derive(Clone, Copy)]
struct LastKeyWins<'r> {
    repeated: &'r Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for LastKeyWins<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LastKeyWins<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    /// Beyond 64 bits go-yaml reads a float, where serde_yaml's `Value` fails.
    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(Value::Number((i as f64).into()))
    }

    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(Value::Number((u as f64).into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(self)? {
            let value = map.next_value_seed(self)?;
            if mapping.insert(key, value).is_some() {
                self.repeated.set(true);
            }
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, contents) = data.variant::<String>()?;
        let value = contents.newtype_variant_seed(self)?;
        Ok(Value::Tagged(Box::new(TaggedValue { tag: Tag::new(tag), value })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    fn read(text: &str) -> Vec<Document> {
        parse(&SourceFile::new("m.yaml", text)).unwrap()
    }

    #[test]
    fn plain_scalars_take_go_yaml_meaning_and_quoted_ones_stay_strings() {
        let documents = read(
            "a: 0755\nb: \"0755\"\nc: 0x1F\nd: 1_000\ne: '1_000'\nf: [0o17, 08]\ng: |\n  0755\nh: 18446744073709551616\ni: !!str 0755\nj: !!string False\n",
        );
        let expected: Value = serde_yaml::from_str(
            "{a: 493, b: \"0755\", c: 31, d: 1000, e: \"1_000\", f: [15, 8.0], g: \"0755\\n\", h: 1.8446744073709552e19, i: \"0755\", j: \"False\"}",
        )
        .unwrap();
        assert_eq!(documents[0].value, expected);
        assert!(documents[0].warnings.is_empty());
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings_with_a_warning() {
        let documents = read("a: yes\nb: \"on\"\n");
        assert_eq!(documents[0].value.get("a"), Some(&Value::String("yes".into())));
        let warnings: Vec<&str> = documents[0].warnings.iter().map(|w| w.code).collect();
        assert_eq!(warnings, ["hldc::render::ambiguous-boolean"]);
        assert!(documents[0].warnings[0].message.contains("boolean true"), "{}", documents[0].warnings[0].message);
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_and_is_warned_in_its_document() {
        let documents = read("a: 1\n---\nb: 1\nc: {d: 1}\nb: 2\n");
        assert!(documents[0].warnings.is_empty());
        assert_eq!(documents[1].value.get("b"), Some(&Value::Number(2.into())));
        let warning = &documents[1].warnings[0];
        assert_eq!(warning.code, "hldc::render::duplicate-key");
        assert_eq!(warning.where_().unwrap(), "m.yaml:5:1");
    }

    #[test]
    fn the_template_of_helm_output_is_named_with_its_line() {
        let text = "---\n# Source: redis/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n";
        let documents = read(text);
        assert!(
            documents[0].warnings[0].message.contains("(template `redis/templates/cm.yaml`, line 5 of its output)"),
            "{}",
            documents[0].warnings[0].message
        );
    }

    #[test]
    fn lists_become_their_items_located_in_the_list() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ServiceList\n  items:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: b}\n---\napiVersion: v1\nkind: Secret\n";
        let documents = expand_lists(read(text));
        let kinds: Vec<&str> = documents.iter().map(|d| d.value["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ConfigMap", "Service", "Secret"]);
        assert_eq!(documents[1].value_location(&[Segment::Key("metadata".into())]).display(), "m.yaml:12:5");
    }

    #[test]
    fn a_scalar_through_an_alias_or_merge_key_is_warned_not_guessed() {
        let documents = read("base: &b {mode: 0755}\nobj:\n  <<: *b\ncopy: *b\n");
        let codes: Vec<&str> = documents[0].warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["hldc::render::unresolved-scalar"]);
        assert!(
            documents[0].warnings[0].message.contains("`obj.mode`, `copy.mode` are quoted"),
            "{}",
            documents[0].warnings[0].message
        );
        assert_eq!(documents[0].value["base"]["mode"], Value::Number(493.into()));
    }

    #[test]
    fn merge_keys_merge() {
        let documents = read("base: &b {x: 1, y: 2}\nobj:\n  <<: *b\n  y: 3\n");
        let expected: Value = serde_yaml::from_str("{x: 1, y: 3}").unwrap();
        assert_eq!(documents[0].value.get("obj"), Some(&expected));
    }
}
