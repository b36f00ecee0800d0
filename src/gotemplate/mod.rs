//! Go's `text/template`, as Helm runs it: the parser is the `gotmpl` crate's (a port of Go's,
//! cross-checked against it); execution is hldc's own, because Helm's templates need what a
//! general engine does not give: methods with arguments (`.Files.Get`,
//! `.Capabilities.APIVersions.Has`), Go's errors on a field of nil, and functions that execute
//! other templates (`include`, `tpl`).

pub mod builtins;
pub mod bytes;
mod exec;
pub mod fmt;
pub mod sprig;
pub mod value;

use std::collections::BTreeMap;

pub use exec::{TemplateError, TemplateSet};
pub use value::{Map, Object, Value};

/// A template function (Go's builtins, Sprig's, Helm's). Its error is the message Go's function
/// would return; the executor adds where (`template: NAME:LINE:COL: executing … error calling
/// FUNC: …`).
#[derive(Clone, Copy)]
pub enum Function {
    Pure(fn(&[Value]) -> Result<Value, String>),
    /// A function that executes templates: `include`, `tpl`.
    Templates(fn(&mut dyn Templates, &[Value]) -> Result<Value, String>),
}

/// The functions a template set knows, by name.
pub type Functions = BTreeMap<&'static str, Function>;

/// What a running template offers the functions that execute other templates.
pub trait Templates {
    /// Executes the named template (`include`): its output, or the error that stopped it.
    fn execute_named(&mut self, name: &str, dot: &Value) -> Result<String, String>;
    /// Parses `source` as a new template that sees the set's definitions, and executes it
    /// (`tpl`).
    fn execute_source(&mut self, source: &str, dot: &Value) -> Result<String, String>;
}
