//! What an update changed, for the audit log.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// `{"field": {"from": ..., "to": ...}}` for each top-level field that differs between two
/// values of the same type.
pub fn diff<T: Serialize>(before: &T, after: &T) -> Map<String, Value> {
    let (Ok(Value::Object(before)), Ok(Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Map::new();
    };
    after
        .into_iter()
        .filter_map(|(field, to)| {
            let from = before.get(&field).cloned().unwrap_or(Value::Null);
            (from != to).then(|| (field, json!({ "from": from, "to": to })))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Thing {
        name: &'static str,
        size: u32,
    }

    #[test]
    fn only_changed_fields_are_listed() {
        let before = Thing { name: "a", size: 1 };
        let after = Thing { name: "a", size: 2 };
        let diff = diff(&before, &after);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff.get("size"), Some(&json!({ "from": 1, "to": 2 })));
        assert!(super::diff(&before, &before).is_empty());
    }
}
