-- Who may see which sensitive person category (社区矫正, 刑满释放, 吸毒人员,
-- 严重精神障碍患者, 重点人员): a grant to a role, or to one account. The rule
-- that reads it is internal/privacy; a sensitive category is shown only in an
-- unmasked (reasoned, audited) read by a granted reader.
CREATE TABLE person_category_grants (
    category text NOT NULL REFERENCES person_categories (code) ON DELETE CASCADE,
    role     text NOT NULL DEFAULT '', -- a role name, or '' for an account grant
    user_id  bigint REFERENCES users (id) ON DELETE CASCADE,
    CHECK ((role <> '') <> (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX person_category_grants_key ON person_category_grants (category, role, coalesce(user_id, 0));
CREATE INDEX person_category_grants_user ON person_category_grants (user_id) WHERE user_id IS NOT NULL;
-- Grid workers carry the 社区矫正/重点人员 duties of their own grids; admins
-- everything; leaders nothing unless an account is granted.
INSERT INTO person_category_grants (category, role)
SELECT code, r FROM person_categories, unnest(ARRAY['admin', 'officer']) r WHERE sensitive;
