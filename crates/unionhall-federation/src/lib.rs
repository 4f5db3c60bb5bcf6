//! Unionhall over ActivityPub (filled in by the federation-core work): actors,
//! activities, signatures and the durable delivery queue.
