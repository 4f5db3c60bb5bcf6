//! Shapes other servers send that mean what ours mean, read as ours: a `type`
//! given as an array (`["Note"]`, ActivityPods' `["foaf:Person", "Person"]`),
//! an `attributedTo` given as a list or an embedded object (PeerTube lists a
//! person and a channel), and the public collection written `Public` or
//! `as:Public` (JSON-LD compact forms) or over `http:`. Lenient only in form:
//! whoever an object is attributed to must still be on the server of the
//! activity's actor (the trust rules of `activities/` refuse it otherwise).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::PUBLIC;

/// Every type we act on, activities and objects alike: in a `type` array, the
/// first of these is the one we read it as.
const KNOWN_TYPES: &[&str] = &[
    "Follow",
    "Accept",
    "TentativeAccept",
    "Reject",
    "Undo",
    "Create",
    "Update",
    "Delete",
    "Join",
    "Leave",
    "Announce",
    "Flag",
    "Like",
    "Dislike",
    "Note",
    "Page",
    "Article",
    "Event",
    "Question",
    "Person",
    "Group",
    "Application",
    "Service",
    "Organization",
    "Tombstone",
];

/// The one type name of `types`: itself if a string, else the first known type
/// in the array, else its first string.
pub fn one_type(types: &Value) -> Option<&str> {
    match types {
        Value::String(name) => Some(name),
        Value::Array(names) => {
            let names = || names.iter().filter_map(Value::as_str);
            names()
                .find(|name| KNOWN_TYPES.contains(name))
                .or_else(|| names().next())
        }
        _ => None,
    }
}

/// `type` as a string or an array, for the structs whose type is a `String`.
pub fn type_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    one_type(&value)
        .map(str::to_owned)
        .ok_or_else(|| serde::de::Error::custom("\"type\" must be a string or an array of strings"))
}

/// An actor's `publicKey` whose `id` may be missing (ActivityPods publishes
/// none): read with an empty id, which the actor's reader replaces with
/// `{actor}#main-key` (`actors.rs`). The owner and the PEM stay required.
pub fn public_key<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<activitypub_federation::protocol::public_key::PublicKey, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Lenient {
        #[serde(default)]
        id: String,
        owner: url::Url,
        public_key_pem: String,
    }
    let key = Lenient::deserialize(d)?;
    Ok(activitypub_federation::protocol::public_key::PublicKey {
        id: key.id,
        owner: key.owner,
        public_key_pem: key.public_key_pem,
    })
}

/// An optional reference (`audience`) given as an id, an embedded object or a
/// list of either: the first id, or None where there is none to read.
pub fn first_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<url::Url>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    let first = match &value {
        Some(Value::Array(items)) => items.first(),
        other => other.as_ref(),
    };
    Ok(id_of(first).and_then(|id| url::Url::parse(id).ok()))
}

/// The full IRI of the public collection for any way of writing it.
pub fn public_alias(address: &str) -> Option<&'static str> {
    matches!(
        address,
        "Public" | "as:Public" | "http://www.w3.org/ns/activitystreams#Public"
    )
    .then_some(PUBLIC)
}

/// Rewrites `activity` (and the objects it carries, however deep) into the
/// shapes our structs read: one `type`, one `attributedTo` (of those listed,
/// the activity's actor itself, else one on its server). True if anything
/// changed.
pub fn normalize(activity: &mut Value) -> bool {
    let actor = id_of(activity.get("actor")).and_then(|id| url::Url::parse(id).ok());
    normalize_object(activity, actor.as_ref())
}

fn normalize_object(object: &mut Value, actor: Option<&url::Url>) -> bool {
    let Some(fields) = object.as_object_mut() else {
        return false;
    };
    let mut changed = false;
    if let Some(types @ Value::Array(_)) = fields.get("type") {
        if let Some(one) = one_type(types).map(str::to_owned) {
            fields.insert("type".into(), Value::String(one));
            changed = true;
        }
    }
    if let Some(authors) = fields.get("attributedTo").filter(|a| !a.is_string()) {
        if let Some(author) = author_among(authors, actor) {
            fields.insert("attributedTo".into(), Value::String(author));
            changed = true;
        }
    }
    if let Some(inner) = fields.get_mut("object") {
        changed |= normalize_object(inner, actor);
    }
    changed
}

/// Of an `attributedTo` list (or one embedded object): the actor itself if
/// listed (PeerTube lists the account and its channel), else one on the
/// actor's server, else the first (which the trust rules will then refuse).
fn author_among(authors: &Value, actor: Option<&url::Url>) -> Option<String> {
    let ids: Vec<&str> = match authors {
        Value::Array(items) => items.iter().filter_map(|a| id_of(Some(a))).collect(),
        one => id_of(Some(one)).into_iter().collect(),
    };
    let host = |id: &str| url::Url::parse(id).ok()?.host_str().map(str::to_owned);
    let actor_host = actor.and_then(|a| a.host_str());
    ids.iter()
        .find(|id| actor.is_some_and(|a| a.as_str() == **id))
        .or_else(|| {
            ids.iter()
                .find(|id| actor_host.is_some() && host(id).as_deref() == actor_host)
        })
        .or(ids.first())
        .map(|id| (*id).to_owned())
}

/// A reference's id: the string itself, or an embedded object's `id`.
fn id_of(reference: Option<&Value>) -> Option<&str> {
    match reference? {
        Value::String(id) => Some(id),
        Value::Object(fields) => fields.get("id").and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_type_array_is_read_as_its_first_known_type() {
        assert_eq!(one_type(&json!(["foaf:Person", "Person"])), Some("Person"));
        assert_eq!(
            one_type(&json!(["Note", "apods:Notification"])),
            Some("Note")
        );
        assert_eq!(one_type(&json!(["x:Thing"])), Some("x:Thing"));
        assert_eq!(one_type(&json!(3)), None);
    }

    #[test]
    fn the_author_is_the_actor_if_listed_else_one_on_its_server() {
        let mut create = json!({
            "type": ["Create"], "actor": "https://tube.example/accounts/ana",
            "object": {"type": "Video", "attributedTo": [
                {"type": "Group", "id": "https://tube.example/c/chan"},
                {"type": "Person", "id": "https://tube.example/accounts/ana"}
            ]}
        });
        assert!(normalize(&mut create));
        assert_eq!(create["type"], "Create");
        assert_eq!(
            create["object"]["attributedTo"],
            "https://tube.example/accounts/ana"
        );
        let mut embedded = json!({"type": "Create", "actor": "https://a.example/u/x",
            "object": {"attributedTo": {"type": "Person", "id": "https://b.example/u/y"}}});
        assert!(normalize(&mut embedded));
        // No author on the actor's server: the first, for the trust rules to refuse.
        assert_eq!(embedded["object"]["attributedTo"], "https://b.example/u/y");
        let mut same_server = json!({"type": "Create", "actor": "https://a.example/u/x",
            "object": {"attributedTo": ["https://b.example/u/y", "https://a.example/u/z"]}});
        assert!(normalize(&mut same_server));
        assert_eq!(
            same_server["object"]["attributedTo"],
            "https://a.example/u/z"
        );
        let mut plain = json!({"type": "Like", "actor": "https://a.example/u/x", "object": "https://b.example/o"});
        assert!(!normalize(&mut plain));
    }

    #[test]
    fn every_spelling_of_public_is_public() {
        for alias in [
            "Public",
            "as:Public",
            "http://www.w3.org/ns/activitystreams#Public",
        ] {
            assert_eq!(public_alias(alias), Some(PUBLIC));
        }
        assert_eq!(public_alias("https://a.example/followers"), None);
    }
}
