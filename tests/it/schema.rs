//! `entente schema`: the committed `scenarios/scenario.schema.json` is the current output, and the
//! schema agrees with the parser on every shipped scenario (accepted by both) and on a broken
//! fixture (a misspelt key rejected by both).
//!
//! The check uses a small structural validator written here (`$ref` into `$defs`, `type`,
//! `properties`, `required`, `additionalProperties: false`, `items`, `minItems`, `anyOf`, `oneOf`,
//! `enum`, `const`, `minimum`, `maximum`): enough for what schemars emits, without a validator crate.

use crate::support::{Test, fixture, root};
use serde_json::{Map, Value};

fn schema() -> Value {
    serde_json::from_str(&entente::schema::schema_json()).expect("the schema is JSON")
}

/// A TOML document as the JSON an editor's schema checker sees: dates and times become strings.
fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn read_toml(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let value: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()));
    toml_to_json(&value)
}

/// Every way `value` breaks `schema`, as "path: problem" lines (empty when it conforms).
fn validate(root: &Value, schema: &Value, value: &Value, path: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(schema) = schema.as_object() else {
        // `true` accepts everything; `false` nothing.
        if schema == &Value::Bool(false) {
            errors.push(format!("{path}: not allowed"));
        }
        return errors;
    };
    for (keyword, rule) in schema {
        match keyword.as_str() {
            "$ref" => {
                let reference = rule.as_str().unwrap();
                let name = reference
                    .strip_prefix("#/$defs/")
                    .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
                let target = &root["$defs"][name];
                assert!(!target.is_null(), "dangling $ref {reference}");
                errors.extend(validate(root, target, value, path));
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => panic!("bad type {rule}"),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    errors.push(format!(
                        "{path}: expected {}, found {value}",
                        types.join(" or ")
                    ));
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    for (key, item) in object {
                        if let Some(sub) = rule.get(key) {
                            errors.extend(validate(root, sub, item, &format!("{path}.{key}")));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = value.as_object() {
                    let known = schema.get("properties");
                    for (key, item) in object {
                        if known.and_then(|k| k.get(key)).is_some() {
                            continue;
                        }
                        match rule {
                            Value::Bool(false) => {
                                errors.push(format!("{path}: unknown key `{key}`"))
                            }
                            Value::Bool(true) => {}
                            sub => {
                                errors.extend(validate(root, sub, item, &format!("{path}.{key}")))
                            }
                        }
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for key in rule.as_array().unwrap() {
                        let key = key.as_str().unwrap();
                        if !object.contains_key(key) {
                            errors.push(format!("{path}: missing key `{key}`"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (idx, item) in items.iter().enumerate() {
                        errors.extend(validate(root, rule, item, &format!("{path}[{idx}]")));
                    }
                }
            }
            "minItems" => {
                if let Some(items) = value.as_array() {
                    if (items.len() as u64) < rule.as_u64().unwrap() {
                        errors.push(format!("{path}: fewer than {rule} items"));
                    }
                }
            }
            "anyOf" | "oneOf" => {
                let options = rule.as_array().unwrap();
                let matching = options
                    .iter()
                    .filter(|option| validate(root, option, value, path).is_empty())
                    .count();
                let ok = if keyword == "anyOf" {
                    matching >= 1
                } else {
                    matching == 1
                };
                if !ok {
                    errors.push(format!(
                        "{path}: {value} matches {matching} of the {keyword} alternatives"
                    ));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    errors.push(format!("{path}: {value} is not one of {rule}"));
                }
            }
            "const" => {
                if value != rule {
                    errors.push(format!("{path}: {value} is not {rule}"));
                }
            }
            "minimum" => {
                if let (Some(v), Some(min)) = (value.as_f64(), rule.as_f64()) {
                    if v < min {
                        errors.push(format!("{path}: {v} is below the minimum {min}"));
                    }
                }
            }
            "maximum" => {
                if let (Some(v), Some(max)) = (value.as_f64(), rule.as_f64()) {
                    if v > max {
                        errors.push(format!("{path}: {v} is above the maximum {max}"));
                    }
                }
            }
            // Annotations, and keywords schemars emits that constrain nothing here.
            "$schema" | "$defs" | "title" | "description" | "format" | "default" | "examples" => {}
            other => panic!("the test's validator does not know the keyword `{other}`"),
        }
    }
    errors
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    }
}

#[test]
fn committed_schema_is_current() {
    let path = root().join("scenarios/scenario.schema.json");
    let current = entente::schema::schema_json();
    if std::env::var_os("ENTENTE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "scenarios/scenario.schema.json is stale: run `ENTENTE_BLESS=1 cargo test schema` \
         (or `entente schema > scenarios/scenario.schema.json`) and commit it"
    );
}

#[test]
fn the_schema_command_prints_the_schema() {
    let ran = Test::new().args(["schema"]).run();
    assert_eq!(ran.stdout(), entente::schema::schema_json());
}

#[test]
fn every_shipped_scenario_conforms_and_points_at_the_schema() {
    let schema = schema();
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario in scenarios/");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("#:schema ./scenario.schema.json"),
            "{} does not start with the #:schema line",
            file.display()
        );
        // The parser accepts it (scenarios.rs checks it validates cleanly) ...
        assert!(
            entente::scenario::load::load_file(&file).is_ok(),
            "{} does not load",
            file.display()
        );
        // ... and so does the schema.
        let errors = validate(&schema, &schema, &read_toml(&file), "");
        assert!(
            errors.is_empty(),
            "{} breaks the schema:\n{}",
            file.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn a_misspelt_key_is_rejected_by_parser_and_schema() {
    let file = fixture("four_mistakes.toml");
    let Err(error) = entente::scenario::load::load_file(&file) else {
        panic!("the parser accepts four_mistakes.toml");
    };
    let diagnostics = format!("{error:?}");
    assert!(diagnostics.contains("gpd"), "{diagnostics}");
    let schema = schema();
    let errors = validate(&schema, &schema, &read_toml(&file), "");
    assert!(
        errors.iter().any(|e| e.contains("unknown key `gpd`")),
        "the schema accepts `gpd`: {errors:?}"
    );
}

#[test]
fn model_keys_are_the_parameter_specs() {
    let schema = schema();
    let properties = schema["$defs"]["ModelFile"]["properties"]
        .as_object()
        .unwrap();
    let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    let mut specs: Vec<&str> = entente::params::SPECS.iter().map(|s| s.key).collect();
    specs.sort();
    assert_eq!(keys, specs);
}
