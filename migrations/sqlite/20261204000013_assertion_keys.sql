-- Ed25519 keys for object integrity proofs (FEP-8b32, eddsa-jcs-2022), published
-- as a FEP-521a `assertionMethod`: what a chapter says can then be checked by
-- whoever relays it, without asking the chapter's server. For remote actors the
-- public key and its id as they publish them; for ours also the private key
-- (PKCS#8, base64), never served.
ALTER TABLE actors ADD COLUMN assertion_key_id TEXT;
ALTER TABLE actors ADD COLUMN assertion_public_key TEXT;
ALTER TABLE actors ADD COLUMN assertion_private_key TEXT;
