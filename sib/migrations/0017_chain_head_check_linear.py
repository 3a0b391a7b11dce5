"""The chain head's statement trigger: a check whose cost grows with the rows, not their square.

`sib_chain_head_advance` (sib.0009) checks the entries one statement inserts: per
programme, head+1 .. head+k, each naming the hash of the one before. It found each entry's
predecessor by joining the statement's transition table to itself. PL/pgSQL plans each of
its queries once per session and keeps the plan, made with the row count of the trigger's
first call: in the application that is one entry (a service's `chain_append`), for which a
nested loop is the cheapest join. A bulk load later in the session (COPY, or one INSERT of
many rows) then compared every new entry with every other: 20,000 entries in one COPY took
about 90 s, against about 10 s in batches of 2,000 (bench/chain_bulk_bench.py; the
transition table also leaves memory past work_mem, and each pass reads it again).

The same rule, written as one pass: the new entries sorted by (programme, seq) once, each
compared with the one before it (`lag`), the first of each programme with its head. No
plan over that query joins the new rows to themselves, so the plan kept does not matter.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION sib_chain_head_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    -- One appender per programme at a time (chain_append also holds an advisory lock).
    PERFORM 1 FROM sib_chain_head
      WHERE programme_id IN (SELECT programme_id FROM new_entries)
      ORDER BY programme_id FOR UPDATE;
    -- The new entries of a programme are head+1 .. head+k, each naming the hash before it:
    -- in seq order, each follows the new entry before it (lag), the first the head. One
    -- sort, never a join of new_entries with itself: this plan is made at the trigger's
    -- first call in the session, often for one row, and kept for every later statement.
    SELECT n.programme_id, n.seq INTO bad
      FROM (SELECT programme_id, seq, previous_hash,
                   lag(seq) OVER w AS before_seq, lag(hash) OVER w AS before_hash
              FROM new_entries
            WINDOW w AS (PARTITION BY programme_id ORDER BY seq)) n
      LEFT JOIN sib_chain_head h ON h.programme_id = n.programme_id
     WHERE n.seq <> coalesce(n.before_seq, h.seq, 0) + 1
        OR n.previous_hash <> coalesce(n.before_hash, h.hash, repeat('0', 64))
     ORDER BY n.programme_id, n.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'chain entry % of programme % does not follow the head of its chain',
            bad.seq, bad.programme_id USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO sib_chain_head AS h (programme_id, seq, hash, updated_at)
    SELECT DISTINCT ON (programme_id) programme_id, seq, hash, now()
      FROM new_entries ORDER BY programme_id, seq DESC
    ON CONFLICT (programme_id) DO UPDATE
       SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at;
    RETURN NULL;
END;
$$;
"""

# sib.0009's, put back by the reverse migration (and by bench/chain_bulk_bench.py, inside a
# transaction it rolls back, to measure it beside the new one).
FORMER_FUNCTION = """
CREATE OR REPLACE FUNCTION sib_chain_head_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    -- One appender per programme at a time (chain_append also holds an advisory lock).
    PERFORM 1 FROM sib_chain_head
      WHERE programme_id IN (SELECT programme_id FROM new_entries)
      ORDER BY programme_id FOR UPDATE;
    -- Each new entry follows either another new entry or the head: the new entries of a
    -- programme are head+1 .. head+k, each naming the hash before it.
    SELECT n.programme_id, n.seq INTO bad
      FROM new_entries n
      LEFT JOIN new_entries p ON p.programme_id = n.programme_id AND p.seq = n.seq - 1
      LEFT JOIN sib_chain_head h ON h.programme_id = n.programme_id
     WHERE CASE WHEN p.seq IS NOT NULL THEN n.previous_hash <> p.hash
                ELSE n.seq <> coalesce(h.seq, 0) + 1
                     OR n.previous_hash <> coalesce(h.hash, repeat('0', 64)) END
     ORDER BY n.programme_id, n.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'chain entry % of programme % does not follow the head of its chain',
            bad.seq, bad.programme_id USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO sib_chain_head AS h (programme_id, seq, hash, updated_at)
    SELECT DISTINCT ON (programme_id) programme_id, seq, hash, now()
      FROM new_entries ORDER BY programme_id, seq DESC
    ON CONFLICT (programme_id) DO UPDATE
       SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at;
    RETURN NULL;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("sib", "0016_programme_facts_truncate_refused")]

    operations = [migrations.RunSQL(FUNCTION, FORMER_FUNCTION)]
