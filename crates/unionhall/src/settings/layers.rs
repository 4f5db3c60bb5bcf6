//! Combining TOML layers and environment variables before the typed settings are
//! read from the result.

use crate::settings::ENV_PREFIX;
use crate::{Error, Result};
use toml::{Table, Value};

pub(super) fn parse(text: &str, origin: &str) -> Result<Value> {
    text.parse::<Table>()
        .map(Value::Table)
        .map_err(|err| Error::Config(format!("{origin} is not valid TOML: {}", one_line(&err))))
}

/// Overlays `overlay` on `base`, table by table. A key the defaults lack is an error
/// here, naming the file, rather than silently ignored.
pub(super) fn merge(base: &mut Value, overlay: Value, origin: &str) -> Result<()> {
    merge_at(base, overlay, origin, "")
}

fn merge_at(base: &mut Value, overlay: Value, origin: &str, path: &str) -> Result<()> {
    match (base, overlay) {
        // A table empty in the defaults is a map whose keys are the user's own
        // (such as federation.hosts): take it whole.
        (Value::Table(base), Value::Table(overlay)) if base.is_empty() => {
            *base = overlay;
            Ok(())
        }
        (Value::Table(base), Value::Table(overlay)) => {
            for (key, value) in overlay {
                let key_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match base.get_mut(&key) {
                    Some(existing) => merge_at(existing, value, origin, &key_path)?,
                    None => {
                        return Err(Error::Config(format!(
                            "{origin}: unknown setting `{key_path}` (see config/default.toml for every key)"
                        )))
                    }
                }
            }
            Ok(())
        }
        (base, overlay) => {
            *base = overlay;
            Ok(())
        }
    }
}

/// Applies `UNIONHALL_SECTION__KEY=value` variables. The value is read as the type
/// the default has, so `UNIONHALL_DATABASE__MAX_CONNECTIONS=abc` is refused with
/// the variable's name. Variables without `__` (such as `UNIONHALL_TEST_...`) are
/// not settings and are left alone.
pub(super) fn apply_env(
    settings: &mut Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<()> {
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let Some((section, key)) = rest.split_once("__") else {
            continue;
        };
        let (section, key) = (section.to_lowercase(), key.to_lowercase());
        let slot = settings
            .get_mut(&section)
            .and_then(|s| s.get_mut(&key))
            .ok_or_else(|| {
                Error::Config(format!(
                    "{name}: unknown setting `{section}.{key}` (see config/default.toml for every key)"
                ))
            })?;
        *slot = typed_like(slot, &raw).ok_or_else(|| {
            Error::Config(format!("{name}: expected {}, got {raw:?}", slot.type_str()))
        })?;
    }
    Ok(())
}

fn typed_like(template: &Value, raw: &str) -> Option<Value> {
    match template {
        Value::Integer(_) => raw.trim().parse().ok().map(Value::Integer),
        Value::Boolean(_) => match raw.trim() {
            "true" | "1" | "yes" | "on" => Some(Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Some(Value::Boolean(false)),
            _ => None,
        },
        Value::Float(_) => raw.trim().parse().ok().map(Value::Float),
        // Lists (of paths, say) are comma-separated in one variable.
        Value::Array(_) => Some(Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        _ => Some(Value::String(raw.to_owned())),
    }
}

fn one_line(err: &impl std::fmt::Display) -> String {
    err.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
