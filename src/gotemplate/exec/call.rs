//! Function calls as Go's executor makes them: the builtins it evaluates itself (`and`, `or`
//! stop at the deciding argument; `call` names its argument), the checks it makes before a
//! call (a `string` parameter of `printf`, `include`, `tpl`), the wording of a function's
//! error, and Helm's `include` and `tpl`, which run templates of this execution.

use std::collections::HashMap;
use std::rc::Rc;

use gotmpl::parse::Expr;

use super::context::{self, At};
use super::walk::{Held, Run};
use super::{parse_templates, quoted, Template, TemplateError, MAX_OUTPUT, SET_NAME};
use crate::gotemplate::value::Value;
use crate::gotemplate::{Function, Templates};

type Result<T> = std::result::Result<T, TemplateError>;

/// Builtins whose first parameter is a Go `string`: Go's executor checks the argument before
/// the call, and says so at the argument.
const STRING_FIRST: [&str; 3] = ["printf", "include", "tpl"];

/// How many nested `include`s of one name Helm allows.
const MAX_INCLUDES: usize = 1000;

impl Run<'_> {
    /// Go's evalFunction and evalCall: `identifier` is where an argument-count error is
    /// reported, `command` where the function's own error is.
    pub(super) fn call_function(
        &mut self,
        dot: &Held,
        name: &str,
        identifier: At,
        command: At,
        args: &[Expr],
        last: Option<Value>,
    ) -> Result<Held> {
        match name {
            "and" | "or" => return self.and_or(dot, name == "or", identifier, args, last).map(Held::plain),
            "call" => return self.call(dot, command, args, last),
            _ => {}
        }
        let Some(function) = self.set.functions.get(name).copied() else {
            return Err(self.error(format!("{} is not a defined function", quoted(name))));
        };
        let mut argv = Vec::with_capacity(args.len() + 1);
        let mut untyped_nils = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let held = self.held_argument(dot, arg)?;
            if !held.boxed && matches!(held.value, Value::Nil) {
                untyped_nils.push(i);
            }
            if i == 0 && STRING_FIRST.contains(&name) {
                self.check_string(Some(arg), &held)?;
            }
            if name == "len" && held.boxed && matches!(held.value, Value::Nil) {
                // Go's len tells a nil read from a map from an untyped nil.
                self.at = command;
                return Err(self.error("error calling len: len of nil pointer"));
            }
            argv.push(held.value);
        }
        if let Some(last) = last {
            if argv.is_empty() && STRING_FIRST.contains(&name) {
                self.check_string(None, &Held::plain(last.clone()))?;
            }
            argv.push(last);
        }
        let mut result = self.invoke(function, &argv);
        // An untyped nil (a variable or a parenthesized pipeline that gave nil, where Go's
        // evalPipeline drops the `interface {}`) fits a map parameter as a nil map, which
        // reads as an empty one: `hasKey $missing "k"` is false in helm, not a type error.
        // Functions check their arguments before acting, so the refused call did nothing.
        for index in untyped_nils {
            match &result {
                Err(message)
                    if message == "wrong type for value; expected map[string]interface {}; got interface {}" =>
                {
                    argv[index] = Value::map(Default::default());
                    result = self.invoke(function, &argv);
                }
                _ => break,
            }
        }
        if let Ok(Value::String(text)) = &result {
            if text.len() > MAX_OUTPUT {
                self.at = command;
                return Err(self.error(format!("error calling {name}: result exceeds {} MiB", MAX_OUTPUT >> 20)));
            }
        }
        result.map(Held::plain).map_err(|message| {
            if is_arity_error(&message) {
                self.at = identifier;
            } else if let Some(error) = self.misfit_argument(&message, args, &argv) {
                return error;
            } else {
                self.at = command;
            }
            self.call_error(name, &message)
        })
    }

    fn invoke(&mut self, function: Function, argv: &[Value]) -> std::result::Result<Value, String> {
        match function {
            Function::Pure(function) => function(argv),
            Function::Templates(function) => function(self, argv),
        }
    }

    /// Go checks a typed parameter at its argument, before the call: a function's `wrong type
    /// for value; expected E; got G` is reported at the first argument of type G (a piped
    /// value keeps the last node evaluated), and a literal there the way Go names it
    /// (`expected integer; found "x"`).
    fn misfit_argument(&mut self, message: &str, args: &[Expr], argv: &[Value]) -> Option<TemplateError> {
        let (expected, got) = message.strip_prefix("wrong type for value; expected ")?.split_once("; got ")?;
        let index = argv.iter().position(|value| match value {
            Value::Nil => got == "interface {}",
            other => other.type_name() == got,
        })?;
        let Some(arg) = args.get(index) else { return Some(self.error(message)) };
        self.at = At::expr(arg);
        if !matches!(arg, Expr::String(..) | Expr::Number(..) | Expr::Bool(..)) {
            return Some(self.error(message));
        }
        let kind = match expected {
            integer if integer.starts_with("int") || integer.starts_with("uint") => "integer",
            float if float.starts_with("float") => "float",
            other => other,
        };
        Some(self.error(format!("expected {kind}; found {}", context::expr_text(&self.template, arg))))
    }

    /// `error calling NAME: MESSAGE`; an argument-count or -type complaint is Go's executor's
    /// own and carries no prefix.
    pub(super) fn call_error(&self, name: &str, message: &str) -> TemplateError {
        if is_arity_error(message) || message.starts_with("wrong type for value; ") {
            return self.error(message);
        }
        self.error(format!("error calling {name}: {message}"))
    }

    /// Go's validateType for a `string` parameter: a literal of another kind, or a value of
    /// another type, stops the call.
    fn check_string(&self, arg: Option<&Expr>, held: &Held) -> Result<()> {
        let complaint = match (arg, &held.value) {
            (Some(Expr::Nil(_)), _) => "cannot assign nil to string".to_string(),
            (Some(literal @ (Expr::Number(..) | Expr::Bool(..))), _) => {
                format!("expected string; found {}", context::expr_text(&self.template, literal))
            }
            (_, Value::String(_)) => return Ok(()),
            (_, Value::Nil) if held.boxed => "wrong type for value; expected string; got interface {}".into(),
            (_, Value::Nil) => "invalid value; expected string".into(),
            (_, other) => format!("wrong type for value; expected string; got {}", other.type_name()),
        };
        Err(self.error(complaint))
    }

    fn and_or(&mut self, dot: &Held, or: bool, identifier: At, args: &[Expr], last: Option<Value>) -> Result<Value> {
        if args.is_empty() && last.is_none() {
            self.at = identifier;
            let name = if or { "or" } else { "and" };
            return Err(self.error(format!("wrong number of args for {name}: want at least 1 got 0")));
        }
        let mut value = Value::Nil;
        for arg in args {
            value = self.argument(dot, arg)?;
            if value.is_truthy() == or {
                return Ok(value);
            }
        }
        Ok(last.unwrap_or(value))
    }

    /// Go's `call`: templates under Helm see no function values, so it can only fail, naming
    /// its argument as written.
    fn call(&mut self, dot: &Held, command: At, args: &[Expr], last: Option<Value>) -> Result<Held> {
        let Some(callee) = args.first() else {
            let got = usize::from(last.is_some());
            return Err(self.error(format!("wrong number of args for call: want at least 1 got {got}")));
        };
        let value = self.argument(dot, callee)?;
        for arg in &args[1..] {
            self.argument(dot, arg)?;
        }
        self.at = command;
        let message = match value {
            Value::Nil => "call of nil".to_string(),
            other => {
                format!("non-function {} of type {}", context::expr_text(&self.template, callee), other.type_name())
            }
        };
        Err(self.error(format!("error calling call: {message}")))
    }

    /// Helm's `include`: the named template's output, at most 1000 nested includes of a name.
    fn include(&mut self, name: &str, dot: &Value) -> std::result::Result<String, String> {
        let count = self.included.entry(name.to_string()).or_insert(0);
        if *count > MAX_INCLUDES {
            return Err(format!("rendering template has a nested reference name: {name}: unable to execute template"));
        }
        *count += 1;
        let result = match self.lookup(name) {
            Some(template) => {
                let mut out = String::new();
                self.execute(template, dot.clone(), &mut out).map(|_| out).map_err(|error| error.message)
            }
            None => {
                Err(format!("template: no template {} associated with template {}", quoted(name), quoted(SET_NAME)))
            }
        };
        if let Some(count) = self.included.get_mut(name) {
            *count -= 1;
        }
        result
    }

    /// Helm's `tpl`: `source` parsed as a template named like the set, seeing the set's
    /// definitions and adding its own for its run; `<no value>` removed from its output.
    fn tpl(&mut self, source: &str, dot: &Value) -> std::result::Result<String, String> {
        let templates = parse_templates(SET_NAME, SET_NAME, source, &self.set.functions, |_| {})
            .map_err(|error| format!("cannot parse template {}: {}", quoted(source), error.message))?;
        let mut templates = templates.into_iter().map(Rc::new);
        let body = templates.next().expect("a parse gives the body first");
        let mut overlay: HashMap<String, Rc<Template>> = HashMap::new();
        for define in templates {
            let keep_old = define.body.is_empty_tree() && self.lookup(&define.name).is_some();
            if !keep_old {
                overlay.insert(define.name.clone(), define);
            }
        }
        self.overlays.push(overlay);
        let mut out = String::new();
        let result = self.execute(body, dot.clone(), &mut out);
        self.overlays.pop();
        match result {
            Ok(()) => Ok(out.replace("<no value>", "")),
            Err(error) => Err(format!("error during tpl function execution for {}: {}", quoted(source), error.message)),
        }
    }
}

fn is_arity_error(message: &str) -> bool {
    message.starts_with("wrong number of args for ")
}

impl Templates for Run<'_> {
    fn execute_named(&mut self, name: &str, dot: &Value) -> std::result::Result<String, String> {
        self.include(name, dot)
    }

    fn execute_source(&mut self, source: &str, dot: &Value) -> std::result::Result<String, String> {
        self.tpl(source, dot)
    }
}
