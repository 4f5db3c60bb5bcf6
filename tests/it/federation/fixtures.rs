//! JSON captured from other servers (see fixtures/README.md) parses into our wire
//! types with the fields we rely on intact.

use unionhall_federation::protocol::{ActivityObject, ActorJson, InboxActivity};

pub(crate) fn fixture(path: &str) -> String {
    let full = format!(
        "{}/../../tests/it/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{full}: {err}"))
}

#[test]
fn actors_from_mastodon_lemmy_and_mobilizon_parse() {
    for (path, kind) in [
        ("mastodon/person.json", "Person"),
        ("lemmy/group.json", "Group"),
        ("lemmy/person.json", "Person"),
        ("mobilizon/group.json", "Group"),
        ("mobilizon/person.json", "Person"),
    ] {
        let text = fixture(path);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let actor: ActorJson =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"));
        assert_eq!(actor.kind, kind, "{path}");
        assert_eq!(actor.id.as_str(), raw["id"].as_str().unwrap(), "{path}");
        assert_eq!(
            actor.inbox.as_str(),
            raw["inbox"].as_str().unwrap(),
            "{path}"
        );
        assert_eq!(actor.public_key.owner, actor.id, "{path}");
        assert!(
            actor.public_key.public_key_pem.contains("PUBLIC KEY"),
            "{path}"
        );
        if let Some(shared) = raw["endpoints"]["sharedInbox"].as_str() {
            assert_eq!(
                actor
                    .endpoints
                    .and_then(|e| e.shared_inbox)
                    .map(|u| u.to_string())
                    .as_deref(),
                Some(shared),
                "{path}"
            );
        }
    }
}

#[test]
fn activities_from_mastodon_lemmy_and_mobilizon_parse_reports_included() {
    for (path, kind) in [
        ("mastodon/follow.json", "Follow"),
        ("mastodon/create_note.json", "Create"),
        ("lemmy/follow.json", "Follow"),
        ("lemmy/create_note.json", "Create"),
        ("mobilizon/create_event.json", "Create"),
        ("mastodon/flag.json", "Flag"),
    ] {
        let text = fixture(path);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let activity: InboxActivity =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"));
        assert_eq!(
            activity.id().as_str(),
            raw["id"].as_str().unwrap(),
            "{path}"
        );
        assert_eq!(
            activity.actor().as_str(),
            raw["actor"].as_str().unwrap(),
            "{path}"
        );
        match (&activity, kind) {
            (InboxActivity::Follow(f), "Follow") => {
                assert_eq!(f.object.as_str(), raw["object"].as_str().unwrap(), "{path}")
            }
            (InboxActivity::Create(c), "Create") => {
                let ActivityObject::Note(note) = &c.object else {
                    panic!("{path}: read as {:?}", c.object)
                };
                assert_eq!(
                    note.id.as_str(),
                    raw["object"]["id"].as_str().unwrap(),
                    "{path}"
                );
                assert_eq!(note.kind, raw["object"]["type"].as_str().unwrap(), "{path}");
                assert!(
                    !note.content.clone().unwrap_or_default().is_empty(),
                    "{path}"
                );
            }
            (InboxActivity::Flag(flag), "Flag") => {
                assert_eq!(flag.object.len(), 2, "{path}");
                assert_eq!(flag.content.as_deref(), raw["content"].as_str(), "{path}");
            }
            other => panic!("{path} parsed as {other:?}"),
        }
    }
}
