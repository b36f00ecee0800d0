//! Go's `[]byte` as a template holds it: what `.Files.GetBytes` returns and what ranging over
//! `.Files` gives. It prints as Go prints a byte slice (`[104 105]`, `%s` as text), converts
//! to text where Sprig's `strval` does (`toString`, `quote`), and is refused where a `string`
//! is declared (`b64enc`); `toJson` and `toYaml` write it in base64, as `encoding/json` does.

use std::fmt;
use std::rc::Rc;

use base64::Engine as _;

use super::{Object, Value};

pub struct Bytes(pub Rc<[u8]>);

impl Bytes {
    pub fn value(bytes: Rc<[u8]>) -> Value {
        Value::Object(Rc::new(Bytes(bytes)))
    }
}

impl Object for Bytes {
    fn type_name(&self) -> &str {
        "[]uint8"
    }

    fn go_type(&self) -> String {
        "[]uint8".into()
    }

    fn kind(&self) -> &'static str {
        "slice"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn members(&self) -> &'static [&'static str] {
        &[]
    }

    fn elements(&self) -> Option<Value> {
        Some(Value::list(self.0.iter().map(|&b| Value::Int(i64::from(b))).collect()))
    }

    fn bytes(&self) -> Option<&[u8]> {
        Some(&self.0)
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.0.iter().map(u8::to_string).collect();
        write!(out, "[{}]", texts.join(" "))
    }

    fn to_value(&self) -> Value {
        Value::string(base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}
