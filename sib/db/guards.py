"""SQL for the database's own guards, used by the migrations of the app owning each table.

- `truncate_refused(*tables)`: a statement-level BEFORE TRUNCATE trigger on each table,
  refusing TRUNCATE to everyone, the owner included. Row triggers (`insert_only`) do not
  fire for TRUNCATE, and the application role's missing privilege does not bind the owner.
- `chain_entry_required(table, kind, ...)`: a DEFERRABLE INITIALLY DEFERRED constraint
  trigger: at commit, every row inserted in `table` must have its chain entry of `kind`
  (on its own programme when `programme_column` is given). A code path that writes a
  chainable record and forgets `sib.chain.chain_append` cannot commit.

The functions they call (`sib_refuse_truncate`, `sib_chain_entry_required`) are created by
sib's migration 0005; other apps' migrations depend on it.
"""

from django.db import migrations

REFUSE_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION sib_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE % is refused: its rows are never removed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

CHAIN_ENTRY_REQUIRED_FUNCTION = """
CREATE OR REPLACE FUNCTION sib_chain_entry_required() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entry_programme bigint;
BEGIN
    SELECT programme_id INTO entry_programme FROM sib_chain_entry
     WHERE kind = TG_ARGV[0] AND object_id = NEW.id::text;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% % has no chain entry: a chained record is appended to its '
            'programme''s chain in the transaction that writes it', TG_ARGV[0], NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_NARGS > 1
       AND (to_jsonb(NEW) ->> TG_ARGV[1])::bigint IS DISTINCT FROM entry_programme THEN
        RAISE EXCEPTION '% % is chained on another programme''s chain', TG_ARGV[0], NEW.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


def truncate_refused(*tables: str) -> migrations.RunSQL:
    """Refuse TRUNCATE on each table, to everyone."""
    create = "\n".join(
        f'CREATE TRIGGER "{table}_truncate_refused" BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION sib_refuse_truncate();"
        for table in tables
    )
    drop = "\n".join(
        f'DROP TRIGGER IF EXISTS "{table}_truncate_refused" ON "{table}";' for table in tables
    )
    return migrations.RunSQL(create, drop)


def chain_entry_required(
    table: str,
    kind: str,
    *,
    trigger: str,
    programme_column: str | None = None,
    condition: str | None = None,
) -> migrations.RunSQL:
    """At commit, require a chain entry of `kind` for every row inserted in `table`."""
    arguments = f"'{kind}'" + (f", '{programme_column}'" if programme_column else "")
    when = f"WHEN ({condition}) " if condition else ""
    create = (
        f'CREATE CONSTRAINT TRIGGER "{trigger}" AFTER INSERT ON "{table}" '
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}"
        f"EXECUTE FUNCTION sib_chain_entry_required({arguments});"
    )
    return migrations.RunSQL(create, f'DROP TRIGGER IF EXISTS "{trigger}" ON "{table}";')
