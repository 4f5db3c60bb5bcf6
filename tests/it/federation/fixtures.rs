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

/// The shapes `protocol/lenient.rs` reads, each from a captured document.
#[test]
fn lenient_shapes_from_captured_documents_parse() {
    use unionhall_federation::protocol::{lenient, NoteJson, PUBLIC};
    let parse = |path: &str| -> serde_json::Value { serde_json::from_str(&fixture(path)).unwrap() };
    let activity = |value: &serde_json::Value| {
        InboxActivity::from_json(value.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{value}"))
    };

    // Kroeg embeds the whole author (an actor) in attributedTo.
    let kroeg = parse("kroeg/create_note_embedded_attributed_to.json");
    let InboxActivity::Create(create) = activity(&kroeg) else {
        panic!("not a Create")
    };
    let ActivityObject::Note(note) = create.object else {
        panic!("not a note")
    };
    assert_eq!(note.attributed_to.as_str(), "https://puckipedia.com/");
    assert_eq!(note.to[0].as_str(), PUBLIC);

    // PeerTube lists the account and its channel; sent by the account, the
    // account is the author.
    let video = parse("peertube/video.json");
    let account = video["attributedTo"][0]["id"].as_str().unwrap().to_owned();
    let create = serde_json::json!({"type": "Create", "id": format!("{}/create", video["id"].as_str().unwrap()),
        "actor": account, "object": video});
    let InboxActivity::Create(create) = activity(&create) else {
        panic!("not a Create")
    };
    let ActivityObject::Note(video) = create.object else {
        panic!("not read as a text object")
    };
    assert_eq!(video.attributed_to.as_str(), account);

    // Fedify's compact form writes the public collection `as:Public`.
    let compact: NoteJson =
        serde_json::from_str(&fixture("fedify/compact_note_as_public.json")).unwrap();
    assert_eq!(compact.to[0].as_str(), PUBLIC);

    // ActivityPods types things with arrays.
    for (path, kind) in [
        ("activitypods/actor_type_array.json", "Person"),
        ("activitypods/notification_note_type_array.json", "Note"),
    ] {
        assert_eq!(
            lenient::one_type(&parse(path)["type"]),
            Some(kind),
            "{path}"
        );
    }

    // ActivityPods' actor: its key has no id.
    let pod: ActorJson =
        serde_json::from_value(parse("activitypods/actor_type_array.json")).unwrap();
    assert_eq!(pod.public_key.id, "");
    assert_eq!(pod.public_key.owner.as_str(), "https://mypod.store/alice");

    // Gancio's instance actor, and the same without preferredUsername (a
    // relay's or a bridge's may have none).
    let gancio = parse("gancio/actor.json");
    let actor: ActorJson = serde_json::from_value(gancio.clone()).unwrap();
    assert_eq!(
        (actor.kind.as_str(), actor.username()),
        ("Application", "gancio".into())
    );
    let mut nameless = gancio;
    nameless
        .as_object_mut()
        .unwrap()
        .remove("preferredUsername");
    let actor: ActorJson = serde_json::from_value(nameless).unwrap();
    assert_eq!(actor.username(), "gancio");
}

/// Likes, boosts, their Undos and a Mobilizon participant's Join and Leave.
#[test]
fn interactions_from_mastodon_and_mobilizon_parse() {
    for (path, kind) in [
        ("mastodon/like.json", "Like"),
        ("mastodon/undo_like.json", "Undo"),
        ("mastodon/announce.json", "Announce"),
        ("mastodon/undo_announce.json", "Undo"),
        ("mobilizon/join_event.json", "Join"),
        ("mobilizon/leave_event.json", "Leave"),
        ("gancio/create_event.json", "Create"),
    ] {
        let text = fixture(path);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let activity =
            InboxActivity::from_json(text.as_bytes()).unwrap_or_else(|err| panic!("{path}: {err}"));
        assert_eq!(
            activity.id().as_str(),
            raw["id"].as_str().unwrap(),
            "{path}"
        );
        match (&activity, kind) {
            (InboxActivity::Like(like), "Like") => {
                assert_eq!(like.object.as_str(), raw["object"].as_str().unwrap())
            }
            (InboxActivity::Undo(undo), "Undo") => assert_eq!(
                undo.object.id().map(|id| id.to_string()).as_deref(),
                raw["object"]["id"].as_str(),
                "{path}"
            ),
            (InboxActivity::Announce(_), "Announce")
            | (InboxActivity::Join(_), "Join")
            | (InboxActivity::Leave(_), "Leave")
            | (InboxActivity::Create(_), "Create") => {}
            other => panic!("{path} parsed as {other:?}"),
        }
    }
}

#[test]
fn what_lemmy_1_0_sends_parses_with_what_we_rely_on() {
    for path in [
        "Follow-ref.json",
        "Undo-Follow.json",
        "Create-Page.json",
        "Create-Note.json",
        "Like-ref.json",
        "Dislike-ref.json",
        "Announce-Create-Page.json",
        "Announce-Page.json",
    ] {
        let path = format!("lemmy-1.0/{path}");
        let text = fixture(&path);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let activity =
            InboxActivity::from_json(text.as_bytes()).unwrap_or_else(|err| panic!("{path}: {err}"));
        assert_eq!(activity.actor().as_str(), raw["actor"].as_str().unwrap());
        match activity {
            InboxActivity::Dislike(vote) => {
                assert_eq!(vote.object.as_str(), raw["object"].as_str().unwrap())
            }
            InboxActivity::Create(create) => match create.object {
                ActivityObject::Note(note) => {
                    assert_eq!(note.id.as_str(), raw["object"]["id"].as_str().unwrap());
                    assert_eq!(
                        note.in_reply_to.map(|u| u.to_string()).as_deref(),
                        raw["object"]["inReplyTo"].as_str()
                    );
                    assert_eq!(
                        note.audience.map(|u| u.to_string()).as_deref(),
                        raw["object"]["audience"].as_str()
                    );
                }
                other => panic!("{path}: read as {other:?}"),
            },
            InboxActivity::Follow(_)
            | InboxActivity::Undo(_)
            | InboxActivity::Like(_)
            | InboxActivity::Announce(_) => {}
            other => panic!("{path} parsed as {other:?}"),
        }
    }
}
