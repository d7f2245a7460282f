-- Alert mail (issue 15): a user who opts in (PUT /v1/user {"alert_mail":true}) is mailed
-- the alerts of the nodes it may see.
ALTER TABLE users ADD COLUMN alert_mail INTEGER NOT NULL DEFAULT 0;
