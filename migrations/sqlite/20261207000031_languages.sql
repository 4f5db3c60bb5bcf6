-- The language an account's holder chose for what is written to them (today
-- their mail): en, es or fr. NULL: the server's (`[email] language`).
ALTER TABLE accounts ADD COLUMN language TEXT;
