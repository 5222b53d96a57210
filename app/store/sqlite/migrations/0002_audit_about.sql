-- The audit entries about one person (the resets of her password she is
-- told of at sign-in), newest first.
CREATE INDEX audit_about ON audit(target, action, at);
