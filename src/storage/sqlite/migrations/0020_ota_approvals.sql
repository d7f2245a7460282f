-- Who approved a node's update (a job with user_approval): the approval holds only while
-- that user is still the node's primary user (a transfer or removal after approving must
-- not install firmware the new owner never approved). Approvals from before this
-- migration have no approver and are asked for again.
ALTER TABLE ota_job_nodes ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
