//! `entente schema`: the JSON Schema of the scenario format, for editor completion and checking.
//!
//! It is generated from the serde types that parse the file ([`crate::scenario::file`]), so the
//! two cannot drift apart; `scenarios/scenario.schema.json` is this output, committed, and the
//! shipped scenarios point at it with a first line `#:schema ./scenario.schema.json`.

use crate::scenario::file::ScenarioSchema;
use serde_json::Value;

/// The schema (JSON Schema draft 2020-12) as pretty JSON, keys in a stable order, ending in a
/// newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ScenarioSchema);
    let mut value = schema.to_value();
    drop_null(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a schema serialises to JSON");
    text.push('\n');
    text
}

/// TOML has no null: an optional key is a key that may be left out, so the `null` alternatives
/// schemars gives `Option` fields are removed (`["string", "null"]` → `"string"`,
/// `anyOf: [{$ref}, {type: null}]` → the `$ref`).
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let mut lift = None;
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
                if options.len() == 1 {
                    lift = options.pop();
                }
            }
            if let Some(Value::Object(only)) = lift {
                map.remove("anyOf");
                for (key, item) in only {
                    map.entry(key).or_insert(item);
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
