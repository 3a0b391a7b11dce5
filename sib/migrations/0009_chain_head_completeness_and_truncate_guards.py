"""The chain's head record, chain completeness for role changes, TRUNCATE refused.

1. `sib_chain_head` is kept by a statement trigger on `sib_chain_entry` (SECURITY DEFINER:
   the application role cannot write the head itself). The trigger refuses entries that do
   not follow the head: seq head+1, previous hash the head's hash, contiguous within one
   statement. A guard refuses any other write of the head, the owner's included.
2. The functions every app's migrations use (sib.db.guards): TRUNCATE refused, and the
   deferred "chained record has its chain entry" check, here on role changes.
3. `pghistory_context` (who did what): never deleted, never truncated; an update may only
   add what was missing (a key, or a value that was null: the user known only once the API
   has authenticated), never change what is recorded. The application role has no write
   privilege on it at all (sib.db.privileges): `_pgh_attach_context()` writes it as the
   owner (SECURITY DEFINER, set by sib.db.privileges after every migrate).
"""

from django.db import migrations

from sib.db.guards import (
    CHAIN_ENTRY_REQUIRED_FUNCTION,
    REFUSE_TRUNCATE_FUNCTION,
    chain_entry_required,
    truncate_refused,
)

CHAIN_HEAD = """
INSERT INTO sib_chain_head (programme_id, seq, hash, updated_at)
SELECT DISTINCT ON (programme_id) programme_id, seq, hash, now()
  FROM sib_chain_entry ORDER BY programme_id, seq DESC;

CREATE FUNCTION sib_chain_head_advance() RETURNS trigger
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

CREATE TRIGGER sib_chain_entry_head_advance
    AFTER INSERT ON sib_chain_entry REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION sib_chain_head_advance();

CREATE FUNCTION sib_chain_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a statement on the head itself; the advance trigger writes at depth 2.
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'sib_chain_head is kept by the chain''s trigger only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a chain head is never removed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER sib_chain_head_written_by_trigger_only
    BEFORE INSERT OR UPDATE OR DELETE ON sib_chain_head
    FOR EACH ROW EXECUTE FUNCTION sib_chain_head_guard();
"""

DROP_CHAIN_HEAD = """
DROP TRIGGER IF EXISTS sib_chain_head_written_by_trigger_only ON sib_chain_head;
DROP FUNCTION IF EXISTS sib_chain_head_guard();
DROP TRIGGER IF EXISTS sib_chain_entry_head_advance ON sib_chain_entry;
DROP FUNCTION IF EXISTS sib_chain_head_advance();
DELETE FROM sib_chain_head;
"""

HISTORY_CONTEXT = """
CREATE FUNCTION sib_history_context_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit history''s context % is never deleted', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.created_at <> OLD.created_at OR EXISTS (
        SELECT 1 FROM jsonb_each(OLD.metadata::jsonb) o
         WHERE o.value <> 'null'::jsonb
           AND (NEW.metadata::jsonb -> o.key) IS DISTINCT FROM o.value
    ) THEN
        RAISE EXCEPTION 'the audit history''s context % keeps what it recorded; only what '
            'was missing may be added', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER pghistory_context_append_only
    BEFORE UPDATE OR DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION sib_history_context_guard();
"""

DROP_HISTORY_CONTEXT = """
DROP TRIGGER IF EXISTS pghistory_context_append_only ON pghistory_context;
DROP FUNCTION IF EXISTS sib_history_context_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sib", "0008_chain_head_and_role_changes"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunSQL(
            REFUSE_TRUNCATE_FUNCTION, "DROP FUNCTION IF EXISTS sib_refuse_truncate();"
        ),
        migrations.RunSQL(
            CHAIN_ENTRY_REQUIRED_FUNCTION, "DROP FUNCTION IF EXISTS sib_chain_entry_required();"
        ),
        migrations.RunSQL(CHAIN_HEAD, DROP_CHAIN_HEAD),
        migrations.RunSQL(HISTORY_CONTEXT, DROP_HISTORY_CONTEXT),
        chain_entry_required(
            "sib_role_change",
            "sib.role_change",
            trigger="sib_role_change_chained",
            programme_column="programme_id",
        ),
        truncate_refused(
            "sib_chain_entry",
            "sib_chain_head",
            "sib_role_change",
            "sib_membershipevent",
            "sib_organisationevent",
            "sib_programmeevent",
            "sib_programmepartyevent",
            "sib_rolechangeevent",
            "pghistory_context",
        ),
    ]
