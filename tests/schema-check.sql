-- tests/schema-check.sql: for tests/cvx-schema.bats (load_both, check_values).
-- For every column of the typed tables in schema public: its values equal
-- what cvx-pg-load --create stored in raw.<table>.doc, converted to the
-- column's type in SQL (a $float holds only NaN, the infinities or a zero:
-- convex-export-format.md §3.1).  Row counts agree, empty tables too.
DO $check$
DECLARE
	r record;
	bad bigint;
	n_typed bigint;
	n_raw bigint;
	expr text;
	v text;
BEGIN
	FOR r IN SELECT c.relname AS t FROM pg_class c
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	    WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1 LOOP
		EXECUTE format('SELECT count(*) FROM public.%I', r.t) INTO n_typed;
		IF to_regclass(format('raw.%I', r.t)) IS NULL THEN
			n_raw := 0;
		ELSE
			EXECUTE format('SELECT count(*) FROM raw.%I', r.t) INTO n_raw;
		END IF;
		IF n_typed <> n_raw THEN
			RAISE EXCEPTION 'table %: % rows typed, % by --create', r.t, n_typed, n_raw;
		END IF;
		CONTINUE WHEN n_raw = 0;
	END LOOP;
	FOR r IN SELECT c.table_name AS t, c.column_name AS col, c.data_type AS ty
	    FROM information_schema.columns c
	    WHERE c.table_schema = 'public' AND c.column_name <> '_id'
	    AND to_regclass(format('raw.%I', c.table_name)) IS NOT NULL
	    ORDER BY 1, 2 LOOP
		v := format('NULLIF(raw.doc -> %L, ''null''::jsonb)', r.col);
		expr := CASE
		    WHEN r.col = '_creationTime' THEN 'raw."_creationTime"'
		    WHEN r.ty = 'jsonb' THEN v
		    WHEN r.ty = 'text' THEN v || ' #>> ''{}'''
		    WHEN r.ty = 'bigint' THEN '(' || v || ' #>> ''{}'')::bigint'
		    WHEN r.ty = 'double precision' THEN format($f$CASE WHEN jsonb_typeof(%1$s) = 'object'
			THEN (SELECT CASE WHEN get_byte(d, 7) & 127 = 127 AND get_byte(d, 6) & 240 = 240
			    THEN CASE WHEN get_byte(d, 6) & 15 = 0 AND substring(d FROM 1 FOR 6) = '\x000000000000'::bytea
				THEN CASE WHEN get_byte(d, 7) >= 128 THEN '-Infinity' ELSE 'Infinity' END
				ELSE 'NaN' END
			    ELSE CASE WHEN get_byte(d, 7) >= 128 THEN '-0' ELSE '0' END END::float8
			    FROM decode(%1$s ->> '$float', 'base64') d)
			ELSE (%1$s #>> '{}')::float8 END$f$, v)
		    WHEN r.ty = 'numeric' THEN '(' || v || ' #>> ''{}'')::numeric'
		    WHEN r.ty = 'boolean' THEN '(' || v || ' #>> ''{}'')::boolean'
		    WHEN r.ty = 'bytea' THEN 'decode(coalesce(' || v || ' ->> ''$bytes'', ' || v || ' #>> ''{}''), ''base64'')'
		    ELSE NULL END;
		IF expr IS NULL THEN
			RAISE EXCEPTION 'column %.%: type % unexpected', r.t, r.col, r.ty;
		END IF;
		EXECUTE format('SELECT count(*) FROM public.%I t FULL JOIN raw.%I raw USING (_id) WHERE t.%I IS DISTINCT FROM %s',
		    r.t, r.t, r.col, expr) INTO bad;
		IF bad > 0 THEN
			RAISE EXCEPTION 'column %.%: % rows differ from --create''s doc', r.t, r.col, bad;
		END IF;
	END LOOP;
END
$check$;
