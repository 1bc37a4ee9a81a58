-- The standard address gazetteer (标准地址库): a normalised, trigram-indexed
-- form of every address so "幸福小区三号楼", "幸福小区3栋" and "幸福小区３幢"
-- meet. gazetteer_norm mirrors gazetteer.Normalize in Go (internal/gazetteer);
-- a test checks that they agree. The columns are generated, so every writer
-- (the demo's COPY, the importer, later editors) keeps the index current.

-- Chinese numerals to digits: positional with 十/百/千, else digit by digit.
CREATE FUNCTION gazetteer_cn_number(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    c text;
    d int;
    total int := 0;
    cur int := 0;
    out text := '';
    positional boolean := s ~ '[十百千]';
BEGIN
    FOREACH c IN ARRAY regexp_split_to_array(s, '') LOOP
        d := strpos('〇零一二两三四五六七八九', c);
        IF d > 0 THEN
            d := (ARRAY[0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9])[d];
            IF positional THEN cur := d; ELSE out := out || d::text; END IF;
        ELSIF c = '十' THEN total := total + greatest(cur, 1) * 10; cur := 0;
        ELSIF c = '百' THEN total := total + greatest(cur, 1) * 100; cur := 0;
        ELSIF c = '千' THEN total := total + greatest(cur, 1) * 1000; cur := 0;
        END IF;
    END LOOP;
    IF positional THEN RETURN (total + cur)::text; END IF;
    RETURN out;
END $$;

CREATE FUNCTION gazetteer_norm(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    m text[];
BEGIN
    -- Full-width ASCII and the ideographic space to ASCII; ASCII lower case.
    s := translate(s, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　ABCDEFGHIJKLMNOPQRSTUVWXYZ', '!"#$%&''()*+,-./0123456789:;<=>?@abcdefghijklmnopqrstuvwxyz[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ abcdefghijklmnopqrstuvwxyz');
    s := regexp_replace(s, '[^0-9a-z#〇㐀-䶿一-鿿-]+', '', 'g');
    s := regexp_replace(s, '([0-9a-z〇零一二两三四五六七八九十百千])(号楼|#楼|栋|幢|座|#)', '\1栋', 'g');
    s := regexp_replace(s, '([0-9a-z〇零一二两三四五六七八九十百千])单元', '\1单元', 'g');
    s := regexp_replace(s, '([0-9a-z〇零一二两三四五六七八九十百千])(号房|室|房)', '\1室', 'g');
    IF s ~ '[〇零一二两三四五六七八九十百千]' THEN
        LOOP
            m := regexp_match(s, '([〇零一二两三四五六七八九十百千]+)(栋|单元|室)');
            EXIT WHEN m IS NULL;
            s := regexp_replace(s, '([〇零一二两三四五六七八九十百千]+)(栋|单元|室)', gazetteer_cn_number(m[1]) || m[2]);
        END LOOP;
    END IF;
    IF strpos(s, '-') > 0 THEN
        s := regexp_replace(s, '([0-9]+)-([0-9]+)-([0-9]+)室?', '\1栋\2单元\3室', 'g');
        s := regexp_replace(s, '([0-9]+)-([0-9]+)室?', '\1栋\2室', 'g');
    END IF;
    RETURN regexp_replace(s, '[#-]+', '', 'g');
END $$;

-- gazetteer_key is gazetteer_norm without a trailing 栋/单元/室: "3幢", "3号楼"
-- and "3" are the same building number (gazetteer.Key in Go).
CREATE FUNCTION gazetteer_key(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(gazetteer_norm(s), '(栋|单元|室)$', '');

-- Aliases, each normalised, separated by a space so trigrams do not bridge them.
CREATE FUNCTION gazetteer_norm_all(a text[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN coalesce(array_to_string(ARRAY(SELECT gazetteer_norm(x) FROM unnest(a) x), ' '), '');

ALTER TABLE addresses
    ADD COLUMN search_norm text GENERATED ALWAYS AS (gazetteer_norm(full_text)) STORED,
    ADD COLUMN alias_norm  text GENERATED ALWAYS AS (gazetteer_norm_all(aliases)) STORED;
CREATE INDEX addresses_search_norm_trgm ON addresses USING gin (search_norm gin_trgm_ops);
CREATE INDEX addresses_alias_norm_trgm ON addresses USING gin (alias_norm gin_trgm_ops) WHERE alias_norm <> '';

-- Matching imported rows to existing buildings and addresses.
CREATE INDEX buildings_grid_keys ON buildings (grid_code, gazetteer_norm(estate), gazetteer_key(building_no));
CREATE INDEX addresses_building_keys ON addresses (building_id, gazetteer_key(unit_no), gazetteer_key(room));
CREATE INDEX households_address_id_number ON households (address_id, id_number);
